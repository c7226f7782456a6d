/* Network input exactly as pjreddie's Darknet computes it: resize_image (two passes of
 * bilinear interpolation, in its float arithmetic) and letterbox_image (aspect kept, integer
 * sizes, pasted centred on a 0.5 canvas) or a plain stretch. */
#include "vision/vision.h"
#include "core/error.h"

#include <stdlib.h>

/* Darknet: scale = (float)(src - 1) / (dst - 1); the last column/row copies the last source one. */
float drt_darknet_resize_scale(int src, int dst) { return dst > 1 ? (float)(src - 1) / (float)(dst - 1) : 0.f; }

/* First pass: every source row resized horizontally to dst_w (Darknet's `part` image). */
static void resize_rows(const drt_image *src, int dst_w, float *part)
{
    float w_scale = drt_darknet_resize_scale(src->w, dst_w);
    for (int k = 0; k < src->c; k++) {
        for (int r = 0; r < src->h; r++) {
            const float *in = src->data + ((size_t)k * src->h + r) * src->w;
            float *o = part + ((size_t)k * src->h + r) * dst_w;
            for (int c = 0; c < dst_w; c++) {
                if (c == dst_w - 1 || src->w == 1) {
                    o[c] = in[src->w - 1];
                } else {
                    float sx = c * w_scale;
                    int ix = (int)sx;
                    float dx = sx - ix;
                    o[c] = (1 - dx) * in[ix] + dx * in[ix + 1];
                }
            }
        }
    }
}

/* Darknet's resize from 8-bit pixels, both passes on the same floats (v / 255, as
 * drt_image_from_u8 makes them) in the same order, so the result is the float image's to the last
 * bit; but only the source rows the second pass reads are resized (two per output row: a
 * 2000x1500 photo into 320x240 resizes 480 of its 1500 rows), each once, into a two-row cache
 * (row y in slot y % 2: the rows an output row reads, iy and iy + 1, never share a slot). */
typedef struct u8_resize {
    const drt_frame *src;
    int dst_w, ch[3];
    int *ix;            /* column c's left source pixel */
    float *wl, *wr;     /* its weights, 1 - dx and dx (Darknet's arithmetic) */
    float *rows[2];     /* slot: 3 planes of dst_w floats */
    int row_in[2];      /* the source row a slot holds, or -1 */
    float lut[256];
} u8_resize;

static const float *resized_row(u8_resize *z, int y)
{
    float *o = z->rows[y & 1];
    if (z->row_in[y & 1] == y) return o;
    const drt_frame *f = z->src;
    size_t stride = f->stride ? f->stride : (size_t)f->w * 3;
    const uint8_t *in = f->data + (size_t)y * stride;
    int w = z->dst_w, last = 3 * (f->w - 1);
    int n = f->w == 1 ? 0 : w - 1; /* the last column (every column of a 1-pixel row) copies the last pixel */
    /* the three channels of a column together: its source offset and weights read once (restrict:
     * the stores cannot change them) */
    float *restrict o0 = o, *restrict o1 = o + w, *restrict o2 = o + 2 * w;
    const float *restrict lut = z->lut, *restrict wl = z->wl, *restrict wr = z->wr;
    const int *restrict ix = z->ix;
    const uint8_t *p0 = in + z->ch[0], *p1 = in + z->ch[1], *p2 = in + z->ch[2];
    for (int c = 0; c < n; c++) {
        int a = 3 * ix[c];
        float l = wl[c], r = wr[c];
        o0[c] = l * lut[p0[a]] + r * lut[p0[a + 3]];
        o1[c] = l * lut[p1[a]] + r * lut[p1[a + 3]];
        o2[c] = l * lut[p2[a]] + r * lut[p2[a + 3]];
    }
    for (int c = n; c < w; c++) o0[c] = lut[p0[last]], o1[c] = lut[p1[last]], o2[c] = lut[p2[last]];
    z->row_in[y & 1] = y;
    return z->rows[y & 1];
}

