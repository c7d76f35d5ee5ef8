package dev.iris.model.qwen2vl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iris.api.model.RgbaImage;
import dev.iris.api.tensor.WeightTensor;
import dev.iris.runtime.config.JsonConfigView;
import dev.iris.runtime.media.MediaLoader;
import dev.iris.runtime.media.MediaOptions;
import dev.iris.runtime.weights.SafetensorsFile;
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
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The image processor against transformers 4.46.3 with Qwen2-VL-7B-Instruct's settings
 * (testdata/preprocess/qwen2_vl, copied from the shared fixtures' preprocess/qwen2_vl), and
 * smart_resize against the spec's worked values (testdata/preprocess/qwen2_vl/smart_resize.json).
 */
class Qwen2VlImageProcessorTest {

    private static final Path DIR = Path.of("../../testdata/preprocess/qwen2_vl");

    @Test
    void pixelValuesAndGridMatchTransformersForAnImageResizedOnBothAxes() throws IOException {
        Qwen2VlImageProcessor processor = new Qwen2VlImageProcessor(JsonConfigView.read(DIR.resolve("preprocessor_config.json"), false));
        byte[] png = Files.readAllBytes(Path.of("../../testdata/images/wide_1024x256.png"));
        RgbaImage image = new MediaLoader(MediaOptions.defaults())
                .load(List.of("data:image/png;base64," + Base64.getEncoder().encodeToString(png))).getFirst();
        Qwen2VlImage got = processor.process(image, JsonConfigView.parse("none", "{}"));
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile golden = SafetensorsFile.open(DIR.resolve("wide_1024x256.safetensors"), arena);
            WeightTensor grid = golden.tensors().get("image_grid_thw");
            long[] thw = grid.data().toArray(ValueLayout.JAVA_LONG);
            assertArrayEquals(new long[]{1, got.gridH(), got.gridW()}, new long[]{got.gridT(), thw[1], thw[2]});
            assertEquals(thw[0], got.gridT());
            WeightTensor values = golden.tensors().get("pixel_values");
            assertEquals(values.shape().dim(0), got.pixelShape().dim(0));
            assertEquals(values.shape().dim(1), got.pixelShape().dim(1));
            short[] f16 = values.data().toArray(ValueLayout.JAVA_SHORT);
            double worst = 0;
            for (int i = 0; i < f16.length; i++) {
                worst = Math.max(worst, Math.abs(Float.float16ToFloat(f16[i]) - got.pixelValues()[i]));
            }
            // The golden was stored as float16: the error of that rounding alone, no resize difference (≥ 0.015).
            assertEquals(0, worst, 2e-3, "largest difference " + worst);
        }
        assertEquals(18 * 74 / 4, got.promptTokens());
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
    void tooSmallAndTooNarrowImagesGetHfsErrors() {
        assertEquals("height:23 or width:37 must be larger than factor:28", assertThrows(IllegalArgumentException.class,
                () -> Qwen2VlImageProcessor.smartResize(23, 37, 28, 3136, 12845056)).getMessage());
        assertEquals("absolute aspect ratio must be smaller than 200, got 201.0", assertThrows(IllegalArgumentException.class,
                () -> Qwen2VlImageProcessor.smartResize(28, 28 * 201, 28, 3136, 12845056)).getMessage());
    }

}
