package dev.iris.backend.cpu;

import dev.iris.api.quant.Dequantizer;
import dev.iris.api.quant.GgmlType;
import dev.iris.api.quant.Quantizer;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;
import dev.iris.api.tensor.WeightTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Linear layers with llama.cpp's quantized weights: the AVX512-VNNI kernel (where the CPU has it)
 * computes exactly the block sums of the quantized input and weight, in block order — Q4_1 and
 * Q5_K as their Q8_0 requantization; without it the blocks are widened and give what the
 * dequantized F32 weight gives.
 */
class Int8DotKernelTest {

    /** Rows 1–70 (tiles of 6 and every shorter tile), m short of a panel of 16 and across threads. */
    private static final int[][] SHAPES = {{1, 32, 1}, {1, 64, 16}, {2, 96, 17}, {5, 128, 40}, {6, 256, 33},
            {7, 1536, 100}, {13, 64, 7}, {70, 160, 50}, {1, 8960, 48}};
    /** The same for super-blocks of 256: one or several per row, tiles of 1, 2, 6 and their remainders. */
    private static final int[][] SUPER_BLOCK_SHAPES = {{1, 256, 1}, {2, 512, 17}, {6, 1536, 33}, {7, 256, 40},
            {13, 768, 7}, {1, 8960 - 8960 % 256, 48}};

    private final CpuComputeBackend cpu = new CpuComputeBackend(CpuThreads.SHARED, true, true);
    private final Random rnd = new Random(11);

