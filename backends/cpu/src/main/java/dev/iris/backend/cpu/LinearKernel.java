package dev.iris.backend.cpu;

import dev.iris.api.tensor.DType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * {@code y[n, m] = x[n, k] · w[m, k]ᵀ + bias[m]}, the op that dominates every model.
 *
 * <p>The weight is walked in blocks of {@value #WB} rows. Each block is widened to F32 once into
 * a per-thread scratch (the only read of those weight bytes from memory), then every row of
 * {@code x} is dotted with it, four x rows at a time: sixteen independent vector accumulators,
 * eight loads for sixteen FMAs. Decode ({@code n} of 1 to 8) therefore streams each weight row
 * exactly once; for prefill and vision towers {@code x} is cut into blocks that stay in the L2
 * cache while all weight blocks pass over them. A single x row against BF16 weights (decode)
 * skips the scratch and widens the bytes straight into the FMAs; F16's longer widening measured
 * faster through the scratch. Threads split the weight rows.
 */
final class LinearKernel {

    /** Weight rows per block (one micro-tile's width). */
    static final int WB = 4;
    /** Rows of x per micro-tile. */
    static final int XB = 4;
    /** Largest decode batch: x is not split below this, whatever k is. */
    private static final int DECODE_ROWS = 8;
    /** F32 values of x kept hot per pass (256 KiB, well inside L2). */
    private static final int X_BLOCK_FLOATS = 64 * 1024;

    private static final VectorSpecies<Float> F = WeightRows.F;
    private static final ThreadLocal<float[]> WEIGHT_SCRATCH = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[XB * WB]);

    private LinearKernel() {
    }

    static void run(CpuThreads pool, float[] x, int xOff, int n, int k, CpuTensor w, float[] bias, int biasOff,
                    float[] y, int yOff, int m) {
        int blocks = (m + WB - 1) / WB;
        // Decode batches (up to DECODE_ROWS) take all of x in one pass, so each weight row is read once.
        int xBlock = n <= DECODE_ROWS ? n : Math.max(XB, Math.min(n, X_BLOCK_FLOATS / Math.max(1, k) / XB * XB));
        int tasks = Math.min(blocks, pool.threads() * 8);
        float[] xPairs = n == 1 && !w.isHeap() && w.dtype == DType.BF16 ? evenOddPairs(x, xOff, k) : null;
        pool.parallelFor(tasks, t -> {
            int b0 = (int) ((long) blocks * t / tasks);
            int b1 = (int) ((long) blocks * (t + 1) / tasks);
            float[] tile = TILE.get();
            if (xPairs != null) {
                for (int b = b0; b < b1; b++) {
                    int j0 = b * WB;
                    int rowsW = Math.min(WB, m - j0);
                    gemv4(x, xOff, xPairs, k, w, j0, rowsW, tile);
                    store(tile, 1, rowsW, bias, biasOff, j0, y, yOff + j0, m);
                }
                return;
            }
            float[] s = scratch(WB * k);
            for (int x0 = 0; x0 < n; x0 += xBlock) {
                int x1 = Math.min(n, x0 + xBlock);
                for (int b = b0; b < b1; b++) {
                    int j0 = b * WB;
                    int rowsW = Math.min(WB, m - j0);
                    loadRows(w, j0, rowsW, k, s);
                    int i = x0;
                    for (; i + XB <= x1; i += XB) {
                        dot4x4(x, xOff + i * k, k, s, tile);
                        store(tile, XB, rowsW, bias, biasOff, j0, y, yOff + i * m + j0, m);
                    }
                    for (; i < x1; i++) {
                        dot1x4(x, xOff + i * k, k, s, tile);
                        store(tile, 1, rowsW, bias, biasOff, j0, y, yOff + i * m + j0, m);
                    }
                }
            }
        });
    }

    private static float[] scratch(int size) {
        float[] s = WEIGHT_SCRATCH.get();
        if (s.length < size) {
            s = new float[size];
            WEIGHT_SCRATCH.set(s);
        }
        return s;
    }

    /** Widens weight rows {@code j0 .. j0+rows} into {@code s} ([WB, k]); missing rows are zero. */
    private static void loadRows(CpuTensor w, int j0, int rows, int k, float[] s) {
        if (w.isHeap()) {
            System.arraycopy(w.data, w.offset + j0 * k, s, 0, rows * k);
        } else {
            WeightRows.widen(w.segment, w.dtype, (long) j0 * k, s, 0, rows * k);
        }
        if (rows < WB) {
            Arrays.fill(s, rows * k, WB * k, 0f);
        }
    }

    /** tile[i*4 + j] = x[i] · s[j] for x rows i < 4 (at xo + i*k) and weight rows j < 4. */
    private static void dot4x4(float[] x, int xo, int k, float[] s, float[] tile) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int upper = F.loopBound(k);
        int kk = 0;
        for (; kk < upper; kk += F.length()) {
            FloatVector w0 = FloatVector.fromArray(F, s, kk);
            FloatVector w1 = FloatVector.fromArray(F, s, k + kk);
            FloatVector w2 = FloatVector.fromArray(F, s, 2 * k + kk);
            FloatVector w3 = FloatVector.fromArray(F, s, 3 * k + kk);
            FloatVector x0 = FloatVector.fromArray(F, x, xo + kk);
            a00 = x0.fma(w0, a00); a01 = x0.fma(w1, a01); a02 = x0.fma(w2, a02); a03 = x0.fma(w3, a03);
            FloatVector x1 = FloatVector.fromArray(F, x, xo + k + kk);
            a10 = x1.fma(w0, a10); a11 = x1.fma(w1, a11); a12 = x1.fma(w2, a12); a13 = x1.fma(w3, a13);
            FloatVector x2 = FloatVector.fromArray(F, x, xo + 2 * k + kk);
            a20 = x2.fma(w0, a20); a21 = x2.fma(w1, a21); a22 = x2.fma(w2, a22); a23 = x2.fma(w3, a23);
            FloatVector x3 = FloatVector.fromArray(F, x, xo + 3 * k + kk);
            a30 = x3.fma(w0, a30); a31 = x3.fma(w1, a31); a32 = x3.fma(w2, a32); a33 = x3.fma(w3, a33);
        }
        tile[0] = a00.reduceLanes(VectorOperators.ADD); tile[1] = a01.reduceLanes(VectorOperators.ADD);
        tile[2] = a02.reduceLanes(VectorOperators.ADD); tile[3] = a03.reduceLanes(VectorOperators.ADD);
        tile[4] = a10.reduceLanes(VectorOperators.ADD); tile[5] = a11.reduceLanes(VectorOperators.ADD);
        tile[6] = a12.reduceLanes(VectorOperators.ADD); tile[7] = a13.reduceLanes(VectorOperators.ADD);
        tile[8] = a20.reduceLanes(VectorOperators.ADD); tile[9] = a21.reduceLanes(VectorOperators.ADD);
        tile[10] = a22.reduceLanes(VectorOperators.ADD); tile[11] = a23.reduceLanes(VectorOperators.ADD);
        tile[12] = a30.reduceLanes(VectorOperators.ADD); tile[13] = a31.reduceLanes(VectorOperators.ADD);
        tile[14] = a32.reduceLanes(VectorOperators.ADD); tile[15] = a33.reduceLanes(VectorOperators.ADD);
        tail(x, xo, XB, k, upper, s, tile);
    }

    /** tile[j] = x · s[j] for one x row and weight rows j < 4. */
    private static void dot1x4(float[] x, int xo, int k, float[] s, float[] tile) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int upper = F.loopBound(k);
        int kk = 0;
        for (; kk < upper; kk += F.length()) {
            FloatVector x0 = FloatVector.fromArray(F, x, xo + kk);
            a0 = x0.fma(FloatVector.fromArray(F, s, kk), a0);
            a1 = x0.fma(FloatVector.fromArray(F, s, k + kk), a1);
            a2 = x0.fma(FloatVector.fromArray(F, s, 2 * k + kk), a2);
            a3 = x0.fma(FloatVector.fromArray(F, s, 3 * k + kk), a3);
        }
        tile[0] = a0.reduceLanes(VectorOperators.ADD);
        tile[1] = a1.reduceLanes(VectorOperators.ADD);
        tile[2] = a2.reduceLanes(VectorOperators.ADD);
        tile[3] = a3.reduceLanes(VectorOperators.ADD);
        tail(x, xo, 1, k, upper, s, tile);
    }

    /** Elements in one BF16 pair-vector: one int lane holds two BF16 values. */
    private static final int PAIR_BLOCK = 2 * F.length();

    /**
     * x rearranged for {@link #gemv4}: in each block of {@link #PAIR_BLOCK} columns, the even
     * columns first, then the odd ones, matching the low and high halves of the weight's int lanes.
     */
    private static float[] evenOddPairs(float[] x, int xo, int k) {
        float[] p = new float[k - k % PAIR_BLOCK];
        int lanes = F.length();
        for (int b = 0; b < p.length; b += PAIR_BLOCK) {
            for (int i = 0; i < lanes; i++) {
                p[b + i] = x[xo + b + 2 * i];
                p[b + lanes + i] = x[xo + b + 2 * i + 1];
            }
        }
        return p;
    }

    /**
     * Decode (one x row): tile[j] = x · w[j0 + j] for four BF16 weight rows read straight from
     * their bytes, each byte once. One int lane holds two BF16 values: shifting the low half up
     * gives the even column, masking the high half gives the odd one, so 32 weights cost one load
     * and two integer ops; {@code xPairs} holds x in the matching even/odd order.
     */
    private static void gemv4(float[] x, int xo, float[] xPairs, int k, CpuTensor w, int j0, int rowsW, float[] tile) {
        // A ragged last block repeats its last row; the extra results are not stored.
        long r0 = (long) j0 * k * 2;
        long r1 = (long) (j0 + Math.min(1, rowsW - 1)) * k * 2;
        long r2 = (long) (j0 + Math.min(2, rowsW - 1)) * k * 2;
        long r3 = (long) (j0 + Math.min(3, rowsW - 1)) * k * 2;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int lanes = F.length();
        int pairs = xPairs.length;
        for (int kk = 0; kk < pairs; kk += PAIR_BLOCK) {
            FloatVector xe = FloatVector.fromArray(F, xPairs, kk);
            FloatVector xd = FloatVector.fromArray(F, xPairs, kk + lanes);
            long off = 2L * kk;
            a0 = fmaPairs(w.segment, r0 + off, xe, xd, a0);
            a1 = fmaPairs(w.segment, r1 + off, xe, xd, a1);
            a2 = fmaPairs(w.segment, r2 + off, xe, xd, a2);
            a3 = fmaPairs(w.segment, r3 + off, xe, xd, a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD);
        float s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD);
        float s3 = a3.reduceLanes(VectorOperators.ADD);
        for (int kk = pairs; kk < k; kk++) {
            float xv = x[xo + kk];
            s0 += xv * WeightRows.loadBf16One(w.segment, r0 / 2 + kk);
            s1 += xv * WeightRows.loadBf16One(w.segment, r1 / 2 + kk);
            s2 += xv * WeightRows.loadBf16One(w.segment, r2 / 2 + kk);
            s3 += xv * WeightRows.loadBf16One(w.segment, r3 / 2 + kk);
        }
        tile[0] = s0;
        tile[1] = s1;
        tile[2] = s2;
        tile[3] = s3;
    }

    /** acc + even(w)·xe + odd(w)·xd for the 2·lanes BF16 values at {@code byteOff}. */
    private static FloatVector fmaPairs(java.lang.foreign.MemorySegment seg, long byteOff, FloatVector xe, FloatVector xd,
                                        FloatVector acc) {
        IntVector pair = IntVector.fromMemorySegment(WeightRows.I, seg, byteOff, java.nio.ByteOrder.LITTLE_ENDIAN);
        FloatVector even = pair.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
        FloatVector odd = pair.and(0xffff0000).reinterpretAsFloats();
        return even.fma(xe, odd.fma(xd, acc));
    }

    /** Adds the products of the last {@code k - from} columns (fewer than one vector) to the tile. */
    private static void tail(float[] x, int xo, int rowsX, int k, int from, float[] s, float[] tile) {
        for (int kk = from; kk < k; kk++) {
            for (int i = 0; i < rowsX; i++) {
                float xv = x[xo + i * k + kk];
                for (int j = 0; j < WB; j++) {
                    tile[i * WB + j] += xv * s[j * k + kk];
                }
            }
        }
    }

    private static void store(float[] tile, int rowsX, int rowsW, float[] bias, int biasOff, int j0,
                              float[] y, int yo, int m) {
        for (int i = 0; i < rowsX; i++) {
            for (int j = 0; j < rowsW; j++) {
                y[yo + i * m + j] = tile[i * WB + j] + (bias == null ? 0f : bias[biasOff + j0 + j]);
            }
        }
    }
}
