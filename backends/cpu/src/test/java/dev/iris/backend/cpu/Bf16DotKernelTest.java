package dev.iris.backend.cpu;

import dev.iris.api.compute.Activation;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The AVX512-BF16 path for BF16 weights (runs where the CPU has it; elsewhere the F32 kernels are
 * used and CpuComputeBackendTest covers them). Its results are those of exact arithmetic on
 * activations rounded to BF16, up to F32 summation (1e-5 of the sum of absolute products, as for
 * every linear kernel); against unrounded activations they differ by at most that rounding,
 * half a BF16 step: 2⁻⁸ of the sum of absolute products.
 */
class Bf16DotKernelTest {

    /**
     * Rows 1–70 (tiles of 6 and every shorter tile), odd k (a zero-padded last pair), m short of a
     * panel of 64 outputs, across several panels, and split between threads by panels and, from 96
     * rows, by blocks of rows too.
     */
    private static final int[][] SHAPES = {
            {1, 1, 1}, {1, 17, 5}, {2, 33, 7}, {3, 64, 4}, {4, 100, 9}, {5, 255, 13}, {8, 1536, 37},
            {9, 31, 3}, {13, 257, 19}, {37, 129, 70}, {64, 96, 33}, {70, 48, 6}, {70, 1000, 130},
            {6, 64, 700}, {11, 1537, 1100}, {150, 200, 100}, {97, 64, 64}};

    private final CpuComputeBackend cpu = new CpuComputeBackend(CpuThreads.SHARED, true, true);
    private final Random rnd = new Random(7);

    @BeforeEach
    void onACpuWithAvx512Bf16() {
        assumeTrue(Bf16DotKernel.AVAILABLE, "no BF16 dot products here: " + Bf16DotKernel.UNAVAILABLE_REASON);
    }

    @Test
    void resultsAreExactArithmeticOnActivationsRoundedToBf16() {
        for (int[] s : SHAPES) {
            int n = s[0], k = s[1], m = s[2];
            float[] x = TestTensors.random(rnd, n * k, 1f);
            float[] w = TestTensors.rounded(TestTensors.random(rnd, m * k, 0.1f), DType.BF16);
            float[] bias = TestTensors.random(rnd, m, 0.5f);
            Tensor wt = cpu.weight(TestTensors.weight("w", w, DType.BF16, Shape.of(m, k)));
            float[] got = cpu.toFloats(cpu.linear(cpu.fromFloats(x, Shape.of(n, k)), wt, cpu.fromFloats(bias, Shape.of(m))));
            float[] xb = TestTensors.rounded(x, DType.BF16);
            float[] exact = ScalarReference.linear(xb, n, k, w, m, bias);
            float[] unrounded = ScalarReference.linear(x, n, k, w, m, bias);
            float[] mag = ScalarReference.linearMagnitude(x, n, k, w, m);
            for (int i = 0; i < got.length; i++) {
                String at = "n=" + n + " k=" + k + " m=" + m + " at " + i + ": ";
                assertTrue(Math.abs(got[i] - exact[i]) <= 1e-5f * mag[i] + 1e-6f, at + got[i] + " vs " + exact[i]);
                assertTrue(Math.abs(got[i] - unrounded[i]) <= 0x1p-8f * mag[i] + 1e-6f, at + got[i] + " vs " + unrounded[i]);
            }
        }
    }

    @Test
    void everyRowsResultIsBitForBitTheSameAloneAndInABatchOfAnySize() {
        int k = 1000, m = 200;
        Tensor wt = cpu.weight(TestTensors.weight("w", TestTensors.random(rnd, m * k, 0.1f), DType.BF16, Shape.of(m, k)));
        int most = 150;
        float[] x = TestTensors.random(rnd, most * k, 1f);
        float[][] alone = new float[most][];
        for (int i = 0; i < most; i++) {
            alone[i] = cpu.toFloats(cpu.linear(cpu.fromFloats(Arrays.copyOfRange(x, i * k, (i + 1) * k), Shape.of(1, k)),
                    wt, null));
        }
        for (int n = 2; n <= most; n += n < 70 ? 1 : 20) {
            float[] batch = cpu.toFloats(cpu.linear(cpu.fromFloats(Arrays.copyOf(x, n * k), Shape.of(n, k)), wt, null));
            for (int i = 0; i < n; i++) {
                assertArrayEquals(alone[i], Arrays.copyOfRange(batch, i * m, (i + 1) * m), "row " + i + " in a batch of " + n);
            }
        }
    }

