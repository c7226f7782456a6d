/* NVDEC frames left on the GPU (DRT_PIXEL_NV12_GPU) through the pipeline, without a GPU: a
 * stand-in device (the CPU engine behind drt_device_stages; its "device memory" is host memory)
 * whose preprocess_frame converts such frames with src/vision/nv12-sws.h, as letterbox.cu does.
 * yolo-fastest-1.1 (real weights), Darknet's sample images as NV12:
 * - adopted GPU frames give the boxes of the same pictures given as RGB8 (converted on the host with
 *   the same arithmetic), in submission order, batches of 3 with two in flight;
 * - each frame is released exactly once, and never before the device has read it;
 * - refused, and released once, where no device preprocesses (pre on the host) or the pixels are
 *   kept (keep_image); the public entry points refuse the in-tree format without reading it. */
#include "darkrt.h"
#include "engine/engine.h"
#include "pipeline/pipeline-adopt.h"
#include "same-results.h"
#include "unit/check.h"
#include "vision/nv12-sws.h"
#include "vision/vision.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 7
static const char *const names[N] = {"dog", "eagle", "giraffe", "horses", "kite", "person", "scream"};
/* libswscale's coefficients for BT.601 limited range (as drt_video_nv12_sws_coeffs reads them) */
static const drt_nv12_sws bt601 = {.y_coeff = 9539, .y_offset = 128, .vr = 13075, .ub = 16525, .vg = -6660, .ug = -3209};

/* A picture as NV12 in "device memory" (rows padded to 256 bytes), and the RGB8 the host converts it to. */
typedef struct picture {
    uint8_t *nv12, *rgb;
    int w, h, read, released;
} picture;
static picture pics[N];

static void release(void *owner)
{
    picture *p = owner;
    CHECK(p->read, "%dx%d: released before the device read it", p->w, p->h);
    p->released++;
}

static int make_picture(const char *path, picture *p)
{
    drt_frame f;
    if (drt_frame_load(path, &f) != DRT_OK) return -1;
    int w = f.w, h = f.h & ~1;
    size_t pitch = ((size_t)w + 255) & ~(size_t)255;
    p->nv12 = calloc(pitch * (h + h / 2), 1);
    p->rgb = malloc((size_t)w * h * 3);
    p->w = w, p->h = h;
    for (int y = 0; p->nv12 && y < h; y++)
        for (int x = 0; x < w; x++) {
            const uint8_t *s = f.data + ((size_t)y * f.w + x) * 3;
            p->nv12[pitch * y + x] = (uint8_t)(((66 * s[0] + 129 * s[1] + 25 * s[2] + 128) >> 8) + 16);
            uint8_t *uv = p->nv12 + pitch * (h + y / 2) + (x & ~1);
            uv[0] = (uint8_t)(((-38 * s[0] - 74 * s[1] + 112 * s[2] + 128) >> 8) + 128);
            uv[1] = (uint8_t)(((112 * s[0] - 94 * s[1] - 18 * s[2] + 128) >> 8) + 128);
        }
    for (int y = 0; p->nv12 && p->rgb && y < h; y++)
        for (int x = 0; x < w; x++)
            drt_nv12_sws_at(&bt601, p->nv12, pitch, p->nv12 + pitch * h, pitch, x, y, p->rgb + ((size_t)y * w + x) * 3);
    drt_frame_release(&f);
    return p->nv12 && p->rgb ? 0 : -1;
}

/* A fresh descriptor of picture i, as the video module hands them out. */
static drt_frame gpu_frame(int i)
{
    picture *p = &pics[i];
    size_t pitch = ((size_t)p->w + 255) & ~(size_t)255;
    drt_nv12_gpu *g = malloc(sizeof *g);
    *g = (drt_nv12_gpu){.w = p->w, .h = p->h, .y = p->nv12, .uv = p->nv12 + pitch * p->h, .y_pitch = pitch,
                        .uv_pitch = pitch, .sws = bt601, .release = release, .owner = p};
    return (drt_frame){.w = p->w, .h = p->h, .format = DRT_PIXEL_NV12_GPU, .data = (const unsigned char *)g};
}

/* The stand-in device (as in pipeline-same-boxes.c): host memory for its input, the CPU engine's run. */
static const drt_backend *cpu_backend;
static float *dev_in;

