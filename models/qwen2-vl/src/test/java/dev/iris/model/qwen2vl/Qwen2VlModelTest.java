package dev.iris.model.qwen2vl;

import dev.iris.api.model.PreparedPrompt;
import dev.iris.api.tensor.DType;
import dev.iris.backend.cpu.CpuAttentionBackend;
import dev.iris.backend.cpu.CpuComputeBackend;
import dev.iris.runtime.engine.Engine;
import dev.iris.runtime.engine.EngineOptions;
import dev.iris.runtime.engine.GenerationRequest;
import dev.iris.runtime.engine.GenerationResult;
import dev.iris.runtime.model.LoadedModel;
import dev.iris.runtime.weights.QuantizingWeightSource;
import dev.iris.runtime.sampling.DefaultSampler;
import dev.iris.runtime.weights.LoadProgress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * tiny-qwen2-vl against transformers 4.46.3 on every golden case ({@link GoldenCase}: testdata/golden/tiny-qwen2-vl/
 * {text_only, one_image, two_images}.*, from the shared fixtures; images in testdata/images): pixel
 * values, prompt expansion and M-RoPE positions, the prompt's logits, and greedy generation
 * through the engine.
 */
class Qwen2VlModelTest {

    /**
     * Logits with activations rounded to BF16 for the BF16 weights' products (the default where
     * the CPU has AVX512-BF16) differ from transformers' float32 ones by the rounding carried
     * through the layers: 0.01–0.03 measured on these cases, bounded here at 0.05.
     */
    private static final double BF16_COMPUTE_TOLERANCE = 0.05;

    /** The backend as shipped (BF16 dot products where the CPU has them). */
    private static LoadedModel loaded;
    /** Every product in F32: the float32 reference's own arithmetic. */
    private static LoadedModel exact;
    private static Arena arena;
    private static GoldenCase golden;
    /** The language model's linear weights quantized at load ({@code --quantization}). */
    private static LoadedModel q8;
    private static LoadedModel q4;

    private static LoadedModel quantized(DType type) throws IOException {
        return LoadedModel.load(GoldenCase.MODEL, List.of(new Qwen2VlArchitecture()), new CpuComputeBackend(),
                new CpuAttentionBackend(), new LoadedModel.Overrides("{}", "{}", null, false, type, null), LoadProgress.NONE);
    }

    @BeforeAll
    static void load() throws IOException {
        loaded = LoadedModel.load(GoldenCase.MODEL, List.of(new Qwen2VlArchitecture()), new CpuComputeBackend(),
                new CpuAttentionBackend(), LoadProgress.NONE);
        exact = LoadedModel.load(GoldenCase.MODEL, List.of(new Qwen2VlArchitecture()),
                CpuComputeBackend.withF32Products(), new CpuAttentionBackend(), LoadProgress.NONE);
        q8 = quantized(DType.Q8_0);
        q4 = quantized(DType.Q4_0);
        arena = Arena.ofShared();
    }

    @AfterAll
    static void close() throws IOException {
        arena.close();
        loaded.close();
        exact.close();
        q8.close();
        q4.close();
    }

    private static void use(String name) throws IOException {
        golden = GoldenCase.load(name, arena);
    }

    private static long[] longs(String name) {
        return golden.longs(name);
    }

    private static float[] floats(String name) {
        return golden.floats(name);
    }

    private static List<Qwen2VlImage> images() throws IOException {
        return golden.images();
    }

    private static int[] collapsedPrompt() {
        return golden.collapsedPrompt();
    }

    @ParameterizedTest
    @ValueSource(strings = {"one_image", "two_images"})
    void theProcessorGivesTransformersPixelValuesAndGrids(String name) throws IOException {
        use(name);
        List<Qwen2VlImage> images = images();
        long[] thw = longs("image_grid_thw");
        float[] expected = floats("pixel_values");
        int row = 0;
        double worst = 0;
        for (int i = 0; i < images.size(); i++) {
            Qwen2VlImage image = images.get(i);
            assertArrayEquals(Arrays.copyOfRange(thw, 3 * i, 3 * i + 3), new long[]{image.gridT(), image.gridH(), image.gridW()});
            for (int j = 0; j < image.pixelValues().length; j++) {
                worst = Math.max(worst, Math.abs(expected[row + j] - image.pixelValues()[j]));
            }
            row += image.pixelValues().length;
        }
        assertEquals(expected.length, row);
        assertEquals(0, worst, 1e-6);
    }

