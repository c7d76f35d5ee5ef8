// Per-row ops: one block per row, the row's elements strided over the block's threads.

extern "C" __global__ void rms_norm(const float* x, const void* weight, int wtype, float* y, int d, float eps) {
    __shared__ float scratch[32];
    const float* xr = x + (i64) blockIdx.x * d;
    float* yr = y + (i64) blockIdx.x * d;
    float ss = 0.0f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) ss += xr[i] * xr[i];
    float inv = rsqrtf(block_sum(ss, scratch) / d + eps);
    for (int i = threadIdx.x; i < d; i += blockDim.x) yr[i] = xr[i] * inv * load_as_float(weight, i, wtype);
}

extern "C" __global__ void layer_norm(const float* x, const void* weight, const void* bias, int wtype, float* y,
                                      int d, float eps) {
    __shared__ float scratch[32];
    const float* xr = x + (i64) blockIdx.x * d;
    float* yr = y + (i64) blockIdx.x * d;
    float s = 0.0f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) s += xr[i];
    float mean = block_sum(s, scratch) / d;
    float v = 0.0f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) v += (xr[i] - mean) * (xr[i] - mean);
    float inv = rsqrtf(block_sum(v, scratch) / d + eps);
    for (int i = threadIdx.x; i < d; i += blockDim.x)
        yr[i] = (xr[i] - mean) * inv * load_as_float(weight, i, wtype) + load_as_float(bias, i, wtype);
}

extern "C" __global__ void softmax_rows(const float* x, float* y, int d) {
    __shared__ float scratch[32];
    const float* xr = x + (i64) blockIdx.x * d;
    float* yr = y + (i64) blockIdx.x * d;
    float m = NEG_INF;
    for (int i = threadIdx.x; i < d; i += blockDim.x) m = fmaxf(m, xr[i]);
    m = block_max(m, scratch);
    float s = 0.0f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) s += expf(xr[i] - m);
    float inv = 1.0f / block_sum(s, scratch);
    for (int i = threadIdx.x; i < d; i += blockDim.x) yr[i] = expf(xr[i] - m) * inv;
}

// x [tokens, heads, headDim]; cos/sin [tokens, half] with half = rotated/2 pairs per head.
// layout 0: pairs (i, i + half) (rotate_half); 1: pairs (2i, 2i + 1). Dimensions past 2·half pass.
extern "C" __global__ void rotary(const float* x, const float* cosT, const float* sinT, float* y,
                                  int tokens, int heads, int headDim, int half, int layout) {
    i64 total = (i64) tokens * heads * headDim;
    for (i64 i = blockIdx.x * (i64) blockDim.x + threadIdx.x; i < total; i += (i64) gridDim.x * blockDim.x) {
        int d = (int) (i % headDim);
        i64 head = i / headDim;
        int t = (int) (head / heads);
        const float* xh = x + head * headDim;
        if (d >= 2 * half) { y[i] = xh[d]; continue; }
        int pair, first;
        if (layout == 0) { pair = d < half ? d : d - half; first = d < half; }
        else { pair = d >> 1; first = (d & 1) == 0; }
        float c = cosT[(i64) t * half + pair], s = sinT[(i64) t * half + pair];
        float a = layout == 0 ? xh[pair] : xh[2 * pair];
        float b = layout == 0 ? xh[pair + half] : xh[2 * pair + 1];
        y[i] = first ? a * c - b * s : b * c + a * s;
    }
}
