package dev.iris.model.qwen2vl;

import dev.iris.api.model.ProcessedImage;
import dev.iris.backend.cpu.CpuAttentionBackend;
import dev.iris.backend.cpu.CpuComputeBackend;
import dev.iris.runtime.engine.Engine;
import dev.iris.runtime.engine.EngineOptions;
import dev.iris.runtime.engine.GenerationResult;
import dev.iris.runtime.model.LoadedModel;
import dev.iris.runtime.sampling.DefaultSampler;
import dev.iris.runtime.weights.LoadProgress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * tiny-qwen2-vl served from GGUF files that llama.cpp's converter would write from it
 * (testdata/gguf/tiny-qwen2-vl-{F16,Q8_0}.gguf and -mmproj-F16.gguf, made by
 * testdata/gguf/make_models.py with llama.cpp's gguf-py): the GGUF's own tokenizer gives the golden
 * prompt ids, the F16 files give transformers' greedy tokens and logits, and the Q8_0 text model
 * keeps the prompt's log-probabilities near the F16 run's.
 */
class Qwen2VlGgufTest {

    private static final Path GGUF = Path.of("../../testdata/gguf");
    /** The fixture's own image settings (its preprocessor_config.json), which an mmproj does not carry. */
    private static final String FIXTURE_PIXELS = "{\"min_pixels\": 3136, \"max_pixels\": 12544}";

    private static LoadedModel f16;
    private static LoadedModel q8;
    private static Arena arena;
    private static GoldenCase golden;

    private static LoadedModel load(String text) throws IOException {
        return LoadedModel.load(GGUF.resolve(text), List.of(new Qwen2VlArchitecture()),
                CpuComputeBackend.withF32Products(), new CpuAttentionBackend(),
                new LoadedModel.Overrides("{}", FIXTURE_PIXELS, null, false, null,
                        GGUF.resolve("tiny-qwen2-vl-mmproj-F16.gguf")), LoadProgress.NONE);
    }

    @BeforeAll
    static void load() throws IOException {
        f16 = load("tiny-qwen2-vl-F16.gguf");
        q8 = load("tiny-qwen2-vl-Q8_0.gguf");
        arena = Arena.ofShared();
    }

    @AfterAll
    static void close() throws IOException {
        arena.close();
        f16.close();
        q8.close();
    }

    @Test
    void theGgufsMetadataBecomesTheCheckpointsConfigTemplateAndEndTokens() {
        var config = f16.checkpoint().config();
        assertEquals(List.of("Qwen2VLForConditionalGeneration"), config.strings("architectures").orElseThrow());
        assertEquals(312, config.requireInt("image_token_id"));
        assertEquals(List.of(2L, 3L, 3L), config.object("rope_scaling").orElseThrow().integers("mrope_section").orElseThrow());
        assertEquals(32, config.requireObject("vision_config").requireInt("embed_dim"));
        assertTrue(f16.checkpoint().tokenizerConfig().string("chat_template").orElseThrow().contains("<|im_start|>"));
        assertTrue(f16.eosTokenIds().contains(302), "<|im_end|> ends generation: " + f16.eosTokenIds());
        assertTrue(f16.weightFormat().startsWith("GGUF F16 "), f16.weightFormat());
        assertTrue(q8.weightFormat().startsWith("GGUF Q8_0 "), q8.weightFormat());
    }

    @ParameterizedTest
    @ValueSource(strings = {"text_only", "one_image", "two_images"})
    void theGgufsTokenizerGivesTheGoldenPromptIds(String name) throws IOException {
        golden = GoldenCase.load(name, arena);
        String prompt = golden.json.get("rendered_prompt").asText();
        assertArrayEquals(golden.collapsedPrompt(), f16.tokenizer().encode(prompt, false));
    }

    @ParameterizedTest
    @ValueSource(strings = {"text_only", "one_image", "two_images"})
    void theF16GgufGivesTransformersGreedyTokens(String name) throws IOException {
        golden = GoldenCase.load(name, arena);
        List<ProcessedImage> images = golden.images(f16.model().imageProcessor());
        try (Engine engine = f16.newEngine(new DefaultSampler(), new EngineOptions(4, 512, 0, true, 4, 32))) {
            GenerationResult r = engine.generate(golden.greedyRequest(images));
            assertArrayEquals(golden.greedyTokens(), r.outputIds());
        }
    }

    /**
     * F16 holds the fixture's BF16 weights exactly (8 significant bits fit in 11) but for values
     * under F16's normal range, so with F32 products the logits stay as close to transformers'
     * as the safetensors model's own (1e-4).
     */
    @ParameterizedTest
    @ValueSource(strings = {"text_only", "one_image", "two_images"})
    void theF16GgufGivesTransformersLogits(String name) throws IOException {
        golden = GoldenCase.load(name, arena);
        float[] got = promptLogits(f16);
        float[] expected = golden.floats("logits");
        int vocab = f16.model().spec().vocabSize();
        double worst = 0;
        for (int i = expected.length - vocab; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - got[i]));
        }
        assertTrue(worst < 1e-3, "largest last-position logit difference " + worst);
    }

    /**
     * Q8_0's text weights move each prompt token's log-probability (given the tokens before it)
     * by at most 0.1 nats from the F16 run: 0.062–0.063 measured on these prompts, whose
     * log-probabilities are about -6 on average (a random-weight model over 320 tokens).
     */
    @ParameterizedTest
    @ValueSource(strings = {"text_only", "one_image", "two_images"})
    void theQ8GgufKeepsThePromptsLogProbabilitiesNearTheF16Ones(String name) throws IOException {
        golden = GoldenCase.load(name, arena);
        double[] exact = promptLogProbs(f16);
        double[] quantized = promptLogProbs(q8);
        double worst = 0;
        for (int i = 0; i < exact.length; i++) {
            worst = Math.max(worst, Math.abs(exact[i] - quantized[i]));
        }
        assertTrue(worst < 0.1, "largest log-probability difference " + worst);
    }

    /** log p(token i+1 | tokens ..i) for each position of the expanded prompt. */
    private static double[] promptLogProbs(LoadedModel loaded) throws IOException {
        int[] ids = Arrays.stream(golden.longs("input_ids")).mapToInt(l -> (int) l).toArray();
        float[] logits = promptLogits(loaded);
        int vocab = loaded.model().spec().vocabSize();
        double[] out = new double[ids.length - 1];
        for (int i = 0; i + 1 < ids.length; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < vocab; v++) {
                max = Math.max(max, logits[i * vocab + v]);
            }
            double sum = 0;
            for (int v = 0; v < vocab; v++) {
                sum += Math.exp(logits[i * vocab + v] - max);
            }
            out[i] = logits[i * vocab + ids[i + 1]] - max - Math.log(sum);
        }
        return out;
    }

    /** The logits of every position of the golden prompt, images in place. */
    private static float[] promptLogits(LoadedModel loaded) throws IOException {
        return golden.promptLogits(loaded, golden.images(loaded.model().imageProcessor()), true);
    }
}
