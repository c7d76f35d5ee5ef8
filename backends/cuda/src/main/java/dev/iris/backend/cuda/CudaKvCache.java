package dev.iris.backend.cuda;

import dev.iris.api.attention.KvCache;
import dev.iris.api.attention.KvCacheSpec;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;

/**
 * K/V pages in device memory, F32: one block holding, per layer, the keys of every slot then
 * the values of every slot, each slot {@code kvHeads × headDim} wide (slot = page × pageSize +
 * offset in the page).
 */
final class CudaKvCache implements KvCache {

    private final KvCacheSpec spec;
    private final CudaTensor block;

    CudaKvCache(KvCacheSpec spec, CudaDevice device) {
        this.spec = spec;
        long floats = 2L * spec.layers() * spec.tokenCapacity() * width();
        this.block = CudaTensor.allocatePersistent(device.memory, DType.F32, Shape.of(Math.toIntExact(floats / width()),
                width()));
        device.zero(block.address(), block.byteSize());
    }

    /** Floats per slot. */
    int width() {
        return spec.kvHeads() * spec.headDim();
    }

    long keys(int layer) {
        return block.address() + (2L * layer) * spec.tokenCapacity() * width() * Float.BYTES;
    }

    long values(int layer) {
        return block.address() + (2L * layer + 1) * spec.tokenCapacity() * width() * Float.BYTES;
    }

    @Override
    public KvCacheSpec spec() {
        return spec;
    }

    @Override
    public long byteSize() {
        return block.byteSize();
    }

    @Override
    public void close() {
        block.close();
    }
}
