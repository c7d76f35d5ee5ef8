package dev.iris.api.attention;

import dev.iris.api.IrisPlugin;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Tensor;

import java.util.List;

/**
 * Attention kernels over a paged K/V cache, for the tensors of one compute backend.
 *
 * <p>Shapes: queries are {@code [rows, heads, headDim]}, keys and values
 * {@code [rows, kvHeads, headDim]}, with {@code heads} a multiple of {@code kvHeads} (grouped
 * query attention: query head {@code h} reads kv head {@code h / (heads / kvHeads)}). Scores are
 * {@code q·k × scale}, softmax is computed with a running maximum and F32 accumulation, and a
 * row with nothing to attend to yields zeros.
 */
public interface AttentionBackend extends IrisPlugin {

    /** The {@link dev.iris.api.compute.ComputeBackend#name()} whose tensors this backend takes. */
    String computeBackend();

    /** A new, zero-filled pool of pages, in one of {@link #cacheDtypes()}. */
    KvCache createCache(KvCacheSpec spec);

    /** The element types {@link #createCache} stores keys and values in, the preferred one first. */
    default List<DType> cacheDtypes() {
        return List.of(DType.F32);
    }

    /**
     * Causal self-attention for one layer over a mixed batch. First stores {@code k} and {@code v}
     * (already rotated) of every new token in its slot of {@code cache}; then each new token of a
     * sequence attends to all of that sequence's tokens up to and including itself (cached ones
     * included).
     *
     * @return {@code [rows, heads, headDim]}
     */
    Tensor selfAttention(KvCache cache, int layer, AttentionBatch batch, Tensor q, Tensor k, Tensor v,
                         float scale);

    /**
     * Stores a sequence's encoder states for cross-attention layer {@code layer}: row {@code r}
     * of {@code k} and {@code v} ({@code [encoderLength, kvHeads, headDim]}) goes to row {@code r}
     * of the sequence's encoder pages. Written once per image set, read by every later step.
     */
    void writeEncoderStates(KvCache cache, int layer, AttentionSequence sequence, Tensor k, Tensor v);

    /**
     * Non-causal cross-attention for one layer: each new token of a sequence attends to the
     * sequence's {@code encoderLength} stored encoder rows. {@code mask}, when not null, is an
     * additive {@code [rows, maxEncoderLength]} F32 tensor (0 or a large negative value) that
     * restricts which rows a token may read (Mllama's per-image visibility). Sequences without
     * encoder rows get zeros.
     *
     * @return {@code [rows, heads, headDim]}
     */
    Tensor crossAttention(KvCache cache, int layer, AttentionBatch batch, Tensor q, Tensor mask, float scale);

    /**
     * Bidirectional attention within blocks, for vision towers: rows {@code [blockStarts[i],
     * blockStarts[i+1])} (the last block ends at the row count) attend to each other only — one
     * block per image, frame or tile group. {@code mask}, when not null, is an additive
     * {@code [rows, rows]} F32 tensor applied inside the blocks (Mllama's padding mask).
     *
     * @return {@code [rows, heads, headDim]}
     */
    Tensor blockDiagonalAttention(Tensor q, Tensor k, Tensor v, int[] blockStarts, Tensor mask, float scale);
}
