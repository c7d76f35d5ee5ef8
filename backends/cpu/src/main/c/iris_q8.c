/*
 * Q8_0 linear layers with AVX512-VNNI int8 dot products, called from Java through the FFM API
 * (Q8DotKernel). Built with gcc at package time; loaded only on a CPU that reports avx512_vnni.
 *
 * A Q8_0 weight row is blocks of 32: an F16 scale d and 32 signed codes, value = d * code. The
 * activations are quantized the same way per row (scale dx = max|x| / 127, codes rounded to
 * nearest), so one block's product is dx * d * (sum of 32 code products), the integer sum exact.
 * VPDPBUSD multiplies unsigned by signed bytes: the weight codes are stored with their sign bit
 * flipped (code + 128, unsigned), and 128 * (the block's sum of x codes) is taken off again.
 *
 * Weights are repacked into panels of 16 outputs; per block of 32 columns a panel holds the 16
 * F16 scales (32 bytes) then 8 groups of 4 columns, each group the 16 outputs' 4 codes side by
 * side (64 bytes), so one VPDPBUSD multiplies a broadcast group of x with 16 outputs. Every
 * output sums its blocks in column order in one F32 lane, whatever the tile or the batch, so a
 * row's result does not depend on how many rows share the call.
 */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

/* Outputs per panel (one 16-lane vector). */
#define NR 16
/* Bytes per (panel, block of 32 columns): 16 F16 scales, 16 x 32 codes. */
#define PANEL_BLOCK (NR * 2 + NR * 32)
/* Rows of x per tile: 6 F32 accumulators and 6 integer ones, with the weight vector (13 of 32). */
#define MR 6

/*
 * Rows of x ([n, k] F32, k a multiple of 32) into codes ([n, k] int8), per-block scales
 * ([n, k/32] F32) and per-block sums of the codes ([n, k/32] int32). Rounding to nearest even
 * (VCVTPS2DQ), the scale's inverse as one division per block.
 */
void iris_q8_quantize_rows(const float *x, int32_t n, int32_t k, int8_t *codes, float *scales, int32_t *sums) {
    int64_t blocks = k / 32;
    for (int64_t i = 0; i < n; i++) {
        for (int64_t b = 0; b < blocks; b++) {
            const float *v = x + i * k + 32 * b;
            __m512 a0 = _mm512_loadu_ps(v), a1 = _mm512_loadu_ps(v + 16);
            __m512 m = _mm512_max_ps(_mm512_abs_ps(a0), _mm512_abs_ps(a1));
            float amax = _mm512_reduce_max_ps(m);
            float d = amax / 127.0f;
            float id = d == 0.0f ? 0.0f : 1.0f / d;
            __m512i q0 = _mm512_cvtps_epi32(_mm512_mul_ps(a0, _mm512_set1_ps(id)));
            __m512i q1 = _mm512_cvtps_epi32(_mm512_mul_ps(a1, _mm512_set1_ps(id)));
            _mm_storeu_si128((__m128i *) (codes + i * k + 32 * b), _mm512_cvtsepi32_epi8(q0));
            _mm_storeu_si128((__m128i *) (codes + i * k + 32 * b + 16), _mm512_cvtsepi32_epi8(q1));
            scales[i * blocks + b] = d;
            sums[i * blocks + b] = _mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1));
        }
    }
}

/*
 * Panels p0 .. p1-1 of a Q8_0 weight (rows of k/32 blocks of 34 bytes, `rows` rows) into dst,
 * which holds every panel: panel p at p * (k/32) * PANEL_BLOCK bytes. Outputs past `rows` get
 * scale 0 and code 0.
 */
void iris_q8_pack(const uint8_t *w, int32_t rows, int32_t k, int32_t p0, int32_t p1, uint8_t *dst) {
    int64_t blocks = k / 32;
    for (int64_t p = p0; p < p1; p++) {
        for (int64_t b = 0; b < blocks; b++) {
            uint8_t *out = dst + (p * blocks + b) * PANEL_BLOCK;
            uint16_t *scale = (uint16_t *) out;
            uint8_t *codes = out + NR * 2;
            for (int j = 0; j < NR; j++) {
                int64_t row = p * NR + j;
                const uint8_t *block = row < rows ? w + (row * blocks + b) * 34 : 0;
                scale[j] = block ? (uint16_t) (block[0] | block[1] << 8) : 0;
                for (int c = 0; c < 32; c++) {
                    codes[(c / 4) * NR * 4 + j * 4 + c % 4] = block ? (uint8_t) (block[2 + c] ^ 0x80) : 0x80;
                }
            }
        }
    }
}

