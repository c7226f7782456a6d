/* NVDEC's NV12 frames turned into the CPU decoder's planar 4:2:0 (src/video/video-nv12.c) convert,
 * through libswscale, to exactly the RGB bytes of the same picture decoded on the CPU (YUV420P and
 * full-range YUVJ420P; even, odd and 1080p sizes), where NV12 given to libswscale as it is does not
 * (its generic path filters the chroma: printed, not checked, as it is libswscale's business). Frames
 * in other formats are left as they are. The NV12 is made here by interleaving U and V, as NVDEC
 * writes the samples it decodes.
 * The arithmetic that the GPU uses for NVDEC frames left there (src/vision/nv12-sws.h, with the
 * coefficients drt_video_nv12_sws_coeffs reads from the libswscale context) gives libswscale's RGB
 * bytes, bit for bit, on random frames at the sizes the video module hands out on the GPU (even
 * heights; rows as video-source.c lays them out), limited and full range, on x86-64 with SSSE3
 * (libswscale's SIMD path; elsewhere its C path rounds otherwise, which drt_video_nv12_sws_exact must
 * then say, so frames come to the host). */
#include "unit/check.h"
#include "video/video-internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/frame.h>
#include <libswscale/swscale.h>

static uint32_t seed = 12345;
static uint8_t next_byte(void)
{
    seed = seed * 1664525u + 1013904223u;
    return (uint8_t)(seed >> 24);
}

static AVFrame *new_frame(int w, int h, enum AVPixelFormat fmt)
{
    AVFrame *f = av_frame_alloc();
    if (!f) return NULL;
    f->width = w, f->height = h, f->format = fmt;
    if (av_frame_get_buffer(f, 0) < 0) av_frame_free(&f);
    return f;
}

/* RGB24 of f (tight rows), through libswscale as src/video/video-source.c converts at the frame's size. */
static uint8_t *to_rgb(const AVFrame *f)
{
    uint8_t *rgb = malloc((size_t)f->width * f->height * 3 + 64);
    struct SwsContext *sws = sws_getContext(f->width, f->height, f->format, f->width, f->height, AV_PIX_FMT_RGB24,
                                            SWS_BICUBIC, NULL, NULL, NULL);
    if (!rgb || !sws) {
        free(rgb);
        sws_freeContext(sws);
        return NULL;
    }
    uint8_t *dst[4] = {rgb};
    int dst_stride[4] = {f->width * 3};
    sws_scale(sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst, dst_stride);
    sws_freeContext(sws);
    return rgb;
}

static void check_size(int w, int h, enum AVPixelFormat planar)
{
    AVFrame *yuv = new_frame(w, h, planar), *nv12 = new_frame(w, h, AV_PIX_FMT_NV12);
    CHECK(yuv && nv12, "%dx%d: frames", w, h);
    if (!yuv || !nv12) goto done;
    int cw = (w + 1) / 2, ch = (h + 1) / 2;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) yuv->data[0][y * yuv->linesize[0] + x] = next_byte();
    for (int p = 1; p <= 2; p++)
        for (int y = 0; y < ch; y++)
            for (int x = 0; x < cw; x++) yuv->data[p][y * yuv->linesize[p] + x] = next_byte();
    for (int y = 0; y < h; y++) memcpy(nv12->data[0] + y * nv12->linesize[0], yuv->data[0] + y * yuv->linesize[0], (size_t)w);
    for (int y = 0; y < ch; y++)
        for (int x = 0; x < cw; x++) {
            nv12->data[1][y * nv12->linesize[1] + 2 * x] = yuv->data[1][y * yuv->linesize[1] + x];
            nv12->data[1][y * nv12->linesize[1] + 2 * x + 1] = yuv->data[2][y * yuv->linesize[2] + x];
        }
    uint8_t *want = to_rgb(yuv), *as_is = to_rgb(nv12);
    uint8_t *chroma = NULL;
    size_t chroma_size = 0;
    CHECK(drt_video_nv12_as_planar(nv12, planar, &chroma, &chroma_size) == 0, "%dx%d: nv12_as_planar failed", w, h);
    CHECK(nv12->format == planar, "%dx%d: format %d after, want %d", w, h, nv12->format, planar);
    uint8_t *got = to_rgb(nv12);
    size_t n = (size_t)w * h * 3, differ = 0, differ_as_is = 0;
    CHECK(want && got && as_is, "%dx%d: conversions", w, h);
    for (size_t i = 0; want && got && as_is && i < n; i++) differ += want[i] != got[i], differ_as_is += want[i] != as_is[i];
    CHECK(differ == 0, "%dx%d %s: %zu of %zu RGB bytes differ from the CPU decoder's", w, h, planar == AV_PIX_FMT_YUVJ420P ? "yuvj420p" : "yuv420p",
          differ, n);
    printf("%dx%d %s: 0 bytes differ through planar 4:2:0; %zu of %zu would as NV12 in libswscale\n", w, h,
           planar == AV_PIX_FMT_YUVJ420P ? "yuvj420p" : "yuv420p", differ_as_is, n);
    free(want);
    free(got);
    free(as_is);
    free(chroma);
