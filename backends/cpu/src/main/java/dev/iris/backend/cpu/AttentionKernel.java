package dev.iris.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * A tile of query rows — consecutive rows reading the same key/value rows, the heads of one GQA
 * group — against those rows: {@code out = softmax(q·Kᵀ × scale + mask) · V}. Keys and values are
 * widened from their storage once per tile, in blocks of {@value #KEY_BLOCK}, and reused by every
 * row and head of it: that is what makes a prompt chunk's attention run at the multiply rate
 * rather than at the rate rows are re-read and reduced.
 *
 * <p>One arithmetic for every tile, so a row's result does not depend on which tile it is in (a
 * decode step's single row, a prompt chunk's sixteen, a chunk cut elsewhere): each score is one
 * lane accumulating {@code q[i]·k[i]} by fused multiply-adds in the order of {@code i} (keys are
 * transposed so a vector holds sixteen keys), times the scale, plus the mask; the softmax subtracts
 * the exact row maximum; each output element is one lane accumulating {@code p_t·v_t} in key order
 * (every visible key, a zero weight too). Heads are taken in pairs, and an odd one out is computed
 * as its own partner, in the same lanes.
 */
final class AttentionKernel {

    private static final VectorSpecies<Float> F = WeightRows.F;
    private static final int L = F.length();
    /** Keys widened at a time: K and V of 256 keys × 128 dims are 128 KiB each, within L2. */
    static final int KEY_BLOCK = 256;
    /** About the largest score buffer of one tile (4 MiB); long contexts get tiles of fewer rows. */
    private static final int SCORE_FLOATS = 1 << 20;
    /** Most query rows in one tile. */
    static final int MAX_TILE_ROWS = 16;

    /** Per-thread buffers: a block of keys transposed, a block of values, the tile's scores. */
    private static final class Scratch {
        float[] keys = new float[0];
        float[] values = new float[0];
        float[] scores = new float[0];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private AttentionKernel() {
    }

    /** Rows per tile for rows that see up to {@code keys} keys with {@code heads} query heads per group. */
    static int tileRows(int heads, int keys) {
        return Math.clamp(SCORE_FLOATS / ((long) heads * roundUp(Math.max(keys, 1))), 1, MAX_TILE_ROWS);
    }

    /**
     * @param q        query values: row r's heads at {@code qo + r·qStride}, head h {@code h·d} further
     * @param rowCount rows in the tile
     * @param heads    query heads of the group, all reading one key/value head
     * @param rows     the key and value rows; key t of the tile is row {@code from + t}
     * @param add      where this KV head starts within a row
     * @param visible0 keys row 0 attends to; row r attends to {@code visible0 + r·causal}
     * @param causal   1 when each row sees one key more than the row before it, else 0
     * @param mask     additive mask, row r's value for key t at {@code mask[mo + r·mStride + t]}, or null
     * @param out      outputs, laid out as {@code q} from {@code oo}
     */
    static void attend(float[] q, int qo, int qStride, int rowCount, int heads, int d, KvRows rows, int from, int add,
                       int visible0, int causal, float scale, float[] mask, int mo, int mStride, float[] out, int oo) {
        int keys = visible0 + (rowCount - 1) * causal;
        int ld = roundUp(Math.max(keys, 1));
        Scratch sc = scratch(d, rowCount * heads * ld);
        float[] s = sc.scores; // s[(r·heads + h)·ld + t]
        for (int kb = 0; kb < keys; kb += KEY_BLOCK) {
            int nk = Math.min(KEY_BLOCK, keys - kb);
            rows.keysTransposed(from + kb, nk, add, d, sc.keys, KEY_BLOCK);
            for (int r = 0; r < rowCount; r++) {
                int end = Math.min(nk, visible0 + r * causal - kb);
                for (int h = 0; h < heads && end > 0; h += 2) {
                    int h2 = Math.min(h + 1, heads - 1);
                    scores(q, qo + r * qStride + h * d, qo + r * qStride + h2 * d, d, sc.keys, end, scale, mask,
                            mo + r * mStride + kb, s, (r * heads + h) * ld + kb, (r * heads + h2) * ld + kb);
                }
            }
        }
        for (int r = 0; r < rowCount; r++) {
            for (int h = 0; h < heads; h++) {
                int o = oo + r * qStride + h * d;
                Arrays.fill(out, o, o + d, 0f);
                RowKernels.softmaxInPlace(s, (r * heads + h) * ld, visible0 + r * causal); // fully masked: zeros
            }
        }
        for (int kb = 0; kb < keys; kb += KEY_BLOCK) {
            int nk = Math.min(KEY_BLOCK, keys - kb);
            rows.values(from + kb, nk, add, d, sc.values);
            for (int r = 0; r < rowCount; r++) {
                int end = Math.min(nk, visible0 + r * causal - kb);
                for (int h = 0; h < heads && end > 0; h += 2) {
                    int h2 = Math.min(h + 1, heads - 1);
                    weightedSum(s, (r * heads + h) * ld + kb, (r * heads + h2) * ld + kb, end, sc.values, d, out,
                            oo + r * qStride + h * d, oo + r * qStride + h2 * d);
                }
            }
        }
    }

