package dev.iris.bench;

import dev.iris.api.tensor.Bf16;
import dev.iris.api.quant.Quantizer;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.WeightTensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * Off-heap weight tensors of normal(0, std) values, as a checkpoint would hold them. Speed does
 * not depend on the values, so a block of random values is repeated to fill gigabytes quickly.
 */
final class RandomWeights {

    private static final int BLOCK = 1 << 16;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private RandomWeights() {
    }

    /** A {@code rows × cols} weight in {@code dtype}, in memory owned by {@code arena}. */
    static WeightTensor create(Arena arena, String name, DType dtype, int rows, int cols, long seed) {
        long elements = (long) rows * cols;
        MemorySegment seg = arena.allocate(dtype.bytes(elements), 64);
        SplittableRandom rnd = new SplittableRandom(seed);
        int first = (int) Math.min(elements, BLOCK);
        long blockBytes = dtype.bytes(first);
        MemorySegment block = seg.asSlice(0, blockBytes);
        float[] values = new float[first];
        for (int i = 0; i < first; i++) {
            values[i] = (float) (gaussian(rnd) * 0.02);
        }
        if (dtype.quantized()) {
            Quantizer.quantize(dtype.ggml(), values, 0, first, block);
        }
        for (int i = 0; i < first && !dtype.quantized(); i++) {
            switch (dtype) {
                case BF16 -> block.setAtIndex(I16, i, Bf16.fromFloat(values[i]));
                case F16 -> block.setAtIndex(I16, i, Float.floatToFloat16(values[i]));
                case F32 -> block.setAtIndex(F32, i, values[i]);
                default -> throw new IllegalArgumentException(dtype.toString());
            }
        }
        for (long off = blockBytes; off < seg.byteSize(); off += blockBytes) {
            MemorySegment.copy(block, 0, seg, off, Math.min(blockBytes, seg.byteSize() - off));
        }
        return new WeightTensor(name, dtype, Shape.of(rows, cols), seg);
    }

    static float[] activations(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) gaussian(rnd);
        }
        return x;
    }

    private static double gaussian(SplittableRandom rnd) {
        // Box–Muller: SplittableRandom has no nextGaussian of its own.
        double u = 1 - rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.nextDouble());
    }
}
