/*
 * BF16 linear layers at the CPU's BF16 rate (AVX512-BF16 VDPBF16PS), called from Java through
 * the FFM API (Bf16DotKernel). Built with gcc at package time; the Java side loads it only on a CPU
 * that reports avx512_bf16, so these instructions never run elsewhere.
 *
 * y[i, c] = sum_k x[i, k] * w[c, k] (+ bias[c]), x rounded to BF16 beforehand, products and sums
 * in F32. The weight is first repacked into panels of 64 outputs, pair-interleaved: for each pair
 * of columns (2q, 2q+1), the 64 outputs' two values side by side (256 bytes), so one VDPBF16PS
 * multiplies a broadcast pair of x with the pairs of 16 outputs. Every output then has one F32
 * lane that takes its pairs in column order, whatever tile or batch size it is computed in, so a
 * row's result does not depend on how many rows share the call.
 */
#include <immintrin.h>
#include <stdint.h>

/* Outputs per panel: four 16-lane vectors. */
#define NR 64
/* Rows of x per tile: 6 rows x 4 vectors = 24 accumulators, with the 4 weight vectors and the
 * broadcast in registers too (29 of 32). */
#define MR 6
/* Rows of x kept hot while a panel is swept over them (bytes of BF16). */
#define X_CHUNK_BYTES (256 * 1024)

/* F32 -> BF16, round to nearest even (VCVTNEPS2BF16), 16 values per step. */
static void round_row(const float *src, uint16_t *dst, int64_t count) {
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

/* n rows of k F32 values (stride k) -> BF16 rows of stride k rounded up to even, the pad zero. */
void iris_bf16_round_rows(const float *src, int32_t n, int32_t k, uint16_t *dst) {
    if (k % 2 == 0) {
        round_row(src, dst, (int64_t) n * k);
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        round_row(src + i * k, dst + i * (k + 1), k);
        dst[i * (k + 1) + k] = 0;
    }
}

/*
 * Panels p0 .. p1-1 of w ([rows, k] BF16, row-major) into dst, which holds every panel of the
 * weight: panel p at p * kp * 128 values (kp = pairs per row, k rounded up to even), column pair q
 * of output j at (q * 64 + j) * 2. Outputs past `rows` and the odd column's partner are zero.
 * Sixteen pairs of a row at a time, so reads stay sequential and writes hit one panel slice.
 */
void iris_bf16_pack(const uint16_t *w, int32_t rows, int32_t k, int32_t p0, int32_t p1, uint16_t *dst) {
    int64_t kp = (k + 1) / 2;
    for (int64_t p = p0; p < p1; p++) {
        uint32_t *panel = (uint32_t *) (dst + p * kp * NR * 2);
        for (int64_t q0 = 0; q0 < kp; q0 += 16) {
            int64_t q1 = q0 + 16 < kp ? q0 + 16 : kp;
            for (int j = 0; j < NR; j++) {
                int64_t row = p * NR + j;
                for (int64_t q = q0; q < q1; q++) {
                    uint32_t pair = 0;
                    if (row < rows) {
                        const uint16_t *r = w + row * k;
                        pair = r[2 * q] | (2 * q + 1 < k ? (uint32_t) r[2 * q + 1] << 16 : 0);
                    }
                    panel[q * NR + j] = pair;
                }
            }
        }
    }
}

/*
 * One tile: R rows of x (stride ldx, pairs as 32-bit words) against one panel, for `cols` of its
 * 64 outputs, stored at y (row stride ldy) plus bias. R is a constant at every call, so the
 * accumulators live in registers. Per column pair: 4 weight vectors, R broadcasts, 4R products.
 */
static inline __attribute__((always_inline)) void tile(int R, const uint16_t *x, int64_t ldx, int64_t kp,
                                                       const uint16_t *panel, const float *bias, float *y,
                                                       int64_t ldy, int cols) {
    __m512 acc[MR][4];
    for (int r = 0; r < R; r++)
        for (int v = 0; v < 4; v++) acc[r][v] = _mm512_setzero_ps();
    for (int64_t q = 0; q < kp; q++) {
        const uint16_t *wq = panel + q * NR * 2;
        __m512bh w0 = (__m512bh) _mm512_loadu_si512(wq), w1 = (__m512bh) _mm512_loadu_si512(wq + 32),
                 w2 = (__m512bh) _mm512_loadu_si512(wq + 64), w3 = (__m512bh) _mm512_loadu_si512(wq + 96);
        for (int r = 0; r < R; r++) {
            __m512bh xr = (__m512bh) _mm512_set1_epi32(*(const int32_t *) (x + r * ldx + 2 * q));
            acc[r][0] = _mm512_dpbf16_ps(acc[r][0], xr, w0);
            acc[r][1] = _mm512_dpbf16_ps(acc[r][1], xr, w1);
            acc[r][2] = _mm512_dpbf16_ps(acc[r][2], xr, w2);
            acc[r][3] = _mm512_dpbf16_ps(acc[r][3], xr, w3);
        }
    }
    for (int v = 0; v < 4 && 16 * v < cols; v++) {
        __mmask16 m = cols - 16 * v >= 16 ? 0xffff : (__mmask16) ((1u << (cols - 16 * v)) - 1);
        __m512 b = bias ? _mm512_maskz_loadu_ps(m, bias + 16 * v) : _mm512_setzero_ps();
        for (int r = 0; r < R; r++) _mm512_mask_storeu_ps(y + r * ldy + 16 * v, m, _mm512_add_ps(acc[r][v], b));
    }
}

/*
 * y[i * ldy + c] for rows i < n of x ([n, ldx] BF16 from iris_bf16_round_rows, ldx = k rounded
 * up to even) and outputs c < rows of the packed panels at w (the first of them; rows counts
 * from its first output), plus bias[c] when bias is not null. The caller splits the panels
 * between threads; x is swept in chunks that stay in L2 while a panel is reused over them.
 */
void iris_bf16_linear(const uint16_t *x, int32_t n, int32_t k, const uint16_t *w, int32_t rows,
                      const float *bias, float *y, int64_t ldy) {
    int64_t kp = (k + 1) / 2, ldx = 2 * kp;
    int panels = (rows + NR - 1) / NR;
    int chunk = X_CHUNK_BYTES / (int) (2 * ldx);
    chunk = chunk < MR ? MR : chunk / MR * MR;
    for (int i0 = 0; i0 < n; i0 += chunk) {
        int i1 = i0 + chunk < n ? i0 + chunk : n;
        for (int p = 0; p < panels; p++) {
            const uint16_t *panel = w + p * kp * NR * 2;
            const float *b = bias ? bias + p * NR : 0;
            int cols = rows - p * NR < NR ? rows - p * NR : NR;
            float *yp = y + p * NR;
            int i = i0;
            for (; i + MR <= i1; i += MR) tile(MR, x + i * ldx, ldx, kp, panel, b, yp + i * ldy, ldy, cols);
            const uint16_t *xi = x + i * ldx;
            float *yi = yp + i * ldy;
            switch (i1 - i) {
                case 5: tile(5, xi, ldx, kp, panel, b, yi, ldy, cols); break;
                case 4: tile(4, xi, ldx, kp, panel, b, yi, ldy, cols); break;
                case 3: tile(3, xi, ldx, kp, panel, b, yi, ldy, cols); break;
                case 2: tile(2, xi, ldx, kp, panel, b, yi, ldy, cols); break;
                case 1: tile(1, xi, ldx, kp, panel, b, yi, ldy, cols); break;
                default: break;
            }
        }
    }
}
