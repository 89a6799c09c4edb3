/*
 * C shim over libjpeg-turbo and libpng. See include/ccodecs.h for the contract.
 * Each public entry point sets its own setjmp point; library error callbacks longjmp
 * back to it, so control never leaves C while unwinding an error.
 */
#include "ccodecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#define CC_MESSAGE_CAPACITY 256

static void cc_set_message(char *dst, const char *src) {
    strncpy(dst, src, CC_MESSAGE_CAPACITY - 1);
    dst[CC_MESSAGE_CAPACITY - 1] = '\0';
}

/* ================================================================ JPEG */

struct cc_jpeg_decoder {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr jerr;
    jmp_buf jump;
    int status;          /* status to return after a longjmp */
    int created;         /* jpeg_create_decompress done */
    int header_read;
    int warnings;
    char message[CC_MESSAGE_CAPACITY];
};

static void cc_jpeg_error_exit(j_common_ptr cinfo) {
    cc_jpeg_decoder *d = (cc_jpeg_decoder *)cinfo->client_data;
    char buffer[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, buffer);
    cc_set_message(d->message, buffer);
    int code = cinfo->err->msg_code;
    if (code == JERR_INPUT_EMPTY || code == JERR_INPUT_EOF) {
        d->status = CC_ERR_TRUNCATED;
    } else if (code == JERR_OUT_OF_MEMORY) {
        d->status = CC_ERR_NOMEM;
    } else {
        d->status = CC_ERR_CORRUPT;
    }
    longjmp(d->jump, 1);
}

static void cc_jpeg_emit_message(j_common_ptr cinfo, int msg_level) {
    if (msg_level >= 0) return; /* trace messages */
    cc_jpeg_decoder *d = (cc_jpeg_decoder *)cinfo->client_data;
    if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
        /* libjpeg would fill the rest with grey: we refuse the file instead. */
        char buffer[JMSG_LENGTH_MAX];
        (*cinfo->err->format_message)(cinfo, buffer);
        cc_set_message(d->message, buffer);
        d->status = CC_ERR_TRUNCATED;
        longjmp(d->jump, 1);
    }
    d->warnings += 1;
}

static void cc_jpeg_output_message(j_common_ptr cinfo) { (void)cinfo; }

cc_jpeg_decoder *cc_jpeg_create(void) {
    cc_jpeg_decoder *d = (cc_jpeg_decoder *)calloc(1, sizeof(cc_jpeg_decoder));
    if (!d) return NULL;
    d->cinfo.err = jpeg_std_error(&d->jerr);
    d->jerr.error_exit = cc_jpeg_error_exit;
    d->jerr.emit_message = cc_jpeg_emit_message;
    d->jerr.output_message = cc_jpeg_output_message;
    d->cinfo.client_data = d;
    if (setjmp(d->jump)) {
        free(d);
        return NULL;
    }
    jpeg_create_decompress(&d->cinfo);
    d->created = 1;
    return d;
}

void cc_jpeg_destroy(cc_jpeg_decoder *d) {
    if (!d) return;
    if (d->created) {
        if (setjmp(d->jump) == 0) jpeg_destroy_decompress(&d->cinfo);
    }
    free(d);
}

int cc_jpeg_read_header(cc_jpeg_decoder *d, const uint8_t *data, size_t size, cc_jpeg_info *info) {
    if (!d || !data || !info) return CC_ERR_USAGE;
    d->message[0] = '\0';
    d->warnings = 0;
    if (size == 0) {
        cc_set_message(d->message, "empty input");
        return CC_ERR_TRUNCATED;
    }
    if (setjmp(d->jump)) {
        d->header_read = 0;
        return d->status;
    }
    /* Reuse: whatever the previous image left (finished, failed mid-way, or only its
     * header read), jpeg_abort_decompress returns the struct to its start state and frees
     * that image's memory; the struct and its permanent pool are kept (as TurboJPEG does
     * with a handle reused across images). */
    jpeg_abort_decompress(&d->cinfo);
    d->header_read = 0;
    jpeg_mem_src(&d->cinfo, data, (unsigned long)size);
    jpeg_read_header(&d->cinfo, TRUE);
    d->header_read = 1;

    memset(info, 0, sizeof(*info));
    info->width = (int)d->cinfo.image_width;
    info->height = (int)d->cinfo.image_height;
    info->components = d->cinfo.num_components;
    info->progressive = d->cinfo.progressive_mode ? 1 : 0;
    switch (d->cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE: info->color_space = CC_JPEG_CS_GRAY; break;
    case JCS_YCbCr: info->color_space = CC_JPEG_CS_YCBCR; break;
    case JCS_RGB: info->color_space = CC_JPEG_CS_RGB; break;
    case JCS_CMYK: info->color_space = CC_JPEG_CS_CMYK; break;
    case JCS_YCCK: info->color_space = CC_JPEG_CS_YCCK; break;
    default: info->color_space = CC_JPEG_CS_UNKNOWN; break;
    }
    for (int c = 0; c < d->cinfo.num_components && c < 4; c++) {
        info->h_samp[c] = d->cinfo.comp_info[c].h_samp_factor;
        info->v_samp[c] = d->cinfo.comp_info[c].v_samp_factor;
    }
    return CC_OK;
}

