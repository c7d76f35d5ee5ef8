package dev.iris.backend.cpu;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;

/**
 * Large GEMMs through OpenBLAS's single-threaded {@code sgemm}, one panel of weight rows per
 * task of the shared pool: each task widens its {@value #PANEL} weight rows to F32 (exact, as in
 * the Vector API path), multiplies all of x by them, and copies its columns of y back. Measured
 * on this machine type (bench/RESULTS.md) for a 512-token prompt through an 8960 × 1536 BF16
 * weight: about 235 GFLOP/s this way against about 130 for {@link LinearKernel}; at 32 rows the
 * Vector API kernel is as fast or faster, so the backend hands over from {@link #MIN_ROWS} rows.
 * Panels of 256 rows measured better than 1024 or 2240.
 *
 * <p>If the native library cannot load (another platform, a missing natives jar),
 * {@link OpenBlas#AVAILABLE} is false and the Vector API kernels do all the work.
 */
final class BlasGemm {

    /** Rows of x from which OpenBLAS is used. */
    static final int MIN_ROWS = 64;
    /** Weight rows per sgemm call. */
    static final int PANEL = 256;

    /** Per-thread buffers: the widened panel on the heap and in native memory, and the panel's output. */
    private static final class Buffers {
        float[] panel = new float[0];
        float[] out = new float[0];
        FloatPointer nativePanel = new FloatPointer(0L);
        FloatPointer nativeOut = new FloatPointer(0L);

        void ensure(int panelFloats, int outFloats) {
            if (panel.length < panelFloats) {
                panel = new float[panelFloats];
                nativePanel.close();
                nativePanel = new FloatPointer(panelFloats);
            }
            if (out.length < outFloats) {
                out = new float[outFloats];
                nativeOut.close();
                nativeOut = new FloatPointer(outFloats);
            }
        }
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    private BlasGemm() {
    }

    /** {@code y[n, m] = x[n, k] · w[m, k]ᵀ + bias}, as {@link LinearKernel#run}. */
    static void run(CpuThreads pool, float[] x, int xOff, int n, int k, CpuTensor w, float[] bias, int biasOff,
                    float[] y, int yOff, int m) {
        try (FloatPointer nativeX = new FloatPointer((long) n * k)) {
            nativeX.put(x, xOff, n * k);
            int panels = (m + PANEL - 1) / PANEL;
            pool.parallelFor(panels, p -> {
                int j0 = p * PANEL;
                int rows = Math.min(PANEL, m - j0);
                Buffers b = BUFFERS.get();
                b.ensure(PANEL * k, n * PANEL);
                if (w.isHeap()) {
                    System.arraycopy(w.data, w.offset + j0 * k, b.panel, 0, rows * k);
                } else {
                    WeightRows.widen(w.segment, w.dtype, (long) j0 * k, b.panel, 0, rows * k);
                }
                b.nativePanel.position(0).put(b.panel, 0, rows * k);
                // Row-major C[n, rows] = A[n, k] · B[rows, k]ᵀ
                openblas.cblas_sgemm(openblas.CblasRowMajor, openblas.CblasNoTrans, openblas.CblasTrans, n, rows, k,
                        1f, nativeX, k, b.nativePanel, k, 0f, b.nativeOut, rows);
                b.nativeOut.position(0).get(b.out, 0, n * rows);
                for (int i = 0; i < n; i++) {
                    int yo = yOff + i * m + j0;
                    System.arraycopy(b.out, i * rows, y, yo, rows);
                    if (bias != null) {
                        for (int j = 0; j < rows; j++) {
                            y[yo + j] += bias[biasOff + j0 + j];
                        }
                    }
                }
            });
        }
    }
}
