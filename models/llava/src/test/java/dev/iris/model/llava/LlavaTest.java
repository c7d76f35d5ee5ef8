package dev.iris.model.llava;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iris.api.model.PreparedPrompt;
import dev.iris.api.model.ProcessedImage;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.WeightTensor;
import dev.iris.backend.cpu.CpuAttentionBackend;
import dev.iris.backend.cpu.CpuComputeBackend;
import dev.iris.runtime.config.JsonConfigView;
import dev.iris.runtime.engine.Engine;
import dev.iris.runtime.engine.EngineOptions;
import dev.iris.runtime.engine.GenerationResult;
import dev.iris.runtime.model.LoadedModel;
import dev.iris.runtime.sampling.DefaultSampler;
import dev.iris.runtime.weights.LoadProgress;
import dev.iris.runtime.weights.SafetensorsFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import static dev.iris.model.llava.Goldens.TESTDATA;
import static dev.iris.model.llava.Goldens.assertClose;
import static dev.iris.model.llava.Goldens.collapsed;
import static dev.iris.model.llava.Goldens.decode;
import static dev.iris.model.llava.Goldens.floats;
import static dev.iris.model.llava.Goldens.golden;
import static dev.iris.model.llava.Goldens.greedyRequest;
import static dev.iris.model.llava.Goldens.greedyTokens;
import static dev.iris.model.llava.Goldens.goldenTensors;
import static dev.iris.model.llava.Goldens.images;
import static dev.iris.model.llava.Goldens.inputIds;
import static dev.iris.model.llava.Goldens.promptLogits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * LLaVA-1.5, LLaVA-NeXT and LLaVA-OneVision (llava-hf layouts) against transformers 4.46.3: the image processors at
 * the 7B checkpoints' settings on every fixture image (testdata/preprocess/{clip_llava15,
 * llava_next, llava_onevision}, goldens gzipped unchanged), and the three tiny models on every golden case
 * (testdata/golden): pixel values, the image features as they enter the language model, every
 * position's logits, and greedy generation through the engine.
 */
class LlavaTest {

    private static final Map<String, LoadedModel> MODELS = new HashMap<>();

    @TempDir
    static Path unpacked;

    /** tiny-llava-1.5 or tiny-llava-next, loaded once. */
    private static LoadedModel model(String name) throws IOException {
        LoadedModel m = MODELS.get(name);
        if (m == null) {
            m = LoadedModel.load(TESTDATA.resolve("models").resolve(name), List.of(new LlavaArchitecture()),
                    new CpuComputeBackend(), new CpuAttentionBackend(), LoadProgress.NONE);
            MODELS.put(name, m);
        }
        return m;
    }

    @AfterAll
    static void close() throws IOException {
        for (LoadedModel m : MODELS.values()) {
            m.close();
        }
    }

