package dev.iris.bench;

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
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.List;

/**
 * One decode token's self-attention in one Qwen2-VL-2B layer (12 query heads, 2 KV heads, 128
 * dims) over 1k and 8k cached tokens in pages of 16, against the naive loop over a dense copy.
 * Bytes per op are the K and V rows read.
 */
@State(Scope.Benchmark)
public class AttentionDecodeBench {

    private static final int PAGE = 16;

    @Param({"1024", "8192"})
    public int context;

    @Param({"vector", "naive"})
    public String impl;

    private final ComputeBackend cpu = new CpuComputeBackend();
    private final AttentionBackend attention = new CpuAttentionBackend();
    private KvCache cache;
    private AttentionBatch batch;
    private Tensor q;
    private Tensor k;
    private Tensor v;
    private float[] qDense;
    private float[] keysDense;
    private float[] valuesDense;
    private final float scale = (float) (1 / Math.sqrt(Shapes.HEAD_DIM));

    static long bytes(int context) {
        return 2L * context * Shapes.KV_HEADS * Shapes.HEAD_DIM * Float.BYTES;
    }

    @Setup(Level.Trial)
    public void setup() {
        int row = Shapes.KV_HEADS * Shapes.HEAD_DIM;
        int pages = (context + PAGE - 1) / PAGE;
        cache = attention.createCache(new KvCacheSpec(1, Shapes.KV_HEADS, Shapes.HEAD_DIM, PAGE, pages));
        int[] table = new int[pages];
        for (int p = 0; p < pages; p++) {
            table[p] = pages - 1 - p; // not in pool order, like a real long-running server
        }
        // Fill the cache with context − 1 tokens through the kernel itself, in one prefill.
        keysDense = RandomWeights.activations(context * row, 11);
        valuesDense = RandomWeights.activations(context * row, 12);
        int prefill = context - 1;
        float[] kp = java.util.Arrays.copyOf(keysDense, prefill * row);
        float[] vp = java.util.Arrays.copyOf(valuesDense, prefill * row);
        float[] qp = new float[prefill * Shapes.HEADS * Shapes.HEAD_DIM];
        attention.selfAttention(cache, 0, new AttentionBatch(List.of(AttentionSequence.selfOnly(0, prefill, 0, table))),
                cpu.fromFloats(qp, Shape.of(prefill, Shapes.HEADS, Shapes.HEAD_DIM)),
                cpu.fromFloats(kp, Shape.of(prefill, Shapes.KV_HEADS, Shapes.HEAD_DIM)),
                cpu.fromFloats(vp, Shape.of(prefill, Shapes.KV_HEADS, Shapes.HEAD_DIM)), scale);
        batch = new AttentionBatch(List.of(AttentionSequence.selfOnly(0, 1, prefill, table)));
        qDense = RandomWeights.activations(Shapes.HEADS * Shapes.HEAD_DIM, 13);
        q = cpu.fromFloats(qDense, Shape.of(1, Shapes.HEADS, Shapes.HEAD_DIM));
        k = cpu.fromFloats(java.util.Arrays.copyOfRange(keysDense, prefill * row, context * row),
                Shape.of(1, Shapes.KV_HEADS, Shapes.HEAD_DIM));
        v = cpu.fromFloats(java.util.Arrays.copyOfRange(valuesDense, prefill * row, context * row),
                Shape.of(1, Shapes.KV_HEADS, Shapes.HEAD_DIM));
    }

    @Benchmark
    public Object decodeAttention() {
        if (impl.equals("vector")) {
            return attention.selfAttention(cache, 0, batch, q, k, v, scale);
        }
        return NaiveKernels.attention(qDense, keysDense, valuesDense, context, Shapes.HEADS, Shapes.KV_HEADS,
                Shapes.HEAD_DIM, scale);
    }
}
