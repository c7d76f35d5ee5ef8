/*
 * Q8_0 and Q4_0 linear layers with AVX512-VNNI int8 dot products, called from Java through the
 * FFM API (Int8DotKernel). Built with gcc at package time; loaded only on a CPU that reports
 * avx512_vnni.
 *
 * A Q8_0 or Q4_0 weight row is blocks of 32 columns: an F16 scale d and 32 codes, value =
 * d * code (Q4_0's codes are 4-bit, stored as code + 8). The activations are quantized per row in
 * blocks of 32 (scale dx = max|x| / 127, codes rounded to nearest), so one block's product is
 * dx * d * (sum of 32 code products), the integer sum exact. VPDPBUSD multiplies unsigned by
 * signed bytes: the weight codes are kept unsigned (Q8_0's with the sign bit flipped, code + 128;
 * Q4_0's as stored, code + 8) and that offset times the block's sum of x codes is taken off again.
 *
 * Weights are repacked into panels of 16 outputs; per block of 32 columns a panel holds the 16
 * F16 scales (32 bytes), then the codes by groups of 4 columns, each group the 16 outputs' 4 codes
 * side by side (64 bytes), so one VPDPBUSD multiplies a broadcast group of x with 16 outputs.
 * Q8_0: 8 groups of bytes. Q4_0: 4 vectors of nibbles, vector v holding group v in its low nibbles
 * and group v + 4 in its high ones (exactly the stored bytes' pairing). Every output sums its
 * blocks in column order in one F32 lane, whatever the tile or the batch, so a row's result does
 * not depend on how many rows share the call.
 */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

/* Outputs per panel (one 16-lane vector). */
#define NR 16
/* Rows of x per tile: 6 F32 accumulators and 6 integer ones, with the weight vectors. */
#define MR 6

/* Bytes per (panel, block of 32 columns): 16 F16 scales, then 16 x 32 codes of 8 or 4 bits. */
static int64_t panel_block(int bits) {
    return NR * 2 + NR * 32 * bits / 8;
}

/* Bytes per stored block of 32 columns. */
static int64_t stored_block(int bits) {
    return bits == 8 ? 34 : 18;
}

/*
 * Rows of x ([n, k] F32, k a multiple of 32) into codes ([n, k] int8), per-block scales
 * ([n, k/32] F32) and per-block sums of the codes ([n, k/32] int32). Rounding to nearest even
 * (VCVTPS2DQ), the scale's inverse as one division per block.
 */
void iris_int8_quantize_rows(const float *x, int32_t n, int32_t k, int8_t *codes, float *scales, int32_t *sums) {
    int64_t blocks = k / 32;
    for (int64_t i = 0; i < n; i++) {
        for (int64_t b = 0; b < blocks; b++) {
            const float *v = x + i * k + 32 * b;
            __m512 a0 = _mm512_loadu_ps(v), a1 = _mm512_loadu_ps(v + 16);
            float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(a0), _mm512_abs_ps(a1)));
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
 * Panels p0 .. p1-1 of a Q8_0 (bits 8) or Q4_0 (bits 4) weight (`rows` rows of k/32 stored
 * blocks) into dst, which holds every panel: panel p at p * (k/32) * panel_block(bits) bytes.
 * Outputs past `rows` get scale 0.
 */
void iris_int8_pack(int32_t bits, const uint8_t *w, int32_t rows, int32_t k, int32_t p0, int32_t p1, uint8_t *dst) {
    int64_t blocks = k / 32, pb = panel_block(bits), sb = stored_block(bits);
    for (int64_t p = p0; p < p1; p++) {
        for (int64_t b = 0; b < blocks; b++) {
            uint8_t *out = dst + (p * blocks + b) * pb;
            uint16_t *scale = (uint16_t *) out;
            uint8_t *codes = out + NR * 2;
            for (int j = 0; j < NR; j++) {
                int64_t row = p * NR + j;
                const uint8_t *block = row < rows ? w + (row * blocks + b) * sb : 0;
                scale[j] = block ? (uint16_t) (block[0] | block[1] << 8) : 0;
                for (int c = 0; c < 32 * bits / 8; c++) { /* c: a code (Q8_0) or a byte of two (Q4_0) */
                    uint8_t code = block ? (bits == 8 ? (uint8_t) (block[2 + c] ^ 0x80) : block[2 + c]) : 0;
                    codes[(c / 4) * NR * 4 + j * 4 + c % 4] = code;
                }
            }
        }
    }
}

/* x's 4 codes of group g of block b, row r, as one int for a broadcast. */
static inline int32_t quad(const int8_t *codes, int64_t k, int r, int64_t b, int g) {
    int32_t q;
    memcpy(&q, codes + r * k + 32 * b + 4 * g, 4);
    return q;
}

/* One tile: R rows of quantized x against one panel, `cols` of its 16 outputs, into y (+ bias). */
static inline __attribute__((always_inline)) void tile(int bits, int R, const int8_t *codes, const float *scales,
                                                       const int32_t *sums, int64_t k, const uint8_t *panel,
                                                       const float *bias, float *y, int64_t ldy, int cols) {
    int64_t blocks = k / 32, pb = panel_block(bits);
    int32_t offset = bits == 8 ? 128 : 8;
    __m512 acc[MR];
    for (int r = 0; r < R; r++) acc[r] = _mm512_setzero_ps();
    for (int64_t b = 0; b < blocks; b++) {
        const uint8_t *blk = panel + b * pb;
        __m512 wd = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) blk));
        __m512i dot[MR];
        for (int r = 0; r < R; r++) dot[r] = _mm512_setzero_si512();
        if (bits == 8) {
            for (int g = 0; g < 8; g++) {
                __m512i wv = _mm512_loadu_si512(blk + NR * 2 + g * NR * 4);
                for (int r = 0; r < R; r++)
                    dot[r] = _mm512_dpbusd_epi32(dot[r], wv, _mm512_set1_epi32(quad(codes, k, r, b, g)));
            }
        } else {
            __m512i nibble = _mm512_set1_epi8(0x0F);
            for (int v = 0; v < 4; v++) {
                __m512i raw = _mm512_loadu_si512(blk + NR * 2 + v * NR * 4);
                __m512i lo = _mm512_and_si512(raw, nibble), hi = _mm512_and_si512(_mm512_srli_epi16(raw, 4), nibble);
                for (int r = 0; r < R; r++) {
                    dot[r] = _mm512_dpbusd_epi32(dot[r], lo, _mm512_set1_epi32(quad(codes, k, r, b, v)));
                    dot[r] = _mm512_dpbusd_epi32(dot[r], hi, _mm512_set1_epi32(quad(codes, k, r, b, v + 4)));
                }
            }
        }
        for (int r = 0; r < R; r++) {
            __m512i exact = _mm512_sub_epi32(dot[r], _mm512_set1_epi32(offset * sums[r * blocks + b]));
            __m512 scale = _mm512_mul_ps(wd, _mm512_set1_ps(scales[r * blocks + b]));
            acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(exact), scale, acc[r]);
        }
    }
    __mmask16 m = cols >= 16 ? 0xffff : (__mmask16) ((1u << cols) - 1);
    __m512 bv = bias ? _mm512_maskz_loadu_ps(m, bias) : _mm512_setzero_ps();
    for (int r = 0; r < R; r++) _mm512_mask_storeu_ps(y + r * ldy, m, _mm512_add_ps(acc[r], bv));
}

