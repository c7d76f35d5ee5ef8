package dev.iris.model.mllama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iris.api.model.RgbaImage;
import dev.iris.api.tensor.WeightTensor;
import dev.iris.backend.cpu.CpuAttentionBackend;
import dev.iris.backend.cpu.CpuComputeBackend;
import dev.iris.runtime.config.JsonConfigView;
import dev.iris.runtime.media.MediaLoader;
import dev.iris.runtime.media.MediaOptions;
import dev.iris.runtime.weights.LoadProgress;
import dev.iris.runtime.weights.SafetensorsFile;
import dev.iris.runtime.weights.SafetensorsWeights;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * tiny-mllama's image path against transformers 4.46.3 in float32 on the one-image golden
 * (testdata/golden/tiny-mllama/one_image.*, from the shared fixtures): the processor's pixel
 * values at the tiny settings, the vision model's output and the projected cross-attention states.
 */
class MllamaVisionEncoderTest {

    private static final Path MODEL = Path.of("../../testdata/models/tiny-mllama");
    private static final Path GOLDEN = Path.of("../../testdata/golden/tiny-mllama/one_image");

    @Test
    void pixelsVisionFeaturesAndProjectedStatesMatchTransformers() throws IOException {
        CpuComputeBackend cpu = CpuComputeBackend.withF32Products();
        JsonNode golden = new ObjectMapper().readTree(Path.of(GOLDEN + ".json").toFile());
        MllamaImageProcessor processor = new MllamaImageProcessor(
                JsonConfigView.read(MODEL.resolve("preprocessor_config.json"), false));
        MllamaImage image = processor.process(decode(golden.get("image_files").get(0).asText()),
                JsonConfigView.parse("none", "{}"));
        JsonNode outputs = golden.get("processor_outputs");
        assertEquals(outputs.get("aspect_ratio_ids").get(0).get(0).asInt(), image.aspectRatioId());
        assertEquals(outputs.get("num_tiles").get(0).get(0).asInt(), image.numTiles());
        MllamaVisionConfig config = MllamaVisionConfig.from(JsonConfigView.read(MODEL.resolve("config.json"), false));
        int textHidden = JsonConfigView.read(MODEL.resolve("config.json"), false).requireObject("text_config")
                .requireInt("hidden_size");
        try (SafetensorsWeights weights = SafetensorsWeights.open(MODEL, LoadProgress.NONE);
             Arena arena = Arena.ofConfined()) {
            SafetensorsFile g = SafetensorsFile.open(Path.of(GOLDEN + ".safetensors"), arena);
            float[] pixels = floats(g.tensors().get("pixel_values")); // [1, 1, maxTiles, 3, tile, tile]
            float[] own = java.util.Arrays.copyOf(pixels, image.pixelValues().length);
            assertClose(own, image.pixelValues(), 1e-6);
            MllamaVisionEncoder encoder = new MllamaVisionEncoder(config,
                    MllamaVisionWeights.load(weights, cpu, config, textHidden), cpu, new CpuAttentionBackend());
            float[] expectedFeatures = floats(g.tensors().get("vision_model_output"));
            assertClose(expectedFeatures, cpu.toFloats(encoder.features(image)), 1e-4 * Math.max(1, maxAbs(expectedFeatures)));
            float[] expectedStates = floats(g.tensors().get("cross_attention_states_projected"));
            assertClose(expectedStates, cpu.toFloats(encoder.encode(image)), 1e-4 * Math.max(1, maxAbs(expectedStates)));
        }
    }

    private static RgbaImage decode(String testdataImage) throws IOException {
        byte[] bytes = Files.readAllBytes(Path.of("../../testdata").resolve(testdataImage));
        return new MediaLoader(MediaOptions.defaults())
                .load(List.of("data:image/png;base64," + Base64.getEncoder().encodeToString(bytes))).getFirst();
    }

    private static float[] floats(WeightTensor t) {
        return t.data().toArray(ValueLayout.JAVA_FLOAT);
    }

    private static double maxAbs(float[] x) {
        double m = 0;
        for (float v : x) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    private static void assertClose(float[] expected, float[] got, double tolerance) {
        assertArrayEquals(new int[]{expected.length}, new int[]{got.length});
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - got[i]));
        }
        assertTrue(worst <= tolerance, "largest difference " + worst + " (tolerance " + tolerance + ")");
    }
}
