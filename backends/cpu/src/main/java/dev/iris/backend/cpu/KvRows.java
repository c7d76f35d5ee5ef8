package dev.iris.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The key and value rows one attention call reads, wherever they are stored: row {@code t}
 * starts at element {@code offset[t]} of array {@code block[t]} (array 0 for every row when
 * {@code block} is null), and a KV head's part of it {@code add} elements further on. F32 rows
 * are read as they are; BF16 rows are widened to F32 as they are loaded (exact).
 */
abstract sealed class KvRows permits KvRows.F32, KvRows.Bf16 {

    static final VectorSpecies<Float> F = WeightRows.F;
    private static final VectorSpecies<Integer> I = WeightRows.I;
    private static final VectorSpecies<Short> S = WeightRows.S;

    final int[] block;
    final int[] offset;

    private KvRows(int[] block, int[] offset) {
        this.block = block;
        this.offset = offset;
    }

    /** Rows of one contiguous F32 key array and one value array. */
    static KvRows contiguous(float[] keys, float[] values, int[] offset) {
        return new F32(new float[][]{keys}, new float[][]{values}, null, offset);
    }

    final int blockOf(int t) {
        return block == null ? 0 : block[t];
    }

    /**
     * Keys {@code from .. from+count}, the {@code d} elements of one KV head from {@code add},
     * widened to F32 and transposed: {@code dst[i·ld + t]} is element i of key {@code from + t}, so
     * one vector holds one element of consecutive keys.
     */
    abstract void keysTransposed(int from, int count, int add, int d, float[] dst, int ld);

    /** Values {@code from .. from+count} as keys, widened to F32 in row order: {@code dst[t·d + i]}. */
    abstract void values(int from, int count, int add, int d, float[] dst);

    /** Rows stored as F32. */
    static final class F32 extends KvRows {
        private final float[][] keys;
        private final float[][] values;

        F32(float[][] keys, float[][] values, int[] block, int[] offset) {
            super(block, offset);
            this.keys = keys;
            this.values = values;
        }

        @Override
        void keysTransposed(int from, int count, int add, int d, float[] dst, int ld) {
            for (int t = 0; t < count; t++) {
                float[] k = keys[blockOf(from + t)];
                int ko = offset[from + t] + add;
                for (int i = 0; i < d; i++) {
                    dst[i * ld + t] = k[ko + i];
                }
            }
        }

        @Override
        void values(int from, int count, int add, int d, float[] dst) {
            for (int t = 0; t < count; t++) {
                System.arraycopy(values[blockOf(from + t)], offset[from + t] + add, dst, t * d, d);
            }
        }
    }

    /** Rows stored as BF16: half the memory traffic of F32, widened in registers. */
    static final class Bf16 extends KvRows {
        private final short[][] keys;
        private final short[][] values;

        Bf16(short[][] keys, short[][] values, int[] block, int[] offset) {
            super(block, offset);
            this.keys = keys;
            this.values = values;
        }

        /** {@code F.length()} BF16 values from {@code src[at]} as F32. */
        private static FloatVector widen(short[] src, int at) {
            ShortVector s = ShortVector.fromArray(S, src, at);
            return ((IntVector) s.convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16)
                    .reinterpretAsFloats();
        }

        private static float widen(short bits) {
            return Float.intBitsToFloat((bits & 0xffff) << 16);
        }

        /** {@code d} values of {@code src} from {@code at}, widened into {@code dst} from {@code to}. */
        private static void widen(short[] src, int at, int d, float[] dst, int to) {
            int upper = F.loopBound(d);
            int i = 0;
            for (; i < upper; i += F.length()) {
                widen(src, at + i).intoArray(dst, to + i);
            }
            for (; i < d; i++) {
                dst[to + i] = widen(src[at + i]);
            }
        }

        @Override
        void keysTransposed(int from, int count, int add, int d, float[] dst, int ld) {
            for (int t = 0; t < count; t++) {
                short[] k = keys[blockOf(from + t)];
                int ko = offset[from + t] + add;
                for (int i = 0; i < d; i++) {
                    dst[i * ld + t] = widen(k[ko + i]);
                }
            }
        }

        @Override
        void values(int from, int count, int add, int d, float[] dst) {
            for (int t = 0; t < count; t++) {
                widen(values[blockOf(from + t)], offset[from + t] + add, d, dst, t * d);
            }
        }
    }
}
