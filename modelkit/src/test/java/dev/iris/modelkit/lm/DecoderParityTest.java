package dev.iris.modelkit.lm;

import dev.iris.api.attention.AttentionBackend;
import dev.iris.api.attention.AttentionBatch;
import dev.iris.api.attention.AttentionSequence;
import dev.iris.api.attention.KvCache;
import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.config.ConfigView;
import dev.iris.api.model.Positions;
import dev.iris.api.tensor.Tensor;
import dev.iris.api.tensor.WeightTensor;
import dev.iris.backend.cpu.CpuAttentionBackend;
import dev.iris.backend.cpu.CpuComputeBackend;
import dev.iris.runtime.config.JsonConfigView;
import dev.iris.runtime.weights.LoadProgress;
import dev.iris.runtime.weights.SafetensorsFile;
import dev.iris.runtime.weights.SafetensorsWeights;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shared decoder against Hugging Face transformers 4.46.3 on the text-only goldens
 * (testdata/golden/<model>/text_only.*, computed in F32): logits at every prompt position and at
 * each of 8 greedy steps decoded through the paged K/V cache within 1e-3 (the fixtures' README
 * tolerance), and the greedy tokens exactly.
 */
class DecoderParityTest {

    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final float TOLERANCE = 1e-3f;

    /**
     * Activations rounded to BF16 for BF16 weights' products (the shipped default where the CPU has
     * AVX512-BF16): logits move by the rounding carried through the layers (0.022 measured on the
     * tiny Qwen2-VL decoder), bounded at 0.05.
     */
    private static final float BF16_COMPUTE_TOLERANCE = 0.05f;

    private final AttentionBackend attention = new CpuAttentionBackend();

    @ParameterizedTest(name = "{0} ({1} weights)")
    @CsvSource({
            "tiny-llava-1.5, F32 Llama, language_model.",
            "tiny-llava-next, F16 Mistral, language_model.",
            "tiny-llava-onevision, F32 Qwen2, language_model.",
            "tiny-qwen2-vl, BF16 Qwen2-VL M-RoPE, ''"})
    void matchesTheReferenceLogitsAndGreedyTokens(String model, String what, String prefix) throws IOException {
        // F32 products, the arithmetic of the float32 goldens.
        decodeAndCompare(model, prefix, CpuComputeBackend.withF32Products(), TOLERANCE);
    }

    @ParameterizedTest(name = "{0} ({1} weights)")
    @CsvSource({"tiny-qwen2-vl, BF16 Qwen2-VL M-RoPE, ''"})
    void asShippedBf16WeightsStayWithinTheBf16ComputeToleranceAndGiveTheSameGreedyTokens(String model, String what,
                                                                                        String prefix) throws IOException {
        decodeAndCompare(model, prefix, new CpuComputeBackend(), BF16_COMPUTE_TOLERANCE);
    }

    private void decodeAndCompare(String model, String prefix, ComputeBackend cpu, float tolerance) throws IOException {
        Path dir = Path.of("../testdata/models", model);
        ConfigView top = JsonConfigView.read(dir.resolve("config.json"), false);
        ConfigView text = top.object("text_config").orElse(top);
        DecoderConfig config = DecoderConfig.from(text, top.boolOr("tie_word_embeddings", false));
        Path golden = Path.of("../testdata/golden", model, "text_only.safetensors");
        try (SafetensorsWeights weights = SafetensorsWeights.open(dir, LoadProgress.NONE); Arena arena = Arena.ofConfined()) {
            DecoderLanguageModel lm = new DecoderLanguageModel(config, DecoderWeights.load(weights, cpu, prefix, config),
                    cpu, attention);
            var g = SafetensorsFile.open(golden, arena).tensors();
            int[] ids = longs(g.get("input_ids"));
            int n = ids.length;
            Positions positions = g.containsKey("mrope_position_ids")
                    ? new Positions(3, longs(g.get("mrope_position_ids"))) : Positions.sequential(1, 0, n);
            int delta = g.containsKey("mrope_deltas") ? longs(g.get("mrope_deltas"))[0] : 0;
            int[] pages = new int[n + 8];
            for (int i = 0; i < pages.length; i++) {
                pages[i] = pages.length - 1 - i;
            }
            KvCache cache = attention.createCache(lm.cacheSpec(1, pages.length));

            int[] allRows = new int[n];
            for (int i = 0; i < n; i++) {
                allRows[i] = i;
            }
            Tensor logits = lm.forward(lm.embed(ids), positions,
                    new AttentionBatch(List.of(AttentionSequence.selfOnly(0, n, 0, pages))), cache, allRows);
            assertClose(floats(g.get("logits")), cpu.toFloats(logits), tolerance, "prefill logits");

            float[] stepLogits = floats(g.get("greedy_step_logits"));
            int vocab = config.vocab();
            float[] last = slice(cpu.toFloats(logits), (n - 1) * vocab, vocab);
            int[] tokens = new int[8];
            for (int step = 0; step < 8; step++) {
                assertClose(slice(stepLogits, step * vocab, vocab), last, tolerance, "greedy step " + step);
                tokens[step] = argmax(last);
                if (step == 7) {
                    break;
                }
                int slot = n + step;
                Positions p = Positions.sequential(lm.positionAxes(), slot + delta, 1);
                Tensor next = lm.forward(lm.embed(new int[]{tokens[step]}), p,
                        new AttentionBatch(List.of(AttentionSequence.selfOnly(0, 1, slot, pages))), cache, new int[]{0});
                last = cpu.toFloats(next);
            }
            assertArrayEquals(expectedGreedy(model), tokens, "greedy tokens (EOS ignored)");
        }
    }

    /** {@code greedy.new_tokens_ignore_eos} of the case's JSON. */
    private static int[] expectedGreedy(String model) throws IOException {
        var json = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(Path.of("../testdata/golden", model, "text_only.json").toFile());
        var arr = json.get("greedy").get("new_tokens_ignore_eos");
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = arr.get(i).asInt();
        }
        return out;
    }

    private static void assertClose(float[] expected, float[] actual, float tolerance, String what) {
        assertEquals(expected.length, actual.length, what);
        float max = 0;
        for (int i = 0; i < expected.length; i++) {
            max = Math.max(max, Math.abs(expected[i] - actual[i]));
        }
        float worst = max;
        assertTrue(worst <= tolerance, () -> what + ": max |diff| " + worst);
    }

    private static int argmax(float[] x) {
        int b = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[b]) {
                b = i;
            }
        }
        return b;
    }

    private static int[] longs(WeightTensor t) {
        int[] out = new int[(int) t.shape().elementCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Math.toIntExact(t.data().getAtIndex(I64, i));
        }
        return out;
    }

    private static float[] floats(WeightTensor t) {
        return t.data().toArray(F32);
    }

    private static float[] slice(float[] a, int from, int len) {
        float[] r = new float[len];
        System.arraycopy(a, from, r, 0, len);
        return r;
    }
}
