package dev.iris.backend.cuda;

import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A tensor in device memory: contiguous, row-major, at {@link #address()}. A view (reshape, a
 * slice of leading rows) shares its owner's block and keeps the owner reachable; the block goes
 * back to the allocator on {@link #close()} or, if nobody closes it, when the tensor is collected.
 */
final class CudaTensor implements Tensor {

    private static final Cleaner CLEANER = Cleaner.create();

    private final DType dtype;
    private final Shape shape;
    private final long address;
    private final CudaTensor owner;
    private Cleaner.Cleanable cleanable;

    private CudaTensor(DType dtype, Shape shape, long address, CudaTensor owner) {
        this.dtype = dtype;
        this.shape = shape;
        this.address = address;
        this.owner = owner;
    }

    /** A new tensor over a freshly allocated block (activations: size-class cached). */
    static CudaTensor allocate(DeviceMemory memory, DType dtype, Shape shape) {
        long bytes = Math.max(1, shape.elementCount() * dtype.byteSize());
        long size = DeviceMemory.sizeClass(bytes);
        long address = memory.allocate(size);
        CudaTensor t = new CudaTensor(dtype, shape, address, null);
        t.cleanable = CLEANER.register(t, new Release(memory, address, size, false));
        return t;
    }

    /** A tensor that lives as long as the model (weights), at its exact size. */
    static CudaTensor allocatePersistent(DeviceMemory memory, DType dtype, Shape shape) {
        long bytes = Math.max(1, shape.elementCount() * dtype.byteSize());
        long address = memory.allocateExact(bytes);
        CudaTensor t = new CudaTensor(dtype, shape, address, null);
        t.cleanable = CLEANER.register(t, new Release(memory, address, bytes, true));
        return t;
    }

    /** The same memory from {@code byteOffset} on, with another shape. */
    CudaTensor view(Shape newShape, long byteOffset) {
        return new CudaTensor(dtype, newShape, address + byteOffset, owner != null ? owner : this);
    }

    long address() {
        return address;
    }

    long byteSize() {
        return shape.elementCount() * dtype.byteSize();
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public Shape shape() {
        return shape;
    }

    @Override
    public String backend() {
        return CudaComputeBackend.NAME;
    }

    @Override
    public void close() {
        if (cleanable != null) {
            cleanable.clean();
        }
    }

    /** Gives a block back once; runs on close or from the cleaner, never holding the tensor. */
    private static final class Release implements Runnable {
        private final DeviceMemory memory;
        private final long address;
        private final long size;
        private final boolean exact;
        private final AtomicBoolean done = new AtomicBoolean();

        Release(DeviceMemory memory, long address, long size, boolean exact) {
            this.memory = memory;
            this.address = address;
            this.size = size;
            this.exact = exact;
        }

        @Override
        public void run() {
            if (done.compareAndSet(false, true)) {
                if (exact) {
                    memory.releaseExact(address, size);
                } else {
                    memory.release(address, size);
                }
            }
        }
    }
}
