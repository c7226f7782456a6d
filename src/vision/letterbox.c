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

void drt_darknet_resize(const drt_image *src, int dst_w, int dst_h, float *dst, size_t dst_stride,
                        size_t dst_plane, float *part)
{
    resize_rows(src, dst_w, part);
    float h_scale = drt_darknet_resize_scale(src->h, dst_h);
    for (int k = 0; k < src->c; k++) {
        for (int r = 0; r < dst_h; r++) {
            float sy = r * h_scale;
            int iy = (int)sy;
            float dy = sy - iy;
            const float *p0 = part + ((size_t)k * src->h + iy) * dst_w;
            float *o = dst + (size_t)k * dst_plane + (size_t)r * dst_stride;
            /* Darknet stores (1-dy)*p0 first and adds dy*p1 in a second loop: same roundings. */
            if (r == dst_h - 1 || src->h == 1) {
                for (int c = 0; c < dst_w; c++) o[c] = (1 - dy) * p0[c];
            } else {
                const float *p1 = p0 + dst_w;
                for (int c = 0; c < dst_w; c++) {
                    float v = (1 - dy) * p0[c];
                    o[c] = v + dy * p1[c];
                }
            }
        }
    }
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

drt_status drt_image_preprocess(const drt_image *image, drt_resize mode, int net_w, int net_h, float *out)
{
    if (!image || !out || net_w < 1 || net_h < 1 || image->w < 1 || image->h < 1 || !image->data)
        return drt_error(DRT_STATUS_INVALID_ARG, "preprocess: no image or output, or a size < 1");
    if ((unsigned)mode >= DRT_RESIZE_COUNT)
        return drt_error(DRT_STATUS_INVALID_ARG, "preprocess: resize mode %d: must be letterbox or stretch", (int)mode);
    int new_w = net_w, new_h = net_h;
    if (mode == DRT_RESIZE_LETTERBOX) drt_letterbox_size(image->w, image->h, net_w, net_h, &new_w, &new_h);
    float *part = malloc((size_t)new_w * (size_t)image->h * (size_t)image->c * sizeof(float));
    if (!part) return drt_error(DRT_STATUS_OOM, "preprocess: out of memory");
    size_t plane = (size_t)net_w * (size_t)net_h;
    int dx = (net_w - new_w) / 2, dy = (net_h - new_h) / 2;
    if (mode == DRT_RESIZE_LETTERBOX && (new_w != net_w || new_h != net_h))
        for (size_t i = 0; i < plane * (size_t)image->c; i++) out[i] = .5f;
    drt_darknet_resize(image, new_w, new_h, out + (size_t)dy * net_w + dx, (size_t)net_w, plane, part);
    free(part);
    return DRT_OK;
}
