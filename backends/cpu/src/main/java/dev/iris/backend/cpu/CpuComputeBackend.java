package dev.iris.backend.cpu;

import dev.iris.api.compute.Activation;
import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.compute.RotaryLayout;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;
import dev.iris.api.tensor.WeightTensor;

import java.util.List;
import java.util.function.IntConsumer;

/**
 * The CPU {@link ComputeBackend}: F32 activations on the heap, weights read in place from their
 * memory-mapped files, Vector API kernels on all cores. The reference every other backend is
 * checked against.
 */
public final class CpuComputeBackend implements ComputeBackend {

    /** Below this many elements, elementwise and row ops run on the calling thread. */
    private static final int PARALLEL_MIN_ELEMENTS = 1 << 15;

    private final CpuThreads pool;
    private final boolean blas;
    private final boolean bf16Dot;

    /**
     * The backend on the shared pool, with OpenBLAS for large GEMMs when it loads
     * ({@code -Diris.cpu.blas=false} turns it off) and BF16 dot products for BF16 weights where the
     * CPU has them ({@code -Diris.cpu.bf16-dot=false} keeps every product in F32).
     */
    public CpuComputeBackend() {
        this(CpuThreads.SHARED, blasWanted(),
                Bf16DotKernel.AVAILABLE && Boolean.parseBoolean(System.getProperty("iris.cpu.bf16-dot", "true")));
    }

    private static boolean blasWanted() {
        return OpenBlas.AVAILABLE && Boolean.parseBoolean(System.getProperty("iris.cpu.blas", "true"));
    }

    /**
     * The backend with every product in F32 (BF16 weights widened exactly, activations unrounded):
     * what parity with float32 reference logits needs, and what {@code --dtype float32} asks for.
     */
    public static CpuComputeBackend withF32Products() {
        return new CpuComputeBackend(CpuThreads.SHARED, blasWanted(), false);
    }

    CpuComputeBackend(CpuThreads pool, boolean blas) {
        this(pool, blas, false);
    }

