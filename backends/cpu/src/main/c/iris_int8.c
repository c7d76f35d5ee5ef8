/*
 * Linear layers with llama.cpp's Q8_0, Q4_0, Q4_K and Q6_K weights by AVX512-VNNI int8 dot
 * products, called from Java through the FFM API (Int8DotKernel). Built with gcc at package time;
 * loaded only on a CPU that reports avx512_vnni.
 *
 * The activations are quantized per row in blocks (scale dx = max|x| / 127, codes rounded to
 * nearest) of 32 columns for Q8_0 and Q4_0 and of 256 for Q4_K and Q6_K (as llama.cpp's Q8_K), with
 * the sum of the codes of each 16 columns. A block's product with a weight is then dx times exact
 * integer sums of code products, scaled as the weight's format says:
 * - Q8_0, Q4_0: blocks of 32, an F16 scale d and codes (Q4_0's stored + 8); value = d * code.
 * - Q4_K: super-blocks of 256 with F16 d and dmin, and per block of 32 a 6-bit scale sc and min m;
 *   value = d*sc * q - dmin*m, q in 0..15. Per super-block: dx * (d * sum(sc * code products)
 *   - dmin * sum(m * x code sums)), both sums in integers.
 * - Q6_K: super-blocks of 256 with an F16 d and per 16 columns an int8 scale sc; value =
 *   d*sc * (q - 32), q in 0..63. Per super-block: dx * d * sum(sc * (code products - 32 * x code
 *   sums)), in integers.
 * VPDPBUSD multiplies unsigned weight bytes by signed x codes: Q8_0's codes are kept with the sign
 * bit flipped (code + 128), Q4_0's as stored (code + 8), Q6_K's as q; that offset times the sum of
 * the x codes is taken off again. Q4_K's q need no offset.
 *
 * Weights are repacked into panels of 16 outputs; per unit (a block of 32 columns for Q8_0 and
 * Q4_0, a super-block of 256 for Q4_K and Q6_K) a panel holds the 16 outputs' scales, then the
 * codes by groups of 4 columns, each group the 16 outputs' 4 codes side by side (64 bytes), so one
 * VPDPBUSD multiplies a broadcast group of x with 16 outputs. Bytes of 8-bit codes: Q8_0.
 * Nibbles: Q4_0 (vector v holds group v in its low nibbles and group v + 4 in its high ones) and
 * Q4_K (per pair of blocks, vector g holds group g of the first block low and of the second high)
 * - the stored bytes' own pairing. Q6_K keeps its 6.5 bits: per block of 32, Q4_0's four nibble
 * vectors of the low 4 bits, then two vectors of the high 2 bits (vector g % 2 holds group g's at
 * bit 2 * (g / 2)). Every output sums its blocks in column order in one F32 lane,
 * whatever the tile or the batch, so a row's result does not depend on how many rows share the call.
 */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

/* Outputs per panel (one 16-lane vector). */
#define NR 16
/* Rows of x per tile: 6 F32 accumulators and their integer ones, with the weight vectors. */
#define MR 6

/* Weight formats, as Int8DotKernel numbers them. */
#define Q8_0 0
#define Q4_0 1
#define Q4_K 2
#define Q6_K 3

/* Columns per unit of a panel. */
static int64_t unit_cols(int f) {
    return f == Q4_K || f == Q6_K ? 256 : 32;
}

/* Bytes per (panel, unit): the 16 outputs' scales and codes. */
static int64_t panel_unit(int f) {
    switch (f) {
        case Q8_0: return NR * 2 + NR * 32;
        case Q4_0: return NR * 2 + NR * 16;
        case Q4_K: return NR * 2 * 2 + NR * 8 * 2 + NR * 128; /* d, dmin; 8 scales, 8 mins; nibbles */
        default: return NR * 2 + NR * 16 + NR * 192;       /* d; 16 scales; low nibbles and high bit pairs */
    }
}

/* Bytes per stored unit. */
static int64_t stored_unit(int f) {
    switch (f) {
        case Q8_0: return 34;
        case Q4_0: return 18;
        case Q4_K: return 144;
        default: return 210;
    }
}

