package dev.iris.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * One query row of one head against a list of key/value rows:
 * {@code out = softmax(q·Kᵀ × scale + mask) · V}. Scores are computed first, then the exact
 * row maximum is subtracted before exponentiating (stable for any length), and the weighted sum
 * of V accumulates in F32.
 */
final class AttentionKernel {

    private static final VectorSpecies<Float> F = WeightRows.F;
    private static final ThreadLocal<float[]> SCORES = ThreadLocal.withInitial(() -> new float[0]);

    private AttentionKernel() {
    }

    /**
     * @param q        query values; the row starts at {@code qo}, {@code d} long
     * @param keys     key storage; row {@code t} starts at {@code base[from + t] + add}
     * @param values   value storage, same offsets
     * @param count    key rows to attend to
     * @param mask     additive mask values for the rows ({@code mask[mo + t]}), or null
     * @param out      where the {@code d} outputs go, at {@code oo}
     */
    static void attend(float[] q, int qo, int d, float[] keys, float[] values, int[] base, int from, int add, int count,
                       float scale, float[] mask, int mo, float[] out, int oo) {
        Arrays.fill(out, oo, oo + d, 0f);
        if (count == 0) {
            return;
        }
        float[] s = scores(count);
        float max = Float.NEGATIVE_INFINITY;
        for (int t = 0; t < count; t++) {
            float v = dot(q, qo, keys, base[from + t] + add, d) * scale + (mask == null ? 0f : mask[mo + t]);
            s[t] = v;
            max = Math.max(max, v);
        }
        if (max == Float.NEGATIVE_INFINITY) {
            return; // every row masked out
        }
        float sum = 0f;
        for (int t = 0; t < count; t++) {
            float e = (float) Math.exp(s[t] - max);
            s[t] = e;
            sum += e;
        }
        float inv = 1f / sum;
        int upper = F.loopBound(d);
        for (int t = 0; t < count; t++) {
            float p = s[t] * inv;
            if (p == 0f) {
                continue;
            }
            int vo = base[from + t] + add;
            int i = 0;
            for (; i < upper; i += F.length()) {
                FloatVector.fromArray(F, values, vo + i).fma(FloatVector.broadcast(F, p), FloatVector.fromArray(F, out, oo + i))
                        .intoArray(out, oo + i);
            }
            for (; i < d; i++) {
                out[oo + i] += p * values[vo + i];
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
        float sum = acc.reduceLanes(VectorOperators.ADD);
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
