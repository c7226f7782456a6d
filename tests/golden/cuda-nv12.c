/* NVDEC frames left on the GPU (DRT_PIXEL_NV12_GPU: NV12 in device memory, letterboxed there by
 * letterbox.cu's NV12 source) against the host path they replace (skips without a CUDA device): the
 * NV12 copied to the host, split into planar 4:2:0 (src/video/video-nv12.c), converted to RGB8 by
 * libswscale exactly as src/video/video-source.c does, then the host's letterbox. yolo-fastest-1.1
 * (real weights, fp16 and fp32), Darknet's 7 sample images (heights made even, as NVDEC's 4:2:0
 * frames are) and a 1920x1080 frame of random bytes (every luma and chroma value, the 16-bit lanes'
 * saturation), NV12 rows padded as NVDEC pads them, limited (yuv420p) and full range (yuvj420p):
 * - the heads equal the host path's bit for bit (so the network input does);
 * - the detections equal it bit for bit at 0.25 and 0.01, letterbox and stretch;
 * - a frame said to be on another GPU than the engine's is refused, not read.
 * Device memory comes from the driver (libcuda.so.1, dlopen), as NVDEC's does. */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/frame.h>
#include <libswscale/swscale.h>

#include "darkrt.h"
#include "same-results.h"
#include "test-models.h"
#include "video/video-internal.h"
#include "vision/vision.h"

#define N 8
static const char *const names[N - 1] = {"dog", "person", "horses", "eagle", "giraffe", "kite", "scream"};
static int failures;

/* The driver's API, as far as this test needs it. */
typedef unsigned long long devptr;
static struct {
    int (*init)(unsigned);
    int (*device_get)(int *, int);
    int (*retain)(void **, int);
    int (*push)(void *);
    int (*pop)(void **);
    int (*alloc)(devptr *, size_t);
    int (*htod)(devptr, const void *, size_t);
    int (*free)(devptr);
    void *ctx;
} cu;

static int load_driver(void)
{
    void *h = dlopen("libcuda.so.1", RTLD_NOW);
    if (!h) return -1;
    void **slots[] = {(void **)&cu.init, (void **)&cu.device_get, (void **)&cu.retain, (void **)&cu.push,
                      (void **)&cu.pop, (void **)&cu.alloc, (void **)&cu.htod, (void **)&cu.free};
    const char *syms[] = {"cuInit", "cuDeviceGet", "cuDevicePrimaryCtxRetain", "cuCtxPushCurrent_v2",
                          "cuCtxPopCurrent_v2", "cuMemAlloc_v2", "cuMemcpyHtoD_v2", "cuMemFree_v2"};
    for (int i = 0; i < 8; i++)
        if (!(*slots[i] = dlsym(h, syms[i]))) return -1;
    int dev;
    return cu.init(0) || cu.device_get(&dev, 0) || cu.retain(&cu.ctx, dev) ? -1 : 0;
}

/* Bytes to the device (the engine's GPU 0, its primary context). */
static const uint8_t *upload(const uint8_t *p, size_t n)
{
    devptr d = 0;
    void *dummy;
    if (cu.push(cu.ctx)) return NULL;
    if (cu.alloc(&d, n) || cu.htod(d, p, n)) d = 0;
    cu.pop(&dummy);
    return (const uint8_t *)(uintptr_t)d;
}

static void device_free(const uint8_t *p)
{
    void *dummy;
    if (p && !cu.push(cu.ctx)) {
        cu.free((devptr)(uintptr_t)p);
        cu.pop(&dummy);
    }
}

static void no_release(void *owner) { (void)owner; }

/* One picture as NVDEC gives it (NV12, rows padded to 256 bytes), on the host and on the device,
 * and the host path's RGB8 of it. */
typedef struct picture {
    AVFrame *nv12;
    uint8_t *rgb; /* the host path: rows of `stride` bytes */
    size_t stride;
    drt_nv12_gpu gpu;
} picture;

static uint32_t seed = 99;
static uint8_t next_byte(void)
{
    seed = seed * 1664525u + 1013904223u;
    return (uint8_t)(seed >> 24);
}

/* NV12 of an RGB8 frame (BT.601 studio swing, any formula would do: the test compares two ways of
 * converting the same NV12), or random bytes when rgb is NULL. */
static AVFrame *make_nv12(const drt_frame *rgb, int w, int h)
{
    AVFrame *f = av_frame_alloc();
    if (!f) return NULL;
    f->width = w, f->height = h, f->format = AV_PIX_FMT_NV12;
    if (av_frame_get_buffer(f, 256) < 0) {
        av_frame_free(&f);
        return NULL;
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const uint8_t *p = rgb ? rgb->data + (size_t)rgb->w * 3 * y + 3 * x : NULL;
            f->data[0][(size_t)f->linesize[0] * y + x] =
                p ? (uint8_t)(((66 * p[0] + 129 * p[1] + 25 * p[2] + 128) >> 8) + 16) : next_byte();
        }
    for (int y = 0; y < (h + 1) / 2; y++)
        for (int x = 0; x < (w + 1) / 2; x++) {
            const uint8_t *p = rgb ? rgb->data + (size_t)rgb->w * 3 * (2 * y) + 3 * (2 * x) : NULL;
            uint8_t *uv = f->data[1] + (size_t)f->linesize[1] * y + 2 * x;
            uv[0] = p ? (uint8_t)(((-38 * p[0] - 74 * p[1] + 112 * p[2] + 128) >> 8) + 128) : next_byte();
            uv[1] = p ? (uint8_t)(((112 * p[0] - 94 * p[1] - 18 * p[2] + 128) >> 8) + 128) : next_byte();
        }
    return f;
}