/*
 * Rows of x ([n, k] F32, k a multiple of qk) into codes ([n, k] int8), a scale per qk columns
 * ([n, k/qk] F32: 32 for Q8_0 and Q4_0; 256 for Q4_K and Q6_K, whose super-blocks then sum
 * their blocks in integers, as llama.cpp's Q8_K does) and the sums of the codes of each 16
 * columns ([n, k/16] int32). Rounding to nearest even (VCVTPS2DQ), the scale's inverse as one
 * division per block.
 */
void iris_int8_quantize_rows(const float *x, int32_t n, int32_t k, int32_t qk, int8_t *codes, float *scales,
                             int32_t *sums) {
    int64_t blocks = k / qk;
    for (int64_t i = 0; i < n; i++) {
        for (int64_t b = 0; b < blocks; b++) {
            const float *v = x + i * k + qk * b;
            __m512 amax = _mm512_setzero_ps();
            for (int c = 0; c < qk; c += 16) amax = _mm512_max_ps(amax, _mm512_abs_ps(_mm512_loadu_ps(v + c)));
            float d = _mm512_reduce_max_ps(amax) / 127.0f;
            float id = d == 0.0f ? 0.0f : 1.0f / d;
            for (int c = 0; c < qk; c += 16) {
                __m512i q = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(v + c), _mm512_set1_ps(id)));
                _mm_storeu_si128((__m128i *) (codes + i * k + qk * b + c), _mm512_cvtsepi32_epi8(q));
                sums[(i * k + qk * b + c) / 16] = _mm512_reduce_add_epi32(q);
            }
            scales[i * blocks + b] = d;
        }
    }
}

