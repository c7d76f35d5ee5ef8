package dev.iris.backend.cpu;

import dev.iris.api.attention.AttentionBackend;
import dev.iris.api.attention.AttentionBatch;
import dev.iris.api.attention.AttentionSequence;
import dev.iris.api.attention.KvCache;
import dev.iris.api.attention.KvCacheSpec;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Attention on the CPU over {@link CpuKvCache} pages: every (tile of a sequence's query rows, KV
 * head) pair — all the query heads that share that KV head — is one unit of work for the shared
 * pool ({@link AttentionKernel}); each reads its sequence's key rows through a table of row
 * offsets built once per sequence from the page table.
 */
public final class CpuAttentionBackend implements AttentionBackend {

    private final CpuThreads pool;
    private final boolean blas;

    /** The backend on the shared pool, with OpenBLAS for large attention blocks when it loads. */
    public CpuAttentionBackend() {
        this(CpuThreads.SHARED, OpenBlas.AVAILABLE && Boolean.parseBoolean(System.getProperty("iris.cpu.blas", "true")));
    }

    CpuAttentionBackend(CpuThreads pool, boolean blas) {
        this.pool = pool;
        this.blas = blas;
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public String description() {
        return "CPU paged attention (BF16 or F32 K/V)";
    }

    @Override
    public List<DType> cacheDtypes() {
        return List.of(DType.BF16, DType.F32);
    }

    @Override
    public String computeBackend() {
        return "cpu";
    }

    @Override
    public KvCache createCache(KvCacheSpec spec) {
        return new CpuKvCache(spec);
    }

    /** Query/key geometry of one call, checked once. */
    private record Heads(int rows, int heads, int kvHeads, int headDim) {
        int group() {
            return heads / kvHeads;
        }
    }

    private static Heads heads(CpuTensor q, KvCacheSpec spec, int rows) {
        if (q.shape.rank() != 3 || q.shape.dim(0) != rows || q.shape.dim(2) != spec.headDim()
                || q.shape.dim(1) % spec.kvHeads() != 0) {
            throw new IllegalArgumentException("queries " + q.shape + " do not fit " + rows + " rows of heads × "
                    + spec.headDim() + " over " + spec.kvHeads() + " KV heads");
        }
        return new Heads(rows, q.shape.dim(1), spec.kvHeads(), spec.headDim());
    }

    @Override
    public Tensor selfAttention(KvCache cache, int layer, AttentionBatch batch, Tensor q, Tensor k, Tensor v,
                                float scale) {
        CpuKvCache c = CpuKvCache.of(cache);
        CpuTensor qt = CpuTensor.of(q);
        CpuTensor kt = CpuTensor.of(k);
        CpuTensor vt = CpuTensor.of(v);
        Heads h = heads(qt, c.spec, batch.totalQueryRows());
        Shape kvShape = Shape.of(h.rows(), h.kvHeads(), h.headDim());
        if (!kt.shape.equals(kvShape) || !vt.shape.equals(kvShape)) {
            throw new IllegalArgumentException("keys " + kt.shape + " / values " + vt.shape + " must be " + kvShape);
        }
        List<AttentionSequence> seqs = batch.sequences();
        CpuKvCache.RowTable[] tables = c.selfTables(batch);
        KvRows[] rows = new KvRows[seqs.size()];
        for (int s = 0; s < seqs.size(); s++) {
            AttentionSequence seq = seqs.get(s);
            for (int i = 0; i < seq.queryLength(); i++) {
                int row = seq.queryOffset() + i;
                c.write(layer, tables[s], seq.cachedLength() + i, kt.data, kt.offset + row * c.tokenStride,
                        vt.data, vt.offset + row * c.tokenStride);
            }
            rows[s] = c.rows(layer, tables[s]);
        }
        CpuTensor out = CpuTensor.allocate(qt.shape);
        List<Tile> tiles = new ArrayList<>();
        for (int s = 0; s < seqs.size(); s++) {
            AttentionSequence seq = seqs.get(s);
            tile(tiles, s, seq.queryOffset(), seq.queryLength(), h.group(), seq.totalLength());
        }
        forTiles(h, tiles, (tile, g) -> {
            AttentionSequence seq = seqs.get(tile.span());
            int qo = (tile.row() * h.heads() + g * h.group()) * h.headDim();
            int visible = seq.cachedLength() + (tile.row() - seq.queryOffset()) + 1; // causal: itself and all before
            AttentionKernel.attend(qt.data, qt.offset + qo, h.heads() * h.headDim(), tile.rows(), h.group(), h.headDim(),
                    rows[tile.span()], 0, g * h.headDim(), visible, 1, scale, null, 0, 0, out.data, qo);
        });
        return out;
    }

    @Override
    public void writeEncoderStates(KvCache cache, int layer, AttentionSequence sequence, Tensor k, Tensor v) {
        CpuKvCache c = CpuKvCache.of(cache);
        CpuTensor kt = CpuTensor.of(k);
        CpuTensor vt = CpuTensor.of(v);
        Shape expected = Shape.of(sequence.encoderLength(), c.spec.kvHeads(), c.spec.headDim());
        if (!kt.shape.equals(expected) || !vt.shape.equals(expected)) {
            throw new IllegalArgumentException("encoder keys " + kt.shape + " / values " + vt.shape + " must be " + expected);
        }
        CpuKvCache.RowTable table = c.table(sequence.encoderPageTable(), sequence.encoderLength());
        for (int r = 0; r < sequence.encoderLength(); r++) {
            c.write(layer, table, r, kt.data, kt.offset + r * c.tokenStride, vt.data, vt.offset + r * c.tokenStride);
        }
    }

    @Override
    public Tensor crossAttention(KvCache cache, int layer, AttentionBatch batch, Tensor q, Tensor mask, float scale) {
        CpuKvCache c = CpuKvCache.of(cache);
        CpuTensor qt = CpuTensor.of(q);
        Heads h = heads(qt, c.spec, batch.totalQueryRows());
        List<AttentionSequence> seqs = batch.sequences();
        int maxEncoder = seqs.stream().mapToInt(AttentionSequence::encoderLength).max().orElse(0);
        CpuTensor m = mask == null ? null : CpuTensor.of(mask);
        if (m != null && (m.shape.rank() != 2 || m.shape.dim(0) != h.rows() || m.shape.dim(1) < maxEncoder)) {
            throw new IllegalArgumentException("cross-attention mask " + m.shape + " must be [" + h.rows()
                    + ", ≥ " + maxEncoder + "]");
        }
        KvRows[] rows = new KvRows[seqs.size()];
        for (int s = 0; s < seqs.size(); s++) {
            AttentionSequence seq = seqs.get(s);
            rows[s] = c.rows(layer, c.table(seq.encoderPageTable(), seq.encoderLength()));
        }
        CpuTensor out = CpuTensor.allocate(qt.shape);
        List<Tile> tiles = new ArrayList<>();
        for (int s = 0; s < seqs.size(); s++) {
            AttentionSequence seq = seqs.get(s);
            tile(tiles, s, seq.queryOffset(), seq.queryLength(), h.group(), seq.encoderLength());
        }
        int maskCols = m == null ? 0 : m.shape.dim(1);
        forTiles(h, tiles, (tile, g) -> {
            int qo = (tile.row() * h.heads() + g * h.group()) * h.headDim();
            AttentionKernel.attend(qt.data, qt.offset + qo, h.heads() * h.headDim(), tile.rows(), h.group(), h.headDim(),
                    rows[tile.span()], 0, g * h.headDim(), seqs.get(tile.span()).encoderLength(), 0, scale,
                    m == null ? null : m.floats(), m == null ? 0 : m.floatsOffset() + tile.row() * maskCols, maskCols,
                    out.data, qo);
        });
        return out;
    }

    @Override
    public Tensor blockDiagonalAttention(Tensor q, Tensor k, Tensor v, int[] blockStarts, Tensor mask, float scale) {
        CpuTensor qt = CpuTensor.of(q);
        CpuTensor kt = CpuTensor.of(k);
        CpuTensor vt = CpuTensor.of(v);
        if (qt.shape.rank() != 3 || kt.shape.rank() != 3 || !kt.shape.equals(vt.shape)
                || kt.shape.dim(0) != qt.shape.dim(0) || kt.shape.dim(2) != qt.shape.dim(2)
                || qt.shape.dim(1) % kt.shape.dim(1) != 0) {
            throw new IllegalArgumentException("block attention: q " + qt.shape + ", k " + kt.shape + ", v " + vt.shape);
        }
        Heads h = new Heads(qt.shape.dim(0), qt.shape.dim(1), kt.shape.dim(1), qt.shape.dim(2));
        int rows = h.rows();
        for (int b = 0; b < blockStarts.length; b++) {
            int end = b + 1 < blockStarts.length ? blockStarts[b + 1] : rows;
            if (blockStarts[b] < 0 || end > rows || blockStarts[b] > end || (b == 0 && blockStarts[0] != 0)) {
                throw new IllegalArgumentException("block starts " + java.util.Arrays.toString(blockStarts)
                        + " do not partition " + rows + " rows");
            }
        }
        CpuTensor m = mask == null ? null : CpuTensor.of(mask);
        if (m != null && !m.shape.equals(Shape.of(rows, rows))) {
            throw new IllegalArgumentException("block attention mask " + m.shape + " must be [" + rows + ", " + rows + "]");
        }
        // Contiguous K/V: the row offsets are the row index times the row length.
        int stride = h.kvHeads() * h.headDim();
        int[] base = new int[rows];
        for (int r = 0; r < rows; r++) {
            base[r] = r * stride;
        }
        float[] kd = contiguous(kt);
        float[] vd = contiguous(vt);
        KvRows kvRows = KvRows.contiguous(kd, vd, base);
        CpuTensor out = CpuTensor.allocate(qt.shape);
        // Large blocks as GEMMs (one task per block and key/value head), the rest in tiles of rows.
        List<int[]> large = new java.util.ArrayList<>();
        for (int b = 0; b < blockStarts.length; b++) {
            int end = b + 1 < blockStarts.length ? blockStarts[b + 1] : rows;
            if (blas && end - blockStarts[b] >= BlasAttention.MIN_ROWS) {
                for (int g = 0; g < h.kvHeads(); g++) {
                    large.add(new int[]{blockStarts[b], end - blockStarts[b], g});
                }
            }
        }
        pool.parallelFor(large.size(), t -> {
            int[] task = large.get(t);
            BlasAttention.attend(qt.data, qt.offset, h.heads(), h.kvHeads(), h.headDim(), kd, vd, task[0], task[1], task[2],
                    scale, m == null ? null : m.floats(), m == null ? 0 : m.floatsOffset(), rows, out.data);
        });
        List<Tile> tiles = new ArrayList<>();
        for (int b = 0; b < blockStarts.length; b++) {
            int end = b + 1 < blockStarts.length ? blockStarts[b + 1] : rows;
            if (!(blas && end - blockStarts[b] >= BlasAttention.MIN_ROWS)) { // else done above
                tile(tiles, b, blockStarts[b], end - blockStarts[b], h.group(), end - blockStarts[b]);
            }
        }
        forTiles(h, tiles, (tile, g) -> {
            int start = blockStarts[tile.span()];
            int length = (tile.span() + 1 < blockStarts.length ? blockStarts[tile.span() + 1] : rows) - start;
            int qo = (tile.row() * h.heads() + g * h.group()) * h.headDim();
            AttentionKernel.attend(qt.data, qt.offset + qo, h.heads() * h.headDim(), tile.rows(), h.group(), h.headDim(),
                    kvRows, start, g * h.headDim(), length, 0, scale,
                    m == null ? null : m.floats(), m == null ? 0 : m.floatsOffset() + tile.row() * rows + start, rows,
                    out.data, qo);
        });
        return out;
    }

    private static float[] contiguous(CpuTensor t) {
        if (t.offset == 0) {
            return t.data;
        }
        float[] copy = new float[t.size()];
        System.arraycopy(t.data, t.offset, copy, 0, copy.length);
        return copy;
    }

    /** Query rows {@code row .. row+rows} of span {@code span} (a sequence, an image block): one unit of work per KV head. */
    private record Tile(int span, int row, int rows) {
    }

    /**
     * Cuts a span's query rows into tiles, the last rows first: with a causal mask they see the
     * most keys, and the pool hands out the longest work first.
     */
    private static void tile(List<Tile> tiles, int span, int start, int length, int group, int keys) {
        int per = AttentionKernel.tileRows(group, keys);
        for (int end = length; end > 0; end -= per) {
            int first = Math.max(0, end - per);
            tiles.add(new Tile(span, start + first, end - first));
        }
    }

    @FunctionalInterface
    private interface TileBody {
        void run(Tile tile, int kvHead);
    }

    /** Every (tile, KV head) pair — the query heads of one GQA group together — on the pool. */
    private void forTiles(Heads h, List<Tile> tiles, TileBody body) {
        pool.parallelFor(tiles.size() * h.kvHeads(), t -> body.run(tiles.get(t / h.kvHeads()), t % h.kvHeads()));
    }
}