    /**
     * LLaVA-1.5's CLIP processor (testdata/preprocess/clip_llava15) and the anyres ones of LLaVA-NeXT
     * and OneVision (testdata/preprocess/llava_next, llava_onevision: base crop then tiles; HF pads
     * the crop list with zeros, those are left out) at the 7B checkpoints' settings, every fixture
     * image.
     */
    @ParameterizedTest
    @CsvSource({"clip_llava15, gradient_640x480", "clip_llava15, tall_300x1000", "clip_llava15, wide_1024x256",
            "clip_llava15, tiny_rgba_37x23", "llava_next, gradient_640x480", "llava_next, tall_300x1000",
            "llava_next, wide_1024x256", "llava_next, tiny_rgba_37x23", "llava_onevision, gradient_640x480",
            "llava_onevision, tall_300x1000", "llava_onevision, wide_1024x256", "llava_onevision, tiny_rgba_37x23"})
    void theProcessorGivesTransformersPixelValues(String processor, String name) throws IOException {
        Path dir = TESTDATA.resolve("preprocess").resolve(processor);
        JsonNode meta = new ObjectMapper().readTree(dir.resolve(name + ".json").toFile());
        JsonConfigView config = JsonConfigView.read(dir.resolve("preprocessor_config.json"), false);
        List<int[]> pinpoints = config.integerMatrix("image_grid_pinpoints").orElse(List.of()).stream()
                .map(p -> new int[]{p.get(0).intValue(), p.get(1).intValue()}).toList();
        LlavaImage got = new LlavaImageProcessor(config, processor.equals("llava_onevision") ? 27 : 24,
                LlavaImageMode.transformers(pinpoints, 0)).process(decode(meta.get("image").asText()),
                JsonConfigView.parse("none", "{}"));
        Path file = unpacked.resolve(processor + "-" + name + ".safetensors");
        try (InputStream in = new GZIPInputStream(Files.newInputStream(dir.resolve(name + ".safetensors.gz")))) {
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        }
        try (Arena arena = Arena.ofConfined()) {
            WeightTensor values = SafetensorsFile.open(file, arena).tensors().get("pixel_values");
            float[] expected = values.dtype() == DType.F16 ? halves(values) : floats(values);
            float[] own = Arrays.copyOf(expected, got.pixelValues().length);
            for (int i = own.length; i < expected.length; i++) {
                assertEquals(0f, expected[i], "HF's padding crops are zeros");
            }
            assertClose(own, got.pixelValues(), values.dtype() == DType.F16 ? 2e-3 : 1e-6);
        }
        if (meta.path("metadata").has("image_sizes")) {
            assertEquals(meta.get("metadata").get("image_sizes").get(0).get(0).asInt(), got.layout().height());
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

    /**
     * The one-image golden: pixel values, and the projector's output (1.5: the image's features;
     * NeXT: every crop's, before packing — here the packed features' base rows and the golden
     * {@code lm_inputs_embeds} at the image positions check the packing).
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-llava-1.5", "tiny-llava-next", "tiny-llava-onevision"})
    void pixelValuesAndImageFeaturesMatchTransformers(String modelName) throws IOException {
        LoadedModel loaded = model(modelName);
        JsonNode golden = golden(modelName, "one_image");
        List<ProcessedImage> images = images(loaded, golden);
        try (Arena arena = Arena.ofConfined()) {
            var g = SafetensorsFile.open(goldenTensors(modelName, "one_image"), arena).tensors();
            assertClose(floats(g.get("pixel_values")), images.getFirst().pixelValues(), 1e-6);
            float[] got = loaded.compute().toFloats(loaded.model().encodeImage(images.getFirst()).features());
            // The golden's embeddings at the image positions are exactly the packed features.
            float[] embeds = floats(g.get("lm_inputs_embeds"));
            int hidden = embeds.length / golden.get("seq_len").asInt();
            int imageToken = golden.get("image_token_id").asInt();
            float[] expected = new float[got.length];
            int row = 0;
            for (int t = 0; t < golden.get("input_ids").size(); t++) {
                if (golden.get("input_ids").get(t).asInt() == imageToken) {
                    System.arraycopy(embeds, t * hidden, expected, row++ * hidden, hidden);
                }
            }
            assertEquals(golden.get("num_image_tokens_in_prompt").asInt(), row);
            double max = 0;
            for (float v : expected) {
                max = Math.max(max, Math.abs(v));
            }
            assertClose(expected, got, 1e-4 * Math.max(1, max));
        }
    }

    @ParameterizedTest
    @CsvSource({"tiny-llava-1.5, text_only", "tiny-llava-1.5, one_image", "tiny-llava-1.5, two_images",
            "tiny-llava-next, text_only", "tiny-llava-next, one_image", "tiny-llava-next, two_images",
            "tiny-llava-onevision, text_only", "tiny-llava-onevision, one_image", "tiny-llava-onevision, two_images"})
    void thePromptIsExpandedAndEveryPositionsLogitsMatchTransformers(String modelName, String name) throws IOException {
        LoadedModel loaded = model(modelName);
        JsonNode golden = golden(modelName, name);
        List<ProcessedImage> images = images(loaded, golden);
        PreparedPrompt p = loaded.model().preparePrompt(collapsed(golden), images);
        assertArrayEquals(inputIds(golden), p.tokenIds());
        try (Arena arena = Arena.ofConfined()) {
            float[] expected = floats(SafetensorsFile.open(goldenTensors(modelName, name), arena).tensors().get("logits"));
            assertClose(expected, promptLogits(loaded, p, images), 1e-4);
        }
    }

    @ParameterizedTest
    @CsvSource({"tiny-llava-1.5, text_only", "tiny-llava-1.5, one_image", "tiny-llava-1.5, two_images",
            "tiny-llava-next, text_only", "tiny-llava-next, one_image", "tiny-llava-next, two_images",
            "tiny-llava-onevision, text_only", "tiny-llava-onevision, one_image", "tiny-llava-onevision, two_images"})
    void greedyGenerationThroughTheEngineGivesTransformersTokens(String modelName, String name) throws IOException {
        LoadedModel loaded = model(modelName);
        JsonNode golden = golden(modelName, name);
        int[] expected = greedyTokens(golden);
        try (Engine engine = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 512, 0, true, 4, 32))) {
            GenerationResult r = engine.generate(greedyRequest(loaded, golden));
            assertArrayEquals(expected, r.outputIds());
            assertEquals(golden.get("seq_len").asInt(), r.promptTokens());
        }
    }
}
