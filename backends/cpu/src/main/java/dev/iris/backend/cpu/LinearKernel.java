package dev.iris.backend.cpu;

import dev.iris.api.tensor.DType;
import jdk.incubator.vector.FloatVector;
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
 * faster through the scratch. Every path sums a row's products in the same order, so results do
 * not depend on the batch. Threads split the weight rows.
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
        pool.parallelFor(tasks, t -> {
            int b0 = (int) ((long) blocks * t / tasks);
            int b1 = (int) ((long) blocks * (t + 1) / tasks);
            float[] tile = TILE.get();
            if (n == 1 && !w.isHeap() && w.dtype == DType.BF16) {
                for (int b = b0; b < b1; b++) {
                    int j0 = b * WB;
                    int rowsW = Math.min(WB, m - j0);
                    gemv4(x, xOff, k, w, j0, rowsW, tile);
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
        tile[0] = Lanes.sum(a00); tile[1] = Lanes.sum(a01);
        tile[2] = Lanes.sum(a02); tile[3] = Lanes.sum(a03);
        tile[4] = Lanes.sum(a10); tile[5] = Lanes.sum(a11);
        tile[6] = Lanes.sum(a12); tile[7] = Lanes.sum(a13);
        tile[8] = Lanes.sum(a20); tile[9] = Lanes.sum(a21);
        tile[10] = Lanes.sum(a22); tile[11] = Lanes.sum(a23);
        tile[12] = Lanes.sum(a30); tile[13] = Lanes.sum(a31);
        tile[14] = Lanes.sum(a32); tile[15] = Lanes.sum(a33);
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
        tile[0] = Lanes.sum(a0);
        tile[1] = Lanes.sum(a1);
        tile[2] = Lanes.sum(a2);
        tile[3] = Lanes.sum(a3);
        tail(x, xo, 1, k, upper, s, tile);
    }

    /**
     * Decode (one x row): tile[j] = x · w[j0 + j] for four BF16 weight rows read straight from
     * their bytes, each byte once. The products are summed lane by lane in column order, then
     * the lanes, exactly as {@link #dot1x4} and {@link #dot4x4} do, so a row's result does not
     * depend on how many rows the batch has (greedy output must not change with batching).
     */
    private static void gemv4(float[] x, int xo, int k, CpuTensor w, int j0, int rowsW, float[] tile) {
        // A ragged last block repeats its last row; the extra results are not stored.
        long r0 = (long) j0 * k;
        long r1 = (long) (j0 + Math.min(1, rowsW - 1)) * k;
        long r2 = (long) (j0 + Math.min(2, rowsW - 1)) * k;
        long r3 = (long) (j0 + Math.min(3, rowsW - 1)) * k;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int upper = F.loopBound(k);
        int kk = 0;
        for (; kk < upper; kk += F.length()) {
            FloatVector xv = FloatVector.fromArray(F, x, xo + kk);
            a0 = xv.fma(WeightRows.loadBf16(w.segment, r0 + kk), a0);
            a1 = xv.fma(WeightRows.loadBf16(w.segment, r1 + kk), a1);
            a2 = xv.fma(WeightRows.loadBf16(w.segment, r2 + kk), a2);
            a3 = xv.fma(WeightRows.loadBf16(w.segment, r3 + kk), a3);
        }
        tile[0] = Lanes.sum(a0);
        tile[1] = Lanes.sum(a1);
        tile[2] = Lanes.sum(a2);
        tile[3] = Lanes.sum(a3);
        for (; kk < k; kk++) {
            float xv = x[xo + kk];
            tile[0] += xv * WeightRows.loadBf16One(w.segment, r0 + kk);
            tile[1] += xv * WeightRows.loadBf16One(w.segment, r1 + kk);
            tile[2] += xv * WeightRows.loadBf16One(w.segment, r2 + kk);
            tile[3] += xv * WeightRows.loadBf16One(w.segment, r3 + kk);
        }
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