done:
    av_frame_free(&yuv);
    av_frame_free(&nv12);
}

/* nv12-sws.h against libswscale on one random frame of w x h (h even) in `planar`. */
static int sws_arith_same(int w, int h, enum AVPixelFormat planar)
{
    AVFrame *yuv = new_frame(w, h, planar);
    size_t stride = ((size_t)w * 3 + 63) & ~(size_t)63, differ = 0; /* video-source.c's rows */
    uint8_t *want = malloc(stride * h + 64);
    struct SwsContext *sws = sws_getContext(w, h, planar, w, h, AV_PIX_FMT_RGB24, SWS_BICUBIC, NULL, NULL, NULL);
    drt_nv12_sws c;
    int ok = yuv && want && sws && drt_video_nv12_sws_coeffs(sws, &c) == 0;
    CHECK(ok, "%dx%d: frame, libswscale context or coefficients", w, h);
    for (int p = 0; ok && p < 3; p++)
        for (int y = 0; y < (p ? (h + 1) / 2 : h); y++)
            for (int x = 0; x < (p ? (w + 1) / 2 : w); x++) yuv->data[p][y * yuv->linesize[p] + x] = next_byte();
    if (ok) {
        uint8_t *dst[4] = {want};
        int dst_stride[4] = {(int)stride};
        sws_scale(sws, (const uint8_t *const *)yuv->data, yuv->linesize, 0, h, dst, dst_stride);
    }
    for (int y = 0; ok && y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t rgb[3];
            int ci = x / 2;
            drt_nv12_sws_pixel(&c, yuv->data[0][y * yuv->linesize[0] + x], yuv->data[1][(y / 2) * yuv->linesize[1] + ci],
                               yuv->data[2][(y / 2) * yuv->linesize[2] + ci], rgb);
            differ += memcmp(rgb, want + stride * y + 3 * x, 3) != 0;
        }
    if (ok) printf("%dx%d %s: nv12-sws.h vs libswscale: %zu of %d pixels differ\n", w, h,
                   planar == AV_PIX_FMT_YUVJ420P ? "yuvj420p" : "yuv420p", differ, w * h);
    free(want);
    sws_freeContext(sws);
    av_frame_free(&yuv);
    return ok && differ == 0;
}

static void check_gpu_arithmetic(void)
{
    static const int sizes[][2] = {{1920, 1080}, {1280, 720}, {322, 242}, {2, 2}};
    int all = 1;
    for (int i = 0; i < 4; i++) {
        all &= sws_arith_same(sizes[i][0], sizes[i][1], AV_PIX_FMT_YUV420P);
        all &= sws_arith_same(sizes[i][0], sizes[i][1], AV_PIX_FMT_YUVJ420P);
    }
    int exact = drt_video_nv12_sws_exact(AV_PIX_FMT_YUV420P) && drt_video_nv12_sws_exact(AV_PIX_FMT_YUVJ420P);
    CHECK(exact == all, "drt_video_nv12_sws_exact says %d, the frames say %d", exact, all);
    CHECK(!drt_video_nv12_sws_exact(AV_PIX_FMT_YUV444P), "exact for yuv444p, which no GPU frame is");
#if defined(__x86_64__)
    if (__builtin_cpu_supports("ssse3")) CHECK(all, "x86-64 with SSSE3: nv12-sws.h must be libswscale's arithmetic");
#endif
    printf("GPU frames' arithmetic %s libswscale's here\n", all ? "is" : "is not");
}

/* A frame that is not NV12, or a CPU decoder whose format is not 8-bit 4:2:0, is left alone. */
static void check_left_alone(void)
{
    AVFrame *f = new_frame(16, 16, AV_PIX_FMT_YUV420P);
    uint8_t *chroma = NULL, *data1 = f ? f->data[1] : NULL;
    size_t size = 0;
    CHECK(f && drt_video_nv12_as_planar(f, AV_PIX_FMT_YUV420P, &chroma, &size) == 0 && f->data[1] == data1 && !chroma,
          "a YUV420P frame was changed");
    av_frame_free(&f);
    f = new_frame(16, 16, AV_PIX_FMT_NV12);
    data1 = f ? f->data[1] : NULL;
    CHECK(f && drt_video_nv12_as_planar(f, AV_PIX_FMT_YUV420P10LE, &chroma, &size) == 0 && f->format == AV_PIX_FMT_NV12 &&
              f->data[1] == data1 && !chroma,
          "NV12 for a 10-bit decoder was changed");
    av_frame_free(&f);
}

int main(void)
{
    check_size(1920, 1080, AV_PIX_FMT_YUV420P);
    check_size(1920, 1080, AV_PIX_FMT_YUVJ420P);
    check_size(321, 241, AV_PIX_FMT_YUV420P);
    check_size(2, 2, AV_PIX_FMT_YUV420P);
    check_size(1, 1, AV_PIX_FMT_YUV420P);
    check_left_alone();
    check_gpu_arithmetic();
    return DONE();
}
