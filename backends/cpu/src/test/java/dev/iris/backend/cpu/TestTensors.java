package dev.iris.backend.cpu;

import dev.iris.api.tensor.Bf16;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.WeightTensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

/** Random inputs and checkpoint-like weight tensors for the kernel tests. */
final class TestTensors {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private TestTensors() {
    }

    static float[] random(Random rnd, int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian() * scale;
        }
        return v;
    }

    /** The values as they survive storage in {@code dtype} (what the kernels must see). */
    static float[] rounded(float[] v, DType dtype) {
        float[] r = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = switch (dtype) {
                case F32 -> v[i];
                case BF16 -> Bf16.toFloat(Bf16.fromFloat(v[i]));
                case F16 -> Float.float16ToFloat(Float.floatToFloat16(v[i]));
                default -> throw new IllegalArgumentException(dtype.toString());
            };
        }
        return r;
    }

    /** A weight stored in {@code dtype} in off-heap memory, like a mapped checkpoint tensor. */
    static WeightTensor weight(String name, float[] v, DType dtype, Shape shape) {
        MemorySegment seg = Arena.ofAuto().allocate((long) v.length * dtype.byteSize(), 8);
        for (int i = 0; i < v.length; i++) {
            switch (dtype) {
                case F32 -> seg.setAtIndex(F32, i, v[i]);
                case BF16 -> seg.setAtIndex(I16, i, Bf16.fromFloat(v[i]));
                case F16 -> seg.setAtIndex(I16, i, Float.floatToFloat16(v[i]));
                default -> throw new IllegalArgumentException(dtype.toString());
            }
        }
        return new WeightTensor(name, dtype, shape, seg);
    }
}
