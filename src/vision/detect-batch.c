/* Detection on a batch of images: preprocess, one engine run, decode and NMS, each stage on the
 * host or on the engine's device (drt_detect_opts), with per-image stage times. */
#include "vision/vision.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/opts.h"
#include "engine/engine.h"

#include <stdlib.h>
#include <string.h>

static const char *place_name(drt_stage_place p) { return p == DRT_STAGE_DEVICE ? "device" : "host"; }

drt_status drt_detect_check(const drt_engine *e, int n, const drt_detect_opts *o)
{
    if (!e) return drt_error(DRT_STATUS_INVALID_ARG, "detect: no engine");
    if (n < 1 || n > e->opts.max_batch)
        return drt_error(DRT_STATUS_INVALID_ARG, "detect: %d images: must be 1..%d (the engine's max batch)", n,
                         e->opts.max_batch);
    if ((unsigned)o->pre > DRT_STAGE_DEVICE || (unsigned)o->decode > DRT_STAGE_DEVICE ||
        (unsigned)o->nms_place > DRT_STAGE_DEVICE)
        return drt_error(DRT_STATUS_INVALID_ARG, "detect: stage places %d/%d/%d: each must be host (0) or device (1)",
                         (int)o->pre, (int)o->decode, (int)o->nms_place);
    if ((unsigned)o->nms_kind >= DRT_NMS_COUNT || !(o->beta_nms > 0 && o->beta_nms <= 100))
        return drt_error(DRT_STATUS_INVALID_ARG, "detect: NMS kind %d, beta_nms %g: must be 0..%d and in (0, 100]",
                         (int)o->nms_kind, o->beta_nms, DRT_NMS_COUNT - 1);
    int on_device = o->pre == DRT_STAGE_DEVICE || o->decode == DRT_STAGE_DEVICE || o->nms_place == DRT_STAGE_DEVICE;
    if (on_device && !e->backend->stages)
        return drt_error(DRT_STATUS_UNSUPPORTED,
                         "detect: pre/postprocessing on the device needs a CUDA engine (this engine runs on %s)",
                         e->backend->name);
    if (o->nms_place == DRT_STAGE_DEVICE && o->decode != DRT_STAGE_DEVICE)
        return drt_error(DRT_STATUS_INVALID_ARG, "detect: NMS on the device needs decode on the device (decode is on the %s)",
                         place_name(o->decode));
    return DRT_OK;
}

static drt_status check_images(const drt_engine *e, const drt_image *const *images, int n)
{
    if (!images) return drt_error(DRT_STATUS_INVALID_ARG, "detect: no images");
    for (int i = 0; i < n; i++) {
        if (!images[i]) return drt_error(DRT_STATUS_INVALID_ARG, "detect: image %d of %d missing", i + 1, n);
        if (images[i]->c != e->model->channels)
            return drt_error(DRT_STATUS_INVALID_ARG, "detect: image %d has %d channels, the model takes %d", i + 1,
                             images[i]->c, e->model->channels);
    }
    return DRT_OK;
}

static drt_status preprocess(drt_engine *e, const drt_image *const *images, int n, const drt_detect_opts *o,
                             float **input_out, drt_stage_times *times)
{
    const drt_model *m = e->model;
    size_t item = (size_t)m->width * m->height * m->channels;
    float *input = NULL;
    if (o->pre == DRT_STAGE_HOST) {
        input = malloc((size_t)n * item * sizeof(float));
        if (!input) return drt_error(DRT_STATUS_OOM, "detect: out of memory for %d inputs", n);
    }
    for (int i = 0; i < n; i++) {
        double t0 = drt_now_ms();
        drt_status s = input ? drt_image_preprocess(images[i], o->resize, m->width, m->height, input + (size_t)i * item)
                             : e->backend->stages->preprocess(e, NULL, images[i], i, o->resize);
        if (s != DRT_OK) {
            free(input);
            return s;
        }
        times[i].preprocess_ms = drt_now_ms() - t0;
    }
    *input_out = input;
    return DRT_OK;
}

/* The device runs IoU NMS only; the DIoU kinds stay on the host. */
static int nms_on_device(const drt_detect_opts *o)
{
    return o->nms_place == DRT_STAGE_DEVICE && o->nms_kind == DRT_NMS_IOU;
}

/* Item i decoded on the host from the heads of the run state (ctx NULL: the engine's own). */
static drt_status host_decode(const drt_engine *e, const drt_context *ctx, int i, int w, int h, const drt_detect_opts *o,
                              drt_detections **out)
{
    return ctx ? drt_detect_decode_context(e, ctx, i, w, h, o, out) : drt_detect_decode(e, i, w, h, o, out);
}

/* What the device left to the host for item i (see drt_device_stages.decode), then detections. */
static drt_status finish_item(const drt_engine *e, const drt_context *ctx, int i, int w, int h, const drt_detect_opts *o,
                              int host, drt_candidates *c, drt_detections **out)
{
    if (host == 1) return host_decode(e, ctx, i, w, h, o, out);
    if (host == 2 || !nms_on_device(o)) {
        drt_nms_rule rule = drt_nms_rule_of(o, w, h);
        drt_nms_per_class(c, &rule);
    }
    return drt_detections_from_candidates(c, w, h, o->unclipped, out);
}