/* Q4_K's 6-bit scale (min: 0) or min (min: 1) of block j of a super-block's 12 packed bytes. */
static uint8_t q4k_scale(const uint8_t *q, int j, int min) {
    if (j < 4) return q[j + 4 * min] & 63;
    return min ? (uint8_t) ((q[j + 4] >> 4) | ((q[j] >> 6) << 4))
               : (uint8_t) ((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
}

/* Q6_K's q (0..63) of column e of a stored super-block. */
static uint8_t q6k_code(const uint8_t *blk, int e) {
    int h = e / 128, t = e % 128 / 32, l = e % 32;
    uint8_t ql = blk[64 * h + (t & 1) * 32 + l];
    uint8_t qh = blk[128 + 32 * h + l];
    return (uint8_t) ((t < 2 ? ql & 0xF : ql >> 4) | ((qh >> 2 * t) & 3) << 4);
}

/* One output's unit (stored at `blk`, or null past the last row) into slot j of a panel's unit. */
static void pack_unit(int f, const uint8_t *blk, int j, uint8_t *out) {
    uint8_t zero[210] = {0};
    const uint8_t *b = blk ? blk : zero;
    switch (f) {
        case Q8_0:
        case Q4_0: {
            memcpy(out + 2 * j, b, 2);
            int bytes = f == Q8_0 ? 32 : 16;
            for (int c = 0; c < bytes; c++) /* c: a code (Q8_0) or a byte of two (Q4_0) */
                out[NR * 2 + (c / 4) * NR * 4 + j * 4 + c % 4] = f == Q8_0 ? (uint8_t) (b[2 + c] ^ 0x80) : b[2 + c];
            break;
        }
        case Q4_K: {
            memcpy(out + 2 * j, b, 2);
            memcpy(out + NR * 2 + 2 * j, b + 2, 2);
            for (int sb = 0; sb < 8; sb++) {
                out[NR * 4 + sb * NR + j] = q4k_scale(b + 4, sb, 0);
                out[NR * 4 + NR * 8 + sb * NR + j] = q4k_scale(b + 4, sb, 1);
            }
            uint8_t *codes = out + NR * 4 + NR * 16;
            for (int pair = 0; pair < 4; pair++)
                for (int c = 0; c < 32; c++)
                    codes[(pair * 8 + c / 4) * NR * 4 + j * 4 + c % 4] = b[16 + 32 * pair + c];
            break;
        }
        default: {
            memcpy(out + 2 * j, b + 208, 2);
            for (int sb = 0; sb < 16; sb++) out[NR * 2 + sb * NR + j] = b[192 + sb];
            for (int blk6 = 0; blk6 < 8; blk6++) {
                uint8_t *lo = out + NR * 2 + NR * 16 + blk6 * NR * 24, *hi = lo + 4 * NR * 4;
                for (int v = 0; v < 4; v++) memset(lo + v * NR * 4 + j * 4, 0, 4); /* this output's bytes */
                for (int v = 0; v < 2; v++) memset(hi + v * NR * 4 + j * 4, 0, 4);
                for (int c = 0; c < 32; c++) {
                    uint8_t code = q6k_code(b, 32 * blk6 + c);
                    int g = c / 4, at = j * 4 + c % 4;
                    lo[(g % 4) * NR * 4 + at] |= (uint8_t) ((code & 0xF) << (g < 4 ? 0 : 4));
                    hi[(g % 2) * NR * 4 + at] |= (uint8_t) ((code >> 4) << 2 * (g / 2));
                }
            }
            break;
        }
    }
}

/*
 * Panels p0 .. p1-1 of a weight of format f (`rows` rows of k columns, stored units in row order)
 * into dst, which holds every panel: panel p at p * (k / unit_cols(f)) * panel_unit(f) bytes.
 * Outputs past `rows` get scale 0.
 */
void iris_int8_pack(int32_t f, const uint8_t *w, int32_t rows, int32_t k, int32_t p0, int32_t p1, uint8_t *dst) {
    int64_t units = k / unit_cols(f), pu = panel_unit(f), su = stored_unit(f);
    for (int64_t p = p0; p < p1; p++)
        for (int64_t u = 0; u < units; u++)
            for (int j = 0; j < NR; j++) {
                int64_t row = p * NR + j;
                pack_unit(f, row < rows ? w + (row * units + u) * su : 0, j, dst + (p * units + u) * pu);
            }
}

/* x's 4 codes of columns c .. c+3 of row r, as one int for a broadcast. */
static inline int32_t quad(const int8_t *codes, int64_t k, int r, int64_t c) {
    int32_t q;
    memcpy(&q, codes + r * k + c, 4);
    return q;
}

/* acc[r] += (dot[r] - offset * (x's code sum of block b)) * d * dx, for a format with one scale per block of 32. */
static inline __attribute__((always_inline)) void add_block(int R, __m512 *acc, const __m512i *dot, int32_t offset,
                                                            __m512 wd, const float *scales, const int32_t *sums,
                                                            int64_t blocks, int64_t b) {
    for (int r = 0; r < R; r++) {
        int32_t sum = sums[2 * (r * blocks + b)] + sums[2 * (r * blocks + b) + 1];
        __m512i exact = _mm512_sub_epi32(dot[r], _mm512_set1_epi32(offset * sum));
        acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(exact), _mm512_mul_ps(wd, _mm512_set1_ps(scales[r * blocks + b])),
                                 acc[r]);
    }
}

/* Sixteen bytes at p widened to F32 lanes (unsigned, or signed). */
static inline __m512 bytes_u(const uint8_t *p) {
    return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *) p)));
}

