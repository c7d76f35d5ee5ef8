package dev.iris.backend.cpu;

import dev.iris.api.attention.AttentionBatch;
import dev.iris.api.attention.AttentionSequence;
import dev.iris.api.attention.KvCache;
import dev.iris.api.attention.KvCacheSpec;
import dev.iris.api.tensor.Bf16;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static dev.iris.backend.cpu.CpuComputeBackendTest.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The paged attention kernels against dense attention computed by {@link ScalarReference},
 * with scattered pages, GQA, mixed prefill and decode, and masks. Tolerance: 1e-5 relative
 * plus 1e-6 absolute; a BF16 cache is compared with the reference over keys and values rounded
 * to BF16 (what it stores), so the kernel's own error is held to the same tolerance.
 */
class CpuAttentionBackendTest {

    private static final int HEADS = 4;
    private static final int KV_HEADS = 2;
    private static final int HEAD_DIM = 20; // ragged: not a multiple of the vector width

    private final CpuComputeBackend cpu = new CpuComputeBackend();
    private final CpuAttentionBackend attention = new CpuAttentionBackend();
    private final Random rnd = new Random(7);
    /** How the cache under test stores keys and values. */
    private DType stored = DType.F32;

    /** A sequence's dense history, to compute the expected output from. */
    private static final class History {
        final List<float[]> k = new ArrayList<>();
        final List<float[]> v = new ArrayList<>();
        int[] pages;
    }

    @ParameterizedTest
    @CsvSource({"1, F32", "3, F32", "16, F32", "1, BF16", "3, BF16", "16, BF16"})
    void mixedPrefillChunksAndDecodeStepsMatchDenseCausalAttention(int pageSize, DType dtype) {
        stored = dtype;
        KvCache cache = attention.createCache(new KvCacheSpec(2, KV_HEADS, HEAD_DIM, pageSize, 64, dtype));
        List<Integer> free = new ArrayList<>();
        for (int p = 0; p < 64; p++) {
            free.add(p);
        }
        Collections.shuffle(free, rnd); // pages scattered through the pool
        History a = new History();
        History b = new History();
        a.pages = take(free, (12 + pageSize - 1) / pageSize);
        b.pages = take(free, (6 + pageSize - 1) / pageSize);

        // Step 1: A prefills 5 tokens, B prefills 4. Step 2: A's next chunk of 3 tokens, B decodes 1.
        step(cache, 1, List.of(a, b), new int[]{5, 4});
        step(cache, 1, List.of(a, b), new int[]{3, 1});
        step(cache, 1, List.of(b, a), new int[]{1, 1});
    }

    private void step(KvCache cache, int layer, List<History> seqs, int[] newTokens) {
        int rows = 0;
        for (int n : newTokens) {
            rows += n;
        }
        float[] q = TestTensors.random(rnd, rows * HEADS * HEAD_DIM, 1f);
        float[] k = TestTensors.random(rnd, rows * KV_HEADS * HEAD_DIM, 1f);
        float[] v = TestTensors.random(rnd, rows * KV_HEADS * HEAD_DIM, 1f);
        List<AttentionSequence> batch = new ArrayList<>();
        int row = 0;
        for (int s = 0; s < seqs.size(); s++) {
            History h = seqs.get(s);
            batch.add(AttentionSequence.selfOnly(row, newTokens[s], h.k.size(), h.pages));
            row += newTokens[s];
        }
        float scale = 1f / (float) Math.sqrt(HEAD_DIM);
        Tensor out = attention.selfAttention(cache, layer, new AttentionBatch(batch),
                cpu.fromFloats(q, Shape.of(rows, HEADS, HEAD_DIM)), cpu.fromFloats(k, Shape.of(rows, KV_HEADS, HEAD_DIM)),
                cpu.fromFloats(v, Shape.of(rows, KV_HEADS, HEAD_DIM)), scale);

        float[] expected = new float[rows * HEADS * HEAD_DIM];
        row = 0;
        for (int s = 0; s < seqs.size(); s++) {
            History h = seqs.get(s);
            for (int i = 0; i < newTokens[s]; i++, row++) {
                h.k.add(asStored(slice(k, row * KV_HEADS * HEAD_DIM, KV_HEADS * HEAD_DIM)));
                h.v.add(asStored(slice(v, row * KV_HEADS * HEAD_DIM, KV_HEADS * HEAD_DIM)));
                for (int head = 0; head < HEADS; head++) {
                    int g = head / (HEADS / KV_HEADS);
                    float[][] ks = new float[h.k.size()][];
                    float[][] vs = new float[h.v.size()][];
                    for (int t = 0; t < ks.length; t++) {
                        ks[t] = slice(h.k.get(t), g * HEAD_DIM, HEAD_DIM);
                        vs[t] = slice(h.v.get(t), g * HEAD_DIM, HEAD_DIM);
                    }
                    float[] o = ScalarReference.attend(slice(q, (row * HEADS + head) * HEAD_DIM, HEAD_DIM), ks, vs,
                            ks.length, scale, null);
                    System.arraycopy(o, 0, expected, (row * HEADS + head) * HEAD_DIM, HEAD_DIM);
                }
            }
        }
        assertClose(expected, cpu.toFloats(out), 1e-5f, 1e-6f);
    }

