package dev.iris.model.qwen2vl;

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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The image processor against transformers 4.46.3 with Qwen2-VL-7B-Instruct's settings on every
 * fixture image (testdata/preprocess/qwen2_vl: the shared fixtures' preprocess/qwen2_vl goldens,
 * the safetensors gzipped unchanged), and smart_resize against the spec's worked values
 * (smart_resize.json).
 */
class Qwen2VlImageProcessorTest {

    private static final Path DIR = Path.of("../../testdata/preprocess/qwen2_vl");

    @TempDir
    static Path unpacked;

    private static Qwen2VlImageProcessor processor() throws IOException {
        return new Qwen2VlImageProcessor(JsonConfigView.read(DIR.resolve("preprocessor_config.json"), false));
    }

    private static RgbaImage decode(String testdataImage) throws IOException {
        byte[] bytes = Files.readAllBytes(Path.of("../../testdata").resolve(testdataImage));
        return new MediaLoader(MediaOptions.defaults())
                .load(List.of("data:image/png;base64," + Base64.getEncoder().encodeToString(bytes))).getFirst();
    }

    @ParameterizedTest
    @ValueSource(strings = {"wide_1024x256", "gradient_640x480", "tall_300x1000"})
    void pixelValuesAndGridMatchTransformers(String name) throws IOException {
        JsonNode meta = new ObjectMapper().readTree(DIR.resolve(name + ".json").toFile());
        Qwen2VlImage got = processor().process(decode(meta.get("image").asText()), JsonConfigView.parse("none", "{}"));
        Path file = unpacked.resolve(name + ".safetensors");
        try (InputStream in = new GZIPInputStream(Files.newInputStream(DIR.resolve(name + ".safetensors.gz")))) {
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        }
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile golden = SafetensorsFile.open(file, arena);
            long[] thw = golden.tensors().get("image_grid_thw").data().toArray(ValueLayout.JAVA_LONG);
            assertArrayEquals(thw, new long[]{got.gridT(), got.gridH(), got.gridW()});
            WeightTensor values = golden.tensors().get("pixel_values");
            assertArrayEquals(values.shape().dims(), got.pixelShape().dims());
            float[] expected = values.dtype() == DType.F16 ? halves(values) : values.data().toArray(ValueLayout.JAVA_FLOAT);
            double worst = 0;
            for (int i = 0; i < expected.length; i++) {
                worst = Math.max(worst, Math.abs(expected[i] - got.pixelValues()[i]));
            }
            // A float16 golden carries its own rounding (< 2e-3 here); one resize value off by one
            // level would already differ by ≥ 0.015 after normalisation.
            assertEquals(0, worst, values.dtype() == DType.F16 ? 2e-3 : 1e-6, "largest difference " + worst);
        }
        assertEquals(thw(got) / 4, got.promptTokens());
    }

    private static long thw(Qwen2VlImage image) {
        return (long) image.gridT() * image.gridH() * image.gridW();
    }

    private static float[] halves(WeightTensor t) {
        short[] f16 = t.data().toArray(ValueLayout.JAVA_SHORT);
        float[] out = new float[f16.length];
        for (int i = 0; i < f16.length; i++) {
            out[i] = Float.float16ToFloat(f16[i]);
        }
        return out;
    }

    /**
     * [DEV] transformers refuses an image with a side under 28 px (the fixture records its error);
     * SGLang raises such a side to 28 and then to the minimum area, and so does Iris: 37×23 →
     * 28×28 → 56×84 for 3136 pixels at least, a 4×6 grid of patches.
     */
    @Test
    void anImageSmallerThanOnePatchWindowIsScaledUpAsSglangDoes() throws IOException {
        JsonNode meta = new ObjectMapper().readTree(DIR.resolve("tiny_rgba_37x23.json").toFile());
        assertTrue(meta.get("error").asText().contains("must be larger than factor:28"), "transformers refuses it");
        RgbaImage image = decode(meta.get("image").asText());
        Qwen2VlImage p = processor().process(image, JsonConfigView.parse("none", "{}"));
        assertArrayEquals(new int[]{56, 84}, Qwen2VlImageProcessor.smartResize(23, 37, 28, 56 * 56, 28 * 28 * 1280));
        assertArrayEquals(new int[]{1, 4, 6}, new int[]{p.gridT(), p.gridH(), p.gridW()}, "patches of a 56×84 image");
        assertEquals(6, p.promptTokens(), "2×2 patches per token");
    }

    @Test
    void smartResizeGivesTheSpecsWorkedValues() throws IOException {
        JsonNode table = new ObjectMapper().readTree(DIR.resolve("smart_resize.json").toFile());
        long min = table.get("min_pixels").asLong();
        long max = table.get("max_pixels").asLong();
        for (JsonNode c : table.get("cases")) {
            int[] hw = Qwen2VlImageProcessor.smartResize(c.get("height").asInt(), c.get("width").asInt(), 28, min, max);
            assertArrayEquals(new int[]{c.get("out_height").asInt(), c.get("out_width").asInt()}, hw, c.toString());
        }
        JsonNode speed = table.get("speed_setting");
        assertArrayEquals(new int[]{speed.get("out_height").asInt(), speed.get("out_width").asInt()},
                Qwen2VlImageProcessor.smartResize(speed.get("height").asInt(), speed.get("width").asInt(), 28, min,
                        speed.get("max_pixels").asLong()));
    }

    @Test
    void anAspectRatioOver200GetsTransformersError() {
        assertEquals("absolute aspect ratio must be smaller than 200, got 201.0", assertThrows(IllegalArgumentException.class,
                () -> Qwen2VlImageProcessor.smartResize(28, 28 * 201, 28, 3136, 12845056)).getMessage());
    }

}