static drt_status dev_preprocess_frame(drt_engine *e, drt_context *ctx, const drt_frame *f, int item, drt_resize mode)
{
    (void)ctx; /* the pipeline's default: the engine's own run state */
    const drt_model *m = e->model;
    float *out = dev_in + (size_t)item * m->width * m->height * 3;
    if (f->format != DRT_PIXEL_NV12_GPU) return drt_frame_preprocess(f, mode, m->width, m->height, out);
    const drt_nv12_gpu *g = (const drt_nv12_gpu *)f->data;
    uint8_t *rgb = malloc((size_t)g->w * g->h * 3);
    if (!rgb) return DRT_STATUS_OOM;
    for (int y = 0; y < g->h; y++)
        for (int x = 0; x < g->w; x++) drt_nv12_sws_at(&g->sws, g->y, g->y_pitch, g->uv, g->uv_pitch, x, y, rgb + ((size_t)y * g->w + x) * 3);
    ((picture *)g->owner)->read = 1;
    drt_frame r = {.w = g->w, .h = g->h, .format = DRT_PIXEL_RGB8, .data = rgb};
    drt_status s = drt_frame_preprocess(&r, mode, m->width, m->height, out);
    free(rgb);
    return s;
}

static drt_status dev_run(drt_engine *e, drt_context *ctx, const float *input, int batch, int heads)
{
    (void)ctx, (void)heads;
    return cpu_backend->run(e, input ? input : dev_in, batch);
}

static drt_status dev_decode(drt_engine *e, drt_context *ctx, int n, const int *wh, const drt_detect_opts *o, int nms,
                             struct drt_candidates *cands, int *host)
{
    (void)ctx, (void)e, (void)wh, (void)o, (void)nms, (void)cands;
    for (int i = 0; i < n; i++) host[i] = 1;
    return DRT_OK;
}

static const drt_device_stages dev_stages = {.preprocess_frame = dev_preprocess_frame, .run = dev_run, .decode = dev_decode};

/* Every picture through a pipeline: GPU frames (gpu 1) or the host's RGB8; boxes in order out. */
static void run_pipeline(drt_engine *e, int gpu, drt_detections **out)
{
    drt_pipeline_opts o = drt_pipeline_opts_default();
    o.detect.pre = o.detect.decode = DRT_STAGE_DEVICE;
    o.batch = 3, o.workers = 2;
    drt_pipeline *p;
    if (drt_pipeline_create(e, &o, &p) != DRT_OK) {
        CHECK(0, "pipeline: %s", drt_last_error());
        return;
    }
    for (int i = 0; i < N; i++) {
        drt_frame f = gpu ? gpu_frame(i) : (drt_frame){.w = pics[i].w, .h = pics[i].h, .format = DRT_PIXEL_RGB8, .data = pics[i].rgb};
        drt_status s = gpu ? drt_pipeline_submit_frame_adopt(p, &f, (void *)(intptr_t)i)
                           : drt_pipeline_submit_frame(p, &f, (void *)(intptr_t)i);
        CHECK(s == DRT_OK, "submit %d (gpu %d): %s", i, gpu, drt_last_error());
    }
    drt_pipeline_close(p);
    drt_pipeline_result *r;
    for (int k = 0; drt_pipeline_next(p, &r) == DRT_OK && r; k++) {
        CHECK((int)(intptr_t)r->tag == k && r->status == DRT_OK, "result %d: item %d, %s", k, (int)(intptr_t)r->tag, r->error);
        out[k] = r->dets;
        r->dets = NULL;
        drt_pipeline_result_free(r);
    }
    drt_pipeline_free(p);
}

