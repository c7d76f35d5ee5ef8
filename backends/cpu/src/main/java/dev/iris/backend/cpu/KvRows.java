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

    /** {@code q[qo .. qo+d) · key row t}, from its element {@code add}. */
    abstract float dotKey(int t, int add, float[] q, int qo, int d);

    /** {@code out[oo .. oo+d) += p × value row t}, from its element {@code add}. */
    abstract void addValue(int t, int add, float p, float[] out, int oo, int d);

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
        float dotKey(int t, int add, float[] q, int qo, int d) {
            float[] k = keys[blockOf(t)];
            int ko = offset[t] + add;
            FloatVector acc = FloatVector.zero(F);
            int upper = F.loopBound(d);
            int i = 0;
            for (; i < upper; i += F.length()) {
                acc = FloatVector.fromArray(F, q, qo + i).fma(FloatVector.fromArray(F, k, ko + i), acc);
            }
            float sum = Lanes.sum(acc);
            for (; i < d; i++) {
                sum += q[qo + i] * k[ko + i];
            }
            return sum;
        }

        @Override
        void addValue(int t, int add, float p, float[] out, int oo, int d) {
            float[] v = values[blockOf(t)];
            int vo = offset[t] + add;
            FloatVector pv = FloatVector.broadcast(F, p);
            int upper = F.loopBound(d);
            int i = 0;
            for (; i < upper; i += F.length()) {
                FloatVector.fromArray(F, v, vo + i).fma(pv, FloatVector.fromArray(F, out, oo + i)).intoArray(out, oo + i);
            }
            for (; i < d; i++) {
                out[oo + i] += p * v[vo + i];
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

        @Override
        float dotKey(int t, int add, float[] q, int qo, int d) {
            short[] k = keys[blockOf(t)];
            int ko = offset[t] + add;
            FloatVector acc = FloatVector.zero(F);
            int upper = F.loopBound(d);
            int i = 0;
            for (; i < upper; i += F.length()) {
                acc = FloatVector.fromArray(F, q, qo + i).fma(widen(k, ko + i), acc);
            }
            float sum = Lanes.sum(acc);
            for (; i < d; i++) {
                sum += q[qo + i] * widen(k[ko + i]);
            }
            return sum;
        }

        @Override
        void addValue(int t, int add, float p, float[] out, int oo, int d) {
            short[] v = values[blockOf(t)];
            int vo = offset[t] + add;
            FloatVector pv = FloatVector.broadcast(F, p);
            int upper = F.loopBound(d);
            int i = 0;
            for (; i < upper; i += F.length()) {
                widen(v, vo + i).fma(pv, FloatVector.fromArray(F, out, oo + i)).intoArray(out, oo + i);
            }
            for (; i < d; i++) {
                out[oo + i] += p * widen(v[vo + i]);
            }
        }
    }
}