static drt_status resize_u8(const drt_frame *src, int dst_w, int dst_h, float *dst, size_t dst_stride, size_t dst_plane)
{
    u8_resize z = {.src = src, .dst_w = dst_w, .row_in = {-1, -1}};
    for (int v = 0; v < 256; v++) z.lut[v] = (float)(v / 255.);
    for (int k = 0; k < 3; k++) z.ch[k] = src->format == DRT_PIXEL_BGR8 ? 2 - k : k;
    z.ix = malloc((size_t)dst_w * sizeof *z.ix);
    z.wl = malloc((size_t)dst_w * 2 * sizeof *z.wl);
    z.rows[0] = malloc((size_t)dst_w * 6 * sizeof(float));
    if (!z.ix || !z.wl || !z.rows[0]) {
        free(z.ix), free(z.wl), free(z.rows[0]);
        return drt_error(DRT_STATUS_OOM, "preprocess: out of memory");
    }
    z.wr = z.wl + dst_w, z.rows[1] = z.rows[0] + (size_t)dst_w * 3;
    float w_scale = drt_darknet_resize_scale(src->w, dst_w), h_scale = drt_darknet_resize_scale(src->h, dst_h);
    for (int c = 0; c < dst_w; c++) {
        float sx = c * w_scale;
        z.ix[c] = (int)sx;
        float dx = sx - z.ix[c];
        z.wl[c] = 1 - dx, z.wr[c] = dx;
    }
    for (int r = 0; r < dst_h; r++) { /* resize_cols, row by row */
        float sy = r * h_scale;
        int iy = (int)sy;
        float dy = sy - iy;
        const float *p0 = resized_row(&z, iy);
        const float *p1 = r == dst_h - 1 || src->h == 1 ? NULL : resized_row(&z, iy + 1);
        for (int k = 0; k < 3; k++) {
            float *o = dst + (size_t)k * dst_plane + (size_t)r * dst_stride;
            const float *a = p0 + (size_t)k * dst_w, *b = p1 ? p1 + (size_t)k * dst_w : NULL;
            if (!b) {
                for (int x = 0; x < dst_w; x++) o[x] = (1 - dy) * a[x];
            } else {
                for (int x = 0; x < dst_w; x++) {
                    float v = (1 - dy) * a[x];
                    o[x] = v + dy * b[x];
                }
            }
        }
    }
    free(z.ix), free(z.wl), free(z.rows[0]);
    return DRT_OK;
}

/* The second pass (columns to dst_h), from `part` (c planes of src_h rows of dst_w floats). */
static void resize_cols(const float *part, int src_h, int c, int dst_w, int dst_h, float *dst, size_t dst_stride,
                        size_t dst_plane)
{
    float h_scale = drt_darknet_resize_scale(src_h, dst_h);
    for (int k = 0; k < c; k++) {
        for (int r = 0; r < dst_h; r++) {
            float sy = r * h_scale;
            int iy = (int)sy;
            float dy = sy - iy;
            const float *p0 = part + ((size_t)k * src_h + iy) * dst_w;
            float *o = dst + (size_t)k * dst_plane + (size_t)r * dst_stride;
            /* Darknet stores (1-dy)*p0 first and adds dy*p1 in a second loop: same roundings. */
            if (r == dst_h - 1 || src_h == 1) {
                for (int x = 0; x < dst_w; x++) o[x] = (1 - dy) * p0[x];
            } else {
                const float *p1 = p0 + dst_w;
                for (int x = 0; x < dst_w; x++) {
                    float v = (1 - dy) * p0[x];
                    o[x] = v + dy * p1[x];
                }
            }
        }
    }
}

void drt_darknet_resize(const drt_image *src, int dst_w, int dst_h, float *dst, size_t dst_stride,
                        size_t dst_plane, float *part)
{
    resize_rows(src, dst_w, part);
    resize_cols(part, src->h, src->c, dst_w, dst_h, dst, dst_stride, dst_plane);
}

void drt_letterbox_size(int img_w, int img_h, int net_w, int net_h, int *new_w, int *new_h)
{
    if (((float)net_w / img_w) < ((float)net_h / img_h)) {
        *new_w = net_w;
        *new_h = (int)(((long long)img_h * net_w) / img_w);
    } else {
        *new_h = net_h;
        *new_w = (int)(((long long)img_w * net_h) / img_h);
    }
    if (*new_w < 1) *new_w = 1; /* extreme aspect ratios: keep one pixel */
    if (*new_h < 1) *new_h = 1;
    if (*new_w > net_w) *new_w = net_w;
    if (*new_h > net_h) *new_h = net_h;
}

