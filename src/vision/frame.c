/* 8-bit frames: checks, files decoded straight to RGB8 (every format, no float round trip),
 * orientation, and RGB8/BGR8/NV12 to tight RGB8. */
#include "vision/vision.h"
#include "vision/nv12-sws.h"
#include "core/error.h"

#include <stdlib.h>
#include <string.h>

static size_t row_bytes(const drt_frame *f)
{
    size_t tight = f->format == DRT_PIXEL_NV12 ? (size_t)f->w : (size_t)f->w * 3;
    return f->stride ? f->stride : tight;
}

drt_status drt_frame_check(const drt_frame *f)
{
    if (!f || !f->data) return drt_error(DRT_STATUS_INVALID_ARG, "frame: no frame or no pixel data");
    if ((unsigned)f->format >= DRT_PIXEL_FORMAT_COUNT)
        return drt_error(DRT_STATUS_INVALID_ARG, "frame: pixel format %d: must be RGB8 (0), BGR8 (1) or NV12 (2)",
                         (int)f->format);
    if (f->w < 1 || f->h < 1 || (long long)f->w * f->h > DRT_IMAGE_MAX_PIXELS)
        return drt_error(DRT_STATUS_INVALID_ARG, "frame: %dx%d pixels: sizes must be >= 1, at most %ld pixels",
                         f->w, f->h, (long)DRT_IMAGE_MAX_PIXELS);
    size_t tight = f->format == DRT_PIXEL_NV12 ? (size_t)f->w : (size_t)f->w * 3;
    if (f->stride && f->stride < tight)
        return drt_error(DRT_STATUS_INVALID_ARG, "frame: stride %zu bytes: a row of %d pixels needs %zu",
                         f->stride, f->w, tight);
    return DRT_OK;
}

static uint8_t clamp_u8(int v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

/* BT.601 limited range, integer arithmetic (the usual fixed-point form). */
static void nv12_to_rgb8(const drt_frame *f, uint8_t *out)
{
    size_t stride = row_bytes(f);
    const uint8_t *uv_plane = f->data + stride * (size_t)f->h;
    for (int y = 0; y < f->h; y++) {
        const uint8_t *yr = f->data + stride * (size_t)y, *uv = uv_plane + stride * (size_t)(y / 2);
        uint8_t *o = out + (size_t)y * f->w * 3;
        for (int x = 0; x < f->w; x++) {
            int c = 298 * (yr[x] - 16), d = uv[x & ~1] - 128, e = uv[(x & ~1) + 1] - 128;
            o[3 * x] = clamp_u8((c + 409 * e + 128) >> 8);
            o[3 * x + 1] = clamp_u8((c - 100 * d - 208 * e + 128) >> 8);
            o[3 * x + 2] = clamp_u8((c + 516 * d + 128) >> 8);
        }
    }
}

drt_status drt_frame_to_rgb8(const drt_frame *in, drt_frame *out)
{
    *out = (drt_frame){0};
    DRT_TRY(drt_frame_check(in));
    uint8_t *px = malloc((size_t)in->w * (size_t)in->h * 3);
    if (!px) return drt_error(DRT_STATUS_OOM, "frame %dx%d: out of memory", in->w, in->h);
    size_t stride = row_bytes(in), row = (size_t)in->w * 3;
    if (in->format == DRT_PIXEL_NV12) nv12_to_rgb8(in, px);
    for (int y = 0; in->format == DRT_PIXEL_RGB8 && y < in->h; y++)
        memcpy(px + row * y, in->data + stride * y, row);
    for (int y = 0; in->format == DRT_PIXEL_BGR8 && y < in->h; y++) {
        const uint8_t *s = in->data + stride * y;
        uint8_t *d = px + row * y;
        for (int x = 0; x < in->w; x++) {
            d[3 * x] = s[3 * x + 2];
            d[3 * x + 1] = s[3 * x + 1];
            d[3 * x + 2] = s[3 * x];
        }
    }
    *out = (drt_frame){.w = in->w, .h = in->h, .format = DRT_PIXEL_RGB8, .data = px};
    return DRT_OK;
}

drt_status drt_frame_from_u8(const char *path, drt_u8_pixels *px, drt_frame *out)
{
    *out = (drt_frame){0};
    int o = px->orientation >= 1 && px->orientation <= 8 ? px->orientation : 1, swap = o >= 5;
    if (o == 1 && px->n == 3) { /* the decoder's buffer is the frame */
        *out = (drt_frame){.w = px->w, .h = px->h, .format = DRT_PIXEL_RGB8, .data = px->data};
        px->data = NULL;
        return DRT_OK;
    }
    int ow = swap ? px->h : px->w, oh = swap ? px->w : px->h;
    uint8_t *rgb = malloc((size_t)ow * (size_t)oh * 3);
    if (!rgb) return drt_error(DRT_STATUS_OOM, "%s: %dx%d pixels: out of memory", path, ow, oh);
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++) {
            int sx = x, sy = y;
            if (o != 1) drt_oriented_source(o, x, y, px->w, px->h, &sx, &sy);
            const uint8_t *p = px->data + ((size_t)sy * (size_t)px->w + (size_t)sx) * (size_t)px->n;
            uint8_t *d = rgb + ((size_t)y * ow + x) * 3;
            for (int k = 0; k < 3; k++) d[k] = p[px->n >= 3 ? k : 0];
        }
    free(px->data);
    px->data = NULL;
    *out = (drt_frame){.w = ow, .h = oh, .format = DRT_PIXEL_RGB8, .data = rgb};
    return DRT_OK;
}

drt_status drt_frame_load(const char *path, drt_frame *frame_out)
{
    DRT_ARG(frame_out, "frame_out");
    *frame_out = (drt_frame){0};
    DRT_ARG(path, "path");
    drt_u8_pixels px;
    drt_status s = drt_image_read_u8(path, &px);
    if (s == DRT_OK) s = drt_frame_from_u8(path, &px, frame_out);
    free(px.data);
    return s;
}

void drt_frame_release(drt_frame *frame)
{
    if (!frame) return;
    if (frame->format == DRT_PIXEL_NV12_GPU && frame->data) { /* the decoder's frame goes back to it */
        drt_nv12_gpu *g = (drt_nv12_gpu *)frame->data;
        g->release(g->owner);
    }
    free((void *)frame->data);
    *frame = (drt_frame){0};
}
