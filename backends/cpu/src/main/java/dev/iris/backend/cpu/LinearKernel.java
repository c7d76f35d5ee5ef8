package dev.iris.backend.cpu;

import dev.iris.api.tensor.DType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * {@code y[n, m] = x[n, k] · w[m, k]ᵀ + bias[m]}, the op that dominates every model.
 *
 * <p>The weight is walked in blocks of {@value #WB} rows; every row of {@code x} is dotted with
 * a block four x rows at a time: sixteen independent vector accumulators, eight loads for
 * sixteen FMAs. BF16 weights in memory are read straight into the FMAs of the first x rows of a
 * pass (or of the single row while decoding), so the weight reads overlap arithmetic; the block
 * is then widened again, from the cache, into a per-thread scratch for the other x rows. BF16
 * sums in {@link PairLayout} order (x is permuted to match once per call), F16 and F32 in
 * natural order; within a dtype every path sums a row's products in the same order, so results
 * do not depend on the batch. Decode batches ({@code n} up to 8) stream each weight row once;
 * larger {@code x} is cut into blocks that stay in the L2 cache. Threads split the weight rows.
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
    /** Per thread: a tile's 4×4 results, then its accumulators' lanes for the reduction. */
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[XB * WB * (1 + F.length())]);
    /** Where the accumulators' lanes go in the tile array. */
    private static final int LANES_AT = XB * WB;

    private LinearKernel() {
    }

    static void run(CpuThreads pool, float[] x, int xOff, int n, int k, CpuTensor w, float[] bias, int biasOff,
                    float[] y, int yOff, int m) {
        int blocks = (m + WB - 1) / WB;
        // Decode batches (up to DECODE_ROWS) take all of x in one pass, so each weight row is read once.
        int xBlock = n <= DECODE_ROWS ? n : Math.max(XB, Math.min(n, X_BLOCK_FLOATS / Math.max(1, k) / XB * XB));
        boolean pairs = !w.isHeap() && w.dtype == DType.BF16;
        float[] xs = pairs ? PairLayout.permute(x, xOff, n, k) : x;
        int xo = pairs ? 0 : xOff;
        int kv = pairs ? PairLayout.vectorColumns(k) : F.loopBound(k);
        int tasks = Math.min(blocks, pool.threads() * 8);
        pool.parallelFor(tasks, t -> {
            int b0 = (int) ((long) blocks * t / tasks);
            int b1 = (int) ((long) blocks * (t + 1) / tasks);
            float[] tile = TILE.get();
            if (n == 1 && pairs) {
                for (int b = b0; b < b1; b++) {
                    int j0 = b * WB;
                    int rowsW = Math.min(WB, m - j0);
                    gemv4(xs, xo, k, kv, w, j0, rowsW, tile);
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
                    int i = x0;
                    if (pairs && x1 - i >= XB) {
                        dot4x4Bf16(xs, xo + i * k, k, kv, w, j0, rowsW, tile);
                        store(tile, XB, rowsW, bias, biasOff, j0, y, yOff + i * m + j0, m);
                        i += XB;
                    }
                    if (i < x1) {
                        loadRows(w, j0, rowsW, k, s, pairs);
                    }
                    for (; i + XB <= x1; i += XB) {
                        dot4x4(xs, xo + i * k, k, kv, s, tile);
                        store(tile, XB, rowsW, bias, biasOff, j0, y, yOff + i * m + j0, m);
                    }
                    for (; i < x1; i++) {
                        dot1x4(xs, xo + i * k, k, kv, s, tile);
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

    /**
     * Widens weight rows {@code j0 .. j0+rows} into {@code s} ([WB, k]), BF16 in pair order;
     * missing rows are zero.
     */
    private static void loadRows(CpuTensor w, int j0, int rows, int k, float[] s, boolean pairs) {
        if (w.isHeap()) {
            System.arraycopy(w.data, w.offset + j0 * k, s, 0, rows * k);
        } else if (pairs) {
            for (int r = 0; r < rows; r++) {
                WeightRows.widenBf16Pairs(w.segment, (long) (j0 + r) * k, s, r * k, k);
            }
        } else {
            WeightRows.widen(w.segment, w.dtype, (long) j0 * k, s, 0, rows * k);
        }
        if (rows < WB) {
            Arrays.fill(s, rows * k, WB * k, 0f);
        }
    }

    /** tile[i*4 + j] = x[i] · s[j] for x rows i < 4 (at xo + i*k) and weight rows j < 4. */
    private static void dot4x4(float[] x, int xo, int k, int kv, float[] s, float[] tile) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int kk = 0;
        for (; kk < kv; kk += F.length()) {
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
        int l = F.length();
        int r = LANES_AT;
        a00.intoArray(tile, r); a01.intoArray(tile, r + l); a02.intoArray(tile, r + 2 * l); a03.intoArray(tile, r + 3 * l);
        a10.intoArray(tile, r + 4 * l); a11.intoArray(tile, r + 5 * l);
        a12.intoArray(tile, r + 6 * l); a13.intoArray(tile, r + 7 * l);
        a20.intoArray(tile, r + 8 * l); a21.intoArray(tile, r + 9 * l);
        a22.intoArray(tile, r + 10 * l); a23.intoArray(tile, r + 11 * l);
        a30.intoArray(tile, r + 12 * l); a31.intoArray(tile, r + 13 * l);
        a32.intoArray(tile, r + 14 * l); a33.intoArray(tile, r + 15 * l);
        Lanes.sumStored(tile, r, XB * WB);
        tail(x, xo, XB, k, kv, s, tile);
    }

    /** tile[j] = x · s[j] for one x row and weight rows j < 4. */
    private static void dot1x4(float[] x, int xo, int k, int kv, float[] s, float[] tile) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int kk = 0; kk < kv; kk += F.length()) {
            FloatVector x0 = FloatVector.fromArray(F, x, xo + kk);
            a0 = x0.fma(FloatVector.fromArray(F, s, kk), a0);
            a1 = x0.fma(FloatVector.fromArray(F, s, k + kk), a1);
            a2 = x0.fma(FloatVector.fromArray(F, s, 2 * k + kk), a2);
            a3 = x0.fma(FloatVector.fromArray(F, s, 3 * k + kk), a3);
        }
        int l = F.length();
        int r = LANES_AT;
        a0.intoArray(tile, r);
        a1.intoArray(tile, r + l);
        a2.intoArray(tile, r + 2 * l);
        a3.intoArray(tile, r + 3 * l);
        Lanes.sumStored(tile, r, WB);
        tail(x, xo, 1, k, kv, s, tile);
    }

    /**
     * {@link #dot4x4} with the four BF16 weight rows read straight from memory in pair order:
     * per run of 2·L columns the even halves, then the odd halves, as {@link #dot4x4} meets them in
     * the scratch. {@code x} is in pair order.
     */
    private static void dot4x4Bf16(float[] x, int xo, int k, int kv, CpuTensor w, int j0, int rowsW, float[] tile) {
        // A ragged last block repeats its last row; the extra results are not stored.
        long r0 = (long) j0 * k;
        long r1 = (long) (j0 + Math.min(1, rowsW - 1)) * k;
        long r2 = (long) (j0 + Math.min(2, rowsW - 1)) * k;
        long r3 = (long) (j0 + Math.min(3, rowsW - 1)) * k;
        int lanes = F.length();
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        for (int c = 0; c < kv; c += 2 * lanes) {
            IntVector p0 = WeightRows.loadBf16Pairs(w.segment, r0 + c);
            IntVector p1 = WeightRows.loadBf16Pairs(w.segment, r1 + c);
            IntVector p2 = WeightRows.loadBf16Pairs(w.segment, r2 + c);
            IntVector p3 = WeightRows.loadBf16Pairs(w.segment, r3 + c);
            // Even columns of the run, then odd columns: the order dot4x4 meets them in the scratch.
            FloatVector w0 = WeightRows.evens(p0);
            FloatVector w1 = WeightRows.evens(p1);
            FloatVector w2 = WeightRows.evens(p2);
            FloatVector w3 = WeightRows.evens(p3);
            FloatVector x0 = FloatVector.fromArray(F, x, xo + c);
            a00 = x0.fma(w0, a00); a01 = x0.fma(w1, a01); a02 = x0.fma(w2, a02); a03 = x0.fma(w3, a03);
            FloatVector x1 = FloatVector.fromArray(F, x, xo + k + c);
            a10 = x1.fma(w0, a10); a11 = x1.fma(w1, a11); a12 = x1.fma(w2, a12); a13 = x1.fma(w3, a13);
            FloatVector x2 = FloatVector.fromArray(F, x, xo + 2 * k + c);
            a20 = x2.fma(w0, a20); a21 = x2.fma(w1, a21); a22 = x2.fma(w2, a22); a23 = x2.fma(w3, a23);
            FloatVector x3 = FloatVector.fromArray(F, x, xo + 3 * k + c);
            a30 = x3.fma(w0, a30); a31 = x3.fma(w1, a31); a32 = x3.fma(w2, a32); a33 = x3.fma(w3, a33);
            w0 = WeightRows.odds(p0);
            w1 = WeightRows.odds(p1);
            w2 = WeightRows.odds(p2);
            w3 = WeightRows.odds(p3);
            int co = c + lanes;
            x0 = FloatVector.fromArray(F, x, xo + co);
            a00 = x0.fma(w0, a00); a01 = x0.fma(w1, a01); a02 = x0.fma(w2, a02); a03 = x0.fma(w3, a03);
            x1 = FloatVector.fromArray(F, x, xo + k + co);
            a10 = x1.fma(w0, a10); a11 = x1.fma(w1, a11); a12 = x1.fma(w2, a12); a13 = x1.fma(w3, a13);
            x2 = FloatVector.fromArray(F, x, xo + 2 * k + co);
            a20 = x2.fma(w0, a20); a21 = x2.fma(w1, a21); a22 = x2.fma(w2, a22); a23 = x2.fma(w3, a23);
            x3 = FloatVector.fromArray(F, x, xo + 3 * k + co);
            a30 = x3.fma(w0, a30); a31 = x3.fma(w1, a31); a32 = x3.fma(w2, a32); a33 = x3.fma(w3, a33);
        }
        int l = F.length();
        int r = LANES_AT;
        a00.intoArray(tile, r); a01.intoArray(tile, r + l); a02.intoArray(tile, r + 2 * l); a03.intoArray(tile, r + 3 * l);
        a10.intoArray(tile, r + 4 * l); a11.intoArray(tile, r + 5 * l);
        a12.intoArray(tile, r + 6 * l); a13.intoArray(tile, r + 7 * l);
        a20.intoArray(tile, r + 8 * l); a21.intoArray(tile, r + 9 * l);
        a22.intoArray(tile, r + 10 * l); a23.intoArray(tile, r + 11 * l);
        a30.intoArray(tile, r + 12 * l); a31.intoArray(tile, r + 13 * l);
        a32.intoArray(tile, r + 14 * l); a33.intoArray(tile, r + 15 * l);
        Lanes.sumStored(tile, r, XB * WB);
        for (int kk = kv; kk < k; kk++) {
            float v0 = WeightRows.loadBf16One(w.segment, r0 + kk);
            float v1 = WeightRows.loadBf16One(w.segment, r1 + kk);
            float v2 = WeightRows.loadBf16One(w.segment, r2 + kk);
            float v3 = WeightRows.loadBf16One(w.segment, r3 + kk);
            for (int i = 0; i < XB; i++) {
                float xv = x[xo + i * k + kk];
                tile[i * WB] += xv * v0;
                tile[i * WB + 1] += xv * v1;
                tile[i * WB + 2] += xv * v2;
                tile[i * WB + 3] += xv * v3;
            }
        }
    }

    /**
     * Decode (one x row, in pair order): tile[j] = x · w[j0 + j] for four BF16 weight rows read
     * straight from their bytes, each byte once, summed in the order of {@link #dot4x4Bf16}.
     */
    private static void gemv4(float[] x, int xo, int k, int kv, CpuTensor w, int j0, int rowsW, float[] tile) {
        long r0 = (long) j0 * k;
        long r1 = (long) (j0 + Math.min(1, rowsW - 1)) * k;
        long r2 = (long) (j0 + Math.min(2, rowsW - 1)) * k;
        long r3 = (long) (j0 + Math.min(3, rowsW - 1)) * k;
        int lanes = F.length();
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int c = 0; c < kv; c += 2 * lanes) {
            IntVector p0 = WeightRows.loadBf16Pairs(w.segment, r0 + c);
            IntVector p1 = WeightRows.loadBf16Pairs(w.segment, r1 + c);
            IntVector p2 = WeightRows.loadBf16Pairs(w.segment, r2 + c);
            IntVector p3 = WeightRows.loadBf16Pairs(w.segment, r3 + c);
            FloatVector xe = FloatVector.fromArray(F, x, xo + c);
            a0 = xe.fma(WeightRows.evens(p0), a0);
            a1 = xe.fma(WeightRows.evens(p1), a1);
            a2 = xe.fma(WeightRows.evens(p2), a2);
            a3 = xe.fma(WeightRows.evens(p3), a3);
            FloatVector xodd = FloatVector.fromArray(F, x, xo + c + lanes);
            a0 = xodd.fma(WeightRows.odds(p0), a0);
            a1 = xodd.fma(WeightRows.odds(p1), a1);
            a2 = xodd.fma(WeightRows.odds(p2), a2);
            a3 = xodd.fma(WeightRows.odds(p3), a3);
        }
        int l = F.length();
        int r = LANES_AT;
        a0.intoArray(tile, r);
        a1.intoArray(tile, r + l);
        a2.intoArray(tile, r + 2 * l);
        a3.intoArray(tile, r + 3 * l);
        Lanes.sumStored(tile, r, WB);
        for (int kk = kv; kk < k; kk++) {
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
