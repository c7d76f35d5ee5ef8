// Attention over keys addressed three ways, one kernel: paged self-attention (keys in K/V pages
// through the sequence's page table), paged cross-attention (encoder pages, optional mask) and
// dense block-diagonal attention (keys are rows of k/v tensors, optional mask).
//
// Grid (rows, heads), 4 warps per block. Warp w takes keys w, w+4, ...; each lane holds up to
// 8 of the head's dimensions (headDim <= 256), keeps a running max, sum and weighted value
// (online softmax), and the warps' partial results are merged at the end.

#define ATT_WARPS 4
#define ATT_MAX_DIM 256
#define ATT_PER_LANE (ATT_MAX_DIM / 32)

// Stores rows of new keys/values in their cache slots: k, v [rows, width]; cache [slots, width].
extern "C" __global__ void kv_write(const float* k, const float* v, float* kc, float* vc, const int* slots,
                                    int rows, int width) {
    for (i64 i = blockIdx.x * (i64) blockDim.x + threadIdx.x; i < (i64) rows * width; i += (i64) gridDim.x * blockDim.x) {
        int r = (int) (i / width), c = (int) (i % width);
        i64 at = (i64) slots[r] * width + c;
        kc[at] = k[i];
        vc[at] = v[i];
    }
}

// q, out [rows, heads, headDim]; keys/values [.., kvHeads, headDim] at slot s.
// Row r reads keys t in [firstKey[r], firstKey[r] + keyCount[r]); the slot of key t is
// pages[pageStart[r] + t / pageSize] * pageSize + t % pageSize, or t itself when pageStart[r] < 0.
// mask (may be null): additive, mask[r * maskStride + t].
extern "C" __global__ void attend(const float* q, const float* keys, const float* values, float* out,
                                  int heads, int kvHeads, int headDim, float scale,
                                  const int* firstKey, const int* keyCount, const int* pageStart,
                                  const int* pages, int pageSize, const float* mask, i64 maskStride) {
    __shared__ float sMax[ATT_WARPS], sSum[ATT_WARPS];
    __shared__ float sAcc[ATT_WARPS][ATT_MAX_DIM];
    int r = blockIdx.x, h = blockIdx.y;
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    int kh = h / (heads / kvHeads);
    const float* qh = q + ((i64) r * heads + h) * headDim;

    float qv[ATT_PER_LANE], acc[ATT_PER_LANE];
    for (int j = 0; j < ATT_PER_LANE; j++) {
        int d = lane + 32 * j;
        qv[j] = d < headDim ? qh[d] * scale : 0.0f;
        acc[j] = 0.0f;
    }
    float m = NEG_INF, l = 0.0f;
    int first = firstKey[r], count = keyCount[r], pt = pageStart[r];
    for (int n = warp; n < count; n += ATT_WARPS) {
        int t = first + n;
        i64 slot = pt < 0 ? t : (i64) pages[pt + t / pageSize] * pageSize + t % pageSize;
        const float* kr = keys + (slot * kvHeads + kh) * headDim;
        float part = 0.0f;
        for (int j = 0; j < ATT_PER_LANE; j++) {
            int d = lane + 32 * j;
            if (d < headDim) part += qv[j] * kr[d];
        }
        float s = warp_sum(part);
        if (mask != 0) s += mask[(i64) r * maskStride + t];
        if (s == NEG_INF) continue;
        float mNew = fmaxf(m, s);
        float corr = expf(m - mNew), p = expf(s - mNew);
        l = l * corr + p;
        const float* vr = values + (slot * kvHeads + kh) * headDim;
        for (int j = 0; j < ATT_PER_LANE; j++) {
            int d = lane + 32 * j;
            acc[j] = acc[j] * corr + (d < headDim ? p * vr[d] : 0.0f);
        }
        m = mNew;
    }
    if (lane == 0) { sMax[warp] = m; sSum[warp] = l; }
    for (int j = 0; j < ATT_PER_LANE; j++) {
        int d = lane + 32 * j;
        if (d < headDim) sAcc[warp][d] = acc[j];
    }
    __syncthreads();
    float mAll = NEG_INF;
    for (int w = 0; w < ATT_WARPS; w++) mAll = fmaxf(mAll, sMax[w]);
    float lAll = 0.0f;
    for (int w = 0; w < ATT_WARPS; w++) lAll += sMax[w] == NEG_INF ? 0.0f : sSum[w] * expf(sMax[w] - mAll);
    float* o = out + ((i64) r * heads + h) * headDim;
    for (int d = threadIdx.x; d < headDim; d += blockDim.x) {
        float v = 0.0f;
        if (lAll > 0.0f) {
            for (int w = 0; w < ATT_WARPS; w++)
                if (sMax[w] != NEG_INF) v += sAcc[w][d] * expf(sMax[w] - mAll);
            v /= lAll;
        }
        o[d] = v;
    }
}
