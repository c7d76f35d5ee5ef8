package dev.iris.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;

/**
 * Bidirectional attention within large blocks (a vision tower's image) as two GEMMs per head:
 * {@code S = scale · Q·Kᵀ} and {@code O = softmax(S)·V}, through OpenBLAS's single-threaded
 * {@code sgemm}, one task of the shared pool per block and key/value head. The row-at-a-time
 * kernel reads every key row again for every query row; here each K and V tile is reused across
 * all queries, which is what makes a 1,500-patch image fast.
 *
 * <p>Queries go in chunks so the score matrix stays near {@value #SCORE_FLOATS} floats per task
 * whatever the block's length. A block's result depends on that block alone.
 */
final class BlasAttention {

    private static final VectorSpecies<Float> F = WeightRows.F;
    /** Blocks from this many rows on take this path; smaller ones cost more to gather than they save. */
    static final int MIN_ROWS = 64;
    /** About the size of one task's score matrix (16 MiB). */
    private static final int SCORE_FLOATS = 1 << 22;

    /** Per-thread native buffers: a head's K and V, a chunk of Q, its scores and its output. */
    private static final class Buffers {
        FloatPointer k = new FloatPointer(0L);
        FloatPointer v = new FloatPointer(0L);
        FloatPointer q = new FloatPointer(0L);
        FloatPointer s = new FloatPointer(0L);
        FloatPointer o = new FloatPointer(0L);
        float[] heapKv = new float[0];
        float[] heapQ = new float[0];
        float[] heapS = new float[0];
        float[] heapO = new float[0];

        void ensure(int kvFloats, int qFloats, int sFloats) {
            if (heapKv.length < kvFloats) {
                heapKv = new float[kvFloats];
                k.close();
                v.close();
                k = new FloatPointer(kvFloats);
                v = new FloatPointer(kvFloats);
            }
            if (heapQ.length < qFloats) {
                heapQ = new float[qFloats];
                heapO = new float[qFloats];
                q.close();
                o.close();
                q = new FloatPointer(qFloats);
                o = new FloatPointer(qFloats);
            }
            if (heapS.length < sFloats) {
                heapS = new float[sFloats];
                s.close();
                s = new FloatPointer(sFloats);
            }
        }
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    private BlasAttention() {
    }

    /**
     * One block, one key/value head: the {@code group} query heads that read it, for every row of
     * the block.
     *
     * @param q      queries {@code [rows, heads, d]} from {@code qo}
     * @param k      keys {@code [rows, kvHeads, d]}, contiguous from 0
     * @param v      values, as {@code k}
     * @param start  the block's first row
     * @param n      the block's rows
     * @param mask   additive {@code [rows, rows]} scores over all rows of the call (from {@code mo}), or null
     * @param out    output, as {@code q} (from 0)
     */
    static void attend(float[] q, int qo, int heads, int kvHeads, int d, float[] k, float[] v, int start, int n,
                       int kvHead, float scale, float[] mask, int mo, int maskStride, float[] out) {
        int group = heads / kvHeads;
        int chunk = Math.max(16, Math.min(n, SCORE_FLOATS / n));
        Buffers b = BUFFERS.get();
        b.ensure(n * d, chunk * d, chunk * n);
        gather(k, kvHead * d, kvHeads * d, start, n, d, b.heapKv);
        b.k.position(0).put(b.heapKv, 0, n * d);
        gather(v, kvHead * d, kvHeads * d, start, n, d, b.heapKv);
        b.v.position(0).put(b.heapKv, 0, n * d);
        for (int h = kvHead * group; h < (kvHead + 1) * group; h++) {
            for (int c0 = 0; c0 < n; c0 += chunk) {
                int rows = Math.min(chunk, n - c0);
                gather(q, qo + h * d, heads * d, start + c0, rows, d, b.heapQ);
                b.q.position(0).put(b.heapQ, 0, rows * d);
                // S[rows, n] = scale · Q[rows, d] · K[n, d]ᵀ
                openblas.cblas_sgemm(openblas.CblasRowMajor, openblas.CblasNoTrans, openblas.CblasTrans, rows, n, d,
                        scale, b.q, d, b.k, d, 0f, b.s, n);
                b.s.position(0).get(b.heapS, 0, rows * n);
                for (int r = 0; r < rows; r++) {
                    if (mask != null) {
                        addRow(mask, mo + (start + c0 + r) * maskStride + start, b.heapS, r * n, n);
                    }
                    softmax(b.heapS, r * n, n);
                }
                b.s.position(0).put(b.heapS, 0, rows * n);
                // O[rows, d] = P[rows, n] · V[n, d]
                openblas.cblas_sgemm(openblas.CblasRowMajor, openblas.CblasNoTrans, openblas.CblasNoTrans, rows, d, n,
                        1f, b.s, n, b.v, d, 0f, b.o, d);
                b.o.position(0).get(b.heapO, 0, rows * d);
                for (int r = 0; r < rows; r++) {
                    System.arraycopy(b.heapO, r * d, out, ((start + c0 + r) * heads + h) * d, d);
                }
            }
        }
    }

    /** Rows {@code [start, start + n)} of one head ({@code d} values at {@code offset} in rows of {@code stride}) packed. */
    private static void gather(float[] x, int offset, int stride, int start, int n, int d, float[] into) {
        for (int r = 0; r < n; r++) {
            System.arraycopy(x, offset + (start + r) * stride, into, r * d, d);
        }
    }

    /** {@code s[so..so+n) += m[mo..mo+n)}. */
    private static void addRow(float[] m, int mo, float[] s, int so, int n) {
        int upper = F.loopBound(n);
        int i = 0;
        for (; i < upper; i += F.length()) {
            FloatVector.fromArray(F, s, so + i).add(FloatVector.fromArray(F, m, mo + i)).intoArray(s, so + i);
        }
        for (; i < n; i++) {
            s[so + i] += m[mo + i];
        }
    }

    /** Softmax of one score row of {@code n} in place, with the lane-wise exp; a row of −∞ becomes zeros. */
    private static void softmax(float[] s, int so, int n) {
        int upper = F.loopBound(n);
        FloatVector mv = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i < upper; i += F.length()) {
            mv = mv.max(FloatVector.fromArray(F, s, so + i));
        }
        float max = mv.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            max = Math.max(max, s[so + i]);
        }
        if (max == Float.NEGATIVE_INFINITY) {
            java.util.Arrays.fill(s, so, so + n, 0f);
            return;
        }
        FloatVector acc = FloatVector.zero(F);
        i = 0;
        for (; i < upper; i += F.length()) {
            FloatVector e = ElementwiseKernels.exp(FloatVector.fromArray(F, s, so + i).sub(max));
            e.intoArray(s, so + i);
            acc = acc.add(e);
        }
        float sum = Lanes.sum(acc);
        for (; i < n; i++) {
            s[so + i] = ElementwiseKernels.exp(s[so + i] - max);
            sum += s[so + i];
        }
        float inv = 1f / sum;
        i = 0;
        for (; i < upper; i += F.length()) {
            FloatVector.fromArray(F, s, so + i).mul(inv).intoArray(s, so + i);
        }
        for (; i < n; i++) {
            s[so + i] *= inv;
        }
    }
}