static drt_status postprocess(drt_engine *e, drt_context *ctx, const int *img_wh, int n, const drt_detect_opts *o,
                              drt_detections **dets, drt_stage_times *times)
{
    int region = 0; /* YOLOv1, YOLOv2 and Gaussian heads decode on the host */
    for (int h = 0; h < e->n_heads; h++) {
        const drt_layer *l = &e->model->layers[e->head_layers[h]];
        region |= l->region || l->gaussian || l->detection;
    }
    if (o->decode == DRT_STAGE_HOST || region) {
        for (int i = 0; i < n; i++) {
            double t0 = drt_now_ms();
            DRT_TRY(host_decode(e, ctx, i, img_wh[2 * i], img_wh[2 * i + 1], o, &dets[i]));
            times[i].postprocess_ms = drt_now_ms() - t0;
        }
        return DRT_OK;
    }
    int *host = malloc((size_t)n * sizeof(int));
    drt_candidates *cands = calloc((size_t)n, sizeof *cands);
    drt_status s = host && cands ? DRT_OK : drt_error(DRT_STATUS_OOM, "detect: out of memory");
    double t0 = drt_now_ms();
    if (s == DRT_OK)
        s = e->backend->stages->decode(e, ctx, n, img_wh, o, nms_on_device(o), cands, host);
    double shared = (drt_now_ms() - t0) / n; /* the device decodes the batch at once */
    for (int i = 0; s == DRT_OK && i < n; i++) {
        double t1 = drt_now_ms();
        s = finish_item(e, ctx, i, img_wh[2 * i], img_wh[2 * i + 1], o, host[i], &cands[i], &dets[i]);
        times[i].postprocess_ms = shared + drt_now_ms() - t1;
    }
    for (int i = 0; cands && i < n; i++) free(cands[i].items);
    free(cands);
    free(host);
    return s;
}

drt_status drt_detect_run(drt_engine *e, drt_context *ctx, const float *input, int n, const drt_detect_opts *o, int async,
                          drt_stage_times *times)
{
    double t0 = drt_now_ms();
    drt_status s;
    if (o->pre == DRT_STAGE_HOST && o->decode == DRT_STAGE_HOST) {
        s = ctx ? drt_context_run(ctx, input, n) : drt_engine_run(e, input, n);
    } else {
        if (ctx) drt_context_set_batch(ctx, n);
        else
            for (int h = 0; h < e->n_heads; h++) e->head_desc[h].n = n;
        int heads = o->decode == DRT_STAGE_HOST ? 1 : async ? DRT_HEADS_DEVICE_ASYNC : 0;
        s = e->backend->stages->run(e, ctx, input, n, heads);
    }
    double per_image = (drt_now_ms() - t0) / n;
    for (int i = 0; i < n; i++) times[i].inference_ms = per_image;
    return s;
}

drt_status drt_detect_postprocess(drt_engine *e, drt_context *ctx, int n, const int *img_wh, const drt_detect_opts *o,
                                  drt_detections **dets_out, drt_stage_times *times)
{
    drt_status s = postprocess(e, ctx, img_wh, n, o, dets_out, times);
    if (s != DRT_OK)
        for (int i = 0; i < n; i++) {
            drt_detections_free(dets_out[i]);
            dets_out[i] = NULL;
        }
    return s;
}

drt_status drt_detect_run_decode(drt_engine *e, const float *input, int n, const int *img_wh,
                                 const drt_detect_opts *o, drt_detections **dets_out, drt_stage_times *times)
{
    drt_status s = drt_detect_run(e, NULL, input, n, o, 0, times);
    if (s == DRT_OK) s = drt_detect_postprocess(e, NULL, n, img_wh, o, dets_out, times);
    return s;
}

drt_status drt_detect_batch(drt_engine *e, const drt_image *const *images, int n, const drt_detect_opts *opts,
                            drt_detections **dets_out, drt_stage_times *times_out)
{
    DRT_ARG(e, "engine");
    DRT_ARG(images, "images");
    DRT_ARG(dets_out, "dets_out");
    drt_detect_opts o = drt_detect_opts_default();
    DRT_TRY(drt_opts_copy(&o, sizeof o, opts, "detect: drt_detect_opts"));
    DRT_TRY(drt_detect_check(e, n, &o));
    DRT_TRY(check_images(e, images, n));
    for (int i = 0; i < n; i++) dets_out[i] = NULL;
    size_t count = (unsigned)n; /* 1..max batch (checked above) */
    drt_stage_times *times = calloc(count, sizeof *times);
    int *wh = malloc(count * 2 * sizeof(int));
    if (!times || !wh) {
        free(times);
        free(wh);
        return drt_error(DRT_STATUS_OOM, "detect: out of memory");
    }
    for (int i = 0; i < n; i++) wh[2 * i] = images[i]->w, wh[2 * i + 1] = images[i]->h;
    float *input = NULL;
    drt_status s = preprocess(e, images, n, &o, &input, times);
    if (s == DRT_OK) s = drt_detect_run_decode(e, input, n, wh, &o, dets_out, times);
    free(input);
    if (times_out && s == DRT_OK) memcpy(times_out, times, count * sizeof *times);
    free(times);
    free(wh);
    return s;
}
