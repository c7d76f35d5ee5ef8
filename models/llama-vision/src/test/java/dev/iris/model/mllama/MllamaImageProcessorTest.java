package dev.iris.model.mllama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iris.api.model.RgbaImage;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.WeightTensor;
import dev.iris.runtime.config.JsonConfigView;
import dev.iris.runtime.media.MediaLoader;
import dev.iris.runtime.media.MediaOptions;
import dev.iris.runtime.weights.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Base64;
import java.util.List;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The image processor against transformers 4.46.3 with Llama-3.2-11B-Vision-Instruct's settings on
 * every fixture image (testdata/preprocess/mllama: the shared fixtures' preprocess/mllama goldens,
 * the safetensors gzipped unchanged; only the image's own tiles are stored), and the tile layouts
 * of the spec's worked examples (mllama.md §4.7).
 */
class MllamaImageProcessorTest {

    private static final Path DIR = Path.of("../../testdata/preprocess/mllama");

    @TempDir
    static Path unpacked;

    private static MllamaImageProcessor processor() throws IOException {
        return new MllamaImageProcessor(JsonConfigView.read(DIR.resolve("preprocessor_config.json"), false));
    }

    private static RgbaImage decode(String testdataImage) throws IOException {
        byte[] bytes = Files.readAllBytes(Path.of("../../testdata").resolve(testdataImage));
        return new MediaLoader(MediaOptions.defaults())
                .load(List.of("data:image/png;base64," + Base64.getEncoder().encodeToString(bytes))).getFirst();
    }

    @ParameterizedTest
    @ValueSource(strings = {"gradient_640x480", "tall_300x1000", "wide_1024x256", "tiny_rgba_37x23"})
    void tilesLayoutAndPixelValuesMatchTransformers(String name) throws IOException {
        JsonNode meta = new ObjectMapper().readTree(DIR.resolve(name + ".json").toFile());
        MllamaImage got = processor().process(decode(meta.get("image").asText()), JsonConfigView.parse("none", "{}"));
        JsonNode m = meta.get("metadata");
        assertEquals(m.get("aspect_ratio_ids").get(0).get(0).asInt(), got.aspectRatioId());
        assertEquals(m.get("num_tiles").get(0).get(0).asInt(), got.numTiles());
        int[] mask = new int[4];
        for (int t = 0; t < got.numTiles(); t++) {
            mask[t] = 1;
        }
        int[] expectedMask = new int[4];
        for (int t = 0; t < 4; t++) {
            expectedMask[t] = m.get("aspect_ratio_mask").get(0).get(0).get(t).asInt();
        }
        assertArrayEquals(expectedMask, mask);
        Path file = unpacked.resolve(name + ".safetensors");
        try (InputStream in = new GZIPInputStream(Files.newInputStream(DIR.resolve(name + ".safetensors.gz")))) {
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        }
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile golden = SafetensorsFile.open(file, arena);
            assertEquals(got.aspectRatioId(),
                    golden.tensors().get("aspect_ratio_ids").data().toArray(ValueLayout.JAVA_LONG)[0]);
            WeightTensor values = golden.tensors().get("pixel_values"); // [1, 1, numTiles, 3, tile, tile]
            assertEquals(got.numTiles(), values.shape().dim(2));
            float[] expected = values.dtype() == DType.F16 ? halves(values) : values.data().toArray(ValueLayout.JAVA_FLOAT);
            assertEquals(expected.length, got.pixelValues().length);
            double worst = 0;
            for (int i = 0; i < expected.length; i++) {
                worst = Math.max(worst, Math.abs(expected[i] - got.pixelValues()[i]));
            }
            // A float16 golden carries its own rounding (< 2e-3 here); a float32 one must match exactly.
            assertEquals(0, worst, values.dtype() == DType.F16 ? 2e-3 : 1e-6, "largest difference " + worst);
        }
    }

    private static float[] halves(WeightTensor t) {
        short[] f16 = t.data().toArray(ValueLayout.JAVA_SHORT);
        float[] out = new float[f16.length];
        for (int i = 0; i < f16.length; i++) {
            out[i] = Float.float16ToFloat(f16[i]);
        }
        return out;
    }

    /** Spec §4.7's worked examples (layouts.json): input W×H → (rows, cols) and the resized H×W. */
    @Test
    void theSpecsWorkedExamplesGetTheirLayoutsAndSizes() throws IOException {
        MllamaImageProcessor p = processor();
        JsonNode table = new ObjectMapper().readTree(DIR.resolve("layouts.json").toFile());
        int tile = table.get("tile").asInt();
        List<int[]> layouts = MllamaImageProcessor.layouts(4);
        for (JsonNode c : table.get("cases")) {
            int w = c.get("width").asInt();
            int h = c.get("height").asInt();
            int rows = c.get("rows").asInt();
            int cols = c.get("cols").asInt();
            int id = p.chooseLayout(h, w);
            assertArrayEquals(new int[]{rows, cols}, layouts.get(id - 1), c.toString());
            assertArrayEquals(new int[]{c.get("out_height").asInt(), c.get("out_width").asInt()},
                    p.resizedSize(h, w, rows * tile, cols * tile), c.toString());
        }
    }
}
