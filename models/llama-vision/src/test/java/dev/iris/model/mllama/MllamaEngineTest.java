package dev.iris.model.mllama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iris.api.model.ProcessedImage;
import dev.iris.api.model.RgbaImage;
import dev.iris.api.sampling.SamplingParams;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * tiny-mllama through the engine: greedy generation gives transformers' tokens on every golden
 * case (testdata/golden/tiny-mllama), requests with and without images batch together and each
 * gets exactly its own answer, and the prefix cache is reused only by a request with the same
 * images.
 */
class MllamaEngineTest {

    private static final Path MODEL = Path.of("../../testdata/models/tiny-mllama");
    private static final Path GOLDENS = Path.of("../../testdata/golden/tiny-mllama");

    private static LoadedModel loaded;

    @BeforeAll
    static void load() throws IOException {
        loaded = LoadedModel.load(MODEL, List.of(new MllamaArchitecture()), new CpuComputeBackend(),
                new CpuAttentionBackend(), LoadProgress.NONE);
    }

    @AfterAll
    static void close() throws IOException {
        loaded.close();
    }

    private static JsonNode golden(String name) throws IOException {
        return new ObjectMapper().readTree(GOLDENS.resolve(name + ".json").toFile());
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        Arrays.setAll(out, i -> array.get(i).asInt());
        return out;
    }

    /** The golden's greedy request; {@code imageFiles} replaces its images (same count) when given. */
    private static GenerationRequest request(JsonNode golden, List<String> imageFiles) throws IOException {
        MllamaImageProcessor processor = new MllamaImageProcessor(
                JsonConfigView.read(MODEL.resolve("preprocessor_config.json"), false));
        List<ProcessedImage> images = new ArrayList<>();
        for (String file : imageFiles) {
            byte[] png = Files.readAllBytes(Path.of("../../testdata").resolve(file));
            RgbaImage rgba = new MediaLoader(MediaOptions.defaults())
                    .load(List.of("data:image/png;base64," + Base64.getEncoder().encodeToString(png))).getFirst();
            images.add(processor.process(rgba, JsonConfigView.parse("none", "{}")));
        }
        int max = golden.get("greedy").get("new_tokens_ignore_eos").size();
        return new GenerationRequest(ints(golden.get("input_ids")), images, SamplingParams.GREEDY,
                new StopConditions(List.of(), Set.of(), Set.of(), true, false, max, 0, Integer.MAX_VALUE));
    }

    private static List<String> files(JsonNode golden) {
        List<String> out = new ArrayList<>();
        golden.get("image_files").forEach(f -> out.add(f.asText()));
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"text_only", "one_image", "two_images"})
    void greedyGenerationGivesTransformersTokens(String name) throws IOException {
        JsonNode golden = golden(name);
        try (Engine engine = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 1024, 0, false, 4, 16))) {
            GenerationResult r = engine.generate(request(golden, files(golden)));
            assertArrayEquals(ints(golden.get("greedy").get("new_tokens_ignore_eos")), r.outputIds());
            assertEquals(golden.get("seq_len").asInt(), r.promptTokens());
            assertEquals(0, engine.pages().usedPages());
        }
    }

    /**
     * Four requests at once: two with different images, one text only, one with the same image as
     * another. Each gets exactly what it gets alone.
     */
    @Test
    void aMixedBatchGivesEveryRequestItsSoloAnswer() throws Exception {
        JsonNode one = golden("one_image");
        JsonNode text = golden("text_only");
        List<GenerationRequest> requests = List.of(request(one, files(one)),
                request(one, List.of("images/tall_300x1000.png")), request(text, List.of()), request(one, files(one)));
        List<int[]> solo = new ArrayList<>();
        try (Engine engine = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 1024, 0, false, 1, 16))) {
            for (GenerationRequest r : requests) {
                solo.add(engine.generate(r).outputIds());
            }
        }
        assertArrayEquals(ints(one.get("greedy").get("new_tokens_ignore_eos")), solo.get(0));
        assertArrayEquals(ints(text.get("greedy").get("new_tokens_ignore_eos")), solo.get(2));
        assertTrue(!Arrays.equals(solo.get(0), solo.get(1)), "another image, another answer");
        try (Engine engine = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 1024, 0, true, 8, 64))) {
            List<CompletableFuture<GenerationResult>> together = requests.stream().map(engine::generateAsync).toList();
            for (int i = 0; i < requests.size(); i++) {
                assertArrayEquals(solo.get(i), together.get(i).join().outputIds(), "request " + i);
            }
            assertEquals(engine.cachedPages(), engine.pages().usedPages());
        }
    }

    /** Every token of a request with images depends on them: its cached prefix serves the same images only. */
    @Test
    void thePrefixCacheIsReusedOnlyWithTheSameImages() throws IOException {
        JsonNode one = golden("one_image");
        try (Engine engine = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 1024, 0, true, 4, 64))) {
            GenerationResult first = engine.generate(request(one, files(one)));
            GenerationResult again = engine.generate(request(one, files(one)));
            assertArrayEquals(first.outputIds(), again.outputIds());
            assertTrue(again.cachedTokens() > 0, "cached " + again.cachedTokens());
            GenerationResult other = engine.generate(request(one, List.of("images/tall_300x1000.png")));
            assertEquals(0, other.cachedTokens());
        }
    }
}