/* The letterbox (or stretch) geometry and canvas shared by the float and 8-bit inputs: fills
 * the padding of c planes and returns where the resized image goes. */
static float *prepare_canvas(int img_w, int img_h, int c, drt_resize mode, int net_w, int net_h, float *out,
                             int *new_w, int *new_h)
{
    *new_w = net_w, *new_h = net_h;
    if (mode == DRT_RESIZE_LETTERBOX) drt_letterbox_size(img_w, img_h, net_w, net_h, new_w, new_h);
    size_t plane = (size_t)net_w * (size_t)net_h;
    if (mode == DRT_RESIZE_LETTERBOX && (*new_w != net_w || *new_h != net_h))
        for (size_t i = 0; i < plane * (size_t)c; i++) out[i] = .5f;
    return out + (size_t)((net_h - *new_h) / 2) * net_w + (net_w - *new_w) / 2;
}

/* Darknet's resize to the size it has: every scale is 1 and every fraction 0, so each value is
 * its pixel's v / 255, bit for bit; written straight into the canvas. */
static void copy_u8(const drt_frame *src, float *dst, size_t dst_stride, size_t dst_plane)
{
    float lut[256];
    for (int v = 0; v < 256; v++) lut[v] = (float)(v / 255.);
    size_t stride = src->stride ? src->stride : (size_t)src->w * 3;
    for (int k = 0; k < 3; k++) {
        int ch = src->format == DRT_PIXEL_BGR8 ? 2 - k : k;
        for (int r = 0; r < src->h; r++) {
            const uint8_t *in = src->data + (size_t)r * stride + ch;
            float *o = dst + (size_t)k * dst_plane + (size_t)r * dst_stride;
            for (int c = 0; c < src->w; c++) o[c] = lut[in[3 * c]];
        }
    }
}

static drt_status check_preprocess(int w, int h, const void *data, drt_resize mode, int net_w, int net_h,
                                   const float *out)
{
    if (!data || !out || net_w < 1 || net_h < 1 || w < 1 || h < 1)
        return drt_error(DRT_STATUS_INVALID_ARG, "preprocess: no image or output, or a size < 1");
    if ((unsigned)mode >= DRT_RESIZE_COUNT)
        return drt_error(DRT_STATUS_INVALID_ARG, "preprocess: resize mode %d: must be letterbox or stretch", (int)mode);
    return DRT_OK;
}

drt_status drt_image_preprocess(const drt_image *image, drt_resize mode, int net_w, int net_h, float *out)
{
    DRT_ARG(image, "image");
    DRT_ARG(out, "out");
    DRT_TRY(check_preprocess(image->w, image->h, image->data, mode, net_w, net_h, out));
    int new_w, new_h;
    float *at = prepare_canvas(image->w, image->h, image->c, mode, net_w, net_h, out, &new_w, &new_h);
    float *part = malloc((size_t)new_w * (size_t)image->h * (size_t)image->c * sizeof(float));
    if (!part) return drt_error(DRT_STATUS_OOM, "preprocess: out of memory");
    drt_darknet_resize(image, new_w, new_h, at, (size_t)net_w, (size_t)net_w * net_h, part);
    free(part);
    return DRT_OK;
}

drt_status drt_frame_preprocess(const drt_frame *frame, drt_resize mode, int net_w, int net_h, float *out)
{
    DRT_ARG(frame, "frame");
    DRT_ARG(out, "out");
    DRT_TRY(drt_frame_check(frame));
    DRT_TRY(check_preprocess(frame->w, frame->h, frame->data, mode, net_w, net_h, out));
    if (frame->format == DRT_PIXEL_NV12) {
        drt_frame rgb;
        DRT_TRY(drt_frame_to_rgb8(frame, &rgb));
        drt_status s = drt_frame_preprocess(&rgb, mode, net_w, net_h, out);
        drt_frame_release(&rgb);
        return s;
    }
    int new_w, new_h;
    float *at = prepare_canvas(frame->w, frame->h, 3, mode, net_w, net_h, out, &new_w, &new_h);
    if (new_w == frame->w && new_h == frame->h) { /* already the network's size (video's --fast-resize) */
        copy_u8(frame, at, (size_t)net_w, (size_t)net_w * net_h);
        return DRT_OK;
    }
    return resize_u8(frame, new_w, new_h, at, (size_t)net_w, (size_t)net_w * net_h);
}