/* One tile: R rows of quantized x against one panel, `cols` of its 16 outputs, into y (+ bias). */
static inline __attribute__((always_inline)) void tile(int f, int R, const int8_t *codes, const float *scales,
                                                       const int32_t *sums, int64_t k, const uint8_t *panel,
                                                       const float *bias, float *y, int64_t ldy, int cols) {
    int64_t blocks = k / 32, units = k / unit_cols(f), pu = panel_unit(f);
    __m512i nibble = _mm512_set1_epi8(0x0F);
    __m512 acc[MR];
    __m512i dot[MR], dot2[MR];
    for (int r = 0; r < R; r++) acc[r] = _mm512_setzero_ps();
    for (int64_t u = 0; u < units; u++) {
        const uint8_t *unit = panel + u * pu;
        __m512 wd = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) unit));
        if (f == Q8_0 || f == Q4_0) {
            int64_t c0 = 32 * u;
            for (int r = 0; r < R; r++) dot[r] = _mm512_setzero_si512();
            for (int g = 0; g < (f == Q8_0 ? 8 : 4); g++) {
                __m512i raw = _mm512_loadu_si512(unit + NR * 2 + g * NR * 4);
                if (f == Q8_0) {
                    for (int r = 0; r < R; r++)
                        dot[r] = _mm512_dpbusd_epi32(dot[r], raw, _mm512_set1_epi32(quad(codes, k, r, c0 + 4 * g)));
                } else {
                    __m512i lo = _mm512_and_si512(raw, nibble), hi = _mm512_and_si512(_mm512_srli_epi16(raw, 4), nibble);
                    for (int r = 0; r < R; r++) {
                        dot[r] = _mm512_dpbusd_epi32(dot[r], lo, _mm512_set1_epi32(quad(codes, k, r, c0 + 4 * g)));
                        dot[r] = _mm512_dpbusd_epi32(dot[r], hi, _mm512_set1_epi32(quad(codes, k, r, c0 + 16 + 4 * g)));
                    }
                }
            }
            add_block(R, acc, dot, f == Q8_0 ? 128 : 8, wd, scales, sums, blocks, u);
        } else if (f == Q4_K) {
            /* Per super-block, in integers: sum of sc * (code products) and of m * (x code sums) over its 8 blocks. */
            __m512 wmin = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) (unit + NR * 2)));
            const uint8_t *sc = unit + NR * 4, *mn = unit + NR * 4 + NR * 8, *q = unit + NR * 4 + NR * 16;
            __m512i isum[MR];
            for (int r = 0; r < R; r++) isum[r] = _mm512_setzero_si512();
            for (int pair = 0; pair < 4; pair++) {
                int64_t c0 = 256 * u + 64 * pair;
                for (int r = 0; r < R; r++) dot[r] = dot2[r] = _mm512_setzero_si512();
                for (int g = 0; g < 8; g++) {
                    __m512i raw = _mm512_loadu_si512(q + (pair * 8 + g) * NR * 4);
                    __m512i lo = _mm512_and_si512(raw, nibble), hi = _mm512_and_si512(_mm512_srli_epi16(raw, 4), nibble);
                    for (int r = 0; r < R; r++) {
                        dot[r] = _mm512_dpbusd_epi32(dot[r], lo, _mm512_set1_epi32(quad(codes, k, r, c0 + 4 * g)));
                        dot2[r] = _mm512_dpbusd_epi32(dot2[r], hi, _mm512_set1_epi32(quad(codes, k, r, c0 + 32 + 4 * g)));
                    }
                }
                __m512i s0 = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *) (sc + 2 * pair * NR)));
                __m512i s1 = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *) (sc + (2 * pair + 1) * NR)));
                for (int r = 0; r < R; r++)
                    isum[r] = _mm512_add_epi32(isum[r], _mm512_add_epi32(_mm512_mullo_epi32(s0, dot[r]),
                                                                         _mm512_mullo_epi32(s1, dot2[r])));
            }
            for (int r = 0; r < R; r++) {
                const int32_t *xs = sums + (r * k + 256 * u) / 16;
                __m512i imin = _mm512_setzero_si512();
                for (int j = 0; j < 8; j++) {
                    __m512i m = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *) (mn + j * NR)));
                    imin = _mm512_add_epi32(imin, _mm512_mullo_epi32(m, _mm512_set1_epi32(xs[2 * j] + xs[2 * j + 1])));
                }
                __m512 dx = _mm512_set1_ps(scales[r * units + u]);
                acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[r]), _mm512_mul_ps(wd, dx), acc[r]);
                acc[r] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(imin), _mm512_mul_ps(wmin, dx), acc[r]);
            }
        } else if (R <= 2) {
            /*
             * A decode step's rows: the codes are not put together. The low nibbles' products and the
             * high pairs' are summed apart, the pairs masked in place, so a pair at bit s counts 2^s
             * times (code = low + 16 * high; 16 * high = pair * 2^s * 16 / 2^s, exact).
             */
            const int8_t *sc = (const int8_t *) (unit + NR * 2);
            const uint8_t *q = unit + NR * 2 + NR * 16;
            __m512i isum[MR]; /* the super-block's sum of sc * (code products less 32 x code sums), exact */
            for (int r = 0; r < R; r++) isum[r] = _mm512_setzero_si512();
            for (int blk = 0; blk < 8; blk++) {
                int64_t b = 8 * u + blk, c0 = 32 * b;
                const uint8_t *lo = q + blk * NR * 24, *hi = lo + 4 * NR * 4;
                __m512i hv[2] = {_mm512_loadu_si512(hi), _mm512_loadu_si512(hi + NR * 4)};
                __m512i low[MR][2], high[MR][4]; /* [row][half], [row][bit 0, 2, 4, 6] */
                for (int r = 0; r < R; r++) {
                    low[r][0] = low[r][1] = _mm512_setzero_si512();
                    for (int s2 = 0; s2 < 4; s2++) high[r][s2] = _mm512_setzero_si512();
                }
                for (int g = 0; g < 8; g++) {
                    __m512i n = _mm512_loadu_si512(lo + (g % 4) * NR * 4);
                    n = g < 4 ? _mm512_and_si512(n, nibble) : _mm512_and_si512(_mm512_srli_epi16(n, 4), nibble);
                    __m512i h = _mm512_and_si512(hv[g % 2], _mm512_set1_epi8((char) (3 << 2 * (g / 2))));
                    for (int r = 0; r < R; r++) {
                        __m512i xq = _mm512_set1_epi32(quad(codes, k, r, c0 + 4 * g));
                        low[r][g / 4] = _mm512_dpbusd_epi32(low[r][g / 4], n, xq);
                        high[r][g / 2] = _mm512_dpbusd_epi32(high[r][g / 2], h, xq);
                    }
                }
                __m512i s0 = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *) (sc + 2 * blk * NR)));
                __m512i s1 = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *) (sc + (2 * blk + 1) * NR)));
                for (int r = 0; r < R; r++) {
                    __m512i d0 = _mm512_add_epi32(low[r][0], _mm512_add_epi32(_mm512_slli_epi32(high[r][0], 4),
                                                                              _mm512_slli_epi32(high[r][1], 2)));
                    __m512i d1 = _mm512_add_epi32(low[r][1], _mm512_add_epi32(high[r][2], _mm512_srai_epi32(high[r][3], 2)));
                    __m512i e0 = _mm512_sub_epi32(d0, _mm512_set1_epi32(32 * sums[2 * (r * blocks + b)]));
                    __m512i e1 = _mm512_sub_epi32(d1, _mm512_set1_epi32(32 * sums[2 * (r * blocks + b) + 1]));
                    __m512i exact = _mm512_add_epi32(_mm512_mullo_epi32(s0, e0), _mm512_mullo_epi32(s1, e1));
                    isum[r] = _mm512_add_epi32(isum[r], exact);
                }
            }
            for (int r = 0; r < R; r++)
                acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[r]),
                                         _mm512_mul_ps(wd, _mm512_set1_ps(scales[r * units + u])), acc[r]);
        } else {
            const int8_t *sc = (const int8_t *) (unit + NR * 2);
            const uint8_t *q = unit + NR * 2 + NR * 16;
            __m512i isum[MR]; /* the super-block's sum of sc * (code products less 32 x code sums), exact */
            for (int r = 0; r < R; r++) isum[r] = _mm512_setzero_si512();
            __m512i pair = _mm512_set1_epi8(0x03);
            for (int blk = 0; blk < 8; blk++) {
                int64_t b = 8 * u + blk, c0 = 32 * b;
                const uint8_t *lo = q + blk * NR * 24, *hi = lo + 4 * NR * 4;
                __m512i h0 = _mm512_loadu_si512(hi), h1 = _mm512_loadu_si512(hi + NR * 4);
                for (int r = 0; r < R; r++) dot[r] = dot2[r] = _mm512_setzero_si512();
                for (int g = 0; g < 8; g++) {
                    __m512i n = _mm512_loadu_si512(lo + (g % 4) * NR * 4);
                    n = g < 4 ? _mm512_and_si512(n, nibble) : _mm512_and_si512(_mm512_srli_epi16(n, 4), nibble);
                    __m512i h = _mm512_and_si512(_mm512_srli_epi16(g % 2 ? h1 : h0, 2 * (g / 2)), pair);
                    __m512i raw = _mm512_or_si512(n, _mm512_slli_epi16(h, 4));
                    for (int r = 0; r < R; r++) {
                        __m512i xq = _mm512_set1_epi32(quad(codes, k, r, c0 + 4 * g));
                        if (g < 4) dot[r] = _mm512_dpbusd_epi32(dot[r], raw, xq);
                        else dot2[r] = _mm512_dpbusd_epi32(dot2[r], raw, xq);
                    }
                }
                __m512i s0 = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *) (sc + 2 * blk * NR)));
                __m512i s1 = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *) (sc + (2 * blk + 1) * NR)));
                for (int r = 0; r < R; r++) {
                    __m512i e0 = _mm512_sub_epi32(dot[r], _mm512_set1_epi32(32 * sums[2 * (r * blocks + b)]));
                    __m512i e1 = _mm512_sub_epi32(dot2[r], _mm512_set1_epi32(32 * sums[2 * (r * blocks + b) + 1]));
                    __m512i exact = _mm512_add_epi32(_mm512_mullo_epi32(s0, e0), _mm512_mullo_epi32(s1, e1));
                    isum[r] = _mm512_add_epi32(isum[r], exact);
                }
            }
            for (int r = 0; r < R; r++)
                acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[r]),
                                         _mm512_mul_ps(wd, _mm512_set1_ps(scales[r * units + u])), acc[r]);
        }
    }
    __mmask16 m = cols >= 16 ? 0xffff : (__mmask16) ((1u << cols) - 1);
    __m512 bv = bias ? _mm512_maskz_loadu_ps(m, bias) : _mm512_setzero_ps();
    for (int r = 0; r < R; r++) _mm512_mask_storeu_ps(y + r * ldy, m, _mm512_add_ps(acc[r], bv));
}

