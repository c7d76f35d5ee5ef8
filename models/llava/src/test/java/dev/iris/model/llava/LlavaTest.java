package dev.iris.model.llava;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iris.api.attention.AttentionSequence;
import dev.iris.api.attention.KvCache;
import dev.iris.api.attention.KvCacheSpec;
import dev.iris.api.model.ForwardBatch;
import dev.iris.api.model.PreparedPrompt;
import dev.iris.api.model.ProcessedImage;
import dev.iris.api.model.RgbaImage;
import dev.iris.api.model.SequenceInput;
import dev.iris.api.sampling.SamplingParams;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Tensor;
import dev.iris.api.tensor.WeightTensor;
import dev.iris.backend.cpu.CpuAttentionBackend;
import dev.iris.backend.cpu.CpuComputeBackend;
import dev.iris.runtime.config.JsonConfigView;
import dev.iris.runtime.engine.Engine;
import dev.iris.runtime.engine.EngineOptions;
import dev.iris.runtime.engine.GenerationRequest;
import dev.iris.runtime.engine.GenerationResult;
import dev.iris.runtime.media.MediaLoader;
import dev.iris.runtime.media.MediaOptions;
import dev.iris.runtime.model.LoadedModel;
import dev.iris.runtime.sampling.DefaultSampler;
import dev.iris.runtime.stop.StopConditions;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * LLaVA-1.5, LLaVA-NeXT and LLaVA-OneVision (llava-hf layouts) against transformers 4.46.3: the image processors at
 * the 7B checkpoints' settings on every fixture image (testdata/preprocess/{clip_llava15,
 * llava_next, llava_onevision}, goldens gzipped unchanged), and the three tiny models on every golden case
 * (testdata/golden): pixel values, the image features as they enter the language model, every
 * position's logits, and greedy generation through the engine.
 */
class LlavaTest {

    private static final Path TESTDATA = Path.of("../../testdata");
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

    private static RgbaImage decode(String testdataImage) throws IOException {
        byte[] bytes = Files.readAllBytes(Path.of("../../testdata").resolve(testdataImage));
        return new MediaLoader(MediaOptions.defaults())
                .load(List.of("data:image/png;base64," + Base64.getEncoder().encodeToString(bytes))).getFirst();
    }

    private static float[] floats(WeightTensor t) {
        return t.data().toArray(ValueLayout.JAVA_FLOAT);
    }

    private static void assertClose(float[] expected, float[] got, double tolerance) {
        assertEquals(expected.length, got.length);
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - got[i]));
        }
        assertTrue(worst <= tolerance, "largest difference " + worst + " (tolerance " + tolerance + ")");
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
        LlavaImage got = new LlavaImageProcessor(config, processor.equals("llava_onevision") ? 27 : 24, pinpoints, 0).process(decode(meta.get("image").asText()),
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

    private static JsonNode golden(String model, String name) throws IOException {
        return new ObjectMapper().readTree(TESTDATA.resolve("golden").resolve(model).resolve(name + ".json").toFile());
    }

    private static Path goldenTensors(String model, String name) {
        return TESTDATA.resolve("golden").resolve(model).resolve(name + ".safetensors");
    }

    private static List<ProcessedImage> images(LoadedModel loaded, JsonNode golden) throws IOException {
        List<ProcessedImage> out = new ArrayList<>();
        for (JsonNode f : golden.get("image_files")) {
            out.add(loaded.model().imageProcessor().process(decode(f.asText()), JsonConfigView.parse("none", "{}")));
        }
        return out;
    }

    /** The golden prompt with each image's run of placeholders collapsed to one, as a tokenizer gives it. */
    private static int[] collapsed(JsonNode golden) {
        int image = golden.get("image_token_id").asInt();
        List<Integer> ids = new ArrayList<>();
        for (JsonNode id : golden.get("input_ids")) {
            if (id.asInt() != image || ids.isEmpty() || ids.getLast() != image) {
                ids.add(id.asInt());
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
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
        int[] ids = new int[golden.get("input_ids").size()];
        Arrays.setAll(ids, i -> golden.get("input_ids").get(i).asInt());
        assertArrayEquals(ids, p.tokenIds());
        int n = ids.length;
        CpuAttentionBackend attention = new CpuAttentionBackend();
        var spec = loaded.model().spec();
        int[] pages = new int[(n + 15) / 16];
        Arrays.setAll(pages, i -> i);
        try (KvCache cache = attention.createCache(new KvCacheSpec(spec.layers(), spec.kvHeads(), spec.headDim(), 16,
                pages.length)); Arena arena = Arena.ofConfined()) {
            List<SequenceInput.EmbeddingSplice> splices = new ArrayList<>();
            for (PreparedPrompt.ImageSpan span : p.imageSpans()) {
                splices.add(new SequenceInput.EmbeddingSplice(span.start(),
                        loaded.model().encodeImage(images.get(span.image())), 0, span.length()));
            }
            SequenceInput in = new SequenceInput(p.tokenIds(), p.positions(), AttentionSequence.selfOnly(0, n, 0, pages),
                    splices, null, n);
            Tensor logits = loaded.model().forward(new ForwardBatch(List.of(in), cache, null));
            float[] expected = floats(SafetensorsFile.open(goldenTensors(modelName, name), arena).tensors().get("logits"));
            assertClose(expected, loaded.compute().toFloats(logits), 1e-4);
        }
    }

    @ParameterizedTest
    @CsvSource({"tiny-llava-1.5, text_only", "tiny-llava-1.5, one_image", "tiny-llava-1.5, two_images",
            "tiny-llava-next, text_only", "tiny-llava-next, one_image", "tiny-llava-next, two_images",
            "tiny-llava-onevision, text_only", "tiny-llava-onevision, one_image", "tiny-llava-onevision, two_images"})
    void greedyGenerationThroughTheEngineGivesTransformersTokens(String modelName, String name) throws IOException {
        LoadedModel loaded = model(modelName);
        JsonNode golden = golden(modelName, name);
        JsonNode greedy = golden.get("greedy").get("new_tokens_ignore_eos");
        int[] expected = new int[greedy.size()];
        Arrays.setAll(expected, i -> greedy.get(i).asInt());
        try (Engine engine = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 512, 0, true, 4, 32))) {
            GenerationResult r = engine.generate(new GenerationRequest(collapsed(golden), images(loaded, golden),
                    SamplingParams.GREEDY, new StopConditions(List.of(), Set.of(), Set.of(), true, false, expected.length, 0,
                    Integer.MAX_VALUE)));
            assertArrayEquals(expected, r.outputIds());
            assertEquals(golden.get("seq_len").asInt(), r.promptTokens());
        }
    }
}
