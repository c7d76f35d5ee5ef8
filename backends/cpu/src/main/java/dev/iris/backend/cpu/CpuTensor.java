package dev.iris.backend.cpu;

import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;

import java.lang.foreign.MemorySegment;

/**
 * A tensor of the CPU backend. Activations are F32 in a heap array (a view is the same array at
 * another offset); checkpoint tensors stay in their memory-mapped segment, in their stored dtype,
 * and are widened to F32 inside the kernels.
 */
final class CpuTensor implements Tensor {

    final DType dtype;
    final Shape shape;
    /** F32 values of a heap tensor; null for a segment tensor. */
    final float[] data;
    /** First element of this tensor in {@link #data}. */
    final int offset;
    /** The stored bytes of a checkpoint tensor; null for a heap tensor. */
    final MemorySegment segment;

    private volatile float[] widened;
    /** A BF16 weight repacked into the BF16 kernel's panels, made once on first use; see {@link Bf16DotKernel}. */
    volatile MemorySegment bf16Panels;
    /** A Q8_0 or Q4_0 weight repacked into the int8 kernel's panels, made once on first use; see {@link Int8DotKernel}. */
    volatile MemorySegment int8Panels;

    private CpuTensor(DType dtype, Shape shape, float[] data, int offset, MemorySegment segment) {
        this.dtype = dtype;
        this.shape = shape;
        this.data = data;
        this.offset = offset;
        this.segment = segment;
    }

    static CpuTensor heap(float[] data, int offset, Shape shape) {
        if (offset + shape.elementCount() > data.length) {
            throw new IllegalArgumentException("view " + shape + " at " + offset + " exceeds " + data.length + " values");
        }
        return new CpuTensor(DType.F32, shape, data, offset, null);
    }

    static CpuTensor allocate(Shape shape) {
        long n = shape.elementCount();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("activation tensor " + shape + " exceeds a Java array");
        }
        return new CpuTensor(DType.F32, shape, new float[(int) n], 0, null);
    }

    static CpuTensor mapped(DType dtype, Shape shape, MemorySegment segment) {
        return new CpuTensor(dtype, shape, null, 0, segment);
    }

    /** The CPU tensor behind a handle, or a clear error for another backend's tensor. */
    static CpuTensor of(Tensor t) {
        if (t instanceof CpuTensor c) {
            return c;
        }
        throw new IllegalArgumentException("a " + t.backend() + " tensor was passed to the cpu backend");
    }

    boolean isHeap() {
        return data != null;
    }

    int size() {
        return (int) shape.elementCount();
    }

    /** Length of the last dimension. */
    int cols() {
        return shape.dim(-1);
    }

    /** Product of all but the last dimension. */
    int rows() {
        int c = cols();
        return c == 0 ? 0 : size() / c;
    }

    /**
     * The values as F32: this tensor's own array for a heap tensor, else a widened copy made once
     * (for the small checkpoint tensors that elementwise ops read: norm weights, biases, tables).
     * Pair with {@link #floatsOffset()}.
     */
    float[] floats() {
        if (data != null) {
            return data;
        }
        float[] w = widened;
        if (w == null) {
            w = new float[size()];
            WeightRows.widen(segment, dtype, 0, w, 0, w.length);
            widened = w;
        }
        return w;
    }

    int floatsOffset() {
        return data != null ? offset : 0;
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
        return "cpu";
    }

    @Override
    public void close() {
        // Heap memory is garbage-collected; segments belong to the weight source's arena.
    }

    @Override
    public String toString() {
        return "cpu " + dtype + shape;
    }
}
