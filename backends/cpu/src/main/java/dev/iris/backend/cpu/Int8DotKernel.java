package dev.iris.backend.cpu;

import dev.iris.api.quant.Dequantizer;
import dev.iris.api.quant.GgmlType;
import dev.iris.api.quant.Quantizer;
import dev.iris.api.tensor.DType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@code y[n, m] = x[n, k] · w[m, k]ᵀ + bias} for Q8_0, Q4_0, Q4_K and Q6_K weights (and Q4_1 and
 * Q5_K, requantized to Q8_0 when packed) with AVX512-VNNI int8 dot products, by the native code in
 * {@code src/main/c/iris_int8.c}: each row of
 * x is quantized in blocks (scale max|x|/127, codes rounded to nearest) of 32 columns, or of 256
 * for the super-blocks of Q4_K and Q6_K, a block's product is the scales times exact integer sums,
 * and the blocks are summed in F32 in column order. As
 * llama.cpp multiplies these weights, reading about the bytes llama.cpp reads: a half (Q8_0), 0.41
 * (Q6_K) or about a quarter (Q4_0, Q4_K) of BF16's per decode step.
 *
 * <p>On first use a weight is repacked into panels of 16 outputs (the layout in which one
 * instruction multiplies four columns of x with sixteen outputs); the panels replace the mapped
 * or quantized rows in memory. Results do not depend on the batch: every output takes its blocks
 * in the same order whatever the number of rows.
 *
 * <p>Available only where the CPU reports AVX512-VNNI and the library (built at package time with
 * gcc) loads; {@link #UNAVAILABLE_REASON} says why not, and {@link LinearKernel} widens the blocks
 * instead.
 */
final class Int8DotKernel {

    static final boolean AVAILABLE;
    static final String UNAVAILABLE_REASON;

    /** Outputs per panel, as {@code NR} in the C code. */
    private static final int PANEL = 16;

    private static final MethodHandle QUANTIZE;
    private static final MethodHandle PACK;
    private static final MethodHandle LINEAR;
    private static final MethodHandle ALLOC;
    private static final MethodHandle FREE;

    /** Per-thread quantized x: codes, block scales, sums of the codes of each 16 columns. */
    private record QuantizedRows(byte[] codes, float[] scales, int[] sums) {
    }

    private static final ThreadLocal<QuantizedRows> X_Q8 =
            ThreadLocal.withInitial(() -> new QuantizedRows(new byte[0], new float[0], new int[0]));

    static {
        MethodHandle quantize = null;
        MethodHandle pack = null;
        MethodHandle linear = null;
        MethodHandle alloc = null;
        MethodHandle free = null;
        String reason = "";
        if (!CpuFeatures.HOST.avx512Vnni()) {
            reason = "the CPU has no AVX512-VNNI";
        } else {
            try {
                SymbolLookup lib = NativeLibrary.load("iris_int8");
                quantize = NativeLibrary.critical(lib, "iris_int8_quantize_rows", ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT,
                        ADDRESS, ADDRESS, ADDRESS);
                pack = NativeLibrary.plain(lib, "iris_int8_pack", JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                        ADDRESS);
                linear = NativeLibrary.critical(lib, "iris_int8_linear", JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT,
                        JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG);
                alloc = NativeLibrary.alloc(lib);
                free = NativeLibrary.free(lib);
            } catch (Throwable e) {
                reason = "the native int8 kernels did not load: " + e;
            }
        }
        QUANTIZE = quantize;
        PACK = pack;
        LINEAR = linear;
        ALLOC = alloc;
        FREE = free;
        UNAVAILABLE_REASON = reason;
        AVAILABLE = reason.isEmpty();
    }

    private Int8DotKernel() {
    }

    /** Whether this kernel multiplies weights of this type. */
    static boolean handles(DType dtype) {
        return AVAILABLE && format(kernelType(dtype)) >= 0;
    }

    /**
     * The block type the kernel multiplies a weight as: its own, or Q8_0 for Q4_1 and Q5_K (the
     * bulk of llama-quantize's Q5_K_M mix), which have no panels of their own and are requantized
     * when packed — reading 8.5 bits per weight instead of widening every block to F32 per product.
     */
    private static DType kernelType(DType dtype) {
        return dtype == DType.Q4_1 || dtype == DType.Q5_K ? DType.Q8_0 : dtype;
    }

    /** The C code's number of a weight format, or -1. */
    private static int format(DType dtype) {
        return switch (dtype) {
            case Q8_0 -> 0;
            case Q4_0 -> 1;
            case Q4_K -> 2;
            case Q6_K -> 3;
            default -> -1;
        };
    }

    /** Bytes of one panel (16 outputs over k columns), as the C code's {@code panel_unit} per unit. */
    private static long panelBytes(DType dtype, int k) {
        return switch (dtype) {
            case Q8_0 -> (k / 32) * (16 * 2 + 16 * 32L);
            case Q4_0 -> (k / 32) * (16 * 2 + 16 * 16L);
            case Q4_K -> (k / 256) * (16 * 4 + 16 * 16 + 16 * 128L);
            case Q6_K -> (k / 256) * (16 * 2 + 16 * 16 + 16 * 192L);
            default -> throw new IllegalArgumentException(dtype + " has no int8 panels");
        };
    }

    /** As {@link LinearKernel#run}, for a weight {@code w} ({@code [m, k]}, whole blocks) of a type this kernel {@link #handles}. */
    static void run(CpuThreads pool, float[] x, int xOff, int n, int k, CpuTensor w, float[] bias, int biasOff,
                    float[] y, int m) {
        if (n == 0) {
            return;
        }
        DType type = kernelType(w.dtype);
        int xBlock = superBlocks(type) ? 256 : 32;
        QuantizedRows xq = quantized(x, xOff, n, k, xBlock);
        MemorySegment panels = panels(pool, w, m, k);
        PanelPlan plan = PanelPlan.of(pool, n, m, PANEL);
        int blocks = k / 32;
        int xBlocks = k / xBlock;
        int format = format(type);
        long panelBytes = panelBytes(type, k);
        pool.parallelFor(plan.tasks(), t -> {
            int i0 = plan.firstRow(t);
            int j0 = plan.firstOutput(t);
            MemorySegment b = bias == null ? MemorySegment.NULL : MemorySegment.ofArray(bias).asSlice(4L * (biasOff + j0));
            try {
                LINEAR.invokeExact(format, MemorySegment.ofArray(xq.codes()).asSlice((long) i0 * k),
                        MemorySegment.ofArray(xq.scales()).asSlice(4L * i0 * xBlocks),
                        MemorySegment.ofArray(xq.sums()).asSlice(8L * i0 * blocks), plan.rows(t, n), k,
                        panels.asSlice((long) (j0 / PANEL) * panelBytes), plan.outputs(t, m), b,
                        MemorySegment.ofArray(y).asSlice(4L * ((long) i0 * m + j0)), (long) m);
            } catch (Throwable e) {
                throw new IllegalStateException(w.dtype + " linear failed", e);
            }
        });
    }

    /** Whether x goes in blocks of 256 (one scale per super-block), as for llama.cpp's K-quants. */
    private static boolean superBlocks(DType dtype) {
        return dtype == DType.Q4_K || dtype == DType.Q6_K;
    }

    /** x ({@code [n, k]} from {@code xOff}) quantized in blocks of {@code xBlock} in per-thread memory. */
    private static QuantizedRows quantized(float[] x, int xOff, int n, int k, int xBlock) {
        QuantizedRows q = X_Q8.get();
        int blocks = n * (k / 32);
        if (q.codes().length < n * k || q.scales().length < blocks) {
            q = new QuantizedRows(new byte[n * k], new float[blocks], new int[2 * blocks]);
            X_Q8.set(q);
        }
        try {
            QUANTIZE.invokeExact(MemorySegment.ofArray(x).asSlice(4L * xOff), n, k, xBlock, MemorySegment.ofArray(q.codes()),
                    MemorySegment.ofArray(q.scales()), MemorySegment.ofArray(q.sums()));
        } catch (Throwable e) {
            throw new IllegalStateException("int8 quantization of the input failed", e);
        }
        return q;
    }

    /** The weight's panels, packed by the pool's threads on first use; then the source's pages are dropped. */
    private static MemorySegment panels(CpuThreads pool, CpuTensor w, int m, int k) {
        MemorySegment panels = w.int8Panels;
        if (panels != null) {
            return panels;
        }
        synchronized (w) {
            if (w.int8Panels == null) {
                DType type = kernelType(w.dtype);
                int count = (m + PANEL - 1) / PANEL;
                int format = format(type);
                MemorySegment packed = NativeLibrary.allocate(ALLOC, FREE, count * panelBytes(type, k), w);
                try (Arena scratch = Arena.ofShared()) {
                    MemorySegment blocks = type == w.dtype ? w.segment : requantized(pool, w, m, k, scratch);
                    int tasks = Math.min(count, pool.threads() * 4);
                    pool.parallelFor(tasks, t -> {
                        try {
                            PACK.invokeExact(format, blocks, m, k, (int) ((long) count * t / tasks),
                                    (int) ((long) count * (t + 1) / tasks), packed);
                        } catch (Throwable e) {
                            throw new IllegalStateException(w.dtype + " packing failed", e);
                        }
                    });
                }
                if (w.segment.isMapped()) {
                    w.segment.unload();
                }
                w.int8Panels = packed;
            }
            return w.int8Panels;
        }
    }

    /** The weight's rows as Q8_0 blocks: each row widened exactly, then quantized as llama.cpp's Q8_0. */
    private static MemorySegment requantized(CpuThreads pool, CpuTensor w, int m, int k, Arena arena) {
        MemorySegment out = arena.allocate(DType.Q8_0.bytes((long) m * k), 8);
        int tasks = Math.min(m, pool.threads() * 4);
        pool.parallelFor(tasks, t -> {
            float[] row = new float[k];
            for (int r = (int) ((long) m * t / tasks), end = (int) ((long) m * (t + 1) / tasks); r < end; r++) {
                Dequantizer.dequantize(w.dtype.ggml(), w.segment.asSlice(w.dtype.bytes((long) r * k)), row, 0, k);
                Quantizer.quantize(GgmlType.Q8_0, row, 0, k, out.asSlice(DType.Q8_0.bytes((long) r * k)));
            }
        });
        return out;
    }
}
