package dev.iris.backend.cpu;

import dev.iris.api.compute.Activation;
import dev.iris.api.compute.RotaryLayout;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every CPU op against {@link ScalarReference}, on ragged shapes (not multiples of the vector
 * width) and for each weight dtype.
 *
 * <p>Tolerances: weights are widened exactly, so the only difference from the reference is the
 * order and precision of summation. For sums ({@code linear}) the error is measured against the
 * sum of absolute products and must stay below 1e-5 of it; normalisations and softmax agree to
 * 1e-5 relative (plus 1e-6 absolute); activations, which use the vector library's {@code exp}
 * and {@code tanh} and a 1.5e-7 erf, agree to 2e-6 relative plus 1e-6 absolute; data movement
 * is exact.
 */
class CpuComputeBackendTest {

    private static final int[][] LINEAR_SHAPES = {
            {1, 1, 1}, {1, 17, 5}, {2, 33, 7}, {3, 64, 4}, {4, 100, 9}, {5, 255, 13},
            {8, 1536, 37}, {9, 31, 3}, {13, 257, 19}, {37, 129, 70}, {70, 48, 6}, {100, 300, 530}};

    private final CpuComputeBackend cpu = new CpuComputeBackend();
    private final Random rnd = new Random(42);

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void linearMatchesTheReferenceForEveryWeightDtypeAndRaggedShape(DType dtype) {
        assertTrue(OpenBlas.AVAILABLE, "OpenBLAS did not load: " + OpenBlas.UNAVAILABLE_REASON);
        // F32 products throughout; the BF16 dot-product path has its own test (Bf16DotKernelTest).
        linearMatchesTheReference(new CpuComputeBackend(CpuThreads.SHARED, true, false), dtype);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void theVectorApiPathAloneMatchesTheReferenceToo(DType dtype) {
        linearMatchesTheReference(new CpuComputeBackend(CpuThreads.SHARED, false), dtype);
    }

    private void linearMatchesTheReference(CpuComputeBackend cpu, DType dtype) {
        for (int[] s : LINEAR_SHAPES) {
            int n = s[0], k = s[1], m = s[2];
            float[] x = TestTensors.random(rnd, n * k, 1f);
            float[] w = TestTensors.rounded(TestTensors.random(rnd, m * k, 0.1f), dtype);
            float[] bias = TestTensors.random(rnd, m, 0.5f);
            Tensor wt = cpu.weight(TestTensors.weight("w", w, dtype, Shape.of(m, k)));
            for (boolean withBias : new boolean[]{false, true}) {
                Tensor y = cpu.linear(cpu.fromFloats(x, Shape.of(n, k)), wt,
                        withBias ? cpu.fromFloats(bias, Shape.of(m)) : null);
                assertEquals(Shape.of(n, m), y.shape());
                float[] ref = ScalarReference.linear(x, n, k, w, m, withBias ? bias : null);
                float[] mag = ScalarReference.linearMagnitude(x, n, k, w, m);
                float[] got = cpu.toFloats(y);
                for (int i = 0; i < ref.length; i++) {
                    float err = Math.abs(got[i] - ref[i]);
                    assertTrue(err <= 1e-5f * mag[i] + 1e-6f, "linear " + dtype + " n=" + n + " k=" + k + " m=" + m
                            + " at " + i + ": " + got[i] + " vs " + ref[i]);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void aRowsResultDoesNotDependOnTheOtherRowsOfTheBatch(DType dtype) {
        // Greedy output must not change with batching: below BlasGemm.MIN_ROWS every path sums in one order.
        int k = 1000, m = 37;
        float[] w = TestTensors.random(rnd, m * k, 0.1f);
        Tensor wt = cpu.weight(TestTensors.weight("w", w, dtype, Shape.of(m, k)));
        float[] x = TestTensors.random(rnd, 63 * k, 1f);
        float[] batch = cpu.toFloats(cpu.linear(cpu.fromFloats(x, Shape.of(63, k)), wt, null));
        for (int row : new int[]{0, 5, 62}) {
            float[] alone = cpu.toFloats(cpu.linear(cpu.fromFloats(java.util.Arrays.copyOfRange(x, row * k, (row + 1) * k),
                    Shape.of(1, k)), wt, null));
            assertArrayEquals(alone, java.util.Arrays.copyOfRange(batch, row * m, (row + 1) * m), "row " + row);
        }
    }

    @Test
    void linearAcceptsF32HeapWeightsAndKeepsLeadingDimensions() {
        float[] x = TestTensors.random(rnd, 2 * 3 * 20, 1f);
        float[] w = TestTensors.random(rnd, 11 * 20, 1f);
        Tensor y = cpu.linear(cpu.fromFloats(x, Shape.of(2, 3, 20)), cpu.fromFloats(w, Shape.of(11, 20)), null);
        assertEquals(Shape.of(2, 3, 11), y.shape());
        float[] ref = ScalarReference.linear(x, 6, 20, w, 11, null);
        assertArrayEquals(ref, cpu.toFloats(y), 1e-4f);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void embeddingWidensRowsExactly(DType dtype) {
        float[] table = TestTensors.rounded(TestTensors.random(rnd, 50 * 23, 1f), dtype);
        Tensor t = cpu.weight(TestTensors.weight("e", table, dtype, Shape.of(50, 23)));
        int[] ids = {0, 49, 7, 7};
        float[] got = cpu.toFloats(cpu.embedding(t, ids));
        for (int i = 0; i < ids.length; i++) {
            for (int c = 0; c < 23; c++) {
                assertEquals(table[ids[i] * 23 + c], got[i * 23 + c]);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> cpu.embedding(t, new int[]{50}));
    }

    @Test
    void f16SpecialValuesWidenExactly() {
        short[] bits = {0x0000, (short) 0x8000, 0x0001, 0x03ff, 0x0400, 0x3c00, 0x7bff, 0x7c00, (short) 0xfc00, 0x7e00};
        float[] v = new float[32];
        for (int i = 0; i < v.length; i++) {
            v[i] = Float.float16ToFloat(bits[i % bits.length]);
        }
        Tensor t = cpu.weight(TestTensors.weight("e", v, DType.F16, Shape.of(1, 32)));
        float[] got = cpu.toFloats(cpu.embedding(t, new int[]{0}));
        for (int i = 0; i < v.length; i++) {
            assertEquals(Float.floatToRawIntBits(v[i]), Float.floatToRawIntBits(got[i]), "f16 bits " + bits[i % bits.length]);
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void normalisationsMatchTheReference(DType dtype) {
        for (int d : new int[]{1, 15, 17, 64, 100, 1536}) {
            float[] x = TestTensors.random(rnd, 3 * d, 2f);
            float[] w = TestTensors.rounded(TestTensors.random(rnd, d, 1f), dtype);
            float[] b = TestTensors.rounded(TestTensors.random(rnd, d, 1f), dtype);
            Tensor xt = cpu.fromFloats(x, Shape.of(3, d));
            Tensor wt = cpu.weight(TestTensors.weight("w", w, dtype, Shape.of(d)));
            Tensor bt = cpu.weight(TestTensors.weight("b", b, dtype, Shape.of(d)));
            assertClose(ScalarReference.rmsNorm(x, d, w, 1e-6f), cpu.toFloats(cpu.rmsNorm(xt, wt, 1e-6f)), 1e-5f, 1e-6f);
            assertClose(ScalarReference.layerNorm(x, d, w, b, 1e-5f), cpu.toFloats(cpu.layerNorm(xt, wt, bt, 1e-5f)),
                    1e-5f, 1e-5f);
        }
    }

    @ParameterizedTest
    @EnumSource(RotaryLayout.class)
    void rotaryMatchesTheReferenceIncludingPartialRotation(RotaryLayout layout) {
        int tokens = 5, heads = 3;
        for (int[] s : new int[][]{{8, 4}, {34, 17}, {64, 32}, {80, 20}, {128, 64}}) {
            int headDim = s[0], half = s[1];
            float[] x = TestTensors.random(rnd, tokens * heads * headDim, 1f);
            float[] angles = TestTensors.random(rnd, tokens * half, 3f);
            float[] cos = new float[angles.length];
            float[] sin = new float[angles.length];
            for (int i = 0; i < angles.length; i++) {
                cos[i] = (float) Math.cos(angles[i]);
                sin[i] = (float) Math.sin(angles[i]);
            }
            Tensor y = cpu.rotary(cpu.fromFloats(x, Shape.of(tokens, heads, headDim)),
                    cpu.fromFloats(cos, Shape.of(tokens, half)), cpu.fromFloats(sin, Shape.of(tokens, half)), layout);
            assertClose(ScalarReference.rotary(x, tokens, heads, headDim, cos, sin, half, layout), cpu.toFloats(y),
                    1e-6f, 1e-6f);
        }
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void activationsMatchTheReference(Activation f) {
        for (int n : new int[]{1, 7, 16, 33, 1000, 40_000}) {
            float[] x = TestTensors.random(rnd, n, 3f);
            x[0] = n > 1 ? -12f : x[0];
            float[] ref = new float[n];
            for (int i = 0; i < n; i++) {
                ref[i] = ScalarReference.activation(f, x[i]);
            }
            Tensor xt = cpu.fromFloats(x, Shape.of(n));
            assertClose(ref, cpu.toFloats(cpu.activation(xt, f)), 2e-6f, 1e-6f);
            float[] up = TestTensors.random(rnd, n, 1f);
            float[] gatedRef = new float[n];
            for (int i = 0; i < n; i++) {
                gatedRef[i] = ref[i] * up[i];
            }
            assertClose(gatedRef, cpu.toFloats(cpu.gatedActivation(xt, cpu.fromFloats(up, Shape.of(n)), f)), 2e-6f, 1e-6f);
        }
    }

    @Test
    void addAndMulBroadcastTrailingDimensionsAndAddInPlaceWritesTheTarget() {
        float[] a = TestTensors.random(rnd, 4 * 3 * 19, 1f);
        float[] b = TestTensors.random(rnd, 3 * 19, 1f);
        Tensor at = cpu.fromFloats(a, Shape.of(4, 3, 19));
        Tensor bt = cpu.weight(TestTensors.weight("b", b, DType.F32, Shape.of(3, 19)));
        float[] sum = cpu.toFloats(cpu.add(at, bt));
        float[] prod = cpu.toFloats(cpu.mul(at, bt));
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i] + b[i % b.length], sum[i]);
            assertEquals(a[i] * b[i % b.length], prod[i]);
        }
        cpu.addInPlace(at, cpu.fromFloats(a, Shape.of(4, 3, 19)));
        float[] doubled = cpu.toFloats(at);
        for (int i = 0; i < a.length; i++) {
            assertEquals(2 * a[i], doubled[i]);
        }
        assertArrayEquals(cpu.toFloats(cpu.add(at, at)), cpu.toFloats(cpu.scale(at, 2f)));
        assertThrows(IllegalArgumentException.class, () -> cpu.add(at, cpu.fromFloats(new float[4], Shape.of(4))));
    }

    @Test
    void softmaxMatchesTheReferenceAndTreatsMinusInfinityAsZeroWeight() {
        for (int d : new int[]{1, 5, 16, 31, 300}) {
            float[] x = TestTensors.random(rnd, 3 * d, 5f);
            x[0] = Float.NEGATIVE_INFINITY;
            assertClose(ScalarReference.softmax(x, d), cpu.toFloats(cpu.softmax(cpu.fromFloats(x, Shape.of(3, d)))),
                    1e-5f, 1e-7f);
        }
        float[] allMasked = {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
        assertArrayEquals(new float[2], cpu.toFloats(cpu.softmax(cpu.fromFloats(allMasked, Shape.of(1, 2)))));
    }

    @Test
    void layoutOpsMoveDataExactly() {
        float[] x = new float[2 * 3 * 4];
        for (int i = 0; i < x.length; i++) {
            x[i] = i;
        }
        Tensor t = cpu.fromFloats(x, Shape.of(2, 3, 4));
        assertArrayEquals(x, cpu.toFloats(cpu.reshape(t, Shape.of(6, 4))));
        assertArrayEquals(new float[]{12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23},
                cpu.toFloats(cpu.slice(t, 0, 1, 2)));
        assertArrayEquals(new float[]{4, 5, 6, 7, 16, 17, 18, 19}, cpu.toFloats(cpu.slice(t, 1, 1, 2)));
        assertArrayEquals(new float[]{1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22}, cpu.toFloats(cpu.slice(t, 2, 1, 3)));
        Tensor tr = cpu.transpose(t, 0, 2);
        assertEquals(Shape.of(4, 3, 2), tr.shape());
        float[] trv = cpu.toFloats(tr);
        for (int a = 0; a < 2; a++) {
            for (int b = 0; b < 3; b++) {
                for (int c = 0; c < 4; c++) {
                    assertEquals(x[(a * 3 + b) * 4 + c], trv[(c * 3 + b) * 2 + a]);
                }
            }
        }
        Tensor cat = cpu.concat(1, List.of(t, cpu.slice(t, 1, 0, 1)));
        assertEquals(Shape.of(2, 4, 4), cat.shape());
        assertArrayEquals(new float[]{12, 13, 14, 15}, cpu.toFloats(cpu.slice(cpu.slice(cat, 0, 1, 2), 1, 3, 4)));
        Tensor rows = cpu.reshape(t, Shape.of(6, 4));
        assertArrayEquals(new float[]{20, 21, 22, 23, 0, 1, 2, 3}, cpu.toFloats(cpu.gatherRows(rows, new int[]{5, 0})));
        Tensor dst = cpu.zeros(DType.F32, Shape.of(3, 4));
        cpu.copyRowsInPlace(rows, 4, dst, 1, 2);
        assertArrayEquals(new float[]{0, 0, 0, 0, 16, 17, 18, 19, 20, 21, 22, 23}, cpu.toFloats(dst));
    }

    @Test
    void patchifyFollowedByLinearIsAStridedConvolution() {
        int c = 3, h = 6, w = 9, p = 3, out = 5;
        float[] img = TestTensors.random(rnd, c * h * w, 1f);
        float[] kernel = TestTensors.random(rnd, out * c * p * p, 1f);
        Tensor patches = cpu.patchify(cpu.fromFloats(img, Shape.of(c, h, w)), p);
        assertEquals(Shape.of(6, c * p * p), patches.shape());
        float[] y = cpu.toFloats(cpu.linear(patches, cpu.fromFloats(kernel, Shape.of(out, c * p * p)), null));
        for (int py = 0; py < h / p; py++) {
            for (int px = 0; px < w / p; px++) {
                for (int o = 0; o < out; o++) {
                    double conv = 0;
                    for (int ch = 0; ch < c; ch++) {
                        for (int yy = 0; yy < p; yy++) {
                            for (int xx = 0; xx < p; xx++) {
                                conv += img[(ch * h + py * p + yy) * w + px * p + xx] * kernel[((o * c + ch) * p + yy) * p + xx];
                            }
                        }
                    }
                    assertEquals(conv, y[(py * (w / p) + px) * out + o], 1e-4);
                }
            }
        }
    }

    @Test
    void aTensorOfAnotherBackendIsRefusedByName() {
        Tensor foreign = new Tensor() {
            public DType dtype() { return DType.F32; }
            public Shape shape() { return Shape.of(1); }
            public String backend() { return "cuda"; }
            public void close() { }
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cpu.scale(foreign, 2f));
        assertEquals("a cuda tensor was passed to the cpu backend", e.getMessage());
    }

    static void assertClose(float[] expected, float[] actual, float rel, float abs) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            float tol = rel * Math.abs(expected[i]) + abs;
            assertTrue(Math.abs(expected[i] - actual[i]) <= tol || (Float.isNaN(expected[i]) && Float.isNaN(actual[i])),
                    "at " + i + ": expected " + expected[i] + " got " + actual[i]);
        }
    }
}
