/* NVDEC's NV12 frames (copied to memory) as the CPU decoder's planar 4:2:0, so that swscale converts
 * both decoders' frames to the same RGB (see video-internal.h); and, for frames left on the GPU,
 * libswscale's coefficients and a check that src/vision/nv12-sws.h converts as it does. */
#include "video/video-internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/frame.h>
#include <libswscale/swscale.h>

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

/* libswscale's roundToInt16 (libswscale/yuv2rgb.c). */
static int16_t round16(int64_t f)
{
    int r = (int)((f + (1 << 15)) >> 16);
    return (int16_t)(r < -0x7FFF ? -0x8000 : r > 0x7FFF ? 0x7FFF : r);
}

int drt_video_nv12_sws_coeffs(struct SwsContext *sws, drt_nv12_sws *out)
{
    int *inv, *table, full, dst_range, brightness, contrast, saturation;
    if (!sws || sws_getColorspaceDetails(sws, &inv, &full, &table, &dst_range, &brightness, &contrast, &saturation) < 0)
        return -1;
    /* as ff_yuv2rgb_c_init_tables (FFmpeg 5.1) */
    int64_t crv = inv[0], cbu = inv[1], cgu = -inv[2], cgv = -inv[3], cy = 1 << 16, oy = 0;
    if (!full) {
        cy = (cy * 255) / 219;
        oy = 16 << 16;
    } else {
        crv = (crv * 224) / 255, cbu = (cbu * 224) / 255, cgu = (cgu * 224) / 255, cgv = (cgv * 224) / 255;
    }
    cy = (cy * contrast) >> 16;
    crv = (crv * contrast * saturation) >> 32, cbu = (cbu * contrast * saturation) >> 32;
    cgu = (cgu * contrast * saturation) >> 32, cgv = (cgv * contrast * saturation) >> 32;
    oy -= 256LL * brightness;
    *out = (drt_nv12_sws){.y_coeff = round16(cy * (1 << 13)), .y_offset = round16(oy * (1 << 3)),
                          .vr = round16(crv * (1 << 13)), .ub = round16(cbu * (1 << 13)),
                          .vg = round16(cgv * (1 << 13)), .ug = round16(cgu * (1 << 13))};
    return 0;
}

/* One check of nv12-sws.h's arithmetic against libswscale for `planar`: every luma value beside
 * varied chroma, 256x16 (a size on its unscaled x86 path). */
static int check_exact(enum AVPixelFormat planar)
{
    enum { W = 256, H = 16 };
    static uint8_t yp[W * H], up[W / 2 * H / 2], vp[W / 2 * H / 2], got[W * H * 3], want[W * H * 3 + 64];
    uint32_t s = 7;
    for (int i = 0; i < W * H; i++) yp[i] = (uint8_t)(i * 7 + i / W);
    for (int i = 0; i < W / 2 * H / 2; i++) {
        s = s * 1664525u + 1013904223u;
        up[i] = (uint8_t)(s >> 24), vp[i] = (uint8_t)(s >> 16);
    }
    up[0] = vp[1] = 0, up[1] = vp[0] = 255; /* the extremes: saturation in the 16-bit lanes */
    struct SwsContext *sws = sws_getContext(W, H, planar, W, H, AV_PIX_FMT_RGB24, SWS_BICUBIC, NULL, NULL, NULL);
    drt_nv12_sws c;
    int ok = sws && drt_video_nv12_sws_coeffs(sws, &c) == 0;
    if (ok) {
        const uint8_t *src[4] = {yp, up, vp};
        int src_stride[4] = {W, W / 2, W / 2}, dst_stride[4] = {W * 3};
        uint8_t *dst[4] = {want};
        sws_scale(sws, src, src_stride, 0, H, dst, dst_stride);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int ci = (y / 2) * (W / 2) + x / 2;
                drt_nv12_sws_pixel(&c, yp[y * W + x], up[ci], vp[ci], got + 3 * (y * W + x));
            }
        ok = !memcmp(got, want, sizeof got);
    }
    sws_freeContext(sws);
    return ok;
}

static int exact_420p, exact_420j;
static void check_both(void)
{
    exact_420p = check_exact(AV_PIX_FMT_YUV420P);
    exact_420j = check_exact(AV_PIX_FMT_YUVJ420P);
}

int drt_video_nv12_sws_exact(enum AVPixelFormat planar)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, check_both);
    return planar == AV_PIX_FMT_YUV420P ? exact_420p : planar == AV_PIX_FMT_YUVJ420P ? exact_420j : 0;
}
