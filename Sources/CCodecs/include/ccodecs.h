#ifndef JOULEBENCH_CCODECS_H
#define JOULEBENCH_CCODECS_H
/*
 * C shim over libjpeg-turbo and libpng (internal to the Imaging module).
 *
 * Contract: every libjpeg/libpng call happens inside one of these functions, and each of
 * them installs its own setjmp point before calling the library, so a library error
 * longjmps only within C frames and comes back as a status code plus a message. No
 * longjmp ever crosses a Swift frame.
 *
 * Usage: create a decoder, read the header (cheap: no pixel buffer is allocated), check
 * the dimensions, allocate the destination, decode into it, destroy the decoder.
 * The encoded bytes passed to read_header must stay valid until the decode returns (or the
 * next read_header / destroy). A JPEG decoder may be reused: cc_jpeg_read_header may be
 * called again for the next image, after a successful or failed decode, or after a header
 * only (it resets the libjpeg struct with jpeg_abort_decompress). PNG decoders are
 * single-use.
 */
#include <stddef.h>
#include <stdint.h>

#include "cckernels.h" /* the pixel kernels of the same target */

#ifdef __cplusplus
extern "C" {
#endif

/** Status codes returned by every entry point. */
enum {
    CC_OK = 0,
    CC_ERR_CORRUPT = 1,     /* the library rejected the data */
    CC_ERR_TRUNCATED = 2,   /* the data ended before the image did */
    CC_ERR_UNSUPPORTED = 3, /* valid but not supported (e.g. CMYK JPEG) */
    CC_ERR_NOMEM = 4,       /* allocation failed */
    CC_ERR_USAGE = 5        /* call out of order or bad argument */
};

/* ---------------------------------------------------------------- JPEG */

/** JPEG colour spaces, as stored in the file (libjpeg's J_COLOR_SPACE, reduced). */
enum {
    CC_JPEG_CS_UNKNOWN = 0,
    CC_JPEG_CS_GRAY = 1,
    CC_JPEG_CS_YCBCR = 2,
    CC_JPEG_CS_RGB = 3,
    CC_JPEG_CS_CMYK = 4,
    CC_JPEG_CS_YCCK = 5
};

typedef struct cc_jpeg_info {
    int width;
    int height;
    int components;      /* components in the file: 1, 3 or 4 */
    int color_space;     /* CC_JPEG_CS_* */
    int progressive;     /* 1 when the file is progressive */
    int h_samp[4];       /* horizontal sampling factor of each component */
    int v_samp[4];       /* vertical sampling factor of each component */
} cc_jpeg_info;

typedef struct cc_jpeg_decoder cc_jpeg_decoder;

cc_jpeg_decoder *cc_jpeg_create(void);
void cc_jpeg_destroy(cc_jpeg_decoder *decoder);
/** Reads the header of `size` bytes at `data`; resets the decoder first (reusable). */
int cc_jpeg_read_header(cc_jpeg_decoder *decoder, const uint8_t *data, size_t size, cc_jpeg_info *info);
/**
 * Decodes the whole image into `dst` (rows of `row_stride_bytes`), as 8-bit gray
 * (`out_channels` 1) or interleaved RGB (`out_channels` 3), straight from libjpeg-turbo
 * (JCS_GRAYSCALE / JCS_EXT_RGB, ISLOW DCT and fancy upsampling set explicitly: the
 * settings of djpeg and of TurboJPEG's tjDecompress2 without flags, i.e. tjbench -rgb).
 * A premature end of data is an error (CC_ERR_TRUNCATED), not libjpeg's grey fill.
 */
int cc_jpeg_decode(cc_jpeg_decoder *decoder, uint8_t *dst, size_t row_stride_bytes, int out_channels);
/** Number of non-fatal libjpeg warnings seen so far (e.g. extraneous bytes). */
int cc_jpeg_warning_count(const cc_jpeg_decoder *decoder);
/** The last error message (empty string when none). Valid until destroy. */
const char *cc_jpeg_error_message(const cc_jpeg_decoder *decoder);

/* ----------------------------------------------------------------- PNG */

typedef struct cc_png_info {
    int width;
    int height;
    int bit_depth;        /* 1, 2, 4, 8 or 16, as stored */
    int color_type;       /* PNG colour type: 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA */
    int interlaced;       /* 1 for Adam7 */
    int has_transparency; /* 1 when a tRNS chunk is present */
    int out_channels;     /* channels cc_png_decode writes: 1 (gray types) or 3 */
    int out_bit_depth;    /* bit depth cc_png_decode writes: 8, or 16 (native endian) */
} cc_png_info;

typedef struct cc_png_decoder cc_png_decoder;

cc_png_decoder *cc_png_create(void);
void cc_png_destroy(cc_png_decoder *decoder);
int cc_png_read_header(cc_png_decoder *decoder, const uint8_t *data, size_t size, cc_png_info *info);
/**
 * Decodes into `dst` (rows of `row_stride_bytes`) with the layout announced in the info:
 * palette expanded to RGB, gray 1/2/4-bit scaled to 0…255, alpha dropped (not composited),
 * 16-bit samples kept and byte-swapped to native order, Adam7 de-interlaced. No gamma.
 */
int cc_png_decode(cc_png_decoder *decoder, uint8_t *dst, size_t row_stride_bytes);
const char *cc_png_error_message(const cc_png_decoder *decoder);

#ifdef __cplusplus
}
#endif
#endif
