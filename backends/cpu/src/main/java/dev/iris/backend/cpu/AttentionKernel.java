package dev.iris.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * One query row of the heads of one GQA group against a list of key/value rows:
 * {@code out = softmax(q·Kᵀ × scale + mask) · V}. Scores are computed first, then the exact
 * row maximum is subtracted before exponentiating (stable for any length), and the weighted sum
 * of V accumulates in F32. Each key and value row is read once for the whole group.
 */
final class AttentionKernel {

    private static final VectorSpecies<Float> F = WeightRows.F;
    private static final ThreadLocal<float[]> SCORES = ThreadLocal.withInitial(() -> new float[0]);

    private AttentionKernel() {
    }

    /**
     * @param q        query values: {@code heads} rows of {@code d} from {@code qo}, all reading the
     *                 same key/value head (a GQA group), so each key row is loaded once for all
     * @param keys     key storage; row {@code t} starts at {@code base[from + t] + add}
     * @param values   value storage, same offsets
     * @param count    key rows to attend to
     * @param mask     additive mask values for the rows ({@code mask[mo + t]}), or null
     * @param out      where the {@code heads × d} outputs go, at {@code oo}
     */
    static void attend(float[] q, int qo, int heads, int d, float[] keys, float[] values, int[] base, int from, int add,
                       int count, float scale, float[] mask, int mo, float[] out, int oo) {
        Arrays.fill(out, oo, oo + heads * d, 0f);
        if (count == 0) {
            return;
        }
        float[] s = scores(heads * count); // s[h * count + t]
        for (int t = 0; t < count; t++) {
            int ko = base[from + t] + add;
            float bias = mask == null ? 0f : mask[mo + t];
            for (int h = 0; h < heads; h++) {
                s[h * count + t] = dot(q, qo + h * d, keys, ko, d) * scale + bias;
            }
        }
        for (int h = 0; h < heads; h++) {
            RowKernels.softmaxInPlace(s, h * count, count); // a fully masked row becomes zeros
        }
        int upper = F.loopBound(d);
        for (int t = 0; t < count; t++) {
            int vo = base[from + t] + add;
            for (int h = 0; h < heads; h++) {
                float p = s[h * count + t];
                if (p == 0f) {
                    continue;
                }
                int o = oo + h * d;
                FloatVector pv = FloatVector.broadcast(F, p);
                int i = 0;
                for (; i < upper; i += F.length()) {
                    FloatVector.fromArray(F, values, vo + i).fma(pv, FloatVector.fromArray(F, out, o + i)).intoArray(out, o + i);
                }
                for (; i < d; i++) {
                    out[o + i] += p * values[vo + i];
                }
            }
        }
    }

    private static float dot(float[] a, int ao, float[] b, int bo, int d) {
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

    private static float[] scores(int n) {
        float[] s = SCORES.get();
        if (s.length < n) {
            s = new float[Math.max(n, s.length * 2)];
            SCORES.set(s);
        }
        return s;
    }
}
