package dev.iris.backend.cuda;

import dev.iris.api.attention.AttentionBackend;
import dev.iris.api.attention.AttentionBatch;
import dev.iris.api.attention.AttentionSequence;
import dev.iris.api.attention.KvCache;
import dev.iris.api.attention.KvCacheSpec;
import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;
import dev.iris.backend.cpu.CpuAttentionBackend;
import dev.iris.backend.cpu.CpuComputeBackend;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * On a machine with a GPU: a matmul, a row op and paged attention agree with the CPU backend
 * (the full comparison of every op is {@code gpu-check.sh}). Skipped, saying why, elsewhere.
 */
class OnAGpuTest {

    private static final SplittableRandom RANDOM = new SplittableRandom(7);

    @BeforeAll
    static void needsAGpu() {
        String reason = CudaProbe.unavailableReason();
        Assumptions.assumeTrue(reason.isEmpty(), () -> "GPU tests skipped: " + reason);
    }

    private static float[] floats(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (RANDOM.nextDouble() * 2 - 1);
        }
        return v;
    }

    private static void agree(BiFunction<ComputeBackend, AttentionBackend, Tensor> op) {
        CpuComputeBackend cpu = new CpuComputeBackend();
        CudaComputeBackend cuda = new CudaComputeBackend();
        float[] want = cpu.toFloats(op.apply(cpu, new CpuAttentionBackend()));
        float[] got = cuda.toFloats(op.apply(cuda, new CudaAttentionBackend()));
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-4f * Math.max(1f, Math.abs(want[i])), "element " + i);
        }
    }

    @Test
    void anF32MatmulWithBiasMatchesTheCpu() {
        float[] x = floats(5 * 64);
        float[] w = floats(48 * 64);
        float[] b = floats(48);
        agree((c, a) -> c.linear(c.fromFloats(x, Shape.of(5, 64)), c.fromFloats(w, Shape.of(48, 64)),
                c.fromFloats(b, Shape.of(48))));
    }

    @Test
    void softmaxRowsMatchTheCpu() {
        float[] x = floats(3 * 1000);
        agree((c, a) -> c.softmax(c.fromFloats(x, Shape.of(3, 1000))));
    }

    @Test
    void pagedAttentionOverACachedPrefixMatchesTheCpu() {
        float[] q = floats(6 * 4 * 32);
        float[] k = floats(6 * 2 * 32);
        float[] v = floats(6 * 2 * 32);
        agree((c, a) -> {
            KvCache cache = a.createCache(new KvCacheSpec(1, 2, 32, 2, 16));
            a.selfAttention(cache, 0, new AttentionBatch(List.of(AttentionSequence.selfOnly(0, 6, 0, new int[]{3, 8, 1}))),
                    c.fromFloats(q, Shape.of(6, 4, 32)), c.fromFloats(k, Shape.of(6, 2, 32)), c.fromFloats(v, Shape.of(6, 2, 32)),
                    0.17f);
            return a.selfAttention(cache, 0, new AttentionBatch(List.of(AttentionSequence.selfOnly(0, 2, 6,
                            new int[]{3, 8, 1, 5}))), c.slice(c.fromFloats(q, Shape.of(6, 4, 32)), 0, 0, 2),
                    c.slice(c.fromFloats(k, Shape.of(6, 2, 32)), 0, 4, 6), c.slice(c.fromFloats(v, Shape.of(6, 2, 32)), 0, 4, 6),
                    0.17f);
        });
    }
}
