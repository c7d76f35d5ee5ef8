package dev.iris.backend.cpu;

/**
 * The column order BF16 linears sum in: per run of 2·L columns (L = float lanes) the L even
 * columns, then the L odd ones; the columns past the last whole run in natural order. BF16
 * pairs widen into that order without crossing lanes ({@link WeightRows#loadBf16Pairs}), so a
 * kernel can read the weight bytes straight into its FMAs; x is put in the same order once per
 * call, and every path (one row, tiles, scratch) then sums a row's products in the same order,
 * so a row's result does not depend on the batch.
 */
final class PairLayout {

    private static final int L = WeightRows.F.length();
    private static final ThreadLocal<float[]> BUFFER = ThreadLocal.withInitial(() -> new float[0]);

    private PairLayout() {
    }

    /** Columns covered by whole runs: the vector part of a row. */
    static int vectorColumns(int k) {
        return k - k % (2 * L);
    }

    /**
     * {@code x[n, k]} (from {@code xOff}) in pair order, in a buffer of the calling thread that the
     * next call on that thread overwrites.
     */
    static float[] permute(float[] x, int xOff, int n, int k) {
        float[] out = BUFFER.get();
        if (out.length < n * k) {
            out = new float[n * k];
            BUFFER.set(out);
        }
        int kv = vectorColumns(k);
        for (int r = 0; r < n; r++) {
            int src = xOff + r * k;
            int dst = r * k;
            for (int c = 0; c < kv; c += 2 * L) {
                for (int j = 0; j < L; j++) {
                    out[dst + c + j] = x[src + c + 2 * j];
                    out[dst + c + L + j] = x[src + c + 2 * j + 1];
                }
            }
            System.arraycopy(x, src + kv, out, dst + kv, k - kv);
        }
        return out;
    }
}
