package dev.iris.backend.cpu;

import java.util.Arrays;

/**
 * One query row of the heads of one GQA group against a list of key/value rows:
 * {@code out = softmax(q·Kᵀ × scale + mask) · V}. Scores are computed first, then the exact
 * row maximum is subtracted before exponentiating (stable for any length), and the weighted sum
 * of V accumulates in F32. Each key and value row is read, and widened from BF16, once for the
 * whole group.
 */
final class AttentionKernel {

    private static final ThreadLocal<float[]> SCORES = ThreadLocal.withInitial(() -> new float[0]);
    /** One key or value row widened to F32, once for all the heads of the group. */
    private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[0]);

    private AttentionKernel() {
    }

    /**
     * @param q     query values: {@code heads} rows of {@code d} from {@code qo}, all reading the
     *              same key/value head (a GQA group), so each key row is loaded once for all
     * @param rows  the key and value rows; rows {@code from .. from+count} are attended to
     * @param add   where this KV head starts within a row
     * @param mask  additive mask values for the rows ({@code mask[mo + t]}), or null
     * @param out   where the {@code heads × d} outputs go, at {@code oo}
     */
    static void attend(float[] q, int qo, int heads, int d, KvRows rows, int from, int add, int count, float scale,
                       float[] mask, int mo, float[] out, int oo) {
        Arrays.fill(out, oo, oo + heads * d, 0f);
        if (count == 0) {
            return;
        }
        float[] s = scores(heads * count); // s[h * count + t]
        float[] row = ROW.get();
        if (row.length < d) {
            row = new float[d];
            ROW.set(row);
        }
        for (int t = 0; t < count; t++) {
            rows.scoreKey(from + t, add, q, qo, heads, d, scale, mask == null ? 0f : mask[mo + t], s, t, count, row);
        }
        for (int h = 0; h < heads; h++) {
            RowKernels.softmaxInPlace(s, h * count, count); // a fully masked row becomes zeros
        }
        for (int t = 0; t < count; t++) {
            rows.addValue(from + t, add, s, t, count, heads, out, oo, d, row);
        }
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