/* Every tile of n rows against the panels of `rows` outputs, for one weight format. */
static inline __attribute__((always_inline)) void linear(int f, const int8_t *codes, const float *scales,
                                                         const int32_t *sums, int32_t n, int32_t k, const uint8_t *w,
                                                         int32_t rows, const float *bias, float *y, int64_t ldy) {
    /* x's scales: one per block of 32 for Q8_0 and Q4_0, per super-block for Q4_K and Q6_K */
    int64_t blocks = k / 32, xblocks = k / unit_cols(f), panel_bytes = k / unit_cols(f) * panel_unit(f);
    int panels = (rows + NR - 1) / NR;
    for (int p = 0; p < panels; p++) {
        const uint8_t *panel = w + (int64_t) p * panel_bytes;
        const float *bp = bias ? bias + p * NR : 0;
        int cols = rows - p * NR < NR ? rows - p * NR : NR;
        float *yp = y + p * NR;
        int i = 0;
        for (; i + MR <= n; i += MR)
            tile(f, MR, codes + i * (int64_t) k, scales + i * xblocks, sums + 2 * i * blocks, k, panel, bp,
                 yp + i * ldy, ldy, cols);
        const int8_t *ci = codes + i * (int64_t) k;
        const float *si = scales + i * xblocks;
        const int32_t *ui = sums + 2 * i * blocks;
        float *yi = yp + i * ldy;
        switch (n - i) {
            case 5: tile(f, 5, ci, si, ui, k, panel, bp, yi, ldy, cols); break;
            case 4: tile(f, 4, ci, si, ui, k, panel, bp, yi, ldy, cols); break;
            case 3: tile(f, 3, ci, si, ui, k, panel, bp, yi, ldy, cols); break;
            case 2: tile(f, 2, ci, si, ui, k, panel, bp, yi, ldy, cols); break;
            case 1: tile(f, 1, ci, si, ui, k, panel, bp, yi, ldy, cols); break;
            default: break;
        }
    }
}

/*
 * y[i * ldy + c] for rows i < n of quantized x (iris_int8_quantize_rows with qk = 32 for Q8_0 and
 * Q4_0, 256 for Q4_K and Q6_K) and outputs c < rows of
 * the panels of a weight of format f at w (the first of them), plus bias[c] when bias is not
 * null. The caller splits the panels and rows between threads.
 */
void iris_int8_linear(int32_t f, const int8_t *codes, const float *scales, const int32_t *sums, int32_t n,
                      int32_t k, const uint8_t *w, int32_t rows, const float *bias, float *y, int64_t ldy) {
    switch (f) {
        case Q8_0: linear(Q8_0, codes, scales, sums, n, k, w, rows, bias, y, ldy); break;
        case Q4_0: linear(Q4_0, codes, scales, sums, n, k, w, rows, bias, y, ldy); break;
        case Q4_K: linear(Q4_K, codes, scales, sums, n, k, w, rows, bias, y, ldy); break;
        default: linear(Q6_K, codes, scales, sums, n, k, w, rows, bias, y, ldy); break;
    }
}
