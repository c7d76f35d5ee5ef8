/*
 * BF16 linear layers at the CPU's BF16 rate (AVX512-BF16 VDPBF16PS), called from Java through
 * the FFM API (Bf16DotKernel). Built with gcc at package time; the Java side loads it only on a CPU
 * that reports avx512_bf16, so these instructions never run elsewhere.
 *
 * y[i, c] = sum_k x[i, k] * w[c, k] (+ bias[c]), x rounded to BF16 beforehand, products and sums
 * in F32. Every output has one 16-lane accumulator that takes its row's pairs in the same order
 * (32 columns per step, a masked tail, then one fixed horizontal sum), whatever tile it is in,
 * so a row's result does not depend on how many rows share the call.
 */
#include <immintrin.h>
#include <stdint.h>

/* Rows of x kept hot while a block of weight rows is swept over them (bytes of BF16). */
#define X_CHUNK_BYTES (256 * 1024)

/* F32 -> BF16, round to nearest even (VCVTNEPS2BF16), 16 values per step. */
void iris_bf16_round(const float *src, uint16_t *dst, int64_t count) {
    int64_t i = 0;
    for (; i + 16 <= count; i += 16) {
        __m256bh b = _mm512_cvtneps_pbh(_mm512_loadu_ps(src + i));
        _mm256_storeu_si256((__m256i *) (dst + i), (__m256i) b);
    }
    if (i < count) {
        __mmask16 m = (__mmask16) ((1u << (count - i)) - 1);
        __m256bh b = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, src + i));
        _mm256_mask_storeu_epi16(dst + i, m, (__m256i) b);
    }
}

/*
 * The sum of a vector's 16 lanes in one fixed tree: lane i + lane i+8, then i + i+4, i + i+2,
 * i + i+1. Every output is summed this way, alone (reduce1) or sixteen at once (reduce16).
 */
static inline float reduce1(__m512 v) {
    __m256 a = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
    __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    __m128 c = _mm_add_ps(b, _mm_movehl_ps(b, b));
    return _mm_cvtss_f32(_mm_add_ss(c, _mm_movehdup_ps(c)));
}

/*
 * reduce1 of a 4x4 tile's accumulators at once, by shuffles that pair the same lanes:
 * out[4r + c] = reduce1(acc[r][c]).
 * About thirty shuffles and fifteen adds instead of sixteen separate trees.
 */