    @Test
    void crossAttentionReadsEachSequencesEncoderRowsUnderTheMask() {
        KvCache cache = attention.createCache(new KvCacheSpec(1, KV_HEADS, HEAD_DIM, 4, 16));
        int encA = 7;
        AttentionSequence a = new AttentionSequence(0, 3, 0, new int[0], encA, new int[]{9, 2});
        AttentionSequence none = new AttentionSequence(3, 2, 0, new int[0], 0, new int[0]);
        float[] ek = TestTensors.random(rnd, encA * KV_HEADS * HEAD_DIM, 1f);
        float[] ev = TestTensors.random(rnd, encA * KV_HEADS * HEAD_DIM, 1f);
        attention.writeEncoderStates(cache, 0, a, cpu.fromFloats(ek, Shape.of(encA, KV_HEADS, HEAD_DIM)),
                cpu.fromFloats(ev, Shape.of(encA, KV_HEADS, HEAD_DIM)));

        int rows = 5;
        float[] q = TestTensors.random(rnd, rows * HEADS * HEAD_DIM, 1f);
        float[] mask = new float[rows * encA];
        for (int c = 4; c < encA; c++) {
            mask[1 * encA + c] = Float.NEGATIVE_INFINITY; // row 1 sees only the first image's 4 rows
        }
        java.util.Arrays.fill(mask, 2 * encA, 3 * encA, Float.NEGATIVE_INFINITY); // row 2 sees nothing
        Tensor out = attention.crossAttention(cache, 0, new AttentionBatch(List.of(a, none)),
                cpu.fromFloats(q, Shape.of(rows, HEADS, HEAD_DIM)), cpu.fromFloats(mask, Shape.of(rows, encA)), 0.3f);

        float[] expected = new float[rows * HEADS * HEAD_DIM];
        for (int r = 0; r < 3; r++) {
            for (int head = 0; head < HEADS; head++) {
                int g = head / (HEADS / KV_HEADS);
                float[][] ks = new float[encA][];
                float[][] vs = new float[encA][];
                for (int t = 0; t < encA; t++) {
                    ks[t] = slice(ek, (t * KV_HEADS + g) * HEAD_DIM, HEAD_DIM);
                    vs[t] = slice(ev, (t * KV_HEADS + g) * HEAD_DIM, HEAD_DIM);
                }
                float[] o = ScalarReference.attend(slice(q, (r * HEADS + head) * HEAD_DIM, HEAD_DIM), ks, vs, encA, 0.3f,
                        slice(mask, r * encA, encA));
                System.arraycopy(o, 0, expected, (r * HEADS + head) * HEAD_DIM, HEAD_DIM);
            }
        }
        assertClose(expected, cpu.toFloats(out), 1e-5f, 1e-6f);
    }

