package dev.iris.backend.cpu;

import dev.iris.api.attention.AttentionBatch;
import dev.iris.api.attention.AttentionSequence;
import dev.iris.api.attention.KvCache;
import dev.iris.api.attention.KvCacheSpec;
import dev.iris.api.tensor.Bf16;
import dev.iris.api.tensor.DType;

import java.util.List;
import java.util.function.IntPredicate;

/**
 * K/V pages on the heap in F32 or BF16, backed by memory one block of pages at a time: a block
 * is allocated (zeroed) when one of its slots is first written and dropped by {@link #trim} once
 * every page in it is free, so a pool sized for many long requests costs only what is in use.
 * Within a block, per layer, keys and values are laid out {@code [slot][kvHead][headDim]}.
 */
final class CpuKvCache implements KvCache {

    /**
     * Token slots per block, rounded down to whole pages: a block of the 2B model is 7 MiB over
     * its 28 layers in BF16, and a 32k-token sequence spans 128 blocks.
     */
    static final int BLOCK_SLOTS = 256;

    final KvCacheSpec spec;
    /** Elements per token slot: {@code kvHeads * headDim}. */
    final int tokenStride;
    /** Slots per block, a whole number of pages. */
    private final int blockSlots;
    private final int blockPages;
    private final int blocks;
    private final boolean bf16;
    /** {@code [layer][block]}, null until written; only the arrays of this cache's dtype exist. */
    private final float[][][] f32Keys;
    private final float[][][] f32Values;
    private final short[][][] bf16Keys;
    private final short[][][] bf16Values;
    private volatile long resident;
    /** The row tables of the last batch seen: every layer of a step passes the same batch. */
    private AttentionBatch tablesOf;
    private RowTable[] tables;