int cc_jpeg_decode(cc_jpeg_decoder *d, uint8_t *dst, size_t row_stride_bytes, int out_channels) {
    if (!d || !dst || !d->header_read) return CC_ERR_USAGE;
    if (out_channels != 1 && out_channels != 3) return CC_ERR_USAGE;
    J_COLOR_SPACE cs = d->cinfo.jpeg_color_space;
    if (cs == JCS_CMYK || cs == JCS_YCCK) {
        cc_set_message(d->message, "CMYK/YCCK JPEG is not supported");
        return CC_ERR_UNSUPPORTED;
    }
    d->header_read = 0; /* one decode per header */
    if (setjmp(d->jump)) return d->status;
    /* The same settings as TurboJPEG's tjDecompress2 without flags (what tjbench runs):
     * packed RGB output, ISLOW integer DCT, fancy (smooth) upsampling. Set explicitly so a
     * reused struct cannot carry other values over. */
    d->cinfo.out_color_space = out_channels == 1 ? JCS_GRAYSCALE : JCS_EXT_RGB;
    d->cinfo.dct_method = JDCT_ISLOW;
    d->cinfo.do_fancy_upsampling = TRUE;
    jpeg_start_decompress(&d->cinfo);
    if ((int)d->cinfo.output_components != out_channels) {
        cc_set_message(d->message, "unexpected output component count");
        jpeg_abort_decompress(&d->cinfo);
        return CC_ERR_UNSUPPORTED;
    }
    /* Hand libjpeg several destination rows per call, straight into the final buffer. */
    enum { ROWS = 16 };
    JSAMPROW rows[ROWS];
    while (d->cinfo.output_scanline < d->cinfo.output_height) {
        JDIMENSION first = d->cinfo.output_scanline;
        JDIMENSION count = d->cinfo.output_height - first;
        if (count > ROWS) count = ROWS;
        for (JDIMENSION i = 0; i < count; i++) rows[i] = dst + (size_t)(first + i) * row_stride_bytes;
        jpeg_read_scanlines(&d->cinfo, rows, count);
    }
    jpeg_finish_decompress(&d->cinfo);
    return CC_OK;
}

int cc_jpeg_warning_count(const cc_jpeg_decoder *d) { return d ? d->warnings : 0; }

const char *cc_jpeg_error_message(const cc_jpeg_decoder *d) { return d ? d->message : ""; }

/* ================================================================= PNG */

struct cc_png_decoder {
    png_structp png;
    png_infop info;
    const uint8_t *data;
    size_t size;
    size_t offset;
    int truncated;
    int header_read;
    cc_png_info header;
    char message[CC_MESSAGE_CAPACITY];
};

static void cc_png_error(png_structp png, png_const_charp message) {
    cc_png_decoder *d = (cc_png_decoder *)png_get_error_ptr(png);
    if (d && !d->truncated) cc_set_message(d->message, message ? message : "libpng error");
    png_longjmp(png, 1);
}

static void cc_png_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

static void cc_png_read(png_structp png, png_bytep out, size_t length) {
    cc_png_decoder *d = (cc_png_decoder *)png_get_io_ptr(png);
    if (d->size - d->offset < length) {
        d->truncated = 1;
        cc_set_message(d->message, "unexpected end of PNG data");
        png_error(png, "unexpected end of PNG data");
    }
    memcpy(out, d->data + d->offset, length);
    d->offset += length;
}