/* One tile: R rows of quantized x against one panel, `cols` of its 16 outputs, into y (+ bias). */
static inline __attribute__((always_inline)) void tile(int R, const int8_t *codes, const float *scales,
                                                       const int32_t *sums, int64_t k, const uint8_t *panel,
                                                       const float *bias, float *y, int64_t ldy, int cols) {
    int64_t blocks = k / 32;
    __m512 acc[MR];
    for (int r = 0; r < R; r++) acc[r] = _mm512_setzero_ps();
    for (int64_t b = 0; b < blocks; b++) {
        const uint8_t *pb = panel + b * PANEL_BLOCK;
        __m512 wd = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) pb));
        __m512i dot[MR];
        for (int r = 0; r < R; r++) dot[r] = _mm512_setzero_si512();
        for (int g = 0; g < 8; g++) {
            __m512i wv = _mm512_loadu_si512(pb + NR * 2 + g * NR * 4);
            for (int r = 0; r < R; r++) {
                int32_t quad;
                memcpy(&quad, codes + r * k + 32 * b + 4 * g, 4);
                dot[r] = _mm512_dpbusd_epi32(dot[r], wv, _mm512_set1_epi32(quad));
            }
        }
        for (int r = 0; r < R; r++) {
            __m512i exact = _mm512_sub_epi32(dot[r], _mm512_set1_epi32(128 * sums[r * blocks + b]));
            __m512 scale = _mm512_mul_ps(wd, _mm512_set1_ps(scales[r * blocks + b]));
            acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(exact), scale, acc[r]);
        }
    }
    __mmask16 m = cols >= 16 ? 0xffff : (__mmask16) ((1u << cols) - 1);
    __m512 bv = bias ? _mm512_maskz_loadu_ps(m, bias) : _mm512_setzero_ps();
    for (int r = 0; r < R; r++) _mm512_mask_storeu_ps(y + r * ldy, m, _mm512_add_ps(acc[r], bv));
}

/*
 * y[i * ldy + c] for rows i < n of quantized x (iris_q8_quantize_rows) and outputs c < rows of the
 * panels at w (the first of them), plus bias[c] when bias is not null. The caller splits the
 * panels and rows between threads.
 */
void iris_q8_linear(const int8_t *codes, const float *scales, const int32_t *sums, int32_t n, int32_t k,
                    const uint8_t *w, int32_t rows, const float *bias, float *y, int64_t ldy) {
    int64_t blocks = k / 32;
    int panels = (rows + NR - 1) / NR;
    for (int p = 0; p < panels; p++) {
        const uint8_t *panel = w + (int64_t) p * blocks * PANEL_BLOCK;
        const float *bp = bias ? bias + p * NR : 0;
        int cols = rows - p * NR < NR ? rows - p * NR : NR;
        float *yp = y + p * NR;
        int i = 0;
        for (; i + MR <= n; i += MR)
            tile(MR, codes + i * (int64_t) k, scales + i * blocks, sums + i * blocks, k, panel, bp, yp + i * ldy, ldy, cols);
        const int8_t *ci = codes + i * (int64_t) k;
        const float *si = scales + i * blocks;
        const int32_t *ui = sums + i * blocks;
        float *yi = yp + i * ldy;
        switch (n - i) {
            case 5: tile(5, ci, si, ui, k, panel, bp, yi, ldy, cols); break;
            case 4: tile(4, ci, si, ui, k, panel, bp, yi, ldy, cols); break;
            case 3: tile(3, ci, si, ui, k, panel, bp, yi, ldy, cols); break;
            case 2: tile(2, ci, si, ui, k, panel, bp, yi, ldy, cols); break;
            case 1: tile(1, ci, si, ui, k, panel, bp, yi, ldy, cols); break;
            default: break;
        }
    }
}