/* Refusals: the frame released once (adopt) or never read (public entry points). */
static void check_refusals(drt_engine *e)
{
    drt_pipeline_opts o = drt_pipeline_opts_default(); /* pre on the host */
    drt_pipeline *p;
    pics[0].released = 0;
    CHECK(drt_pipeline_create(e, &o, &p) == DRT_OK, "pipeline: %s", drt_last_error());
    drt_frame f = gpu_frame(0);
    CHECK(drt_pipeline_submit_frame_adopt(p, &f, NULL) == DRT_STATUS_UNSUPPORTED && pics[0].released == 1 && !f.data,
          "pre on the host: a GPU frame must be refused and released once (%d)", pics[0].released);
    drt_pipeline_free(p);
    o.detect.pre = o.detect.decode = DRT_STAGE_DEVICE;
    o.keep_image = 1;
    CHECK(drt_pipeline_create(e, &o, &p) == DRT_OK, "pipeline: %s", drt_last_error());
    f = gpu_frame(0);
    CHECK(drt_pipeline_submit_frame_adopt(p, &f, NULL) == DRT_STATUS_UNSUPPORTED && pics[0].released == 2,
          "keep_image: a GPU frame must be refused and released once");
    f = gpu_frame(0);
    pics[0].read = 0;
    CHECK(drt_pipeline_submit_frame(p, &f, NULL) == DRT_STATUS_INVALID_ARG && !pics[0].read && pics[0].released == 2,
          "drt_pipeline_submit_frame must refuse the in-tree format without reading it");
    const drt_frame *fp = &f;
    drt_detections *d = NULL;
    CHECK(drt_detect_frames(e, &fp, 1, &o.detect, NULL, &d, NULL) == DRT_STATUS_INVALID_ARG && !pics[0].read && !d,
          "drt_detect_frames must refuse the in-tree format without reading it");
    pics[0].read = 1;
    drt_frame_release(&f);
    CHECK(pics[0].released == 3, "drt_frame_release of a GPU frame releases it");
    drt_pipeline_free(p);
}

int main(void)
{
    const char *root = getenv("DRT_ROOT"), *shared = getenv("DRT_SHARED");
    char sh[4096], cfg[4200], w[4200], path[256];
    snprintf(sh, sizeof sh, "%s/../shared", root ? root : ".");
    snprintf(cfg, sizeof cfg, "%s/models/yolo-fastest-1.1/yolo-fastest-1.1.cfg", shared ? shared : sh);
    snprintf(w, sizeof w, "%s/models/yolo-fastest-1.1/yolo-fastest-1.1.weights", shared ? shared : sh);
    drt_model *m = NULL;
    drt_load_opts lo = drt_load_opts_default();
    if (access(w, R_OK) != 0 || access("/usr/share/darknet/data/dog.jpg", R_OK) != 0 ||
        drt_model_load_darknet(cfg, w, &lo, &m) != DRT_OK) {
        printf("skip: needs yolo-fastest-1.1 weights (../shared/models) and /usr/share/darknet/data\n");
        return 77;
    }
    drt_engine_opts eo = drt_engine_opts_default();
    eo.max_batch = 3, eo.threads = 2, eo.no_tune = 1;
    drt_engine *e = NULL;
    CHECK(drt_engine_create(m, &eo, &e) == DRT_OK, "engine: %s", drt_last_error());
    drt_model_free(m);
    for (int i = 0; i < N; i++) {
        snprintf(path, sizeof path, "/usr/share/darknet/data/%s.jpg", names[i]);
        CHECK(make_picture(path, &pics[i]) == 0, "%s: picture", path);
    }
    if (failures) return DONE();
    drt_backend dev = *e->backend;
    dev.stages = &dev_stages;
    cpu_backend = e->backend;
    e->backend = &dev;
    dev_in = malloc((size_t)eo.max_batch * e->model->width * e->model->height * 3 * sizeof(float));
    drt_detections *want[N] = {0}, *got[N] = {0};
    run_pipeline(e, 0, want);
    run_pipeline(e, 1, got);
    int boxes = 0;
    for (int i = 0; i < N; i++) {
        CHECK(want[i] && got[i] && same_dets(want[i], got[i]), "%s: GPU frame's boxes differ from the host path's", names[i]);
        CHECK(pics[i].read && pics[i].released == 1, "%s: read %d, released %d times (once)", names[i], pics[i].read,
              pics[i].released);
        boxes += want[i] ? want[i]->count : 0;
        drt_detections_free(want[i]);
        drt_detections_free(got[i]);
    }
    CHECK(boxes >= 10, "only %d boxes on Darknet's samples", boxes);
    check_refusals(e);
    e->backend = cpu_backend;
    free(dev_in);
    drt_engine_free(e);
    for (int i = 0; i < N; i++) free(pics[i].nv12), free(pics[i].rgb);
    if (!failures) printf("ok: %d GPU frames, %d boxes as the host path's, each released once after its batch\n", N, boxes);
    return DONE();
}
