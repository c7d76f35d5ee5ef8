package dev.iris.backend.cuda;

import dev.iris.api.compute.Activation;
import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.compute.RotaryLayout;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;
import dev.iris.api.tensor.WeightTensor;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The compute backend on an NVIDIA GPU ({@code --device cuda}): tensors in device memory, the
 * matmuls on cuBLAS (tensor cores for 16-bit weights, F32 accumulation; full F32 for F32
 * weights), every other op a kernel of {@link KernelSource}, all queued in order on one stream.
 * The host waits only where values come back ({@link #toFloats}: the logits).
 *
 * <p>With {@code -Diris.cuda.exact=true} 16-bit weights are widened to F32 once at upload and
 * every matmul runs in F32, for comparisons against the CPU backend at F32 tolerances.
 */
public final class CudaComputeBackend implements ComputeBackend {

    static final String NAME = "cuda";

    /** Read when the backend is made, so one process can hold an exact and a fast instance. */
    private final boolean exact = Boolean.getBoolean("iris.cuda.exact");

    /** F32 copies of 16-bit tensors read as activations (biases, gates, position tables), made once. */
    private final Map<CudaTensor, CudaTensor> widened = Collections.synchronizedMap(new WeakHashMap<>());

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "NVIDIA GPU through CUDA 13 (cuBLAS, NVRTC kernels)";
    }

    @Override
    public boolean isAvailable() {
        return CudaProbe.unavailableReason().isEmpty();
    }

    @Override
    public String unavailableReason() {
        return CudaProbe.unavailableReason();
    }

    @Override
    public long freeDeviceMemory() {
        long[] info = device().memoryInfo();
        return new MemoryPlan(info[1], info[0]).forKvCache();
    }

    /** The GPU's peak memory bandwidth in bytes per second (memory clock × bus width), for benchmark ratios. */
    public double peakBandwidth() {
        return device().bandwidth;
    }

    /** The GPU in words: compute capability and multiprocessors. */
    public String deviceDescription() {
        CudaDevice d = device();
        long[] memory = d.memoryInfo();
        return String.format(java.util.Locale.ROOT, "compute capability %d.%d, %d multiprocessors, %.1f GiB",
                d.major, d.minor, d.multiprocessors, memory[1] / (double) (1L << 30));
    }

    private static CudaDevice device() {
        return CudaDevice.get();
    }

    private static CudaTensor of(Tensor t) {
        if (t instanceof CudaTensor c) {
            return c;
        }
        throw new IllegalArgumentException("a " + t.backend() + " tensor was given to the cuda backend");
    }

    private static CudaTensor f32(Tensor t, String op) {
        CudaTensor c = of(t);
        if (c.dtype() != DType.F32) {
            throw new IllegalArgumentException(op + ": activations are F32, got " + c.dtype() + c.shape());
        }
        return c;
    }

    /** A tensor's values as F32: itself, or its widened copy. */
    private CudaTensor asF32(Tensor t) {
        CudaTensor c = of(t);
        if (c.dtype() == DType.F32) {
            return c;
        }
        return widened.computeIfAbsent(c, k -> {
            CudaTensor y = CudaTensor.allocatePersistent(device().memory, DType.F32, k.shape());
            convert(k, y);
            return y;
        });
    }

    /** Storage type codes of the kernels (common.cuh). */
    static int dtypeCode(DType t) {
        return switch (t) {
            case F32 -> 0;
            case F16 -> 1;
            case BF16 -> 2;
            default -> throw new IllegalArgumentException("no float kernels for " + t);
        };
    }

    private static CudaTensor newF32(Shape shape) {
        return CudaTensor.allocate(device().memory, DType.F32, shape);
    }

    private static void convert(CudaTensor x, CudaTensor y) {
        long n = x.shape().elementCount();
        device().launch("to_float", LaunchShape.elements(n),
                new KernelArgs().ptr(x).ptr(y).i64(n).i32(dtypeCode(x.dtype())));
    }

    // ---- memory ----------------------------------------------------------------------------------

    @Override
    public Tensor zeros(DType dtype, Shape shape) {
        CudaTensor t = CudaTensor.allocate(device().memory, dtype, shape);
        device().zero(t.address(), t.byteSize());
        return t;
    }

    @Override
    public Tensor fromFloats(float[] values, Shape shape) {
        if (values.length != shape.elementCount()) {
            throw new IllegalArgumentException(values.length + " values for shape " + shape);
        }
        CudaTensor t = newF32(shape);
        try (FloatPointer host = new FloatPointer(values)) {
            device().upload(t.address(), host, t.byteSize());
        }
        return t;
    }

    @Override
    public Tensor weight(WeightTensor weight) {
        CudaDevice dev = device();
        CudaTensor t = CudaTensor.allocatePersistent(dev.memory, weight.dtype(), weight.shape());
        dev.upload(t.address(), new HostAddress(weight.data().address()), t.byteSize());
        if (exact && (weight.dtype() == DType.BF16 || weight.dtype() == DType.F16)) {
            CudaTensor wide = CudaTensor.allocatePersistent(dev.memory, DType.F32, weight.shape());
            convert(t, wide);
            t.close();
            return wide;
        }
        return t;
    }

    @Override
    public float[] toFloats(Tensor tensor) {
        CudaTensor t = asF32(tensor);
        int n = Math.toIntExact(t.shape().elementCount());
        float[] out = new float[n];
        try (FloatPointer host = new FloatPointer(Math.max(1, n))) {
            device().download(host, t.address(), (long) n * Float.BYTES);
            host.get(out);
        }
        return out;
    }

    // ---- linear algebra --------------------------------------------------------------------------

    @Override
    public Tensor linear(Tensor input, Tensor weight, Tensor bias) {
        CudaTensor x = f32(input, "linear");
        CudaTensor w = of(weight);
        if (w.shape().rank() != 2 || x.shape().dim(-1) != w.shape().dim(1)) {
            throw new IllegalArgumentException("linear: input " + x.shape() + " against weight " + w.dtype() + w.shape());
        }
        int m = w.shape().dim(0);
        int k = w.shape().dim(1);
        int n = Math.toIntExact(x.shape().elementCount() / k);
        int[] dims = x.shape().dims();
        dims[dims.length - 1] = m;
        CudaTensor y = newF32(Shape.of(dims));
        CudaDevice dev = device();
        if (w.dtype() == DType.F32) {
            gemm(dev, w, x, y, m, n, k, cudart.CUDA_R_32F);
        } else {
            // Tensor cores take both operands in the weight's 16-bit type; the sum stays F32.
            try (CudaTensor xh = CudaTensor.allocate(dev.memory, w.dtype(), Shape.of(n, k))) {
                long count = (long) n * k;
                dev.launch("from_float", LaunchShape.elements(count),
                        new KernelArgs().ptr(x).ptr(xh).i64(count).i32(dtypeCode(w.dtype())));
                gemm(dev, w, xh, y, m, n, k, w.dtype() == DType.BF16 ? cudart.CUDA_R_16BF : cudart.CUDA_R_16F);
            }
        }
        if (bias != null) {
            if (bias.shape().elementCount() != m) {
                throw new IllegalArgumentException("linear: bias " + bias.shape() + " for " + m + " outputs");
            }
            broadcastInto(y, asF32(bias), y, 0);
        }
        return y;
    }

    /**
     * {@code y[n, m] = x[n, k] · w[m, k]ᵀ} in cuBLAS's column-major terms: {@code yᵀ = w · xᵀ},
     * where row-major {@code w} is the column-major {@code k × m} matrix transposed.
     */
    private static void gemm(CudaDevice dev, CudaTensor w, CudaTensor x, CudaTensor y, int m, int n, int k, int type) {
        dev.makeCurrent();
        CudaCheck.cublas(cublas.cublasGemmEx(dev.blas, cublas.CUBLAS_OP_T, cublas.CUBLAS_OP_N, m, n, k, dev.one,
                new HostAddress(w.address()), type, k, new HostAddress(x.address()), type, k, dev.zero,
                new HostAddress(y.address()), cudart.CUDA_R_32F, m, cublas.CUBLAS_COMPUTE_32F,
                cublas.CUBLAS_GEMM_DEFAULT), "cublasGemmEx");
    }

    @Override
    public Tensor embedding(Tensor table, int[] ids) {
        CudaTensor t = of(table);
        if (t.shape().rank() != 2) {
            throw new IllegalArgumentException("embedding: table must be [vocab, d], got " + t.shape());
        }
        int vocab = t.shape().dim(0);
        int d = t.shape().dim(1);
        for (int id : ids) {
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("embedding: id " + id + " outside [0, " + vocab + ")");
            }
        }
        CudaTensor y = newF32(Shape.of(ids.length, d));
        gather(t, ids, y, d);
        return y;
    }

    private static void gather(CudaTensor table, int[] rows, CudaTensor y, int d) {
        if (rows.length == 0) {
            return;
        }
        CudaDevice dev = device();
        try (CudaTensor ids = CudaTensor.allocate(dev.memory, DType.I32, Shape.of(rows.length));
             IntPointer host = new IntPointer(rows)) {
            dev.upload(ids.address(), host, (long) rows.length * Integer.BYTES);
            long n = (long) rows.length * d;
            dev.launch("gather_rows", LaunchShape.elements(n), new KernelArgs().ptr(table).ptr(ids).ptr(y)
                    .i32(rows.length).i32(d).i32(dtypeCode(table.dtype())));
        }
    }

    // ---- normalisation ---------------------------------------------------------------------------

    @Override
    public Tensor rmsNorm(Tensor input, Tensor weight, float eps) {
        CudaTensor x = f32(input, "rmsNorm");
        CudaTensor w = of(weight);
        int d = x.shape().dim(-1);
        checkRowParameter("rmsNorm", w, d);
        int rows = Math.toIntExact(x.shape().elementCount() / d);
        CudaTensor y = newF32(x.shape());
        if (rows > 0) {
            device().launch("rms_norm", LaunchShape.rows(rows, d), new KernelArgs().ptr(x).ptr(w)
                    .i32(dtypeCode(w.dtype())).ptr(y).i32(d).f32(eps));
        }
        return y;
    }

    @Override
    public Tensor layerNorm(Tensor input, Tensor weight, Tensor bias, float eps) {
        CudaTensor x = f32(input, "layerNorm");
        CudaTensor w = of(weight);
        CudaTensor b = of(bias);
        int d = x.shape().dim(-1);
        checkRowParameter("layerNorm", w, d);
        checkRowParameter("layerNorm", b, d);
        if (w.dtype() != b.dtype()) {
            w = asF32(w);
            b = asF32(b);
        }
        int rows = Math.toIntExact(x.shape().elementCount() / d);
        CudaTensor y = newF32(x.shape());
        if (rows > 0) {
            device().launch("layer_norm", LaunchShape.rows(rows, d), new KernelArgs().ptr(x).ptr(w).ptr(b)
                    .i32(dtypeCode(w.dtype())).ptr(y).i32(d).f32(eps));
        }
        return y;
    }

    private static void checkRowParameter(String op, CudaTensor p, int d) {
        if (p.shape().elementCount() != d) {
            throw new IllegalArgumentException(op + ": parameter " + p.shape() + " for rows of " + d);
        }
    }

    // ---- rotary ----------------------------------------------------------------------------------

    @Override
    public Tensor rotary(Tensor input, Tensor cos, Tensor sin, RotaryLayout layout) {
        CudaTensor x = f32(input, "rotary");
        CudaTensor c = f32(cos, "rotary");
        CudaTensor s = f32(sin, "rotary");
        if (x.shape().rank() != 3 || c.shape().rank() != 2 || !c.shape().equals(s.shape())
                || c.shape().dim(0) != x.shape().dim(0) || 2 * c.shape().dim(1) > x.shape().dim(2)) {
            throw new IllegalArgumentException("rotary: x " + x.shape() + " with tables " + c.shape() + ", " + s.shape());
        }
        CudaTensor y = newF32(x.shape());
        long n = x.shape().elementCount();
        if (n > 0) {
            device().launch("rotary", LaunchShape.elements(n), new KernelArgs().ptr(x).ptr(c).ptr(s).ptr(y)
                    .i32(x.shape().dim(0)).i32(x.shape().dim(1)).i32(x.shape().dim(2)).i32(c.shape().dim(1))
                    .i32(layout == RotaryLayout.HALF ? 0 : 1));
        }
        return y;
    }

    // ---- elementwise -----------------------------------------------------------------------------

    static int activationCode(Activation f) {
        return switch (f) {
            case SILU -> 0;
            case GELU_ERF -> 1;
            case GELU_TANH -> 2;
            case QUICK_GELU -> 3;
            case TANH -> 4;
        };
    }

    @Override
    public Tensor activation(Tensor input, Activation f) {
        CudaTensor x = f32(input, "activation");
        CudaTensor y = newF32(x.shape());
        long n = x.shape().elementCount();
        if (n > 0) {
            device().launch("activation", LaunchShape.elements(n),
                    new KernelArgs().ptr(x).ptr(y).i64(n).i32(activationCode(f)));
        }
        return y;
    }

    @Override
    public Tensor gatedActivation(Tensor gate, Tensor up, Activation f) {
        CudaTensor g = f32(gate, "gatedActivation");
        CudaTensor u = f32(up, "gatedActivation");
        if (!g.shape().equals(u.shape())) {
            throw new IllegalArgumentException("gatedActivation: " + g.shape() + " against " + u.shape());
        }
        CudaTensor y = newF32(g.shape());
        long n = g.shape().elementCount();
        if (n > 0) {
            device().launch("gated_activation", LaunchShape.elements(n),
                    new KernelArgs().ptr(g).ptr(u).ptr(y).i64(n).i32(activationCode(f)));
        }
        return y;
    }

    @Override
    public Tensor add(Tensor a, Tensor b) {
        return broadcast("add", a, b, 0, false);
    }

    @Override
    public Tensor mul(Tensor a, Tensor b) {
        return broadcast("mul", a, b, 1, false);
    }

    @Override
    public void addInPlace(Tensor a, Tensor b) {
        broadcast("addInPlace", a, b, 0, true);
    }

    /** {@code a op b} with {@code b} of {@code a}'s shape or its trailing dimensions; op 0 add, 1 multiply. */
    private CudaTensor broadcast(String name, Tensor a, Tensor b, int op, boolean inPlace) {
        CudaTensor x = f32(a, name);
        Shape s = b.shape();
        boolean trailing = s.rank() <= x.shape().rank();
        for (int i = 1; trailing && i <= s.rank(); i++) {
            trailing = x.shape().dim(-i) == s.dim(-i);
        }
        if (!trailing) {
            throw new IllegalArgumentException(name + ": " + s + " is neither the shape of " + x.shape()
                    + " nor its trailing dimensions");
        }
        CudaTensor y = inPlace ? x : newF32(x.shape());
        broadcastInto(x, asF32(b), y, op);
        return y;
    }

    private static void broadcastInto(CudaTensor a, CudaTensor b, CudaTensor y, int op) {
        long n = a.shape().elementCount();
        long bn = b.shape().elementCount();
        if (n > 0 && bn > 0) {
            device().launch("broadcast_binary", LaunchShape.elements(n),
                    new KernelArgs().ptr(a).ptr(b).ptr(y).i64(n).i64(bn).i32(op));
        }
    }

    @Override
    public Tensor scale(Tensor a, float s) {
        CudaTensor x = f32(a, "scale");
        CudaTensor y = newF32(x.shape());
        long n = x.shape().elementCount();
        if (n > 0) {
            device().launch("scale", LaunchShape.elements(n), new KernelArgs().ptr(x).ptr(y).i64(n).f32(s));
        }
        return y;
    }

    @Override
    public Tensor softmax(Tensor input) {
        CudaTensor x = f32(input, "softmax");
        int d = x.shape().dim(-1);
        int rows = d == 0 ? 0 : Math.toIntExact(x.shape().elementCount() / d);
        CudaTensor y = newF32(x.shape());
        if (rows > 0) {
            device().launch("softmax_rows", LaunchShape.rows(rows, d), new KernelArgs().ptr(x).ptr(y).i32(d));
        }
        return y;
    }

    // ---- shape and data movement -----------------------------------------------------------------

    @Override
    public Tensor reshape(Tensor input, Shape shape) {
        CudaTensor x = of(input);
        if (x.shape().elementCount() != shape.elementCount()) {
            throw new IllegalArgumentException("reshape: " + x.shape() + " has no shape " + shape);
        }
        return x.view(shape, 0);
    }

    @Override
    public Tensor slice(Tensor input, int dim, int start, int end) {
        CudaTensor x = of(input);
        int[] dims = x.shape().dims();
        int d = dim < 0 ? dim + dims.length : dim;
        if (d < 0 || d >= dims.length || start < 0 || end > dims[d] || start > end) {
            throw new IllegalArgumentException("slice: [" + start + ", " + end + ") of dimension " + dim + " of " + x.shape());
        }
        long outer = 1;
        for (int i = 0; i < d; i++) {
            outer *= dims[i];
        }
        long inner = 1;
        for (int i = d + 1; i < dims.length; i++) {
            inner *= dims[i];
        }
        int[] out = dims.clone();
        out[d] = end - start;
        if (outer == 1) {
            return x.view(Shape.of(out), start * inner * x.dtype().byteSize());
        }
        CudaTensor y = CudaTensor.allocate(device().memory, x.dtype(), Shape.of(out));
        copyColumns(f32(x, "slice"), dims[d] * inner, start * inner, y, (end - start) * inner, 0, outer,
                (end - start) * inner);
        return y;
    }

    private static void copyColumns(CudaTensor x, long xStride, long xOffset, CudaTensor y, long yStride, long yOffset,
                                    long outer, long width) {
        long n = outer * width;
        if (n > 0) {
            device().launch("copy_columns", LaunchShape.elements(n), new KernelArgs().ptr(x).i64(xStride).i64(xOffset)
                    .ptr(y).i64(yStride).i64(yOffset).i64(outer).i64(width));
        }
    }

    @Override
    public Tensor transpose(Tensor input, int dim0, int dim1) {
        CudaTensor x = f32(input, "transpose");
        int[] dims = x.shape().dims();
        int a = Math.min(norm(dim0, dims.length), norm(dim1, dims.length));
        int b = Math.max(norm(dim0, dims.length), norm(dim1, dims.length));
        int[] out = dims.clone();
        out[a] = dims[b];
        out[b] = dims[a];
        CudaTensor y = newF32(Shape.of(out));
        if (a == b) {
            device().copy(y.address(), x.address(), x.byteSize());
            return y;
        }
        long outer = product(dims, 0, a);
        long mid = product(dims, a + 1, b);
        long inner = product(dims, b + 1, dims.length);
        long n = x.shape().elementCount();
        if (n > 0) {
            device().launch("transpose5", LaunchShape.elements(n), new KernelArgs().ptr(x).ptr(y).i64(outer).i32(dims[a])
                    .i64(mid).i32(dims[b]).i64(inner));
        }
        return y;
    }

    private static int norm(int dim, int rank) {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank) {
            throw new IllegalArgumentException("dimension " + dim + " of a rank-" + rank + " tensor");
        }
        return d;
    }

    private static long product(int[] dims, int from, int to) {
        long p = 1;
        for (int i = from; i < to; i++) {
            p *= dims[i];
        }
        return p;
    }

    @Override
    public Tensor concat(int dim, List<Tensor> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("concat: no tensors");
        }
        int[] first = parts.getFirst().shape().dims();
        int d = norm(dim, first.length);
        int total = 0;
        for (Tensor p : parts) {
            int[] pd = p.shape().dims();
            for (int i = 0; i < first.length; i++) {
                if (pd.length != first.length || (i != d && pd[i] != first[i])) {
                    throw new IllegalArgumentException("concat along " + dim + ": " + p.shape() + " against "
                            + parts.getFirst().shape());
                }
            }
            total += pd[d];
        }
        int[] out = first.clone();
        out[d] = total;
        CudaTensor y = newF32(Shape.of(out));
        long outer = product(first, 0, d);
        long inner = product(first, d + 1, first.length);
        long offset = 0;
        for (Tensor p : parts) {
            CudaTensor x = f32(p, "concat");
            long width = x.shape().dim(d) * inner;
            copyColumns(x, width, 0, y, total * inner, offset, outer, width);
            offset += width;
        }
        return y;
    }

    @Override
    public Tensor gatherRows(Tensor input, int[] rows) {
        CudaTensor x = of(input);
        int n = x.shape().dim(0);
        int d = Math.toIntExact(x.shape().elementCount() / Math.max(1, n));
        for (int r : rows) {
            if (r < 0 || r >= n) {
                throw new IllegalArgumentException("gatherRows: row " + r + " of " + x.shape());
            }
        }
        CudaTensor y = newF32(Shape.of(rows.length, d));
        gather(x, rows, y, d);
        return y;
    }

    @Override
    public void copyRowsInPlace(Tensor source, int srcRow, Tensor destination, int dstRow, int count) {
        CudaTensor src = f32(source, "copyRowsInPlace");
        CudaTensor dst = f32(destination, "copyRowsInPlace");
        int d = dst.shape().dim(-1);
        if (src.shape().dim(-1) != d || srcRow < 0 || dstRow < 0 || count < 0
                || (long) (srcRow + count) * d > src.shape().elementCount()
                || (long) (dstRow + count) * d > dst.shape().elementCount()) {
            throw new IllegalArgumentException("copyRowsInPlace: rows " + srcRow + "+" + count + " of " + src.shape()
                    + " to " + dstRow + " of " + dst.shape());
        }
        device().copy(dst.address() + (long) dstRow * d * Float.BYTES, src.address() + (long) srcRow * d * Float.BYTES,
                (long) count * d * Float.BYTES);
    }

    @Override
    public Tensor patchify(Tensor image, int patch) {
        CudaTensor x = f32(image, "patchify");
        if (x.shape().rank() != 3 || patch <= 0 || x.shape().dim(1) % patch != 0 || x.shape().dim(2) % patch != 0) {
            throw new IllegalArgumentException("patchify: " + x.shape() + " into " + patch + "-pixel patches");
        }
        int c = x.shape().dim(0);
        int h = x.shape().dim(1);
        int w = x.shape().dim(2);
        CudaTensor y = newF32(Shape.of((h / patch) * (w / patch), c * patch * patch));
        long n = y.shape().elementCount();
        if (n > 0) {
            device().launch("patchify", LaunchShape.elements(n),
                    new KernelArgs().ptr(x).ptr(y).i32(c).i32(h).i32(w).i32(patch));
        }
        return y;
    }
}
