/* JPEG decoding with libjpeg(-turbo): baseline and progressive, grey or colour (CMYK refused),
 * EXIF orientation applied, truncated files refused, size checked before decompressing; and which
 * files a device decoder may take instead. */
#include "vision/vision.h"
#include "core/error.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>
#include <jerror.h>

typedef struct jpeg_guard {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    int truncated;
    uint8_t *pixels; /* decompress()'s buffer, freed by the caller even after a longjmp */
} jpeg_guard;

static void on_error(j_common_ptr cinfo)
{
    jpeg_guard *g = (jpeg_guard *)cinfo->err;
    longjmp(g->jump, 1);
}

/* Warnings are dropped, except a premature end of data: that image is incomplete, and stopping
 * at once matters (libjpeg would go on filling every remaining row: a 434-byte file claiming
 * 64250x1024 pixels took 11 s). */
static void on_message(j_common_ptr cinfo, int level)
{
    jpeg_guard *g = (jpeg_guard *)cinfo->err;
    if (level < 0 && g->mgr.msg_code == JWRN_JPEG_EOF) {
        g->truncated = 1;
        longjmp(g->jump, 1);
    }
}

static int find_orientation(struct jpeg_decompress_struct *cinfo)
{
    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m; m = m->next)
        if (m->marker == JPEG_APP0 + 1) {
            int o = drt_exif_orientation(m->data, m->data_length);
            if (o != 1) return o;
        }
    return 1;
}

/* Decodes after jpeg_read_header; returns the pixels (malloc'd) or NULL with the error set. */
static uint8_t *decompress(const char *path, struct jpeg_decompress_struct *cinfo, const drt_pixel_alloc *a,
                           drt_status *s)
{
    cinfo->out_color_space = cinfo->num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(cinfo);
    int n = cinfo->output_components;
    size_t row = (size_t)cinfo->output_width * (size_t)n;
    uint8_t *pixels = a ? a->alloc(a->ctx, row * cinfo->output_height) : malloc(row * cinfo->output_height);
    if (!pixels) {
        *s = drt_error(DRT_STATUS_OOM, "%s: JPEG: out of memory for %ux%u pixels", path,
                       cinfo->output_width, cinfo->output_height);
        return NULL;
    }
    ((jpeg_guard *)cinfo->err)->pixels = pixels;
    while (cinfo->output_scanline < cinfo->output_height) {
        JSAMPROW r = pixels + row * cinfo->output_scanline;
        jpeg_read_scanlines(cinfo, &r, 1);
    }
    jpeg_finish_decompress(cinfo);
    return pixels;
}

drt_status drt_jpeg_decode_u8(const char *path, const uint8_t *data, size_t size, drt_u8_pixels *out)
{
    return drt_jpeg_decode_u8_into(path, data, size, NULL, out);
}

/* The largest of 8, 4, 2 (else 1) that w x h can be divided by and still cover its resize into the
 * network input (orientation 5..8: the picture turns, so the network's sides swap). */
static int scale_denom(unsigned w, unsigned h, int net_w, int net_h, int letterbox, int orientation)
{
    if (net_w <= 0 || net_h <= 0) return 1;
    if (orientation >= 5) {
        int t = net_w;
        net_w = net_h, net_h = t;
    }
    double rw = (double)w / net_w, rh = (double)h / net_h; /* the resize divides each side by these */
    double most = letterbox ? (rw > rh ? rw : rh) : (rw < rh ? rw : rh); /* letterbox: by the larger on both */
    int d = 8;
    while (d > 1 && d > most) d /= 2; /* each side at 1/d (rounded up) >= the side it is resized to */
    return d;
}

drt_status drt_jpeg_decode_u8_into(const char *path, const uint8_t *data, size_t size, const drt_pixel_alloc *a,
                                   drt_u8_pixels *out)
{
    return drt_jpeg_decode_u8_fit(path, data, size, a, 0, 0, 0, out);
}