    @Test
    void blockDiagonalAttentionKeepsEachImageToItself() {
        int rows = 11;
        int[] starts = {0, 4, 9};
        float[] q = TestTensors.random(rnd, rows * HEADS * HEAD_DIM, 1f);
        float[] k = TestTensors.random(rnd, rows * HEADS * HEAD_DIM, 1f);
        float[] v = TestTensors.random(rnd, rows * HEADS * HEAD_DIM, 1f);
        float[] mask = new float[rows * rows];
        mask[5 * rows + 8] = Float.NEGATIVE_INFINITY; // a padding column inside block 1
        Tensor out = attention.blockDiagonalAttention(cpu.fromFloats(q, Shape.of(rows, HEADS, HEAD_DIM)),
                cpu.fromFloats(k, Shape.of(rows, HEADS, HEAD_DIM)), cpu.fromFloats(v, Shape.of(rows, HEADS, HEAD_DIM)),
                starts, cpu.fromFloats(mask, Shape.of(rows, rows)), 0.25f);

        float[] expected = new float[rows * HEADS * HEAD_DIM];
        for (int r = 0; r < rows; r++) {
            int b = r >= 9 ? 2 : r >= 4 ? 1 : 0;
            int start = starts[b];
            int end = b == 2 ? rows : starts[b + 1];
            for (int head = 0; head < HEADS; head++) {
                float[][] ks = new float[end - start][];
                float[][] vs = new float[end - start][];
                for (int t = start; t < end; t++) {
                    ks[t - start] = slice(k, (t * HEADS + head) * HEAD_DIM, HEAD_DIM);
                    vs[t - start] = slice(v, (t * HEADS + head) * HEAD_DIM, HEAD_DIM);
                }
                float[] o = ScalarReference.attend(slice(q, (r * HEADS + head) * HEAD_DIM, HEAD_DIM), ks, vs, end - start,
                        0.25f, slice(mask, r * rows + start, end - start));
                System.arraycopy(o, 0, expected, (r * HEADS + head) * HEAD_DIM, HEAD_DIM);
            }
        }
        assertClose(expected, cpu.toFloats(out), 1e-5f, 1e-6f);
    }

    /**
     * Blocks of 64 rows and more go through OpenBLAS as two GEMMs per head (GQA: 4 query heads
     * over 2 key/value heads); smaller ones row by row. Both against the dense reference, and the
     * same with OpenBLAS off.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void largeBlocksAsGemmsMatchDenseAttention(boolean blas) {
        largeBlocks(blas, false);
    }

    /** The same with Mllama's padding mask: the last rows of each block never see each other. */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void largeMaskedBlocksAsGemmsMatchDenseAttention(boolean blas) {
        largeBlocks(blas, true);
    }

