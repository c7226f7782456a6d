/* NVDEC's NV12 frames (copied to memory) as the CPU decoder's planar 4:2:0, so that swscale converts
 * both decoders' frames to the same RGB (see video-internal.h). */
#include "video/video-internal.h"

#include <stdlib.h>

#include <libavutil/frame.h>

int drt_video_nv12_as_planar(AVFrame *f, enum AVPixelFormat planar, uint8_t **chroma, size_t *chroma_size)
{
    if (f->format != AV_PIX_FMT_NV12 || (planar != AV_PIX_FMT_YUV420P && planar != AV_PIX_FMT_YUVJ420P)) return 0;
    size_t cw = (size_t)(f->width + 1) / 2, ch = (size_t)(f->height + 1) / 2, cstride = (cw + 63) & ~(size_t)63;
    size_t need = 2 * cstride * ch + 64; /* swscale's SIMD reads a little past a row's end */
    if (need > *chroma_size) {
        free(*chroma);
        *chroma_size = 0;
        if (!(*chroma = calloc(1, need))) return -1;
        *chroma_size = need;
    }
    uint8_t *u = *chroma, *v = *chroma + cstride * ch;
    for (size_t y = 0; y < ch; y++) {
        const uint8_t *uv = f->data[1] + (size_t)f->linesize[1] * y;
        uint8_t *ur = u + cstride * y, *vr = v + cstride * y;
        for (size_t x = 0; x < cw; x++) ur[x] = uv[2 * x], vr[x] = uv[2 * x + 1];
    }
    f->data[1] = u, f->data[2] = v; /* f->buf still owns the NV12 pixels */
    f->linesize[1] = f->linesize[2] = (int)cstride;
    f->format = planar;
    return 0;
}