cc_png_decoder *cc_png_create(void) {
    cc_png_decoder *d = (cc_png_decoder *)calloc(1, sizeof(cc_png_decoder));
    if (!d) return NULL;
    d->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, d, cc_png_error, cc_png_warning);
    if (!d->png) {
        free(d);
        return NULL;
    }
    d->info = png_create_info_struct(d->png);
    if (!d->info) {
        png_destroy_read_struct(&d->png, NULL, NULL);
        free(d);
        return NULL;
    }
    return d;
}

void cc_png_destroy(cc_png_decoder *d) {
    if (!d) return;
    png_destroy_read_struct(&d->png, &d->info, NULL);
    free(d);
}

static int cc_png_status(const cc_png_decoder *d) {
    return d->truncated ? CC_ERR_TRUNCATED : CC_ERR_CORRUPT;
}

int cc_png_read_header(cc_png_decoder *d, const uint8_t *data, size_t size, cc_png_info *info) {
    if (!d || !data || !info || d->header_read) return CC_ERR_USAGE;
    d->data = data;
    d->size = size;
    d->offset = 0;
    if (size < 8) {
        cc_set_message(d->message, "shorter than a PNG signature");
        return CC_ERR_TRUNCATED;
    }
    if (png_sig_cmp(data, 0, 8) != 0) {
        cc_set_message(d->message, "bad PNG signature");
        return CC_ERR_CORRUPT;
    }
    if (setjmp(png_jmpbuf(d->png))) return cc_png_status(d);
    png_set_read_fn(d->png, d, cc_png_read);
    /* Our caller enforces its own megapixel limit; lift libpng's 1e6-pixel row limit. */
    png_set_user_limits(d->png, 0x7fffffff, 0x7fffffff);
    png_read_info(d->png, d->info);

    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(d->png, d->info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    memset(info, 0, sizeof(*info));
    info->width = (int)width;
    info->height = (int)height;
    info->bit_depth = bit_depth;
    info->color_type = color_type;
    info->interlaced = interlace != PNG_INTERLACE_NONE;
    info->has_transparency = png_get_valid(d->png, d->info, PNG_INFO_tRNS) ? 1 : 0;
    info->out_channels = (color_type & PNG_COLOR_MASK_COLOR) ? 3 : 1;
    info->out_bit_depth = bit_depth == 16 ? 16 : 8;
    d->header = *info;
    d->header_read = 1;
    return CC_OK;
}

int cc_png_decode(cc_png_decoder *d, uint8_t *dst, size_t row_stride_bytes) {
    if (!d || !dst || !d->header_read) return CC_ERR_USAGE;
    png_bytep *rows = (png_bytep *)malloc(sizeof(png_bytep) * (size_t)d->header.height);
    if (!rows) return CC_ERR_NOMEM;
    for (int y = 0; y < d->header.height; y++) rows[y] = dst + (size_t)y * row_stride_bytes;
    /* `rows` is not modified after setjmp, so it need not be volatile. */
    if (setjmp(png_jmpbuf(d->png))) {
        free(rows);
        return cc_png_status(d);
    }
    int color_type = d->header.color_type;
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(d->png);
    if (color_type == PNG_COLOR_TYPE_GRAY && d->header.bit_depth < 8) png_set_expand_gray_1_2_4_to_8(d->png);
    /* Alpha (an alpha channel, or palette transparency that expansion turns into one) is dropped. */
    if ((color_type & PNG_COLOR_MASK_ALPHA) || (color_type == PNG_COLOR_TYPE_PALETTE && d->header.has_transparency))
        png_set_strip_alpha(d->png);
    if (d->header.bit_depth == 16) {
        const uint16_t probe = 1;
        if (*(const uint8_t *)&probe == 1) png_set_swap(d->png);
    }
    png_set_interlace_handling(d->png);
    png_read_update_info(d->png, d->info);
    if (png_get_rowbytes(d->png, d->info) >
        (size_t)d->header.width * (size_t)d->header.out_channels * (size_t)(d->header.out_bit_depth / 8)) {
        free(rows);
        cc_set_message(d->message, "unexpected PNG row size after transforms");
        return CC_ERR_UNSUPPORTED;
    }
    png_read_image(d->png, rows);
    png_read_end(d->png, NULL);
    free(rows);
    return CC_OK;
}

const char *cc_png_error_message(const cc_png_decoder *d) { return d ? d->message : ""; }
