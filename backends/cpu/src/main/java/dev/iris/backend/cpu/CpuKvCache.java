package dev.iris.backend.cpu;

import dev.iris.api.attention.KvCache;
import dev.iris.api.attention.KvCacheSpec;

/**
 * K/V pages in F32 on the heap, one array per layer for keys and one for values, laid out
 * {@code [page][slot][kvHead][headDim]}: the token in slot {@code s} of page {@code p} starts at
 * {@code (p * pageSize + s) * kvHeads * headDim}.
 */
final class CpuKvCache implements KvCache {

    final KvCacheSpec spec;
    final float[][] keys;
    final float[][] values;
    /** Floats per token slot: {@code kvHeads * headDim}. */
    final int tokenStride;

    CpuKvCache(KvCacheSpec spec) {
        long perLayer = spec.tokenCapacity() * spec.kvHeads() * spec.headDim();
        if (perLayer > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("KV cache of " + spec.tokenCapacity() + " tokens × " + spec.kvHeads()
                    + " heads × " + spec.headDim() + " exceeds one Java array per layer; use fewer pages");
        }
        this.spec = spec;
        this.tokenStride = spec.kvHeads() * spec.headDim();
        this.keys = new float[spec.layers()][(int) perLayer];
        this.values = new float[spec.layers()][(int) perLayer];
    }

    static CpuKvCache of(KvCache cache) {
        if (cache instanceof CpuKvCache c) {
            return c;
        }
        throw new IllegalArgumentException("a KV cache of another backend was passed to the cpu attention backend");
    }

    /** Offset of token slot {@code t} of a sequence with this page table. */
    int slotOffset(int[] pageTable, int t) {
        int ps = spec.pageSize();
        int page = t / ps;
        if (page >= pageTable.length) {
            throw new IllegalArgumentException("token " + t + " is beyond the sequence's " + pageTable.length
                    + " pages of " + ps);
        }
        int p = pageTable[page];
        if (p < 0 || p >= spec.pages()) {
            throw new IllegalArgumentException("page " + p + " outside the pool of " + spec.pages());
        }
        return (p * ps + t % ps) * tokenStride;
    }

    @Override
    public KvCacheSpec spec() {
        return spec;
    }

    @Override
    public long byteSize() {
        return 2L * spec.layers() * keys[0].length * Float.BYTES;
    }

    @Override
    public void close() {
        // Heap arrays: released when the cache is no longer referenced.
    }
}
