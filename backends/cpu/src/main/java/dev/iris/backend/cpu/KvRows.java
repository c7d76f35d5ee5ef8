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
     * The scores of one key row for the query heads of a GQA group:
     * {@code s[so + h·sStride] = (q_h · key row t) × scale + bias} for {@code h < heads}, q_h at
     * {@code qo + h·d}; the key row from its element {@code add}. {@code scratch} holds {@code d}
     * floats for a row widened once for all the heads.
     */
    abstract void scoreKey(int t, int add, float[] q, int qo, int heads, int d, float scale, float bias,
                           float[] s, int so, int sStride, float[] scratch);

    /**
     * {@code out_h += p_h × value row t} (from its element {@code add}) for the heads of a group
     * whose weight {@code p_h = p[po + h·pStride]} is not zero, out_h at {@code oo + h·d}.
     */
    abstract void addValue(int t, int add, float[] p, int po, int pStride, int heads, float[] out, int oo, int d,
                           float[] scratch);

    /** {@code a[ao .. ao+d) · b[bo .. bo+d)}, 16 lanes then one fixed sum, then the tail. */
    static float dot(float[] a, int ao, float[] b, int bo, int d) {
        FloatVector acc = FloatVector.zero(F);
        int upper = F.loopBound(d);
        int i = 0;
        for (; i < upper; i += F.length()) {
            acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
        }
        float sum = Lanes.sum(acc);
        for (; i < d; i++) {
            sum += a[ao + i] * b[bo + i];
        }
        return sum;
    }

    /** {@code out[oo .. oo+d) += p × v[vo .. vo+d)}. */
    static void axpy(float p, float[] v, int vo, float[] out, int oo, int d) {
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
        void scoreKey(int t, int add, float[] q, int qo, int heads, int d, float scale, float bias,
                      float[] s, int so, int sStride, float[] scratch) {
            float[] k = keys[blockOf(t)];
            int ko = offset[t] + add;
            for (int h = 0; h < heads; h++) {
                s[so + h * sStride] = dot(q, qo + h * d, k, ko, d) * scale + bias;
            }
        }

        @Override
        void addValue(int t, int add, float[] p, int po, int pStride, int heads, float[] out, int oo, int d,
                      float[] scratch) {
            float[] v = values[blockOf(t)];
            int vo = offset[t] + add;
            for (int h = 0; h < heads; h++) {
                float ph = p[po + h * pStride];
                if (ph != 0f) {
                    axpy(ph, v, vo, out, oo + h * d, d);
                }
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

        /** {@code d} values of {@code src} from {@code at}, widened into {@code dst[0 .. d)}. */
        private static void widen(short[] src, int at, int d, float[] dst) {
            int upper = F.loopBound(d);
            int i = 0;
            for (; i < upper; i += F.length()) {
                widen(src, at + i).intoArray(dst, i);
            }
            for (; i < d; i++) {
                dst[i] = widen(src[at + i]);
            }
        }

        @Override
        void scoreKey(int t, int add, float[] q, int qo, int heads, int d, float scale, float bias,
                      float[] s, int so, int sStride, float[] scratch) {
            widen(keys[blockOf(t)], offset[t] + add, d, scratch); // exact, so the same sums as F32 rows
            for (int h = 0; h < heads; h++) {
                s[so + h * sStride] = dot(q, qo + h * d, scratch, 0, d) * scale + bias;
            }
        }

        @Override
        void addValue(int t, int add, float[] p, int po, int pStride, int heads, float[] out, int oo, int d,
                      float[] scratch) {
            boolean widened = false;
            for (int h = 0; h < heads; h++) {
                float ph = p[po + h * pStride];
                if (ph != 0f) {
                    if (!widened) {
                        widen(values[blockOf(t)], offset[t] + add, d, scratch);
                        widened = true;
                    }
                    axpy(ph, scratch, 0, out, oo + h * d, d);
                }
            }
        }
    }
}