    /**
     * {@code s[so + t] = (q · key t) × scale + mask[mo + t]} for keys {@code t < count} of a block
     * transposed in {@code kt} ({@code [d][KEY_BLOCK]}), for two heads of one row at once (A and B;
     * the same head twice when it has no partner) so each load of keys feeds two multiply-adds.
     * Lanes past {@code count} are written with values nobody reads (s is padded to whole vectors).
     */
    private static void scores(float[] q, int qa, int qb, int d, float[] kt, int count, float scale, float[] mask,
                               int mo, float[] s, int sa, int sb) {
        int padded = roundUp(count);
        int t = 0;
        for (; t + 2 * L <= padded; t += 2 * L) { // 2 heads × 2 vectors of keys: four independent chains
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            FloatVector b0 = FloatVector.zero(F);
            FloatVector b1 = FloatVector.zero(F);
            for (int i = 0; i < d; i++) { // kt row i: element i of 2L keys
                FloatVector k0 = FloatVector.fromArray(F, kt, i * KEY_BLOCK + t);
                FloatVector k1 = FloatVector.fromArray(F, kt, i * KEY_BLOCK + t + L);
                FloatVector qai = FloatVector.broadcast(F, q[qa + i]);
                FloatVector qbi = FloatVector.broadcast(F, q[qb + i]);
                a0 = k0.fma(qai, a0);
                a1 = k1.fma(qai, a1);
                b0 = k0.fma(qbi, b0);
                b1 = k1.fma(qbi, b1);
            }
            finish(a0, scale, mask, mo, t, count, s, sa);
            finish(a1, scale, mask, mo, t + L, count, s, sa);
            finish(b0, scale, mask, mo, t, count, s, sb);
            finish(b1, scale, mask, mo, t + L, count, s, sb);
        }
        if (t < padded) {
            FloatVector a = FloatVector.zero(F);
            FloatVector b = FloatVector.zero(F);
            for (int i = 0; i < d; i++) {
                FloatVector k = FloatVector.fromArray(F, kt, i * KEY_BLOCK + t);
                a = k.fma(FloatVector.broadcast(F, q[qa + i]), a);
                b = k.fma(FloatVector.broadcast(F, q[qb + i]), b);
            }
            finish(a, scale, mask, mo, t, count, s, sa);
            finish(b, scale, mask, mo, t, count, s, sb);
        }
    }

    private static void finish(FloatVector acc, float scale, float[] mask, int mo, int t, int count, float[] s, int so) {
        FloatVector v = acc.mul(scale);
        if (mask != null) {
            v = v.add(FloatVector.fromArray(F, mask, mo + t, F.indexInRange(t, count)));
        }
        v.intoArray(s, so + t);
    }

    /**
     * {@code out[o + i] += Σ_t p[po + t] · values[t·d + i]} over keys {@code t < count} in order,
     * for two heads of one row at once (A and B, as in {@link #scores}), two vectors of each
     * output in registers.
     */
    private static void weightedSum(float[] p, int pa, int pb, int count, float[] values, int d, float[] out, int oa,
                                    int ob) {
        int i = 0;
        for (; i + 2 * L <= d; i += 2 * L) {
            FloatVector a0 = FloatVector.fromArray(F, out, oa + i);
            FloatVector a1 = FloatVector.fromArray(F, out, oa + i + L);
            FloatVector b0 = FloatVector.fromArray(F, out, ob + i);
            FloatVector b1 = FloatVector.fromArray(F, out, ob + i + L);
            for (int t = 0; t < count; t++) {
                FloatVector v0 = FloatVector.fromArray(F, values, t * d + i);
                FloatVector v1 = FloatVector.fromArray(F, values, t * d + i + L);
                FloatVector pat = FloatVector.broadcast(F, p[pa + t]);
                FloatVector pbt = FloatVector.broadcast(F, p[pb + t]);
                a0 = v0.fma(pat, a0);
                a1 = v1.fma(pat, a1);
                b0 = v0.fma(pbt, b0);
                b1 = v1.fma(pbt, b1);
            }
            a0.intoArray(out, oa + i);
            a1.intoArray(out, oa + i + L);
            b0.intoArray(out, ob + i);
            b1.intoArray(out, ob + i + L);
        }
        for (; i + L <= d; i += L) {
            FloatVector a = FloatVector.fromArray(F, out, oa + i);
            FloatVector b = FloatVector.fromArray(F, out, ob + i);
            for (int t = 0; t < count; t++) {
                FloatVector v = FloatVector.fromArray(F, values, t * d + i);
                a = v.fma(FloatVector.broadcast(F, p[pa + t]), a);
                b = v.fma(FloatVector.broadcast(F, p[pb + t]), b);
            }
            a.intoArray(out, oa + i);
            b.intoArray(out, ob + i);
        }
        for (; i < d; i++) { // Math.fma rounds as a vector lane's fma does
            float a = out[oa + i];
            float b = out[ob + i];
            for (int t = 0; t < count; t++) {
                a = Math.fma(p[pa + t], values[t * d + i], a);
                b = Math.fma(p[pb + t], values[t * d + i], b);
            }
            out[oa + i] = a;
            out[ob + i] = b;
        }
    }

    private static int roundUp(int n) {
        return (n + L - 1) / L * L;
    }

    private static Scratch scratch(int d, int scoreFloats) {
        Scratch sc = SCRATCH.get();
        if (sc.keys.length < d * KEY_BLOCK) {
            sc.keys = new float[d * KEY_BLOCK];
            sc.values = new float[d * KEY_BLOCK];
        }
        if (sc.scores.length < scoreFloats) {
            sc.scores = new float[Math.max(scoreFloats, sc.scores.length * 2)];
        }
        return sc;
    }
}