drt_status drt_jpeg_decode_u8_fit(const char *path, const uint8_t *data, size_t size, const drt_pixel_alloc *a,
                                  int net_w, int net_h, int letterbox, drt_u8_pixels *out)
{
    *out = (drt_u8_pixels){0};
    struct jpeg_decompress_struct cinfo;
    jpeg_guard guard = {0};
    uint8_t *volatile pixels = NULL;
    drt_status s = DRT_OK;
    cinfo.err = jpeg_std_error(&guard.mgr);
    guard.mgr.error_exit = on_error;
    guard.mgr.emit_message = on_message;
    if (setjmp(guard.jump)) {
        char msg[JMSG_LENGTH_MAX];
        guard.mgr.format_message((j_common_ptr)&cinfo, msg);
        if (guard.truncated) s = drt_error(DRT_STATUS_FORMAT, "%s: JPEG: the data ends early: the file is truncated", path);
        else if (guard.mgr.msg_code == JERR_OUT_OF_MEMORY) s = drt_error(DRT_STATUS_OOM, "%s: JPEG: out of memory", path);
        else s = drt_error(DRT_STATUS_FORMAT, "%s: JPEG: %s", path, msg);
        goto done;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&cinfo, TRUE);
    s = drt_image_check_size(path, "JPEG", cinfo.image_width, cinfo.image_height);
    if (s != DRT_OK) goto done;
    /* Huffman coding spends at least one bit per 8x8 block (more for colour): no real JPEG holds
     * more than 512 pixels per byte. A file declaring far more is a decompression bomb (a 433-byte
     * file declaring 57334x2553 pixels decoded for seconds into 1.7 GB before the size limit). */
    if ((double)cinfo.image_width * cinfo.image_height > 1024.0 * (double)size) {
        s = drt_error(DRT_STATUS_FORMAT, "%s: JPEG header: %ux%u pixels in %zu bytes: more than any JPEG can hold "
                      "(at most 1024 pixels per byte; a decompression bomb or a corrupt header)", path,
                      cinfo.image_width, cinfo.image_height, size);
        goto done;
    }
    if (cinfo.num_components != 1 && cinfo.num_components != 3) {
        s = drt_error(DRT_STATUS_UNSUPPORTED, "%s: JPEG: %d components (CMYK?): darkrt reads grey and "
                      "colour JPEGs", path, cinfo.num_components);
        goto done;
    }
    int orientation = find_orientation(&cinfo); /* saved markers are freed by finish_decompress */
    int d = scale_denom(cinfo.image_width, cinfo.image_height, net_w, net_h, letterbox, orientation);
    cinfo.scale_num = 1, cinfo.scale_denom = (unsigned)d;
    pixels = decompress(path, &cinfo, a, &s);
    if (!pixels) goto done;
    *out = (drt_u8_pixels){.data = pixels, .w = (int)cinfo.output_width, .h = (int)cinfo.output_height,
                           .n = cinfo.output_components, .orientation = orientation,
                           .full_w = d > 1 ? (int)cinfo.image_width : 0, .full_h = d > 1 ? (int)cinfo.image_height : 0,
                           .scale = d > 1 ? d : 0};
    pixels = guard.pixels = NULL; /* the caller's now */
done:
    jpeg_destroy_decompress(&cinfo);
    uint8_t *left = pixels ? pixels : guard.pixels;
    if (a && left) a->release(a->ctx, left);
    else free(left);
    return s;
}

int drt_jpeg_device_ok(const char *path, const uint8_t *data, size_t size, int *w, int *h)
{
    *w = *h = 0;
    if (size < 3 || data[0] != 0xFF || data[1] != 0xD8 || data[2] != 0xFF) return 0; /* not a JPEG */
    size_t tail = size > 64 ? size - 64 : 0; /* no end marker near the end: maybe truncated, the host decoder says */
    while (tail + 1 < size && !(data[tail] == 0xFF && data[tail + 1] == 0xD9)) tail++;
    if (tail + 1 >= size) return 0;
    struct jpeg_decompress_struct cinfo;
    jpeg_guard guard = {0};
    volatile int ok = 0;
    cinfo.err = jpeg_std_error(&guard.mgr);
    guard.mgr.error_exit = on_error;
    guard.mgr.emit_message = on_message;
    if (setjmp(guard.jump)) goto done; /* the host decode reports what is wrong with it */
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&cinfo, TRUE);
    if (drt_image_check_size(path, "JPEG", cinfo.image_width, cinfo.image_height) != DRT_OK ||
        (double)cinfo.image_width * cinfo.image_height > 1024.0 * (double)size)
        goto done;
    const jpeg_component_info *c = cinfo.comp_info;
    int luma_h = c[0].h_samp_factor, luma_v = c[0].v_samp_factor; /* 4:4:4, 4:2:2, 4:4:0 or 4:2:0 */
    ok = !cinfo.progressive_mode && !cinfo.arith_code && cinfo.data_precision == 8 && cinfo.num_components == 3 &&
                 cinfo.jpeg_color_space == JCS_YCbCr && luma_h <= 2 && luma_v <= 2 && c[1].h_samp_factor == 1 &&
                 c[1].v_samp_factor == 1 && c[2].h_samp_factor == 1 && c[2].v_samp_factor == 1 &&
                 find_orientation(&cinfo) == 1;
    *w = (int)cinfo.image_width, *h = (int)cinfo.image_height;
done:
    jpeg_destroy_decompress(&cinfo);
    drt_error_clear();
    return ok;
}
