package dev.iris.backend.cpu;

import dev.iris.api.compute.Activation;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@code y[n, m] = x[n, k] · w[m, k]ᵀ + bias} for BF16 weights at the CPU's BF16 rate: x is
 * rounded to BF16 once per call (round to nearest even, as the hardware does) and every row is
 * multiplied with AVX512-BF16 dot products, F32 sums, by the native code in
 * {@code src/main/c/iris_bf16.c}. Twice the multiply rate of widening the weight to F32; the price
 * is the activations' rounding to BF16 (8 significant bits), what a BF16 model computes on a GPU
 * too.
 *
 * <p>On first use a weight is repacked into panels of 64 outputs with each pair of columns
 * interleaved, the layout in which one instruction multiplies a pair of x with sixteen outputs
 * (the kernel then needs no horizontal sums, and a decode step reads one sequential stream). The
 * panels replace the mapped rows in memory: the file's pages are given back once copied, so the
 * weights stay resident once. Results do not depend on the batch: every output takes its column
 * pairs in the same order whatever the number of rows.
 *
 * <p>Available only where the CPU reports AVX512-BF16 and the library (built at package time
 * with gcc) loads; {@link #UNAVAILABLE_REASON} says why not, and the F32 kernels do the work.
 */
final class Bf16DotKernel {

    static final boolean AVAILABLE;
    static final String UNAVAILABLE_REASON;

    /** Outputs per panel (four 16-lane vectors), as {@code NR} in the C code. */
    private static final int PANEL = 64;

    private static final MethodHandle ROUND;
    private static final MethodHandle PACK;
    private static final MethodHandle LINEAR;
    private static final MethodHandle ALLOC;
    private static final MethodHandle FREE;
    private static final ThreadLocal<short[]> X_BF16 = ThreadLocal.withInitial(() -> new short[0]);
    /** Per-thread products of a gated pair's panels, before the activation. */
    private static final ThreadLocal<float[][]> GATED = ThreadLocal.withInitial(() -> new float[][]{new float[0], new float[0]});

    static {
        MethodHandle round = null;
        MethodHandle pack = null;
        MethodHandle linear = null;
        MethodHandle alloc = null;
        MethodHandle free = null;
        String reason = "";
        if (!CpuFeatures.HOST.avx512Bf16()) {
            reason = "the CPU has no AVX512-BF16";
        } else {
            try {
                SymbolLookup lib = NativeLibrary.load("iris_bf16");
                round = NativeLibrary.critical(lib, "iris_bf16_round_rows", ADDRESS, JAVA_INT, JAVA_INT, ADDRESS);
                pack = NativeLibrary.plain(lib, "iris_bf16_pack", ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS);
                alloc = NativeLibrary.alloc(lib);
                free = NativeLibrary.free(lib);
                linear = NativeLibrary.critical(lib, "iris_bf16_linear", ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT,
                        ADDRESS, ADDRESS, JAVA_LONG);
            } catch (Throwable e) {
                reason = "the native BF16 kernels did not load: " + e;
            }
        }
        ROUND = round;
        PACK = pack;
        LINEAR = linear;
        ALLOC = alloc;
        FREE = free;
        UNAVAILABLE_REASON = reason;
        AVAILABLE = reason.isEmpty();
    }

    private Bf16DotKernel() {
    }

    /** One weight of an op: {@code y[n, m] = x · wᵀ + bias} (bias from {@code biasOff}, or null). */
    record Output(CpuTensor w, float[] bias, int biasOff, float[] y, int m) {
    }

    /**
     * As {@link LinearKernel#run}, for BF16 weights of the checkpoint, any number of them against
     * the same x ({@code [n, k]} from {@code xOff}): x is rounded once and the tasks of every
     * weight go to the pool as one op.
     */
    static void run(CpuThreads pool, float[] x, int xOff, int n, int k, Output... outputs) {
        if (n == 0) {
            return;
        }
        MemorySegment xs = rounded(x, xOff, n, k);
        PanelPlan[] plans = new PanelPlan[outputs.length];
        int[] firstTask = new int[outputs.length + 1];
        MemorySegment[] panels = new MemorySegment[outputs.length];
        for (int i = 0; i < outputs.length; i++) {
            plans[i] = PanelPlan.of(pool, n, outputs[i].m(), PANEL);
            firstTask[i + 1] = firstTask[i] + plans[i].tasks();
            panels[i] = panels(pool, outputs[i].w(), outputs[i].m(), k);
        }
        pool.parallelFor(firstTask[outputs.length], task -> {
            int i = 0;
            while (task >= firstTask[i + 1]) {
                i++;
            }
            PanelPlan plan = plans[i];
            int t = task - firstTask[i];
            Output out = outputs[i];
            int i0 = plan.firstRow(t);
            int j0 = plan.firstOutput(t);
            multiply(xs, i0, plan.rows(t, n), k, panels[i], j0, plan.outputs(t, out.m()), out.bias(), out.biasOff() + j0,
                    out.y(), (long) i0 * out.m() + j0, out.m());
        });
    }

    /**
     * {@code y[n, m] = f(x · gateᵀ) ⊙ (x · upᵀ)} for two BF16 weights of the same shape: each task
     * multiplies the same panels of both into per-thread scratch and writes only the activation,
     * so neither product exists as a whole tensor. Every element is what {@link #run} and the
     * elementwise gated activation give, bit for bit.
     */
    static void runGated(CpuThreads pool, float[] x, int xOff, int n, int k, CpuTensor gate, CpuTensor up, Activation f,
                         float[] y, int m) {
        if (n == 0) {
            return;
        }
        MemorySegment xs = rounded(x, xOff, n, k);
        PanelPlan plan = PanelPlan.of(pool, n, m, PANEL);
        MemorySegment gatePanels = panels(pool, gate, m, k);
        MemorySegment upPanels = panels(pool, up, m, k);
        pool.parallelFor(plan.tasks(), t -> {
            int i0 = plan.firstRow(t);
            int rows = plan.rows(t, n);
            int j0 = plan.firstOutput(t);
            int width = plan.outputs(t, m);
            float[][] scratch = GATED.get();
            if (scratch[0].length < rows * width) {
                scratch = new float[][]{new float[rows * width], new float[rows * width]};
                GATED.set(scratch);
            }
            multiply(xs, i0, rows, k, gatePanels, j0, width, null, 0, scratch[0], 0, width);
            multiply(xs, i0, rows, k, upPanels, j0, width, null, 0, scratch[1], 0, width);
            for (int r = 0; r < rows; r++) {
                ElementwiseKernels.gated(f, scratch[0], r * width, scratch[1], r * width, y, (i0 + r) * m + j0, width);
            }
        });
    }

    /** x ({@code [n, k]} from {@code xOff}) rounded to BF16 in per-thread memory, rows padded to whole pairs. */
    private static MemorySegment rounded(float[] x, int xOff, int n, int k) {
        int kx = k + (k & 1);
        short[] xb = X_BF16.get();
        if (xb.length < n * kx) {
            xb = new short[n * kx];
            X_BF16.set(xb);
        }
        try {
            ROUND.invokeExact(MemorySegment.ofArray(x).asSlice(4L * xOff), n, k, MemorySegment.ofArray(xb));
        } catch (Throwable e) {
            throw new IllegalStateException("BF16 rounding failed", e);
        }
        return MemorySegment.ofArray(xb);
    }

    /**
     * Rows {@code i0 .. i0+rows} of rounded x times outputs {@code j0 .. j0+width} of a weight's
     * panels ({@code j0} on a panel boundary), into {@code y} from element {@code yOff}, rows
     * {@code ldy} apart.
     */
    private static void multiply(MemorySegment xs, int i0, int rows, int k, MemorySegment panels, int j0, int width,
                                 float[] bias, int biasOff, float[] y, long yOff, int ldy) {
        long kx = k + (k & 1);
        MemorySegment b = bias == null ? MemorySegment.NULL : MemorySegment.ofArray(bias).asSlice(4L * biasOff);
        try {
            LINEAR.invokeExact(xs.asSlice(2L * i0 * kx), rows, k, panels.asSlice(j0 * kx * 2), width, b,
                    MemorySegment.ofArray(y).asSlice(4L * yOff), (long) ldy);
        } catch (Throwable e) {
            throw new IllegalStateException("BF16 linear failed", e);
        }
    }

    /**
     * The weight's panels, packed by the pool's threads on first use; then the mapped rows' pages
     * are dropped from memory (they come back from the page cache if something reads them again,
     * as an embedding table tied to the output layer does for the tokens it looks up).
     */
    private static MemorySegment panels(CpuThreads pool, CpuTensor w, int m, int k) {
        MemorySegment panels = w.bf16Panels;
        if (panels != null) {
            return panels;
        }
        synchronized (w) {
            if (w.bf16Panels == null) {
                int count = (m + PANEL - 1) / PANEL;
                MemorySegment packed = NativeLibrary.allocate(ALLOC, FREE, (long) count * PANEL * (k + (k & 1)) * 2, w);
                int tasks = Math.min(count, pool.threads() * 4);
                pool.parallelFor(tasks, t -> {
                    try {
                        PACK.invokeExact(w.segment, m, k, (int) ((long) count * t / tasks),
                                (int) ((long) count * (t + 1) / tasks), packed);
                    } catch (Throwable e) {
                        throw new IllegalStateException("BF16 packing failed", e);
                    }
                });
                if (w.segment.isMapped()) {
                    w.segment.unload();
                }
                w.bf16Panels = packed;
            }
            return w.bf16Panels;
        }
    }
}