/* The host path of src/video/video-source.c: NV12 split into planar 4:2:0, libswscale to RGB24 at the
 * frame's size (SWS_BICUBIC, unscaled), rows of its 64-byte-rounded stride; and the same frame on the
 * device with the coefficients of that libswscale context. */
static int make_picture(const drt_frame *rgb, int w, int h, enum AVPixelFormat planar, picture *pic)
{
    memset(pic, 0, sizeof *pic);
    AVFrame *host = make_nv12(rgb, w, h);
    if (!(pic->nv12 = host)) return -1;
    AVFrame *planar_f = av_frame_clone(host);
    uint8_t *chroma = NULL;
    size_t chroma_size = 0;
    struct SwsContext *sws = sws_getContext(w, h, planar, w, h, AV_PIX_FMT_RGB24, SWS_BICUBIC, NULL, NULL, NULL);
    pic->stride = ((size_t)w * 3 + 63) & ~(size_t)63;
    pic->rgb = malloc(pic->stride * h + 64);
    int ok = planar_f && sws && pic->rgb && drt_video_nv12_as_planar(planar_f, planar, &chroma, &chroma_size) == 0;
    if (ok) {
        uint8_t *dst[4] = {pic->rgb};
        int dst_stride[4] = {(int)pic->stride};
        sws_scale(sws, (const uint8_t *const *)planar_f->data, planar_f->linesize, 0, h, dst, dst_stride);
        ok = drt_video_nv12_sws_coeffs(sws, &pic->gpu.sws) == 0;
    }
    size_t y_bytes = (size_t)host->linesize[0] * h, uv_bytes = (size_t)host->linesize[1] * ((h + 1) / 2);
    pic->gpu.w = w, pic->gpu.h = h, pic->gpu.gpu = 0, pic->gpu.release = no_release;
    pic->gpu.y_pitch = (size_t)host->linesize[0], pic->gpu.uv_pitch = (size_t)host->linesize[1];
    if (ok) pic->gpu.y = upload(host->data[0], y_bytes), pic->gpu.uv = upload(host->data[1], uv_bytes);
    ok = ok && pic->gpu.y && pic->gpu.uv;
    av_frame_free(&planar_f);
    free(chroma);
    sws_freeContext(sws);
    return ok ? 0 : -1;
}

static void free_picture(picture *pic)
{
    av_frame_free(&pic->nv12);
    free(pic->rgb);
    device_free(pic->gpu.y);
    device_free(pic->gpu.uv);
}

/* Heads and detections of the GPU frames (pre on the device) against the host path's RGB8 (pre on
 * the host): bit for bit. */
static void compare(const char *what, drt_engine *e, picture *pics, int n, float thresh, drt_resize mode)
{
    drt_detect_opts host = drt_detect_opts_default(), dev;
    host.thresh = thresh;
    host.resize = mode;
    dev = host;
    dev.pre = DRT_STAGE_DEVICE;
    drt_frame rgb[N], gpu[N];
    const drt_frame *fr[N], *fg[N];
    int wh[2 * N];
    for (int i = 0; i < n; i++) {
        rgb[i] = (drt_frame){.w = pics[i].gpu.w, .h = pics[i].gpu.h, .format = DRT_PIXEL_RGB8, .data = pics[i].rgb,
                             .stride = pics[i].stride};
        gpu[i] = (drt_frame){.w = pics[i].gpu.w, .h = pics[i].gpu.h, .format = DRT_PIXEL_NV12_GPU,
                             .data = (const unsigned char *)&pics[i].gpu};
        fr[i] = &rgb[i], fg[i] = &gpu[i];
        wh[2 * i] = gpu[i].w, wh[2 * i + 1] = gpu[i].h;
    }
    drt_detections *want[N] = {0}, *got[N] = {0};
    drt_stage_times times[N];
    float *hw = NULL, *hg = NULL;
    size_t n_hw = 0, n_hg = 0;
    int ok = drt_detect_frames(e, fr, n, &host, NULL, want, NULL) == DRT_OK;
    if (ok) hw = copy_heads(e, n, &n_hw);
    ok = ok && drt_detect_frames_begin(e, NULL, fg, NULL, n, &dev, times) == DRT_OK &&
         drt_detect_run(e, NULL, NULL, n, &dev, 0, times) == DRT_OK;
    if (ok) hg = copy_heads(e, n, &n_hg);
    ok = ok && drt_detect_postprocess(e, NULL, n, wh, &dev, got, times) == DRT_OK;
    int same = ok, count = 0;
    for (int i = 0; ok && i < n; i++) same &= same_dets(want[i], got[i]), count += want[i]->count;
    int heads_same = hw && hg && n_hw == n_hg && !memcmp(hw, hg, n_hw * sizeof(float));
    if (!ok || !same || !heads_same) failures++;
    printf("%s %-40s thresh %.2f %-9s: %d frames, %d detections%s%s\n", ok && same && heads_same ? "ok  " : "FAIL", what,
           thresh, mode == DRT_RESIZE_LETTERBOX ? "letterbox" : "stretch", n, count, !ok ? drt_last_error() : "",
           !ok ? "" : !same ? ", detections differ" : heads_same ? ", heads bit-identical" : ", heads differ");
    for (int i = 0; i < n; i++) {
        drt_detections_free(want[i]);
        drt_detections_free(got[i]);
    }
    free(hw);
    free(hg);
}

