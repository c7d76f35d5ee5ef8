// Elementwise ops over n floats, one thread per element (grid-stride). Activation codes follow
// dev.iris.api.compute.Activation: 0 SiLU, 1 GELU (erf), 2 GELU (tanh), 3 quick GELU, 4 tanh.

__device__ __forceinline__ float activate(float x, int f) {
    switch (f) {
        case 0: return x / (1.0f + expf(-x));
        case 1: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
        case 2: {
            float inner = 0.7978845608028654f * (x + 0.044715f * x * x * x);
            return 0.5f * x * (1.0f + tanhf(inner));
        }
        case 3: return x / (1.0f + expf(-1.702f * x));
        default: return tanhf(x);
    }
}

extern "C" __global__ void activation(const float* x, float* y, i64 n, int f) {
    for (i64 i = blockIdx.x * (i64) blockDim.x + threadIdx.x; i < n; i += (i64) gridDim.x * blockDim.x)
        y[i] = activate(x[i], f);
}

// y = f(gate) * up
extern "C" __global__ void gated_activation(const float* gate, const float* up, float* y, i64 n, int f) {
    for (i64 i = blockIdx.x * (i64) blockDim.x + threadIdx.x; i < n; i += (i64) gridDim.x * blockDim.x)
        y[i] = activate(gate[i], f) * up[i];
}

// y = a op b with b ([bn] floats) repeated over a's n elements: op 0 add, 1 multiply.
extern "C" __global__ void broadcast_binary(const float* a, const float* b, float* y, i64 n, i64 bn, int op) {
    for (i64 i = blockIdx.x * (i64) blockDim.x + threadIdx.x; i < n; i += (i64) gridDim.x * blockDim.x) {
        float v = b[i % bn];
        y[i] = op == 0 ? a[i] + v : a[i] * v;
    }
}

extern "C" __global__ void scale(const float* x, float* y, i64 n, float s) {
    for (i64 i = blockIdx.x * (i64) blockDim.x + threadIdx.x; i < n; i += (i64) gridDim.x * blockDim.x)
        y[i] = x[i] * s;
}

// Any storage type to float (embedding tables, 16-bit weights read as activations).
extern "C" __global__ void to_float(const void* x, float* y, i64 n, int dtype) {
    for (i64 i = blockIdx.x * (i64) blockDim.x + threadIdx.x; i < n; i += (i64) gridDim.x * blockDim.x)
        y[i] = load_as_float(x, i, dtype);
}

// Float activations to the 16-bit type of a weight, for tensor-core GEMMs (dtype 1 f16, 2 bf16).
extern "C" __global__ void from_float(const float* x, u16* y, i64 n, int dtype) {
    for (i64 i = blockIdx.x * (i64) blockDim.x + threadIdx.x; i < n; i += (i64) gridDim.x * blockDim.x)
        y[i] = dtype == 2 ? float_to_bf16(x[i]) : float_to_f16(x[i]);
}

// y[r, :] = table[ids[r], :] as floats: table [vocab, d] of any storage type, y [rows, d].
extern "C" __global__ void gather_rows(const void* table, const int* ids, float* y, int rows, int d, int dtype) {
    for (i64 i = blockIdx.x * (i64) blockDim.x + threadIdx.x; i < (i64) rows * d; i += (i64) gridDim.x * blockDim.x) {
        int r = (int) (i / d), c = (int) (i % d);
        y[i] = load_as_float(table, (i64) ids[r] * d + c, dtype);
    }
}

// Swaps dimensions d0 < d1 of a contiguous tensor seen as [outer, n0, mid, n1, inner].
extern "C" __global__ void transpose5(const float* x, float* y, i64 outer, int n0, i64 mid, int n1, i64 inner) {
    i64 total = outer * n0 * mid * n1 * inner;
    for (i64 i = blockIdx.x * (i64) blockDim.x + threadIdx.x; i < total; i += (i64) gridDim.x * blockDim.x) {
        // i indexes the output [outer, n1, mid, n0, inner].
        i64 r = i;
        i64 in = r % inner; r /= inner;
        i64 a0 = r % n0; r /= n0;
        i64 m = r % mid; r /= mid;
        i64 a1 = r % n1; r /= n1;
        i64 o = r;
        y[i] = x[(((o * n0 + a0) * mid + m) * n1 + a1) * inner + in];
    }
}

// A block of columns: y [outer, total] gets x [outer, width] at column offset (concat and slice
// along a non-leading dimension, with rows flattened to outer × (dim × inner)).
extern "C" __global__ void copy_columns(const float* x, i64 xStride, i64 xOffset, float* y, i64 yStride, i64 yOffset,
                                        i64 outer, i64 width) {
    for (i64 i = blockIdx.x * (i64) blockDim.x + threadIdx.x; i < outer * width; i += (i64) gridDim.x * blockDim.x) {
        i64 r = i / width, c = i % width;
        y[r * yStride + yOffset + c] = x[r * xStride + xOffset + c];
    }
}

// image [channels, h, w] -> [(h/p)·(w/p), channels·p·p], patches row-major, each as (channel, y, x).
extern "C" __global__ void patchify(const float* image, float* y, int channels, int h, int w, int p) {
    int gw = w / p, patches = (h / p) * gw, row = channels * p * p;
    for (i64 i = blockIdx.x * (i64) blockDim.x + threadIdx.x; i < (i64) patches * row; i += (i64) gridDim.x * blockDim.x) {
        int patch = (int) (i / row), k = (int) (i % row);
        int c = k / (p * p), dy = (k / p) % p, dx = k % p;
        int py = patch / gw, px = patch % gw;
        y[i] = image[((i64) c * h + py * p + dy) * w + px * p + dx];
    }
}
