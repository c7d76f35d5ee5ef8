package dev.iris.api.tensor;

import java.lang.foreign.MemorySegment;

/**
 * One tensor of a checkpoint as it lies on disk: its name, dtype, shape and raw little-endian
 * bytes. The bytes are usually a read-only view of a memory-mapped file, valid for as long as
 * the {@link WeightSource} that returned it is open; they are never copied at load time.
 *
 * @param name  the checkpoint name, e.g. {@code model.layers.0.self_attn.q_proj.weight}
 * @param dtype the stored element type
 * @param shape the stored dimensions
 * @param data  exactly {@code dtype.bytes(shape.elementCount())} bytes, row-major, little-endian (for a
 *              quantized dtype, each row a whole number of blocks)
 */
public record WeightTensor(String name, DType dtype, Shape shape, MemorySegment data) {

    public WeightTensor {
        if (dtype.quantized() && (shape.rank() == 0 || shape.dim(shape.rank() - 1) % dtype.ggml().blockElements() != 0)) {
            throw new IllegalArgumentException("tensor '" + name + "': rows of " + dtype + shape + " are not whole blocks of "
                    + dtype.ggml().blockElements());
        }
        long expected = dtype.bytes(shape.elementCount());
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("tensor '" + name + "': " + dtype + shape + " needs "
                    + expected + " bytes, data has " + data.byteSize());
        }
    }
}
