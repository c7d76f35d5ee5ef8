package dev.iris.backend.cuda;

import dev.iris.api.attention.AttentionBackend;
import dev.iris.api.attention.AttentionBatch;
import dev.iris.api.attention.AttentionSequence;
import dev.iris.api.attention.KvCache;
import dev.iris.api.attention.KvCacheSpec;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;
import org.bytedeco.javacpp.IntPointer;

/**
 * Attention on the GPU: new keys and values written to their page slots ({@code kv_write}),
 * then one {@code attend} launch per call over a grid of (query row, head). What differs between
 * self-, cross- and block-diagonal attention is only which keys each row reads, given to the
 * kernel as per-row tables ({@link RowKeys}).
 */
public final class CudaAttentionBackend implements AttentionBackend {

    /** The head size the kernel's registers are sized for (ATT_MAX_DIM). */
    static final int MAX_HEAD_DIM = 256;

    /**
     * The key tables of the last batch, by kind: every layer of a step passes the same batch, so
     * the tables are built and uploaded once per step rather than once per layer.
     */
    private record Uploaded(AttentionBatch batch, RowKeys rows, CudaTensor tables) {
    }

    private Uploaded lastCausal;
    private Uploaded lastEncoder;

    @Override
    public String name() {
        return CudaComputeBackend.NAME;
    }

    @Override
    public String computeBackend() {
        return CudaComputeBackend.NAME;
    }

    @Override
    public KvCache createCache(KvCacheSpec spec) {
        if (spec.headDim() > MAX_HEAD_DIM) {
            throw new IllegalArgumentException("the cuda attention kernel takes heads of at most " + MAX_HEAD_DIM
                    + " dimensions, got " + spec.headDim());
        }
        return new CudaKvCache(spec, CudaDevice.get());
    }

    private static CudaKvCache cacheOf(KvCache cache) {
        if (cache instanceof CudaKvCache c) {
            return c;
        }
        throw new IllegalArgumentException("not a cuda K/V cache");
    }

    private static CudaTensor f32(Tensor t, String what) {
        if (t instanceof CudaTensor c && c.dtype() == DType.F32) {
            return c;
        }
        throw new IllegalArgumentException(what + " must be an F32 cuda tensor, got " + t.backend() + " " + t.dtype());
    }

    @Override
    public Tensor selfAttention(KvCache kv, int layer, AttentionBatch batch, Tensor query, Tensor key, Tensor value,
                                float scale) {
        CudaKvCache cache = cacheOf(kv);
        CudaTensor q = f32(query, "query");
        CudaTensor k = f32(key, "key");
        CudaTensor v = f32(value, "value");
        checkHeads(q, k, cache.spec());
        CudaDevice dev = CudaDevice.get();
        Uploaded u = causalTables(dev, batch, cache.spec().pageSize());
        writeRows(dev, k, v, cache, layer, u.tables().address() + u.rows().slotsAt(), u.rows().rows());
        return attend(dev, q, cache.keys(layer), cache.values(layer), cache.spec().kvHeads(), scale, u.rows(), u.tables(),
                null, 0);
    }

    private synchronized Uploaded causalTables(CudaDevice dev, AttentionBatch batch, int pageSize) {
        if (lastCausal == null || lastCausal.batch() != batch || lastCausal.rows().pageSize() != pageSize) {
            RowKeys rows = RowKeys.causal(batch, pageSize);
            if (lastCausal != null) {
                lastCausal.tables().close();
            }
            lastCausal = new Uploaded(batch, rows, upload(dev, rows.table()));
        }
        return lastCausal;
    }

    private synchronized Uploaded encoderTables(CudaDevice dev, AttentionBatch batch, int pageSize) {
        if (lastEncoder == null || lastEncoder.batch() != batch || lastEncoder.rows().pageSize() != pageSize) {
            RowKeys rows = RowKeys.encoder(batch, pageSize);
            if (lastEncoder != null) {
                lastEncoder.tables().close();
            }
            lastEncoder = new Uploaded(batch, rows, upload(dev, rows.table()));
        }
        return lastEncoder;
    }

