// Shared by every kernel file: fixed-width types without system headers (NVRTC has none),
// 16-bit float conversions, and warp/block reductions. Activations are float, row-major.
typedef unsigned short u16;
typedef unsigned int u32;
typedef long long i64;

#define NEG_INF __int_as_float(0xff800000)

// Storage types of weights and tables: DTYPE_F32 = 0, DTYPE_F16 = 1, DTYPE_BF16 = 2.
__device__ __forceinline__ float load_as_float(const void* p, i64 i, int dtype) {
    if (dtype == 0) return ((const float*) p)[i];
    u16 h = ((const u16*) p)[i];
    if (dtype == 2) return __uint_as_float(((u32) h) << 16);
    float f;
    asm("{ cvt.f32.f16 %0, %1; }" : "=f"(f) : "h"(h));
    return f;
}

__device__ __forceinline__ u16 float_to_bf16(float f) {
    // Round to nearest even, as PyTorch's .to(torch.bfloat16); NaN stays NaN.
    u32 b = __float_as_uint(f);
    if ((b & 0x7fffffffu) > 0x7f800000u) return (u16) ((b >> 16) | 0x40);
    return (u16) ((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);
}

__device__ __forceinline__ u16 float_to_f16(float f) {
    u16 h;
    asm("{ cvt.rn.f16.f32 %0, %1; }" : "=h"(h) : "f"(f));
    return h;
}

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
__device__ float block_sum(float v, float* scratch) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : 0.0f;
    return warp_sum(v);
}

__device__ float block_max(float v, float* scratch) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : NEG_INF;
    return warp_max(v);
}