    /**
     * Each type's products equal a Java model of the kernel's arithmetic bit for bit: Q8_0 and Q4_0
     * per block of 32 ({@link #blockSums}), Q4_K and Q6_K (the types of llama-quantize's Q4_K_M and
     * Q5_K_M mixes) straight from their super-blocks with x quantized per super-block as
     * llama.cpp's Q8_K ({@link #superBlockSums}, random block bytes: every bit pattern is a block).
     */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void productsAreTheExactBlockSumsOfTheQuantizedInputAndWeight(GgmlType type) {
        assumeTrue(Int8DotKernel.AVAILABLE, "no int8 dot products here: " + Int8DotKernel.UNAVAILABLE_REASON);
        boolean superBlocks = type == GgmlType.Q4_K || type == GgmlType.Q6_K;
        for (int[] s : superBlocks ? SUPER_BLOCK_SHAPES : SHAPES) {
            int n = s[0], k = s[1], m = s[2];
            float[] x = TestTensors.random(rnd, n * k, 1f);
            x[0] = 0; // a block whose largest value is not its first
            float[] bias = TestTensors.random(rnd, m, 0.5f);
            WeightTensor w = superBlocks ? randomBlocks(type, m, k)
                    : quantized(TestTensors.random(rnd, m * k, 0.1f), type, m, k);
            float[] got = cpu.toFloats(cpu.linear(cpu.fromFloats(x, Shape.of(n, k)), cpu.weight(w),
                    cpu.fromFloats(bias, Shape.of(m))));
            float[] want = superBlocks ? superBlockSums(x, n, k, type, w.data(), m, bias)
                    : blockSums(x, n, k, type, w.data(), m, bias);
            for (int i = 0; i < got.length; i++) {
                assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(got[i]),
                        type + " n=" + n + " k=" + k + " m=" + m + " at " + i + ": " + want[i] + " vs " + got[i]);
            }
        }
    }

    /** Against the weights as the (gguf-py-exact) dequantizer reads them: off only by x's quantization. */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_K", "Q6_K"})
    void productsStayWithinTheInputsQuantizationOfTheDequantizedWeightsProduct(GgmlType type) {
        int n = 4, k = 1536, m = 64;
        float[] x = TestTensors.random(rnd, n * k, 1f);
        WeightTensor w = type == GgmlType.Q8_0 ? quantized(TestTensors.random(rnd, m * k, 0.1f), type, m, k)
                : randomBlocks(type, m, k);
        float[] got = cpu.toFloats(cpu.linear(cpu.fromFloats(x, Shape.of(n, k)), cpu.weight(w), null));
        float[] wf = new float[m * k];
        Dequantizer.dequantize(type, w.data(), wf, 0, m * k);
        float[] exact = ScalarReference.linear(x, n, k, wf, m, null);
        float[] mag = ScalarReference.linearMagnitude(x, n, k, wf, m);
        for (int i = 0; i < got.length; i++) {
            // x's codes are off by at most half a step, 1/254 of the block's largest |x|
            assertTrue(Math.abs(got[i] - exact[i]) <= mag[i] / 127 + 1e-6f, type + " " + i + ": " + got[i] + " vs " + exact[i]);
        }
    }

    /**
     * Q4_1 and Q5_K have no panels of their own: with the int8 kernel they are multiplied as their
     * Q8_0 requantization (the exact block sums of x and that weight), without it widened (what the
     * dequantized F32 weight gives).
     */
    @Test
    void typesWithoutPanelsOfTheirOwnAreMultipliedAsTheirQ8RequantizationOrWidened() {
        int n = 3, k = 512, m = 20;
        for (GgmlType type : new GgmlType[]{GgmlType.Q4_1, GgmlType.Q5_K}) {
            float[] x = TestTensors.random(rnd, n * k, 1f);
            WeightTensor w = randomBlocks(type, m, k);
            float[] wf = new float[m * k];
            Dequantizer.dequantize(type, w.data(), wf, 0, m * k);
            float[] bias = TestTensors.random(rnd, m, 0.5f);
            Tensor xt = cpu.fromFloats(x, Shape.of(n, k));
            Tensor b = cpu.fromFloats(bias, Shape.of(m));
            float[] got = cpu.toFloats(cpu.linear(xt, cpu.weight(w), b));
            float[] want = Int8DotKernel.AVAILABLE
                    ? blockSums(x, n, k, GgmlType.Q8_0, quantized(wf, GgmlType.Q8_0, m, k).data(), m, bias)
                    : cpu.toFloats(cpu.linear(xt, cpu.weight(TestTensors.weight("f", wf, DType.F32, Shape.of(m, k))), b));
            for (int i = 0; i < got.length; i++) {
                assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(got[i]), type + " at " + i);
            }
        }
    }

    /** Weight code c of the block at {@code at}: Q8_0's signed byte, Q4_0's nibble less 8. */
    private static int code(GgmlType type, MemorySegment w, long at, int c) {
        if (type == GgmlType.Q8_0) {
            return w.get(ValueLayout.JAVA_BYTE, at + 2 + c);
        }
        int pair = w.get(ValueLayout.JAVA_BYTE, at + 2 + c % 16) & 0xFF;
        return (c < 16 ? pair & 0xF : pair >> 4) - 8;
    }

    private static WeightTensor quantized(float[] values, GgmlType type, int m, int k) {
        MemorySegment seg = Arena.ofAuto().allocate(type.bytes((long) m * k), 8);
        Quantizer.quantize(type, values, 0, values.length, seg);
        return new WeightTensor("w", DType.of(type), Shape.of(m, k), seg);
    }

    /** Random block bytes (every bit pattern is a block) with small finite F16 scales. */
    private WeightTensor randomBlocks(GgmlType type, int m, int k) {
        MemorySegment seg = Arena.ofAuto().allocate(type.bytes((long) m * k), 8);
        for (long i = 0; i < seg.byteSize(); i++) {
            seg.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt(256));
        }
        ValueLayout.OfShort f16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (long b = 0; b < seg.byteSize() / type.blockBytes(); b++) {
            long at = b * type.blockBytes();
            int[] scales = type == GgmlType.Q6_K ? new int[]{208} : new int[]{0, 2}; // d (and dmin or the minimum)
            for (int o : scales) {
                seg.set(f16, at + o, Float.floatToFloat16((rnd.nextFloat() - 0.5f) * 0.01f));
            }
        }
        return new WeightTensor("w", DType.of(type), Shape.of(m, k), seg);
    }

    /** x's codes and per-block scales (blocks of {@code qk}), as the kernel quantizes them (max|x|/127, rounded to nearest even). */
    private static int[] xCodes(float[] x, int n, int k, int qk, float[] dxOut) {
        int[] q = new int[n * k];
        for (int i = 0; i < n; i++) {
            for (int b = 0; b < k / qk; b++) {
                float amax = 0;
                for (int c = 0; c < qk; c++) {
                    amax = Math.max(amax, Math.abs(x[i * k + qk * b + c]));
                }
                float dx = amax / 127f;
                float id = dx == 0 ? 0 : 1f / dx;
                dxOut[i * (k / qk) + b] = dx;
                for (int c = 0; c < qk; c++) {
                    q[i * k + qk * b + c] = (int) Math.rint(x[i * k + qk * b + c] * id);
                }
            }
        }
        return q;
    }

    /**
     * The Q4_K / Q6_K kernel's arithmetic, in Java, from the stored super-blocks (ggml's layouts:
     * Q4_K d, dmin, 12 bytes of 6-bit scales and mins, 128 bytes of nibbles; Q6_K 128 bytes of low
     * nibbles, 64 of high bit pairs, 16 int8 scales, d): x quantized per 256 columns, and per
     * super-block exact integer sums — Q4_K's Σ sc·(code products) and Σ m·(x code sums), Q6_K's
     * Σ sc·(signed code products) — times d (and dmin) and the x scale.
     */
    private static float[] superBlockSums(float[] x, int n, int k, GgmlType type, MemorySegment w, int m, float[] bias) {
        float[] dx = new float[n * (k / 256)];
        int[] qx = xCodes(x, n, k, 256, dx);
        ValueLayout.OfShort f16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        int units = k / 256;
        float[] y = new float[n * m];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                float acc = 0;
                for (int u = 0; u < units; u++) {
                    long at = ((long) j * units + u) * type.blockBytes();
                    float dxu = dx[i * units + u];
                    int isum = 0;
                    int imin = 0;
                    for (int sb = 0; sb < 8; sb++) {
                        if (type == GgmlType.Q4_K) {
                            int dot = 0;
                            int sum = 0;
                            for (int c = 0; c < 32; c++) {
                                int stored = w.get(ValueLayout.JAVA_BYTE, at + 16 + 32L * (sb / 2) + c) & 0xFF;
                                int xc = qx[i * k + 256 * u + 32 * sb + c];
                                dot += (sb % 2 == 0 ? stored & 0xF : stored >> 4) * xc;
                                sum += xc;
                            }
                            isum += q4kScale(w, at + 4, sb, false) * dot;
                            imin += q4kScale(w, at + 4, sb, true) * sum;
                        } else {
                            for (int half = 0; half < 2; half++) {
                                int sc = w.get(ValueLayout.JAVA_BYTE, at + 192 + 2 * sb + half);
                                int dot = 0;
                                for (int c = 0; c < 16; c++) {
                                    int e = 32 * sb + 16 * half + c;
                                    dot += (q6kCode(w, at, e) - 32) * qx[i * k + 256 * u + e];
                                }
                                isum += sc * dot;
                            }
                        }
                    }
                    if (type == GgmlType.Q4_K) {
                        float d = Float.float16ToFloat(w.get(f16, at));
                        float dmin = Float.float16ToFloat(w.get(f16, at + 2));
                        acc = Math.fma((float) isum, d * dxu, acc);
                        acc = Math.fma(-(float) imin, dmin * dxu, acc);
                    } else {
                        acc = Math.fma((float) isum, Float.float16ToFloat(w.get(f16, at + 208)) * dxu, acc);
                    }
                }
                y[i * m + j] = acc + bias[j];
            }
        }
        return y;
    }

    private static int q4kScale(MemorySegment w, long at, int j, boolean min) {
        int[] q = new int[12];
        for (int i = 0; i < 12; i++) {
            q[i] = w.get(ValueLayout.JAVA_BYTE, at + i) & 0xFF;
        }
        if (j < 4) {
            return q[j + (min ? 4 : 0)] & 63;
        }
        return min ? (q[j + 4] >> 4) | ((q[j] >> 6) << 4) : (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    }

    private static int q6kCode(MemorySegment w, long at, int e) {
        int h = e / 128;
        int t = e % 128 / 32;
        int l = e % 32;
        int ql = w.get(ValueLayout.JAVA_BYTE, at + 64L * h + (t & 1) * 32L + l) & 0xFF;
        int qh = w.get(ValueLayout.JAVA_BYTE, at + 128 + 32L * h + l) & 0xFF;
        return (t < 2 ? ql & 0xF : ql >> 4) | ((qh >> 2 * t) & 3) << 4;
    }

    /**
     * The kernel's arithmetic, in Java: x quantized per block of 32 (scale max|x|/127, codes
     * rounded to nearest even), then per output, blocks in order:
     * acc = fma(exact integer sum, weight scale × x scale, acc); plus the bias.
     */
    private static float[] blockSums(float[] x, int n, int k, GgmlType type, MemorySegment w, int m, float[] bias) {
        int blocks = k / 32;
        float[] dx = new float[n * blocks];
        int[] qx = xCodes(x, n, k, 32, dx);
        ValueLayout.OfShort f16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        float[] y = new float[n * m];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                float acc = 0;
                for (int b = 0; b < blocks; b++) {
                    long wBlock = ((long) j * blocks + b) * type.blockBytes();
                    int sum = 0;
                    for (int c = 0; c < 32; c++) {
                        sum += qx[i * k + 32 * b + c] * code(type, w, wBlock, c);
                    }
                    acc = Math.fma((float) sum, Float.float16ToFloat(w.get(f16, wBlock)) * dx[i * blocks + b], acc);
                }
                y[i * m + j] = acc + bias[j];
            }
        }
        return y;
    }
}