    @ParameterizedTest
    @ValueSource(strings = {"text_only", "one_image", "two_images"})
    void thePromptIsExpandedWithTransformersMropePositions(String name) throws IOException {
        use(name);
        List<Qwen2VlImage> images = images();
        PreparedPrompt p = loaded.model().preparePrompt(collapsedPrompt(), List.copyOf(images));
        long[] ids = longs("input_ids");
        assertArrayEquals(Arrays.stream(ids).mapToInt(l -> (int) l).toArray(), p.tokenIds());
        long[] positions = longs("mrope_position_ids"); // [3, 1, tokens]
        assertArrayEquals(Arrays.stream(positions).mapToInt(l -> (int) l).toArray(), p.positions().values());
        assertEquals(longs("mrope_deltas")[0], p.decodeOffset());
        assertEquals(images.size(), p.imageSpans().size());
        assertEquals(golden.json.path("num_image_tokens_in_prompt").asInt(0),
                p.imageSpans().stream().mapToInt(PreparedPrompt.ImageSpan::length).sum());
    }

    @ParameterizedTest
    @ValueSource(strings = {"text_only", "one_image", "two_images"})
    void thePromptsLastLogitsMatchTransformers(String name) throws IOException {
        use(name);
        double f32 = lastLogitsDifference(exact);
        assertTrue(f32 < 1e-4, "largest logit difference with F32 products " + f32);
        double shipped = lastLogitsDifference(loaded);
        assertTrue(shipped < BF16_COMPUTE_TOLERANCE, "largest logit difference as shipped " + shipped);
    }

    /**
     * {@code --quantization}: the 14 linear weights of the 2 decoder layers, the LM head and the token
     * embeddings (none of the vision tower's weights) in Q8_0 or Q4_0 keep the prompt's last logits near transformers' float32 ones: Q8_0
     * within 0.1 (measured 0.065–0.088 over the three prompts), Q4_0 within 1.2 (0.78–0.89); these
     * logits are about 1 in size on average and 4.4 at most. The kernels themselves are checked
     * exactly in the CPU backend's tests.
     */
    @ParameterizedTest
    @ValueSource(strings = {"text_only", "one_image", "two_images"})
    void quantizedLanguageModelWeightsKeepThePromptsLastLogitsNearTransformers(String name) throws IOException {
        use(name);
        String summary = ((QuantizingWeightSource) q8.weights()).summary();
        assertTrue(summary.startsWith("16 language-model weights quantized to Q8_0 at load"), summary);
        double q8Difference = lastLogitsDifference(q8);
        double q4Difference = lastLogitsDifference(q4);
        assertTrue(q8Difference < 0.1, "Q8_0: " + q8Difference);
        assertTrue(q4Difference < 1.2, "Q4_0: " + q4Difference);
    }

    private static double lastLogitsDifference(LoadedModel loaded) throws IOException {
        float[] got = golden.promptLogits(loaded, images(), false);
        float[] all = floats("logits");
        int n = all.length / got.length;
        float[] expected = Arrays.copyOfRange(all, (n - 1) * got.length, n * got.length);
        double worst = 0;
        for (int i = 0; i < got.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - got[i]));
        }
        return worst;
    }

    @ParameterizedTest
    @ValueSource(strings = {"text_only", "one_image", "two_images"})
    void greedyGenerationThroughTheEngineGivesTransformersTokens(String name) throws IOException {
        use(name);
        int[] expected = golden.greedyTokens();
        try (Engine engine = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 512, 0, true, 4, 32))) {
            GenerationRequest r = golden.greedyRequest();
            GenerationResult first = engine.generate(r);
            assertArrayEquals(expected, first.outputIds());
            assertEquals(golden.json.get("seq_len").asInt(), first.promptTokens());
            GenerationResult again = engine.generate(r); // the image's positions come from the prefix cache now
            assertArrayEquals(expected, again.outputIds());
            assertTrue(again.cachedTokens() >= first.promptTokens() - 4, "cached " + again.cachedTokens());
        }
    }
}
