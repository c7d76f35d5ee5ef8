package dev.iris.model.qwen2vl;

import dev.iris.api.tensor.Tensor;
import dev.iris.api.tensor.WeightTensor;
import dev.iris.backend.cpu.CpuAttentionBackend;
import dev.iris.backend.cpu.CpuComputeBackend;
import dev.iris.runtime.config.JsonConfigView;
import dev.iris.runtime.weights.LoadProgress;
import dev.iris.runtime.weights.SafetensorsFile;
import dev.iris.runtime.weights.SafetensorsWeights;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The vision tower of tiny-qwen2-vl (testdata/models) against transformers' float32 run on the
 * same pixel values (testdata/golden/tiny-qwen2-vl/one_image.safetensors, from the shared
 * fixtures): the blocks' output (the merger's input) and the merged image embeddings.
 */
class Qwen2VisionTowerTest {

    private static final Path MODEL = Path.of("../../testdata/models/tiny-qwen2-vl");
    private static final Path GOLDEN = Path.of("../../testdata/golden/tiny-qwen2-vl/one_image.safetensors");
    private static final Path TWO_IMAGES = Path.of("../../testdata/golden/tiny-qwen2-vl/two_images.safetensors");

    @Test
    void blocksAndMergerMatchTransformersOnTheFixtureImage() throws IOException {
        CpuComputeBackend cpu = CpuComputeBackend.withF32Products();
        Qwen2VisionConfig config = Qwen2VisionConfig.from(JsonConfigView.read(MODEL.resolve("config.json"), false));
        try (SafetensorsWeights weights = SafetensorsWeights.open(MODEL, LoadProgress.NONE);
             Arena arena = Arena.ofConfined()) {
            SafetensorsFile golden = SafetensorsFile.open(GOLDEN, arena);
            long[] thw = golden.tensors().get("image_grid_thw").data().toArray(ValueLayout.JAVA_LONG);
            float[] pixels = floats(golden.tensors().get("pixel_values"));
            Qwen2VlImage image = new Qwen2VlImage(pixels, (int) thw[0], (int) thw[1], (int) thw[2]);
            Qwen2VisionTower tower = new Qwen2VisionTower(config, Qwen2VisionWeights.load(weights, cpu, config), cpu,
                    new CpuAttentionBackend());
            float[] blocks = cpu.toFloats(tower.blocks(List.of(image)));
            assertClose(floats(golden.tensors().get("vision_merger_input")), blocks, 1e-4);
            float[] embeds = cpu.toFloats(tower.encode(image));
            assertClose(floats(golden.tensors().get("image_embeds")), embeds, 1e-4);
        }
    }

    /**
     * The two-image golden's images, encoded in one tower call and one by one: the same features up
     * to float rounding (more rows may take another GEMM path that sums in another order).
     */
    @Test
    void imagesEncodedTogetherGiveWhatEachGivesAlone() throws IOException {
        CpuComputeBackend cpu = new CpuComputeBackend();
        Qwen2VisionConfig config = Qwen2VisionConfig.from(JsonConfigView.read(MODEL.resolve("config.json"), false));
        try (SafetensorsWeights weights = SafetensorsWeights.open(MODEL, LoadProgress.NONE);
             Arena arena = Arena.ofConfined()) {
            SafetensorsFile golden = SafetensorsFile.open(TWO_IMAGES, arena);
            long[] thw = golden.tensors().get("image_grid_thw").data().toArray(ValueLayout.JAVA_LONG);
            float[] pixels = floats(golden.tensors().get("pixel_values"));
            List<Qwen2VlImage> images = new ArrayList<>();
            int from = 0;
            for (int i = 0; i < thw.length / 3; i++) {
                int patches = (int) (thw[3 * i] * thw[3 * i + 1] * thw[3 * i + 2]);
                images.add(new Qwen2VlImage(Arrays.copyOfRange(pixels, from, from + patches * config.patchValues()),
                        (int) thw[3 * i], (int) thw[3 * i + 1], (int) thw[3 * i + 2]));
                from += patches * config.patchValues();
            }
            Qwen2VisionTower tower = new Qwen2VisionTower(config, Qwen2VisionWeights.load(weights, cpu, config), cpu,
                    new CpuAttentionBackend());
            List<Tensor> together = tower.encode(images);
            assertEquals(images.size(), together.size());
            for (int i = 0; i < images.size(); i++) {
                float[] alone = cpu.toFloats(tower.encode(images.get(i)));
                assertClose(alone, cpu.toFloats(together.get(i)), 1e-5);
            }
        }
    }

    private static float[] floats(WeightTensor t) {
        return t.data().toArray(ValueLayout.JAVA_FLOAT);
    }

    private static void assertClose(float[] expected, float[] got, double tolerance) {
        assertArrayEquals(new int[]{expected.length}, new int[]{got.length});
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - got[i]));
        }
        assertTrue(worst < tolerance, "largest difference " + worst);
    }
}