/* A frame said to be on GPU 1 for the engine on GPU 0 is refused with a message. */
static void check_other_gpu(drt_engine *e, picture *pic)
{
    drt_nv12_gpu other = pic->gpu;
    other.gpu = 1;
    drt_frame f = {.w = other.w, .h = other.h, .format = DRT_PIXEL_NV12_GPU, .data = (const unsigned char *)&other};
    const drt_frame *fp = &f;
    drt_detect_opts dev = drt_detect_opts_default();
    dev.pre = DRT_STAGE_DEVICE;
    drt_stage_times t;
    drt_status s = drt_detect_frames_begin(e, NULL, &fp, NULL, 1, &dev, &t);
    int ok = s == DRT_STATUS_INVALID_ARG && strstr(drt_last_error(), "GPU 1");
    failures += !ok;
    printf("%s a frame on GPU 1 for an engine on GPU 0: %s\n", ok ? "ok  " : "FAIL", s ? drt_last_error() : "accepted");
}

static int run_precision(const drt_model *m, drt_precision p, picture *lim, picture *full)
{
    drt_engine *e;
    int rc = cuda_engine(m, p, N, &e);
    if (rc) return rc;
    char what[64];
    for (int t = 0; t < 2; t++) {
        float thresh = t ? 0.01f : 0.25f;
        snprintf(what, sizeof what, "%s yuv420p batch %d", drt_precision_name(p), N);
        compare(what, e, lim, N, thresh, DRT_RESIZE_LETTERBOX);
        snprintf(what, sizeof what, "%s yuvj420p batch %d", drt_precision_name(p), N);
        compare(what, e, full, N, thresh, DRT_RESIZE_LETTERBOX);
        snprintf(what, sizeof what, "%s yuv420p batch 3 of max %d", drt_precision_name(p), N);
        compare(what, e, lim + 4, 3, thresh, DRT_RESIZE_STRETCH);
    }
    if (p == DRT_PREC_FP16) check_other_gpu(e, &lim[0]);
    drt_engine_free(e);
    return 0;
}

int main(void)
{
    char path[1200];
    drt_model *m = load_yolo_fastest();
    if (!m) {
        printf("%s\nskipped: yolo-fastest-1.1 missing\n", drt_last_error());
        return 77;
    }
    int probe = cuda_probe(m); /* 77: said, m freed */
    if (probe) return probe;
    if (load_driver() < 0) {
        drt_model_free(m);
        printf("FAIL: a CUDA engine runs but libcuda.so.1's API does not load\n");
        return 1;
    }
    picture lim[N], full[N];
    memset(lim, 0, sizeof lim);
    memset(full, 0, sizeof full);
    int rc = 0;
    for (int i = 0; i < N && rc == 0; i++) {
        drt_frame rgb = {0};
        if (i < N - 1) {
            snprintf(path, sizeof path, "%s/%s.jpg", sample_dir(), names[i]);
            if (drt_frame_load(path, &rgb) != DRT_OK) {
                printf("FAIL %s\n", drt_last_error());
                return 1;
            }
        }
        int w = rgb.data ? rgb.w : 1920, h = rgb.data ? rgb.h & ~1 : 1080; /* NVDEC's 4:2:0: even heights */
        uint32_t s0 = seed;
        if (make_picture(rgb.data ? &rgb : NULL, w, h, AV_PIX_FMT_YUV420P, &lim[i]) < 0) rc = 1;
        seed = s0; /* the same random frame in full range */
        if (rc == 0 && make_picture(rgb.data ? &rgb : NULL, w, h, AV_PIX_FMT_YUVJ420P, &full[i]) < 0) rc = 1;
        if (rc) printf("FAIL: picture %d (%dx%d): host path or device copy\n", i, w, h);
        drt_frame_release(&rgb);
    }
    if (rc == 0) rc = run_precision(m, DRT_PREC_FP16, lim, full);
    if (rc == 0) rc = run_precision(m, DRT_PREC_FP32, lim, full);
    for (int i = 0; i < N; i++) {
        free_picture(&lim[i]);
        free_picture(&full[i]);
    }
    drt_model_free(m);
    if (rc == 77) printf("skipped: no CUDA device\n");
    return rc ? rc : failures ? 1 : 0;
}