    CpuComputeBackend(CpuThreads pool, boolean blas, boolean bf16Dot) {
        this.pool = pool;
        this.blas = blas;
        this.bf16Dot = bf16Dot;
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public String description() {
        return "CPU " + CpuFeatures.HOST.describe() + ": Vector API " + WeightRows.F.vectorBitSize() + "-bit, "
                + pool.threads() + " threads, "
                + (bf16Dot ? "AVX512-BF16 dot products for BF16 weights, "
                        : "BF16 weights widened to F32 (" + (Bf16DotKernel.AVAILABLE ? "F32 products asked for"
                        : Bf16DotKernel.UNAVAILABLE_REASON) + "), ")
                + (Int8DotKernel.AVAILABLE ? "AVX512-VNNI int8 dot products for Q8_0, Q4_0, Q4_K and Q6_K weights (Q4_1, Q5_K as Q8_0), "
                        : "quantized weights widened to F32 (" + Int8DotKernel.UNAVAILABLE_REASON + "), ")
                + (blas ? "OpenBLAS for large F32/F16 GEMMs (" + OpenBlas.CORE + ")"
                        : "no OpenBLAS" + (OpenBlas.AVAILABLE ? "" : ": " + OpenBlas.UNAVAILABLE_REASON));
    }

    @Override
    public long completedWork() {
        return pool.completed();
    }

    // ---- memory ------------------------------------------------------------------------------

    @Override
    public Tensor zeros(DType dtype, Shape shape) {
        if (dtype != DType.F32) {
            throw new IllegalArgumentException("the cpu backend keeps activations in F32, not " + dtype);
        }
        return CpuTensor.allocate(shape);
    }

    @Override
    public Tensor fromFloats(float[] values, Shape shape) {
        if (values.length != shape.elementCount()) {
            throw new IllegalArgumentException(values.length + " values for shape " + shape);
        }
        return CpuTensor.heap(values.clone(), 0, shape);
    }

    @Override
    public Tensor weight(WeightTensor weight) {
        return CpuTensor.mapped(weight.dtype(), weight.shape(), weight.data());
    }

    @Override
    public float[] toFloats(Tensor tensor) {
        CpuTensor t = CpuTensor.of(tensor);
        float[] out = new float[t.size()];
        if (t.isHeap()) {
            System.arraycopy(t.data, t.offset, out, 0, out.length);
        } else {
            WeightRows.widen(t.segment, t.dtype, 0, out, 0, out.length); // no cached copy of a big weight
        }
        return out;
    }

    // ---- linear algebra ----------------------------------------------------------------------

    @Override
    public Tensor linear(Tensor x, Tensor w, Tensor bias) {
        CpuTensor a = activation(x, "linear input");
        Bf16DotKernel.Output out = output(a, w, bias);
        CpuTensor wt = out.w();
        if (panelKernel(wt)) {
            // Every batch size, so a request's rows come out the same alone or batched.
            Bf16DotKernel.run(pool, a.data, a.offset, a.rows(), a.cols(), out);
        } else if (Int8DotKernel.handles(wt.dtype) && !wt.isHeap()) {
            Int8DotKernel.run(pool, a.data, a.offset, a.rows(), a.cols(), wt, out.bias(), out.biasOff(), out.y(), out.m());
        } else if (wt.dtype.quantized()) {
            LinearKernel.run(pool, a.data, a.offset, a.rows(), a.cols(), wt, out.bias(), out.biasOff(), out.y(), 0, out.m());
        } else if (blas && a.rows() >= BlasGemm.MIN_ROWS) {
            BlasGemm.run(pool, a.data, a.offset, a.rows(), a.cols(), wt, out.bias(), out.biasOff(), out.y(), 0, out.m());
        } else {
            LinearKernel.run(pool, a.data, a.offset, a.rows(), a.cols(), wt, out.bias(), out.biasOff(), out.y(), 0, out.m());
        }
        return CpuTensor.heap(out.y(), 0, outputShape(a, out.m()));
    }

    /** With BF16 weights, one op: x rounded once and every weight's panels in one parallel pass. */
    @Override
    public Tensor[] linears(Tensor x, Tensor[] weights, Tensor[] biases) {
        CpuTensor a = activation(x, "linear input");
        Bf16DotKernel.Output[] outs = new Bf16DotKernel.Output[weights.length];
        for (int i = 0; i < weights.length; i++) {
            outs[i] = output(a, weights[i], biases == null ? null : biases[i]);
            if (!panelKernel(outs[i].w())) {
                return ComputeBackend.super.linears(x, weights, biases);
            }
        }
        Bf16DotKernel.run(pool, a.data, a.offset, a.rows(), a.cols(), outs);
        Tensor[] y = new Tensor[outs.length];
        for (int i = 0; i < outs.length; i++) {
            y[i] = CpuTensor.heap(outs[i].y(), 0, outputShape(a, outs[i].m()));
        }
        return y;
    }

    /** With BF16 weights, both products in one pass, only the activation written out. */
    @Override
    public Tensor gatedLinear(Tensor x, Tensor gate, Tensor up, Activation f) {
        CpuTensor a = activation(x, "linear input");
        CpuTensor g = CpuTensor.of(gate);
        CpuTensor u = CpuTensor.of(up);
        if (!panelKernel(g) || !panelKernel(u)) {
            return ComputeBackend.super.gatedLinear(x, gate, up, f);
        }
        int m = outputs(a, g);
        if (!u.shape.equals(g.shape)) {
            throw new IllegalArgumentException("gatedLinear: gate " + g.shape + " and up " + u.shape + " differ");
        }
        CpuTensor y = CpuTensor.allocate(outputShape(a, m));
        Bf16DotKernel.runGated(pool, a.data, a.offset, a.rows(), a.cols(), g, u, f, y.data, m);
        return y;
    }

    /** Whether products with this weight go to the AVX512-BF16 panel kernel: a mapped BF16 checkpoint tensor. */
    private boolean panelKernel(CpuTensor w) {
        return bf16Dot && w.dtype == DType.BF16 && !w.isHeap();
    }

    /** A linear's weight and bias checked against its input, with a new output array. */
    private static Bf16DotKernel.Output output(CpuTensor a, Tensor w, Tensor bias) {
        CpuTensor wt = CpuTensor.of(w);
        int m = outputs(a, wt);
        CpuTensor b = bias == null ? null : CpuTensor.of(bias);
        if (b != null && b.size() != m) {
            throw new IllegalArgumentException("linear: bias " + b.shape + " for " + m + " outputs");
        }
        return new Bf16DotKernel.Output(wt, b == null ? null : b.floats(), b == null ? 0 : b.floatsOffset(),
                CpuTensor.allocate(outputShape(a, m)).data, m);
    }

    /** The outputs of weight {@code w} ({@code [m, k]}), checked against the input's width k. */
    private static int outputs(CpuTensor a, CpuTensor w) {
        if (w.shape.rank() != 2 || w.shape.dim(1) != a.cols() || !(w.dtype.isFloatingPoint() || w.dtype.quantized())) {
            throw new IllegalArgumentException("linear: input " + a.shape + " against weight " + w.dtype + w.shape
                    + " (expected a floating or quantized [m, " + a.cols() + "] weight)");
        }
        return w.shape.dim(0);
    }

    private static Shape outputShape(CpuTensor a, int m) {
        int[] dims = a.shape.dims();
        dims[dims.length - 1] = m;
        return new Shape(dims);
    }

    @Override
    public Tensor embedding(Tensor table, int[] ids) {
        CpuTensor t = CpuTensor.of(table);
        if (t.shape.rank() != 2) {
            throw new IllegalArgumentException("embedding: table must be [vocab, d], got " + t.shape);
        }
        int vocab = t.shape.dim(0);
        int d = t.shape.dim(1);
        CpuTensor y = CpuTensor.allocate(Shape.of(ids.length, d));
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new IllegalArgumentException("embedding: token id " + ids[i] + " outside [0, " + vocab + ")");
            }
            if (t.isHeap()) {
                System.arraycopy(t.data, t.offset + ids[i] * d, y.data, i * d, d);
            } else {
                WeightRows.widen(t.segment, t.dtype, (long) ids[i] * d, y.data, i * d, d);
            }
        }
        return y;
    }

    // ---- normalisation -----------------------------------------------------------------------

    @Override
    public Tensor rmsNorm(Tensor x, Tensor weight, float eps) {
        CpuTensor a = activation(x, "rmsNorm input");
        CpuTensor w = rowVector(weight, a.cols(), "rmsNorm weight");
        CpuTensor y = CpuTensor.allocate(a.shape);
        int d = a.cols();
        float[] wf = w.floats();
        int wo = w.floatsOffset();
        forRows(a.rows(), d, r -> RowKernels.rmsNorm(a.data, a.offset + r * d, wf, wo, eps, y.data, r * d, d));
        return y;
    }

    @Override
    public Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
        CpuTensor a = activation(x, "layerNorm input");
        int d = a.cols();
        CpuTensor w = rowVector(weight, d, "layerNorm weight");
        CpuTensor b = rowVector(bias, d, "layerNorm bias");
        CpuTensor y = CpuTensor.allocate(a.shape);
        float[] wf = w.floats();
        float[] bf = b.floats();
        int wo = w.floatsOffset();
        int bo = b.floatsOffset();
        forRows(a.rows(), d, r -> RowKernels.layerNorm(a.data, a.offset + r * d, wf, wo, bf, bo, eps, y.data, r * d, d));
        return y;
    }

    // ---- rotary ------------------------------------------------------------------------------

    @Override
    public Tensor rotary(Tensor x, Tensor cos, Tensor sin, RotaryLayout layout) {
        CpuTensor a = activation(x, "rotary input");
        CpuTensor c = CpuTensor.of(cos);
        CpuTensor s = CpuTensor.of(sin);
        if (a.shape.rank() != 3 || c.shape.rank() != 2 || !c.shape.equals(s.shape)
                || c.shape.dim(0) != a.shape.dim(0) || 2 * c.shape.dim(1) > a.shape.dim(2)) {
            throw new IllegalArgumentException("rotary: x " + a.shape + " needs [tokens, heads, headDim] with cos "
                    + c.shape + " and sin " + s.shape + " of [tokens, ≤ headDim/2]");
        }
        int tokens = a.shape.dim(0);
        int heads = a.shape.dim(1);
        int headDim = a.shape.dim(2);
        int half = c.shape.dim(1);
        float[] cf = c.floats();
        float[] sf = s.floats();
        int co = c.floatsOffset();
        int so = s.floatsOffset();
        CpuTensor y = CpuTensor.allocate(a.shape);
        forRows(tokens, heads * headDim, t -> {
            for (int h = 0; h < heads; h++) {
                int off = (t * heads + h) * headDim;
                RotaryKernel.rotateHead(layout, a.data, a.offset + off, cf, co + t * half, sf, so + t * half, half,
                        headDim, y.data, off);
            }
        });
        return y;
    }

    // ---- elementwise -------------------------------------------------------------------------

    @Override
    public Tensor activation(Tensor x, Activation f) {
        CpuTensor a = activation(x, "activation input");
        CpuTensor y = CpuTensor.allocate(a.shape);
        forChunks(a.size(), (from, to) -> ElementwiseKernels.activation(f, a.data, a.offset + from, y.data, from, to - from));
        return y;
    }

    @Override
    public Tensor gatedActivation(Tensor gate, Tensor up, Activation f) {
        CpuTensor g = activation(gate, "gate");
        CpuTensor u = activation(up, "up");
        if (!g.shape.equals(u.shape)) {
            throw new IllegalArgumentException("gatedActivation: gate " + g.shape + " and up " + u.shape + " differ");
        }
        CpuTensor y = CpuTensor.allocate(g.shape);
        forChunks(g.size(), (from, to) ->
                ElementwiseKernels.gated(f, g.data, g.offset + from, u.data, u.offset + from, y.data, from, to - from));
        return y;
    }

    @Override
    public Tensor add(Tensor a, Tensor b) {
        return broadcast(a, b, false, null);
    }

    @Override
    public Tensor mul(Tensor a, Tensor b) {
        return broadcast(a, b, true, null);
    }

    @Override
    public void addInPlace(Tensor a, Tensor b) {
        broadcast(a, b, false, CpuTensor.of(a));
    }

    private Tensor broadcast(Tensor left, Tensor right, boolean multiply, CpuTensor into) {
        CpuTensor a = activation(left, multiply ? "mul" : "add");
        CpuTensor b = CpuTensor.of(right);
        if (!trailingMatch(a.shape, b.shape)) {
            throw new IllegalArgumentException((multiply ? "mul: " : "add: ") + b.shape
                    + " is neither the shape of " + a.shape + " nor its trailing dimensions");
        }
        CpuTensor y = into != null ? into : CpuTensor.allocate(a.shape);
        int bn = b.size();
        float[] bf = b.floats();
        int bo = b.floatsOffset();
        int rows = bn == 0 ? 0 : a.size() / bn;
        int yo = y.offset;
        forRows(rows, bn, r -> ElementwiseKernels.broadcast(multiply, a.data, a.offset + r * bn, bf, bo, bn,
                y.data, yo + r * bn, bn));
        return y;
    }

    private static boolean trailingMatch(Shape a, Shape b) {
        if (b.rank() > a.rank()) {
            return false;
        }
        for (int i = 1; i <= b.rank(); i++) {
            if (a.dim(-i) != b.dim(-i)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public Tensor scale(Tensor a, float s) {
        CpuTensor t = activation(a, "scale");
        CpuTensor y = CpuTensor.allocate(t.shape);
        forChunks(t.size(), (from, to) -> ElementwiseKernels.scale(t.data, t.offset + from, s, y.data, from, to - from));
        return y;
    }

    @Override
    public Tensor softmax(Tensor x) {
        CpuTensor a = activation(x, "softmax");
        CpuTensor y = CpuTensor.allocate(a.shape);
        System.arraycopy(a.data, a.offset, y.data, 0, a.size());
        int d = a.cols();
        forRows(a.rows(), d, r -> RowKernels.softmaxInPlace(y.data, r * d, d));
        return y;
    }

    // ---- shape and data movement -------------------------------------------------------------

    @Override
    public Tensor reshape(Tensor x, Shape shape) {
        CpuTensor t = CpuTensor.of(x);
        if (shape.elementCount() != t.shape.elementCount()) {
            throw new IllegalArgumentException("reshape: " + t.shape + " has " + t.shape.elementCount()
                    + " elements, " + shape + " has " + shape.elementCount());
        }
        return t.isHeap() ? CpuTensor.heap(t.data, t.offset, shape) : CpuTensor.mapped(t.dtype, shape, t.segment);
    }

    @Override
    public Tensor slice(Tensor x, int dim, int start, int end) {
        CpuTensor t = activation(x, "slice");
        int[] dims = t.shape.dims();
        if (dim < 0 || dim >= dims.length || start < 0 || end > dims[dim] || start > end) {
            throw new IllegalArgumentException("slice: [" + start + ", " + end + ") of dimension " + dim + " of " + t.shape);
        }
        int outer = LayoutKernels.product(dims, 0, dim);
        int inner = LayoutKernels.product(dims, dim + 1, dims.length);
        int full = dims[dim];
        dims[dim] = end - start;
        Shape shape = new Shape(dims);
        if (outer == 1) {
            return CpuTensor.heap(t.data, t.offset + start * inner, shape); // contiguous: a view
        }
        CpuTensor y = CpuTensor.allocate(shape);
        int len = (end - start) * inner;
        for (int o = 0; o < outer; o++) {
            System.arraycopy(t.data, t.offset + (o * full + start) * inner, y.data, o * len, len);
        }
        return y;
    }

    @Override
    public Tensor transpose(Tensor x, int dim0, int dim1) {
        CpuTensor t = activation(x, "transpose");
        int rank = t.shape.rank();
        if (dim0 < 0 || dim1 < 0 || dim0 >= rank || dim1 >= rank) {
            throw new IllegalArgumentException("transpose: dimensions " + dim0 + ", " + dim1 + " of " + t.shape);
        }
        int[] in = t.shape.dims();
        int[] out = in.clone();
        out[dim0] = in[dim1];
        out[dim1] = in[dim0];
        CpuTensor y = CpuTensor.allocate(new Shape(out));
        LayoutKernels.transpose(t.data, t.offset, in, dim0, dim1, y.data);
        return y;
    }

    @Override
    public Tensor concat(int dim, List<Tensor> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("concat of nothing");
        }
        CpuTensor first = activation(parts.getFirst(), "concat");
        int[] dims = first.shape.dims();
        int total = 0;
        for (Tensor p : parts) {
            CpuTensor c = activation(p, "concat");
            int[] d = c.shape.dims();
            for (int i = 0; i < dims.length; i++) {
                if (i != dim && (d.length != dims.length || d[i] != dims[i])) {
                    throw new IllegalArgumentException("concat along " + dim + ": " + c.shape + " does not match " + first.shape);
                }
            }
            total += d[dim];
        }
        int outer = LayoutKernels.product(dims, 0, dim);
        int inner = LayoutKernels.product(dims, dim + 1, dims.length);
        dims[dim] = total;
        CpuTensor y = CpuTensor.allocate(new Shape(dims));
        int at = 0;
        for (Tensor p : parts) {
            CpuTensor c = CpuTensor.of(p);
            int len = c.shape.dim(dim) * inner;
            for (int o = 0; o < outer; o++) {
                System.arraycopy(c.data, c.offset + o * len, y.data, o * total * inner + at, len);
            }
            at += len;
        }
        return y;
    }

    @Override
    public Tensor gatherRows(Tensor x, int[] rows) {
        CpuTensor t = activation(x, "gatherRows");
        int d = t.cols();
        int n = t.rows();
        CpuTensor y = CpuTensor.allocate(Shape.of(rows.length, d));
        for (int i = 0; i < rows.length; i++) {
            if (rows[i] < 0 || rows[i] >= n) {
                throw new IllegalArgumentException("gatherRows: row " + rows[i] + " of " + t.shape);
            }
            System.arraycopy(t.data, t.offset + rows[i] * d, y.data, i * d, d);
        }
        return y;
    }

    @Override
    public void copyRowsInPlace(Tensor src, int srcRow, Tensor dst, int dstRow, int count) {
        CpuTensor s = activation(src, "copyRows source");
        CpuTensor d = activation(dst, "copyRows target");
        if (s.cols() != d.cols() || srcRow < 0 || dstRow < 0 || count < 0
                || srcRow + count > s.rows() || dstRow + count > d.rows()) {
            throw new IllegalArgumentException("copyRows: rows [" + srcRow + ", " + (srcRow + count) + ") of " + s.shape
                    + " to rows [" + dstRow + ", " + (dstRow + count) + ") of " + d.shape);
        }
        System.arraycopy(s.data, s.offset + srcRow * s.cols(), d.data, d.offset + dstRow * d.cols(), count * s.cols());
    }

    @Override
    public Tensor patchify(Tensor image, int patch) {
        CpuTensor t = activation(image, "patchify");
        if (t.shape.rank() != 3 || patch <= 0 || t.shape.dim(1) % patch != 0 || t.shape.dim(2) % patch != 0) {
            throw new IllegalArgumentException("patchify: image " + t.shape + " is not [channels, h, w] with h and w"
                    + " multiples of " + patch);
        }
        int c = t.shape.dim(0);
        int h = t.shape.dim(1);
        int w = t.shape.dim(2);
        int gh = h / patch;
        int gw = w / patch;
        int rowLen = c * patch * patch;
        CpuTensor y = CpuTensor.allocate(Shape.of(gh * gw, rowLen));
        LayoutKernels.patchify(t.data, t.offset, c, h, w, patch, y.data);
        return y;
    }

    // ---- helpers -----------------------------------------------------------------------------

    /** An F32 heap tensor (activations); checkpoint tensors are only read by linear/embedding/weights. */
    private static CpuTensor activation(Tensor x, String what) {
        CpuTensor t = CpuTensor.of(x);
        if (!t.isHeap()) {
            throw new IllegalArgumentException(what + ": expected an F32 activation, got checkpoint tensor " + t);
        }
        return t;
    }

    private static CpuTensor rowVector(Tensor t, int d, String what) {
        CpuTensor c = CpuTensor.of(t);
        if (c.size() != d) {
            throw new IllegalArgumentException(what + " " + c.shape + " does not match rows of " + d);
        }
        return c;
    }

    /** Runs {@code body(row)} for every row, split across threads when the work is large. */
    private void forRows(int rows, int rowLength, IntConsumer body) {
        if ((long) rows * rowLength < PARALLEL_MIN_ELEMENTS || rows < 2) {
            for (int r = 0; r < rows; r++) {
                body.accept(r);
            }
            return;
        }
        int tasks = Math.min(rows, pool.threads() * 4);
        pool.parallelFor(tasks, t -> {
            int r1 = (int) ((long) rows * (t + 1) / tasks);
            for (int r = (int) ((long) rows * t / tasks); r < r1; r++) {
                body.accept(r);
            }
        });
    }

    private interface Range {
        void run(int from, int to);
    }

    /** Splits {@code [0, n)} into contiguous chunks, one per task. */
    private void forChunks(int n, Range body) {
        if (n < PARALLEL_MIN_ELEMENTS) {
            body.run(0, n);
            return;
        }
        int tasks = pool.threads() * 4;
        pool.parallelFor(tasks, t -> body.run((int) ((long) n * t / tasks), (int) ((long) n * (t + 1) / tasks)));
    }
}