    /**
     * q/k/v or gate/up as one op: each output is the same bits as that weight's own linear, with
     * and without biases, for decode and prompt-chunk row counts; a set that mixes in an F32
     * weight falls back to one linear per weight.
     */
    @Test
    void linearsGiveEachWeightExactlyItsOwnLinear() {
        int k = 300;
        int[] ms = {130, 33, 33};
        Tensor[] ws = new Tensor[ms.length];
        Tensor[] biases = new Tensor[ms.length];
        for (int i = 0; i < ms.length; i++) {
            ws[i] = cpu.weight(TestTensors.weight("w" + i, TestTensors.random(rnd, ms[i] * k, 0.1f), DType.BF16,
                    Shape.of(ms[i], k)));
            biases[i] = i == 1 ? null : cpu.fromFloats(TestTensors.random(rnd, ms[i], 0.5f), Shape.of(ms[i]));
        }
        Tensor f32 = cpu.weight(TestTensors.weight("f", TestTensors.random(rnd, 40 * k, 0.1f), DType.F32, Shape.of(40, k)));
        for (int n : new int[]{1, 7, 60, 150}) {
            Tensor x = cpu.fromFloats(TestTensors.random(rnd, n * k, 1f), Shape.of(n, k));
            Tensor[] fused = cpu.linears(x, ws, biases);
            Tensor[] plain = cpu.linears(x, new Tensor[]{ws[0], ws[1]}, null);
            Tensor[] mixed = cpu.linears(x, new Tensor[]{ws[2], f32}, new Tensor[]{biases[2], null});
            for (int i = 0; i < ms.length; i++) {
                assertEquals(Shape.of(n, ms[i]), fused[i].shape());
                assertArrayEquals(cpu.toFloats(cpu.linear(x, ws[i], biases[i])), cpu.toFloats(fused[i]), "n=" + n + " w" + i);
            }
            assertArrayEquals(cpu.toFloats(cpu.linear(x, ws[0], null)), cpu.toFloats(plain[0]), "n=" + n + " no biases");
            assertArrayEquals(cpu.toFloats(cpu.linear(x, ws[1], null)), cpu.toFloats(plain[1]), "n=" + n + " no biases");
            assertArrayEquals(cpu.toFloats(cpu.linear(x, ws[2], biases[2])), cpu.toFloats(mixed[0]), "n=" + n + " mixed");
            assertArrayEquals(cpu.toFloats(cpu.linear(x, f32, null)), cpu.toFloats(mixed[1]), "n=" + n + " mixed F32");
        }
    }

    /**
     * The fused gated MLP input gives the bits of the gated activation of the two linears, for
     * every activation, decode and prompt-chunk row counts, and an m that ends mid-panel.
     */
    @Test
    void gatedLinearIsExactlyTheGatedActivationOfTheTwoLinears() {
        int k = 200, m = 300;
        Tensor gate = cpu.weight(TestTensors.weight("g", TestTensors.random(rnd, m * k, 0.1f), DType.BF16, Shape.of(m, k)));
        Tensor up = cpu.weight(TestTensors.weight("u", TestTensors.random(rnd, m * k, 0.1f), DType.BF16, Shape.of(m, k)));
        for (int n : new int[]{1, 5, 49, 130}) {
            Tensor x = cpu.fromFloats(TestTensors.random(rnd, n * k, 1f), Shape.of(n, k));
            for (Activation f : Activation.values()) {
                float[] expected = cpu.toFloats(cpu.gatedActivation(cpu.linear(x, gate, null), cpu.linear(x, up, null), f));
                Tensor fused = cpu.gatedLinear(x, gate, up, f);
                assertEquals(Shape.of(n, m), fused.shape());
                assertArrayEquals(expected, cpu.toFloats(fused), "n=" + n + " " + f);
            }
        }
    }

    @Test
    void panelsAreNotCountedAgainstTheJvmsDirectMemoryLimit() {
        // That limit is the heap's size by default: a 2B model's panels (4 GiB) under -Xmx4g failed.
        BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).findFirst().orElseThrow();
        int m = 2048, k = 2048; // 8 MiB of panels
        Tensor wt = cpu.weight(TestTensors.weight("w", TestTensors.random(rnd, m * k, 0.1f), DType.BF16, Shape.of(m, k)));
        long before = direct.getMemoryUsed();
        float[] y = cpu.toFloats(cpu.linear(cpu.fromFloats(TestTensors.random(rnd, k, 1f), Shape.of(1, k)), wt, null));
        assertTrue(direct.getMemoryUsed() - before < (1 << 20), "direct memory grew by "
                + (direct.getMemoryUsed() - before) + " bytes");
        assertEquals(m, y.length);
    }

    @Test
    void theBackendSaysItUsesBf16DotProducts() {
        assertTrue(cpu.description().contains("AVX512-BF16 dot products"), cpu.description());
    }
}
