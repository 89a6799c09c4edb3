/* Pixel kernels: see include/cckernels.h for the contracts. */
#include "cckernels.h"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

/* Outputs [k, end) with gathers (4 bytes at each left offset; bytes 0 and 1 become two 16-bit
 * lanes and vpmaddwd forms s0*w0 + s1*w1), then scalar where a gather would leave the row. */
static void hline_c1_range(const uint8_t *src, int src_width, const int32_t *left, const int32_t *weights,
                           int32_t *out, int k, int end) {
#if defined(__AVX2__)
    const __m256i unpack = _mm256_setr_epi8(0, -128, 1, -128, 4, -128, 5, -128, 8, -128, 9, -128, 12, -128, 13, -128,
                                            0, -128, 1, -128, 4, -128, 5, -128, 8, -128, 9, -128, 12, -128, 13, -128);
    for (; k + 8 <= end && left[k + 7] + 3 < src_width; k += 8) {
        __m256i index = _mm256_loadu_si256((const __m256i *)(left + k));
        __m256i gathered = _mm256_i32gather_epi32((const int *)src, index, 1);
        __m256i pair = _mm256_shuffle_epi8(gathered, unpack);
        __m256i w = _mm256_loadu_si256((const __m256i *)(weights + k));
        _mm256_storeu_si256((__m256i *)(out + k), _mm256_madd_epi16(pair, w));
    }
#endif
    for (; k < end; k++) {
        int32_t w = weights[k];
        out[k] = (int32_t)src[left[k]] * (int16_t)(w & 0xFFFF) + (int32_t)src[left[k] + 1] * (w >> 16);
    }
}

#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
/* One block of 16 outputs whose source bytes lie in [base, base + 64): one (masked) 64-byte
 * load, one vpermb placing each output's two source bytes side by side, zero-extension to
 * 16 bits and vpmaddwd with the packed weights. */
static inline void hline_permute_block(const uint8_t *src, int src_row_bytes, int32_t base, const uint8_t *permute,
                                       const int32_t *weights, int32_t *out) {
    int available = src_row_bytes - base;
    __mmask64 mask = available >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << available) - 1);
    __m512i data = _mm512_maskz_loadu_epi8(mask, src + base);
    __m256i index = _mm256_loadu_si256((const __m256i *)permute);
    __m512i bytes = _mm512_permutexvar_epi8(_mm512_castsi256_si512(index), data);
    __m512i pairs = _mm512_cvtepu8_epi16(_mm512_castsi512_si256(bytes));
    _mm512_storeu_si512((void *)out, _mm512_madd_epi16(pairs, _mm512_loadu_si512((const void *)weights)));
}
#endif

void cc_hline_linear_c1(const uint8_t *src, int src_width, const int32_t *left, const int32_t *weights,
                        const int32_t *block_base, const uint8_t *block_permute, int32_t *out, int count) {
    int k = 0;
#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
    /* Blocks of 16 outputs whose taps span at most 64 source bytes (any scale below ~4). */
    if (block_base && block_permute) {
        for (; k + 16 <= count; k += 16) {
            int32_t base = block_base[k / 16];
            if (base < 0) {
                hline_c1_range(src, src_width, left, weights, out, k, k + 16);
                continue;
            }
            hline_permute_block(src, src_width, base, block_permute + (size_t)(k / 16) * 32, weights + k, out + k);
        }
    }
#else
    (void)block_base;
    (void)block_permute;
#endif
    hline_c1_range(src, src_width, left, weights, out, k, count);
}

void cc_hline_linear_cn(const uint8_t *src, int src_row_bytes, const int32_t *left, const int32_t *right,
                        const int32_t *weights, const int32_t *block_base, const uint8_t *block_permute,
                        int32_t *out, int count) {
    int k = 0;
#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
    /* As in cc_hline_linear_c1, with the left and right bytes placed by the permute. */
    if (block_base && block_permute) {
        for (; k + 16 <= count; k += 16) {
            int32_t base = block_base[k / 16];
            if (base < 0) {
                for (int j = k; j < k + 16; j++) {
                    int32_t w = weights[j];
                    out[j] = (int32_t)src[left[j]] * (int16_t)(w & 0xFFFF) + (int32_t)src[right[j]] * (w >> 16);
                }
                continue;
            }
            hline_permute_block(src, src_row_bytes, base, block_permute + (size_t)(k / 16) * 32, weights + k, out + k);
        }
    }
#else
    (void)src_row_bytes;
    (void)block_base;
    (void)block_permute;
#endif
    for (; k < count; k++) {
        int32_t w = weights[k];
        out[k] = (int32_t)src[left[k]] * (int16_t)(w & 0xFFFF) + (int32_t)src[right[k]] * (w >> 16);
    }
}

void cc_vline_linear8(const int32_t *r0, const int32_t *r1, int b0, int b1, uint8_t *out, int count) {
    for (int k = 0; k < count; k++) {
        out[k] = (uint8_t)((((b0 * (r0[k] >> 4)) >> 16) + ((b1 * (r1[k] >> 4)) >> 16) + 2) >> 2);
    }
}

void cc_vline_exact8(const int32_t *r0, const int32_t *r1, uint32_t w0, uint32_t w1, uint8_t *out, int count) {
    for (int k = 0; k < count; k++) {
        out[k] = (uint8_t)(((uint32_t)r0[k] * w0 + (uint32_t)r1[k] * w1 + 32768u) >> 16);
    }
}

void cc_vline_exact8_copy(const int32_t *r, uint8_t *out, int count) {
    for (int k = 0; k < count; k++) out[k] = (uint8_t)(((uint32_t)r[k] + 128u) >> 8);
}

void cc_pyrdown_row8(const uint8_t *src, int channels, int x_begin, int x_end, uint16_t *out) {
    if (channels == 1) {
        for (int x = x_begin; x < x_end; x++) {
            const uint8_t *s = src + 2 * x;
            out[x] = (uint16_t)(s[-2] + s[2] + 4 * (s[-1] + s[1]) + 6 * s[0]);
        }
    } else if (channels == 3) {
        for (int x = x_begin; x < x_end; x++) {
            const uint8_t *s = src + 6 * x;
            out[3 * x] = (uint16_t)(s[-6] + s[6] + 4 * (s[-3] + s[3]) + 6 * s[0]);
            out[3 * x + 1] = (uint16_t)(s[-5] + s[7] + 4 * (s[-2] + s[4]) + 6 * s[1]);
            out[3 * x + 2] = (uint16_t)(s[-4] + s[8] + 4 * (s[-1] + s[5]) + 6 * s[2]);
        }
    } else {
        const int cn = channels;
        for (int x = x_begin; x < x_end; x++) {
            for (int c = 0; c < cn; c++) {
                const uint8_t *s = src + 2 * x * cn + c;
                out[x * cn + c] = (uint16_t)(s[-2 * cn] + s[2 * cn] + 4 * (s[-cn] + s[cn]) + 6 * s[0]);
            }
        }
    }
}

void cc_pyrdown_col8(const uint16_t *r0, const uint16_t *r1, const uint16_t *r2, const uint16_t *r3,
                     const uint16_t *r4, uint8_t *out, int count) {
    for (int k = 0; k < count; k++) {
        /* At most 16 * 4080 + 128 = 65408: fits in 16 bits. */
        uint16_t sum = (uint16_t)(r0[k] + r4[k] + 4 * (r1[k] + r3[k]) + 6 * r2[k] + 128);
        out[k] = (uint8_t)(sum >> 8);
    }
}