/* Every tile of n rows against the panels of `rows` outputs, for one weight format. */
static inline __attribute__((always_inline)) void linear(int bits, const int8_t *codes, const float *scales,
                                                         const int32_t *sums, int32_t n, int32_t k, const uint8_t *w,
                                                         int32_t rows, const float *bias, float *y, int64_t ldy) {
    int64_t blocks = k / 32;
    int panels = (rows + NR - 1) / NR;
    for (int p = 0; p < panels; p++) {
        const uint8_t *panel = w + (int64_t) p * blocks * panel_block(bits);
        const float *bp = bias ? bias + p * NR : 0;
        int cols = rows - p * NR < NR ? rows - p * NR : NR;
        float *yp = y + p * NR;
        int i = 0;
        for (; i + MR <= n; i += MR)
            tile(bits, MR, codes + i * (int64_t) k, scales + i * blocks, sums + i * blocks, k, panel, bp, yp + i * ldy,
                 ldy, cols);
        const int8_t *ci = codes + i * (int64_t) k;
        const float *si = scales + i * blocks;
        const int32_t *ui = sums + i * blocks;
        float *yi = yp + i * ldy;
        switch (n - i) {
            case 5: tile(bits, 5, ci, si, ui, k, panel, bp, yi, ldy, cols); break;
            case 4: tile(bits, 4, ci, si, ui, k, panel, bp, yi, ldy, cols); break;
            case 3: tile(bits, 3, ci, si, ui, k, panel, bp, yi, ldy, cols); break;
            case 2: tile(bits, 2, ci, si, ui, k, panel, bp, yi, ldy, cols); break;
            case 1: tile(bits, 1, ci, si, ui, k, panel, bp, yi, ldy, cols); break;
            default: break;
        }
    }
}

/*
 * y[i * ldy + c] for rows i < n of quantized x (iris_int8_quantize_rows) and outputs c < rows of
 * the panels of a Q8_0 (bits 8) or Q4_0 (bits 4) weight at w (the first of them), plus bias[c]
 * when bias is not null. The caller splits the panels and rows between threads.
 */
void iris_int8_linear(int32_t bits, const int8_t *codes, const float *scales, const int32_t *sums, int32_t n,
                      int32_t k, const uint8_t *w, int32_t rows, const float *bias, float *y, int64_t ldy) {
    if (bits == 8) linear(8, codes, scales, sums, n, k, w, rows, bias, y, ldy);
    else linear(4, codes, scales, sums, n, k, w, rows, bias, y, ldy);
}
