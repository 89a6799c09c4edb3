#ifndef JOULEBENCH_CCKERNELS_H
#define JOULEBENCH_CCKERNELS_H
/*
 * Pixel kernels of the Imaging module (resize and pyrDown inner loops), in C so that the
 * compiler's vectoriser and the AVX2/AVX-512 gather and multiply-add instructions can be
 * used. Each works on one row; the Swift callers (ResizeKernels, PyramidKernels) own the
 * buffers, the geometry and the caching, and are tested against OpenCV and naive
 * references. Every pointer must be valid for the counts given; rows never alias.
 */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Horizontal 2-tap pass, one channel: out[k] = src[left[k]] * w0 + src[left[k] + 1] * w1,
 * where weights[k] packs w0 in its low and w1 in its high 16 bits (signed, |w| <= 32767).
 * Precondition: left[k] + 1 < src_width for every k, and `left` non-decreasing.
 * Optional (both or neither may be NULL): for each full block b of 16 outputs,
 * block_base[b] = left[16b] when left[16b + 15] + 1 - left[16b] < 64, else -1, and
 * block_permute[32b + 2j] = left[16b + j] - block_base[b], block_permute[32b + 2j + 1] = that + 1
 * (used with AVX-512 VBMI byte permutes instead of gathers).
 */
void cc_hline_linear_c1(const uint8_t *src, int src_width, const int32_t *left, const int32_t *weights,
                        const int32_t *block_base, const uint8_t *block_permute, int32_t *out, int count);

/**
 * Horizontal 2-tap pass, any channel count: out[k] = src[left[k]] * w0 + src[right[k]] * w1
 * (component offsets into a row of src_row_bytes bytes), weights packed as above.
 * Optional blocks as above, with block_base[b] = the smallest left offset of the block
 * when the block's largest right offset is less than base + 64, else -1, and
 * block_permute[32b + 2j] = left[16b + j] - base, block_permute[32b + 2j + 1] = right[16b + j] - base.
 */
void cc_hline_linear_cn(const uint8_t *src, int src_row_bytes, const int32_t *left, const int32_t *right,
                        const int32_t *weights, const int32_t *block_base, const uint8_t *block_permute,
                        int32_t *out, int count);

/**
 * OpenCV INTER_LINEAR vertical pass (VResizeLinear<uchar, int, short>):
 * out[k] = ((b0 * (r0[k] >> 4)) >> 16 + (b1 * (r1[k] >> 4)) >> 16 + 2) >> 2.
 */
void cc_vline_linear8(const int32_t *r0, const int32_t *r1, int b0, int b1, uint8_t *out, int count);

/**
 * OpenCV INTER_LINEAR_EXACT vertical pass: out[k] = (r0[k] * w0 + r1[k] * w1 + 32768) >> 16
 * (rows in 8.8 fixed point, weights in 0.8).
 */
void cc_vline_exact8(const int32_t *r0, const int32_t *r1, uint32_t w0, uint32_t w1, uint8_t *out, int count);

/** INTER_LINEAR_EXACT edge rows: out[k] = (r[k] + 128) >> 8. */
void cc_vline_exact8_copy(const int32_t *r, uint8_t *out, int count);

/**
 * pyrDown horizontal pass, interior outputs of one row of `channels`-interleaved 8-bit data:
 * for output pixels x in [x_begin, x_end) and each channel c,
 * out[x*cn+c] = s[2x-2] + 4 s[2x-1] + 6 s[2x] + 4 s[2x+1] + s[2x+2] (pixel offsets, same
 * channel). Precondition: 2*x_begin - 2 >= 0 and 2*(x_end - 1) + 2 < source width.
 */
void cc_pyrdown_row8(const uint8_t *src, int channels, int x_begin, int x_end, uint16_t *out);

/** pyrDown vertical pass: out[k] = (r0 + 4 r1 + 6 r2 + 4 r3 + r4 + 128) >> 8. */
void cc_pyrdown_col8(const uint16_t *r0, const uint16_t *r1, const uint16_t *r2, const uint16_t *r3,
                     const uint16_t *r4, uint8_t *out, int count);

#ifdef __cplusplus
}
#endif
#endif