    private void largeBlocks(boolean blas, boolean masked) {
        CpuAttentionBackend backend = new CpuAttentionBackend(CpuThreads.SHARED, blas && OpenBlas.AVAILABLE);
        int rows = 230;
        int[] starts = {0, 100, 130}; // 100 rows (GEMMs), 30 rows (row kernel), 100 rows (GEMMs)
        float[] q = TestTensors.random(rnd, rows * HEADS * HEAD_DIM, 1f);
        float[] k = TestTensors.random(rnd, rows * KV_HEADS * HEAD_DIM, 1f);
        float[] v = TestTensors.random(rnd, rows * KV_HEADS * HEAD_DIM, 1f);
        float[] mask = new float[rows * rows];
        if (masked) {
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < rows; j++) {
                    boolean padI = i % 100 >= 90 || i >= 220;
                    boolean padJ = j % 100 >= 90 || j >= 220;
                    mask[i * rows + j] = padI && padJ ? Float.NEGATIVE_INFINITY : 0f;
                }
            }
        }
        Tensor out = backend.blockDiagonalAttention(cpu.fromFloats(q, Shape.of(rows, HEADS, HEAD_DIM)),
                cpu.fromFloats(k, Shape.of(rows, KV_HEADS, HEAD_DIM)), cpu.fromFloats(v, Shape.of(rows, KV_HEADS, HEAD_DIM)),
                starts, masked ? cpu.fromFloats(mask, Shape.of(rows, rows)) : null, 0.3f);
        float[] expected = new float[rows * HEADS * HEAD_DIM];
        int group = HEADS / KV_HEADS;
        for (int r = 0; r < rows; r++) {
            int b = r >= 130 ? 2 : r >= 100 ? 1 : 0;
            int start = starts[b];
            int end = b == 2 ? rows : starts[b + 1];
            for (int head = 0; head < HEADS; head++) {
                float[][] ks = new float[end - start][];
                float[][] vs = new float[end - start][];
                for (int t = start; t < end; t++) {
                    ks[t - start] = slice(k, (t * KV_HEADS + head / group) * HEAD_DIM, HEAD_DIM);
                    vs[t - start] = slice(v, (t * KV_HEADS + head / group) * HEAD_DIM, HEAD_DIM);
                }
                float[] o = ScalarReference.attend(slice(q, (r * HEADS + head) * HEAD_DIM, HEAD_DIM), ks, vs, end - start,
                        0.3f, slice(mask, r * rows + start, end - start));
                System.arraycopy(o, 0, expected, (r * HEADS + head) * HEAD_DIM, HEAD_DIM);
            }
        }
        assertClose(expected, cpu.toFloats(out), 1e-5f, 1e-6f);
    }

    /**
     * A prompt of 300 tokens (tiles of 16 rows; keys past one block of 256) with an odd GQA
     * group and a ragged head size: every row's output is the same bits whether the prompt is
     * one chunk, chunks cut anywhere, or decode steps of one row, and matches dense attention.
     */
    @Test
    void aRowsResultIsBitForBitTheSameInAnyTileAsInADecodeStep() {
        int heads = 6;
        int kvHeads = 2;
        int d = 40;
        int tokens = 300;
        float[] q = TestTensors.random(rnd, tokens * heads * d, 1f);
        float[] k = TestTensors.random(rnd, tokens * kvHeads * d, 1f);
        float[] v = TestTensors.random(rnd, tokens * kvHeads * d, 1f);
        List<Integer> free = new ArrayList<>();
        for (int p = 0; p < tokens; p++) {
            free.add(p);
        }
        Collections.shuffle(free, rnd);
        int[] pages = take(free, tokens);
        float scale = 0.2f;

        float[] whole = prompt(q, k, v, heads, kvHeads, d, pages, scale, tokens);
        float[] cut = prompt(q, k, v, heads, kvHeads, d, pages, scale, 7, 130, 1, 1, 93, 17, 1, 1, 1, 1, 1, 1,
                tokens - 7 - 130 - 2 - 93 - 17 - 6);
        assertArrayEquals(floatBits(whole), floatBits(cut)); // names the first element that differs

        int group = heads / kvHeads;
        for (int row : new int[]{0, 15, 16, 255, 256, 257, tokens - 1}) {
            for (int head = 0; head < heads; head++) {
                float[][] ks = new float[row + 1][];
                float[][] vs = new float[row + 1][];
                for (int t = 0; t <= row; t++) {
                    ks[t] = bf16(slice(k, (t * kvHeads + head / group) * d, d));
                    vs[t] = bf16(slice(v, (t * kvHeads + head / group) * d, d));
                }
                float[] expected = ScalarReference.attend(slice(q, (row * heads + head) * d, d), ks, vs, row + 1, scale, null);
                assertClose(expected, slice(whole, (row * heads + head) * d, d), 1e-5f, 1e-6f);
            }
        }
    }

    /** Self-attention of a prompt over a fresh BF16 cache, in chunks of the given sizes; all rows' outputs. */
    private float[] prompt(float[] q, float[] k, float[] v, int heads, int kvHeads, int d, int[] pages, float scale,
                           int... chunks) {
        KvCache cache = attention.createCache(new KvCacheSpec(1, kvHeads, d, 1, pages.length, DType.BF16));
        float[] out = new float[q.length];
        int done = 0;
        for (int n : chunks) {
            AttentionBatch batch = new AttentionBatch(List.of(AttentionSequence.selfOnly(0, n, done, pages)));
            Tensor o = attention.selfAttention(cache, 0, batch,
                    cpu.fromFloats(slice(q, done * heads * d, n * heads * d), Shape.of(n, heads, d)),
                    cpu.fromFloats(slice(k, done * kvHeads * d, n * kvHeads * d), Shape.of(n, kvHeads, d)),
                    cpu.fromFloats(slice(v, done * kvHeads * d, n * kvHeads * d), Shape.of(n, kvHeads, d)), scale);
            System.arraycopy(cpu.toFloats(o), 0, out, done * heads * d, n * heads * d);
            done += n;
        }
        return out;
    }

    private static float[] bf16(float[] values) {
        for (int i = 0; i < values.length; i++) {
            values[i] = Bf16.toFloat(Bf16.fromFloat(values[i]));
        }
        return values;
    }

    private static int[] floatBits(float[] values) {
        int[] bits = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            bits[i] = Float.floatToRawIntBits(values[i]);
        }
        return bits;
    }

    /** Values as the cache under test keeps them. */
    private float[] asStored(float[] values) {
        if (stored == DType.BF16) {
            for (int i = 0; i < values.length; i++) {
                values[i] = Bf16.toFloat(Bf16.fromFloat(values[i]));
            }
        }
        return values;
    }

    private static int[] take(List<Integer> free, int n) {
        int[] pages = new int[n];
        for (int i = 0; i < n; i++) {
            pages[i] = free.removeFirst();
        }
        return pages;
    }

    private static float[] slice(float[] a, int from, int len) {
        float[] r = new float[len];
        System.arraycopy(a, from, r, 0, len);
        return r;
    }
}
