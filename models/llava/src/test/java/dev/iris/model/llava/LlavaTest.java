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
import org.junit.jupiter.api.BeforeAll;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * LLaVA-1.5 (llava-hf layout) against transformers 4.46.3 in float32: the CLIP image processor at
 * llava-1.5-7b's settings on every fixture image (testdata/preprocess/clip_llava15, goldens gzipped
 * unchanged), and tiny-llava-1.5 on every golden case (testdata/golden/tiny-llava-1.5): pixel
 * values, the selected vision layer, the projected features, every position's logits, and greedy
 * generation through the engine.
 */
class LlavaTest {

    private static final Path MODEL = Path.of("../../testdata/models/tiny-llava-1.5");
    private static final Path GOLDENS = Path.of("../../testdata/golden/tiny-llava-1.5");
    private static final Path PREPROCESS = Path.of("../../testdata/preprocess/clip_llava15");

    private static LoadedModel loaded;

    @TempDir
    static Path unpacked;

    @BeforeAll
    static void load() throws IOException {
        loaded = LoadedModel.load(MODEL, List.of(new LlavaArchitecture()), new CpuComputeBackend(),
                new CpuAttentionBackend(), LoadProgress.NONE);
    }

    @AfterAll
    static void close() throws IOException {
        loaded.close();
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

    @ParameterizedTest
    @ValueSource(strings = {"gradient_640x480", "tall_300x1000", "wide_1024x256", "tiny_rgba_37x23"})
    void theClipProcessorGivesTransformersPixelValues(String name) throws IOException {
        JsonNode meta = new ObjectMapper().readTree(PREPROCESS.resolve(name + ".json").toFile());
        LlavaImageProcessor processor = new LlavaImageProcessor(
                JsonConfigView.read(PREPROCESS.resolve("preprocessor_config.json"), false), 576);
        LlavaImage got = processor.process(decode(meta.get("image").asText()), JsonConfigView.parse("none", "{}"));
        Path file = unpacked.resolve(name + ".safetensors");
        try (InputStream in = new GZIPInputStream(Files.newInputStream(PREPROCESS.resolve(name + ".safetensors.gz")))) {
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        }
        try (Arena arena = Arena.ofConfined()) {
            assertClose(floats(SafetensorsFile.open(file, arena).tensors().get("pixel_values")), got.pixelValues(), 1e-6);
        }
    }

    private static JsonNode golden(String name) throws IOException {
        return new ObjectMapper().readTree(GOLDENS.resolve(name + ".json").toFile());
    }

    private static List<ProcessedImage> images(JsonNode golden) throws IOException {
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

    @Test
    void visionFeaturesAndProjectedFeaturesMatchTransformers() throws IOException {
        JsonNode golden = golden("one_image");
        List<ProcessedImage> images = images(golden);
        LlavaModel model = (LlavaModel) loaded.model();
        try (Arena arena = Arena.ofConfined()) {
            var g = SafetensorsFile.open(GOLDENS.resolve("one_image.safetensors"), arena).tensors();
            assertClose(floats(g.get("pixel_values")), images.getFirst().pixelValues(), 1e-6);
            float[] projected = floats(g.get("image_features_projected"));
            float[] got = loaded.compute().toFloats(model.encodeImage(images.getFirst()).features());
            double max = 0;
            for (float v : projected) {
                max = Math.max(max, Math.abs(v));
            }
            assertClose(projected, got, 1e-4 * Math.max(1, max));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"text_only", "one_image", "two_images"})
    void thePromptIsExpandedAndEveryPositionsLogitsMatchTransformers(String name) throws IOException {
        JsonNode golden = golden(name);
        List<ProcessedImage> images = images(golden);
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
            float[] expected = floats(SafetensorsFile.open(GOLDENS.resolve(name + ".safetensors"), arena).tensors()
                    .get("logits"));
            assertClose(expected, loaded.compute().toFloats(logits), 1e-4);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"text_only", "one_image", "two_images"})
    void greedyGenerationThroughTheEngineGivesTransformersTokens(String name) throws IOException {
        JsonNode golden = golden(name);
        JsonNode greedy = golden.get("greedy").get("new_tokens_ignore_eos");
        int[] expected = new int[greedy.size()];
        Arrays.setAll(expected, i -> greedy.get(i).asInt());
        try (Engine engine = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 512, 0, true, 4, 32))) {
            GenerationResult r = engine.generate(new GenerationRequest(collapsed(golden), images(golden),
                    SamplingParams.GREEDY, new StopConditions(List.of(), Set.of(), Set.of(), true, false, expected.length, 0,
                    Integer.MAX_VALUE)));
            assertArrayEquals(expected, r.outputIds());
            assertEquals(golden.get("seq_len").asInt(), r.promptTokens());
        }
    }
}