    CpuKvCache(KvCacheSpec spec) {
        if (spec.dtype() != DType.F32 && spec.dtype() != DType.BF16) {
            throw new IllegalArgumentException("the cpu KV cache stores F32 or BF16, not " + spec.dtype());
        }
        this.spec = spec;
        this.tokenStride = spec.kvHeads() * spec.headDim();
        this.blockPages = Math.max(1, BLOCK_SLOTS / spec.pageSize());
        this.blockSlots = blockPages * spec.pageSize();
        if ((long) blockSlots * tokenStride > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a page of " + spec.pageSize() + " tokens × " + tokenStride
                    + " values exceeds one Java array; use a smaller --page-size");
        }
        this.blocks = (int) ((spec.pages() + (long) blockPages - 1) / blockPages);
        this.bf16 = spec.dtype() == DType.BF16;
        this.f32Keys = bf16 ? null : new float[spec.layers()][blocks][];
        this.f32Values = bf16 ? null : new float[spec.layers()][blocks][];
        this.bf16Keys = bf16 ? new short[spec.layers()][blocks][] : null;
        this.bf16Values = bf16 ? new short[spec.layers()][blocks][] : null;
    }

    static CpuKvCache of(KvCache cache) {
        if (cache instanceof CpuKvCache c) {
            return c;
        }
        throw new IllegalArgumentException("a KV cache of another backend was passed to the cpu attention backend");
    }

    /** Where a sequence's token slots live: block and element offset of each, in token order. */
    record RowTable(int[] block, int[] offset) {
    }

    /** The table of the first {@code tokens} slots of a sequence with this page table. */
    RowTable table(int[] pageTable, int tokens) {
        int ps = spec.pageSize();
        int[] block = new int[tokens];
        int[] offset = new int[tokens];
        for (int t = 0; t < tokens; t++) {
            int page = t / ps;
            if (page >= pageTable.length) {
                throw new IllegalArgumentException("token " + t + " is beyond the sequence's " + pageTable.length
                        + " pages of " + ps);
            }
            int p = pageTable[page];
            if (p < 0 || p >= spec.pages()) {
                throw new IllegalArgumentException("page " + p + " outside the pool of " + spec.pages());
            }
            long slot = (long) p * ps + t % ps;
            block[t] = (int) (slot / blockSlots);
            offset[t] = (int) (slot % blockSlots) * tokenStride;
        }
        return new RowTable(block, offset);
    }

    /** Self-attention row tables of every sequence of a batch, built once per step. */
    RowTable[] selfTables(AttentionBatch batch) {
        if (batch != tablesOf) {
            List<AttentionSequence> seqs = batch.sequences();
            RowTable[] built = new RowTable[seqs.size()];
            for (int s = 0; s < built.length; s++) {
                built[s] = table(seqs.get(s).pageTable(), seqs.get(s).totalLength());
            }
            tables = built;
            tablesOf = batch;
        }
        return tables;
    }

    /** The rows of layer {@code layer} that a table points at. */
    KvRows rows(int layer, RowTable table) {
        return bf16 ? new KvRows.Bf16(bf16Keys[layer], bf16Values[layer], table.block(), table.offset())
                : new KvRows.F32(f32Keys[layer], f32Values[layer], table.block(), table.offset());
    }

    /**
     * Stores one token's keys and values ({@code tokenStride} floats each, from {@code ko} and
     * {@code vo}) in slot {@code t} of a table, rounding to BF16 when that is the storage.
     */
    void write(int layer, RowTable table, int t, float[] k, int ko, float[] v, int vo) {
        int b = table.block()[t];
        int at = table.offset()[t];
        if (bf16) {
            short[] keys = bf16Keys[layer][b];
            if (keys == null) {
                keys = bf16Keys[layer][b] = new short[blockSlots * tokenStride];
                bf16Values[layer][b] = new short[blockSlots * tokenStride];
                resident += 2L * keys.length * Short.BYTES;
            }
            short[] values = bf16Values[layer][b];
            for (int i = 0; i < tokenStride; i++) {
                keys[at + i] = Bf16.fromFloat(k[ko + i]);
                values[at + i] = Bf16.fromFloat(v[vo + i]);
            }
        } else {
            float[] keys = f32Keys[layer][b];
            if (keys == null) {
                keys = f32Keys[layer][b] = new float[blockSlots * tokenStride];
                f32Values[layer][b] = new float[blockSlots * tokenStride];
                resident += 2L * keys.length * Float.BYTES;
            }
            System.arraycopy(k, ko, keys, at, tokenStride);
            System.arraycopy(v, vo, f32Values[layer][b], at, tokenStride);
        }
    }

    @Override
    public KvCacheSpec spec() {
        return spec;
    }

    @Override
    public long byteSize() {
        return spec.tokenCapacity() * spec.bytesPerToken();
    }

    @Override
    public long residentBytes() {
        return resident;
    }

    @Override
    public long trim(IntPredicate isFree) {
        long before = resident;
        for (int b = 0; b < blocks; b++) {
            if (backed(b) && allFree(b, isFree)) {
                for (int layer = 0; layer < spec.layers(); layer++) {
                    long bytes = drop(layer, b);
                    resident -= bytes;
                }
            }
        }
        tablesOf = null;
        return before - resident;
    }

    private boolean backed(int b) {
        for (int layer = 0; layer < spec.layers(); layer++) {
            if (bf16 ? bf16Keys[layer][b] != null : f32Keys[layer][b] != null) {
                return true;
            }
        }
        return false;
    }

    private boolean allFree(int b, IntPredicate isFree) {
        int end = (int) Math.min((long) (b + 1) * blockPages, spec.pages());
        for (int p = b * blockPages; p < end; p++) {
            if (!isFree.test(p)) {
                return false;
            }
        }
        return true;
    }

    /** Drops a layer's arrays of block {@code b}; the bytes they held. */
    private long drop(int layer, int b) {
        long bytes = 0;
        if (bf16 && bf16Keys[layer][b] != null) {
            bytes = 2L * bf16Keys[layer][b].length * Short.BYTES;
            bf16Keys[layer][b] = null;
            bf16Values[layer][b] = null;
        } else if (!bf16 && f32Keys[layer][b] != null) {
            bytes = 2L * f32Keys[layer][b].length * Float.BYTES;
            f32Keys[layer][b] = null;
            f32Values[layer][b] = null;
        }
        return bytes;
    }

    @Override
    public void close() {
        trim(p -> true);
    }
}