static inline void reduce16(__m512 acc[4][4], float out[16]) {
    __m512 v[16], a[8], b[4], c[2];
    for (int i = 0; i < 16; i++) v[i] = acc[i / 4][i % 4];
    for (int p = 0; p < 8; p++) /* [v.q0+v.q2, v.q1+v.q3] for v[2p] and v[2p+1] */
        a[p] = _mm512_add_ps(_mm512_shuffle_f32x4(v[2 * p], v[2 * p + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                             _mm512_shuffle_f32x4(v[2 * p], v[2 * p + 1], _MM_SHUFFLE(3, 2, 3, 2)));
    for (int p = 0; p < 4; p++) /* one 4-lane partial per 128-bit lane: v[4p], v[4p+1], v[4p+2], v[4p+3] */
        b[p] = _mm512_add_ps(_mm512_shuffle_f32x4(a[2 * p], a[2 * p + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                             _mm512_shuffle_f32x4(a[2 * p], a[2 * p + 1], _MM_SHUFFLE(3, 1, 3, 1)));
    for (int p = 0; p < 2; p++) /* lane j: two 2-lane partials, of v[8p+j] and v[8p+4+j] */
        c[p] = _mm512_add_ps(_mm512_shuffle_ps(b[2 * p], b[2 * p + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                             _mm512_shuffle_ps(b[2 * p], b[2 * p + 1], _MM_SHUFFLE(3, 2, 3, 2)));
    /* lane j: the sums of v[j], v[4+j], v[8+j], v[12+j] */
    __m512 s = _mm512_add_ps(_mm512_shuffle_ps(c[0], c[1], _MM_SHUFFLE(2, 0, 2, 0)),
                             _mm512_shuffle_ps(c[0], c[1], _MM_SHUFFLE(3, 1, 3, 1)));
    float lanes[16];
    _mm512_storeu_ps(lanes, s);
    for (int j = 0; j < 4; j++)
        for (int e = 0; e < 4; e++) out[4 * e + j] = lanes[4 * j + e];
}

/*
 * One tile: R rows of x (stride k) against C weight rows (wrow[c], stride k); stores `cols`
 * (1..C, C at most 4) of the C results of each row at y (row stride ldy). A short last block repeats its last
 * weight row and drops those results. R and C are constants at every call, so the accumulators
 * live in registers. With `next` (the following block's rows) each step also prefetches the
 * same columns of that block, so a block is in L1 before its first tile: batches of a few rows
 * do too little work per block to hide the weights' memory latency otherwise.
 */
static inline __attribute__((always_inline)) void tile(int R, int C, const uint16_t *x, int k,
                                                       const uint16_t *const *wrow, const uint16_t *const *next,
                                                       const float *bias, float *y, int64_t ldy, int cols) {
    __m512 acc[4][4];
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) acc[r][c] = _mm512_setzero_ps();
    int kk = 0;
    for (; kk + 32 <= k; kk += 32) {
        __m512bh wv[4];
        for (int c = 0; c < C; c++) wv[c] = (__m512bh) _mm512_loadu_si512(wrow[c] + kk);
        if (next)
            for (int c = 0; c < C; c++) _mm_prefetch((const char *) (next[c] + kk), _MM_HINT_T0);
        for (int r = 0; r < R; r++) {
            __m512bh xv = (__m512bh) _mm512_loadu_si512(x + (int64_t) r * k + kk);
            for (int c = 0; c < C; c++) acc[r][c] = _mm512_dpbf16_ps(acc[r][c], xv, wv[c]);
        }
    }
    if (kk < k) {
        __mmask32 m = (__mmask32) ((1ull << (k - kk)) - 1);
        __m512bh wv[4];
        for (int c = 0; c < C; c++) wv[c] = (__m512bh) _mm512_maskz_loadu_epi16(m, wrow[c] + kk);
        for (int r = 0; r < R; r++) {
            __m512bh xv = (__m512bh) _mm512_maskz_loadu_epi16(m, x + (int64_t) r * k + kk);
            for (int c = 0; c < C; c++) acc[r][c] = _mm512_dpbf16_ps(acc[r][c], xv, wv[c]);
        }
    }
    if (R == 4 && C == 4) {
        float sums[16];
        reduce16(acc, sums);
        for (int r = 0; r < R; r++)
            for (int c = 0; c < cols; c++)
                y[r * ldy + c] = sums[4 * r + c] + (bias ? bias[c] : 0.0f);
    } else {
        for (int r = 0; r < R; r++)
            for (int c = 0; c < cols; c++)
                y[r * ldy + c] = reduce1(acc[r][c]) + (bias ? bias[c] : 0.0f);
    }
}

/* Weight rows c0 .. c0+C-1 of w, the last valid one repeated past `rows`. */
static inline void weight_rows(const uint16_t *w, int k, int c0, int C, int rows, const uint16_t **wrow) {
    for (int c = 0; c < C; c++) {
        int row = c0 + c < rows ? c0 + c : rows - 1;
        wrow[c] = w + (int64_t) row * k;
    }
}

/*
 * y[i * ldy + c] for rows i < n of x ([n, k] BF16) and weight rows c < rows (w: [rows, k] BF16,
 * row-major), plus bias[c] when bias is not null. The caller splits the weight rows between
 * threads; x is swept in chunks that stay in L2 while each block of 4 weight rows stays in L1.
 */
void iris_bf16_linear(const uint16_t *x, int32_t n, int32_t k, const uint16_t *w, int32_t rows,
                      const float *bias, float *y, int64_t ldy) {
    const uint16_t *wrow[4], *next[4];
    if (n < 4) {
        /* Decode: memory-bound. One weight row at a time keeps each thread's reads one sequential
         * stream, which the prefetchers follow best (measured 1.3x over eight rows in flight). */
        for (int c = 0; c < rows; c++) {
            weight_rows(w, k, c, 1, rows, wrow);
            const float *b = bias ? bias + c : 0;
            if (n == 1) tile(1, 1, x, k, wrow, 0, b, y + c, ldy, 1);
            else if (n == 2) tile(2, 1, x, k, wrow, 0, b, y + c, ldy, 1);
            else tile(3, 1, x, k, wrow, 0, b, y + c, ldy, 1);
        }
        return;
    }
    int chunk = X_CHUNK_BYTES / (2 * k);
    chunk = chunk < 4 ? 4 : chunk / 4 * 4;
    for (int i0 = 0; i0 < n; i0 += chunk) {
        int i1 = i0 + chunk < n ? i0 + chunk : n;
        for (int c0 = 0; c0 < rows; c0 += 4) {
            int cols = rows - c0 < 4 ? rows - c0 : 4;
            weight_rows(w, k, c0, 4, rows, wrow);
            int last = c0 + 4 >= rows;
            if (!last) weight_rows(w, k, c0 + 4, 4, rows, next);
            const float *b = bias ? bias + c0 : 0;
            int i = i0;
            /* The block's first tile prefetches the next block. */
            if (i + 4 <= i1) {
                tile(4, 4, x + (int64_t) i * k, k, wrow, last ? 0 : next, b, y + i * ldy + c0, ldy, cols);
                i += 4;
            }
            for (; i + 4 <= i1; i += 4) tile(4, 4, x + (int64_t) i * k, k, wrow, 0, b, y + i * ldy + c0, ldy, cols);
            for (; i < i1; i++) tile(1, 4, x + (int64_t) i * k, k, wrow, 0, b, y + i * ldy + c0, ldy, cols);
        }
    }
}