    @Override
    public void writeEncoderStates(KvCache kv, int layer, AttentionSequence sequence, Tensor key, Tensor value) {
        CudaKvCache cache = cacheOf(kv);
        CudaTensor k = f32(key, "key");
        CudaTensor v = f32(value, "value");
        int n = k.shape().dim(0);
        int[] slots = new int[n];
        int pageSize = cache.spec().pageSize();
        for (int r = 0; r < n; r++) {
            slots[r] = sequence.encoderPageOf(r, pageSize) * pageSize + r % pageSize;
        }
        CudaDevice dev = CudaDevice.get();
        try (CudaTensor table = upload(dev, slots)) {
            writeRows(dev, k, v, cache, layer, table.address(), n);
        }
    }

    @Override
    public Tensor crossAttention(KvCache kv, int layer, AttentionBatch batch, Tensor query, Tensor mask, float scale) {
        CudaKvCache cache = cacheOf(kv);
        CudaTensor q = f32(query, "query");
        CudaTensor m = mask == null ? null : f32(mask, "mask");
        CudaDevice dev = CudaDevice.get();
        Uploaded u = encoderTables(dev, batch, cache.spec().pageSize());
        return attend(dev, q, cache.keys(layer), cache.values(layer), cache.spec().kvHeads(), scale, u.rows(), u.tables(), m,
                m == null ? 0 : m.shape().dim(1));
    }

    @Override
    public Tensor blockDiagonalAttention(Tensor query, Tensor key, Tensor value, int[] blockStarts, Tensor mask,
                                         float scale) {
        CudaTensor q = f32(query, "query");
        CudaTensor k = f32(key, "key");
        CudaTensor v = f32(value, "value");
        CudaTensor m = mask == null ? null : f32(mask, "mask");
        if (q.shape().dim(2) > MAX_HEAD_DIM) {
            throw new IllegalArgumentException("heads of at most " + MAX_HEAD_DIM + " dimensions, got " + q.shape());
        }
        RowKeys rows = RowKeys.blocks(blockStarts, q.shape().dim(0));
        CudaDevice dev = CudaDevice.get();
        try (CudaTensor tables = upload(dev, rows.table())) {
            return attend(dev, q, k.address(), v.address(), k.shape().dim(1), scale, rows, tables, m,
                    m == null ? 0 : q.shape().dim(0));
        }
    }

    private static void checkHeads(CudaTensor q, CudaTensor k, KvCacheSpec spec) {
        if (q.shape().rank() != 3 || q.shape().dim(2) != spec.headDim() || k.shape().dim(1) != spec.kvHeads()
                || q.shape().dim(1) % spec.kvHeads() != 0) {
            throw new IllegalArgumentException("attention: query " + q.shape() + ", key " + k.shape() + " for a cache of "
                    + spec.kvHeads() + " heads of " + spec.headDim());
        }
    }

    private static CudaTensor upload(CudaDevice dev, int[] values) {
        CudaTensor t = CudaTensor.allocate(dev.memory, DType.I32, Shape.of(Math.max(1, values.length)));
        if (values.length > 0) {
            try (IntPointer host = new IntPointer(values)) {
                dev.upload(t.address(), host, (long) values.length * Integer.BYTES);
            }
        }
        return t;
    }

    private static void writeRows(CudaDevice dev, CudaTensor k, CudaTensor v, CudaKvCache cache, int layer, long slots,
                                  int rows) {
        long n = (long) rows * cache.width();
        if (n > 0) {
            dev.launch("kv_write", LaunchShape.elements(n), new KernelArgs().ptr(k).ptr(v).ptr(cache.keys(layer))
                    .ptr(cache.values(layer)).ptr(slots).i32(rows).i32(cache.width()));
        }
    }

    private static CudaTensor attend(CudaDevice dev, CudaTensor q, long keys, long values, int kvHeads, float scale,
                                     RowKeys rows, CudaTensor tables, CudaTensor mask, long maskStride) {
        int heads = q.shape().dim(1);
        int headDim = q.shape().dim(2);
        CudaTensor out = CudaTensor.allocate(dev.memory, DType.F32, q.shape());
        if (rows.rows() > 0) {
            long base = tables.address();
            dev.launch("attend", LaunchShape.attention(rows.rows(), heads), new KernelArgs().ptr(q).ptr(keys).ptr(values)
                    .ptr(out).i32(heads).i32(kvHeads).i32(headDim).f32(scale).ptr(base + rows.firstKeyAt())
                    .ptr(base + rows.keyCountAt()).ptr(base + rows.pageStartAt()).ptr(base + rows.pagesAt())
                    .i32(rows.pageSize()).ptr(mask).i64(maskStride));
        }
        return out;
    }
}
