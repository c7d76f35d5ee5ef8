package dev.iris.api.attention;

import dev.iris.api.tensor.DType;

/**
 * The geometry of a paged key/value cache: {@code pages} pages of {@code pageSize} token slots,
 * each slot holding, for every one of {@code layers} layers, {@code kvHeads × headDim} keys and
 * as many values. A sequence owns a list of pages (its page table); token {@code t} of the
 * sequence lives in slot {@code t % pageSize} of page {@code pageTable[t / pageSize]}.
 *
 * @param layers   attention layers that keep K/V in this cache
 * @param kvHeads  key/value heads per layer (fewer than query heads under GQA)
 * @param headDim  dimensions per head
 * @param pageSize token slots per page (1 like SGLang by default; any positive value works)
 * @param pages    pages in the pool
 * @param dtype    how keys and values are stored (one of {@link AttentionBackend#cacheDtypes()});
 *                 attention always computes in F32
 */
public record KvCacheSpec(int layers, int kvHeads, int headDim, int pageSize, int pages, DType dtype) {

    public KvCacheSpec {
        if (layers <= 0 || kvHeads <= 0 || headDim <= 0 || pageSize <= 0 || pages <= 0) {
            throw new IllegalArgumentException("every KV cache dimension must be positive: " + this);
        }
        if (!dtype.isFloatingPoint()) {
            throw new IllegalArgumentException("a KV cache stores floating point, not " + dtype);
        }
    }

    /** An F32 cache. */
    public KvCacheSpec(int layers, int kvHeads, int headDim, int pageSize, int pages) {
        this(layers, kvHeads, headDim, pageSize, pages, DType.F32);
    }

    /** Token slots in the whole pool. */
    public long tokenCapacity() {
        return (long) pageSize * pages;
    }

    /** Bytes one token takes across all layers for keys and values. */
    public long bytesPerToken() {
        return 2L * layers * kvHeads * headDim * dtype.byteSize();
    }
}
