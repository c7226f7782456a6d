/* The pipeline's device hook: a batch of decoded 8-bit frames to detections, preprocessed on the
 * host (or by the pipeline's workers already) or on the engine's device. */
#include "vision/vision.h"
#include "core/clock.h"
#include "core/error.h"
#include "engine/engine.h"

#include <stdlib.h>

/* Without an 8-bit device path: the float image drt_image_load would have made of these bytes. */
static drt_status device_preprocess_via_float(drt_engine *e, drt_context *ctx, const drt_frame *f, int item, drt_resize mode)
{
    drt_frame rgb;
    DRT_TRY(drt_frame_to_rgb8(f, &rgb));
    drt_image *im;
    drt_status s = drt_image_from_u8("frame", rgb.data, rgb.w, rgb.h, 3, 1, &im);
    drt_frame_release(&rgb);
    if (s == DRT_OK) s = e->backend->stages->preprocess(e, ctx, im, item, mode);
    drt_image_free(im);
    return s;
}

/* Item i of the device input from its frame: the backend's 8-bit upload, else through a float image. */
static drt_status device_preprocess_frame(drt_engine *e, drt_context *ctx, const drt_frame *f, int i, drt_resize mode)
{
    if (e->backend->stages->preprocess_frame) return e->backend->stages->preprocess_frame(e, ctx, f, i, mode);
    if (f->format == DRT_PIXEL_NV12_GPU)
        return drt_error(DRT_STATUS_UNSUPPORTED, "detect: frames on the GPU need a device with 8-bit preprocessing");
    return device_preprocess_via_float(e, ctx, f, i, mode);
}

/* A JPEG the device decoder refused, decoded on the host from its bytes into item i. */
static drt_status host_decode_jpeg(drt_engine *e, drt_context *ctx, const drt_jpeg_src *j, drt_resize mode)
{
    drt_u8_pixels px;
    drt_frame f;
    DRT_TRY(drt_image_decode_u8(j->name, j->data, j->size, &px));
    drt_status s = drt_frame_from_u8(j->name, &px, &f);
    free(px.data);
    if (s == DRT_OK) s = device_preprocess_frame(e, ctx, &f, j->item, mode);
    drt_frame_release(&f);
    return s;
}

/* The items whose JPEG bytes are given (jpegs[i].data), with their item numbers; returns how many. */
static int jpegs_given(const drt_jpeg_src *jpegs, int n, drt_jpeg_src *todo)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (jpegs[i].data) todo[k] = jpegs[i], todo[k++].item = i;
    return k;
}

/* The items whose JPEG bytes are given decoded on the device in one batch; each one's preprocess
 * time is its share of the batch. */
static drt_status preprocess_jpegs(drt_engine *e, drt_context *ctx, const drt_jpeg_src *jpegs, int n, drt_resize mode,
                                   drt_stage_times *times)
{
    drt_jpeg_src todo[n];
    int refused[n], k = jpegs_given(jpegs, n, todo);
    if (!k) return DRT_OK;
    double t0 = drt_now_ms();
    DRT_TRY(e->backend->stages->preprocess_jpegs(e, ctx, todo, k, mode, refused));
    for (int i = 0; i < k; i++)
        if (refused[i]) DRT_TRY(host_decode_jpeg(e, ctx, &todo[i], mode));
    for (int i = 0; i < k; i++) times[todo[i].item].preprocess_ms = (drt_now_ms() - t0) / k;
    return DRT_OK;
}

static drt_status preprocess_frames(drt_engine *e, drt_context *ctx, const drt_frame *const *frames, const drt_jpeg_src *jpegs,
                                    int n, const drt_detect_opts *o, float *input, drt_stage_times *times)
{
    const drt_model *m = e->model;
    size_t item = (size_t)m->width * m->height * m->channels;
    if (jpegs) DRT_TRY(preprocess_jpegs(e, ctx, jpegs, n, o->resize, times));
    for (int i = 0; i < n; i++) {
        if (jpegs && jpegs[i].data) continue;
        double t0 = drt_now_ms();
        drt_status s;
        if (input) s = drt_frame_preprocess(frames[i], o->resize, m->width, m->height, input + (size_t)i * item);
        else s = device_preprocess_frame(e, ctx, frames[i], i, o->resize);
        if (s != DRT_OK) return s;
        times[i].preprocess_ms = drt_now_ms() - t0;
    }
    return DRT_OK;
}

/* Checks the call; JPEG items need pre on a device that decodes them, and give only their size.
 * gpu_ok: in-tree frames on the GPU (DRT_PIXEL_NV12_GPU) are accepted too (pre is on the device). */
static drt_status check_frames(drt_engine *e, const drt_frame *const *frames, const drt_jpeg_src *jpegs, int n,
                               const drt_detect_opts *o, const float *host_input, int gpu_ok)
{
    if (e->model->channels != 3)
        return drt_error(DRT_STATUS_UNSUPPORTED, "detect: the model takes %d channels: 8-bit frames are RGB (3)",
                         e->model->channels);
    for (int i = 0; i < n; i++) {
        if (gpu_ok && frames[i]->format == DRT_PIXEL_NV12_GPU && frames[i]->data && frames[i]->w > 0 && frames[i]->h > 0)
            continue;
        if (!jpegs || !jpegs[i].data) {
            DRT_TRY(drt_frame_check(frames[i]));
            continue;
        }
        if (host_input || o->pre != DRT_STAGE_DEVICE || !e->backend->stages->preprocess_jpegs)
            return drt_error(DRT_STATUS_UNSUPPORTED, "detect: %s: JPEG decode on the device needs pre on a device "
                             "that decodes JPEGs", jpegs[i].name);
        if (frames[i]->w != jpegs[i].w || frames[i]->h != jpegs[i].h)
            return drt_error(DRT_STATUS_INVALID_ARG, "detect: %s: frame %dx%d, JPEG %dx%d: must agree", jpegs[i].name,
                             frames[i]->w, frames[i]->h, jpegs[i].w, jpegs[i].h);
    }
    return DRT_OK;
}

drt_status drt_detect_frames_jpeg(drt_engine *e, const drt_frame *const *frames, const drt_jpeg_src *jpegs, int n,
                                  const drt_detect_opts *opts, const float *host_input, drt_detections **dets_out,
                                  drt_stage_times *times_out)
{
    if (!dets_out || !frames) return drt_error(DRT_STATUS_INVALID_ARG, "detect: no frames or output");
    drt_detect_opts o = opts ? *opts : drt_detect_opts_default();
    DRT_TRY(drt_detect_check(e, n, &o));
    for (int i = 0; i < n; i++) dets_out[i] = NULL;
    DRT_TRY(check_frames(e, frames, jpegs, n, &o, host_input, 0));
    drt_stage_times *times = calloc((size_t)n, sizeof *times);
    int *wh = malloc((size_t)n * 2 * sizeof(int));
    float *own = NULL;
    if (!host_input && o.pre == DRT_STAGE_HOST)
        own = malloc((size_t)n * e->model->width * e->model->height * 3 * sizeof(float));
    drt_status s = times && wh && (host_input || o.pre != DRT_STAGE_HOST || own)
                       ? DRT_OK : drt_error(DRT_STATUS_OOM, "detect: out of memory for %d frames", n);
    for (int i = 0; s == DRT_OK && i < n; i++) wh[2 * i] = frames[i]->w, wh[2 * i + 1] = frames[i]->h;
    if (s == DRT_OK && !host_input) s = preprocess_frames(e, NULL, frames, jpegs, n, &o, own, times);
    if (s == DRT_OK) s = drt_detect_run_decode(e, host_input ? host_input : own, n, wh, &o, dets_out, times);
    if (s == DRT_OK && times_out)
        for (int i = 0; i < n; i++) times_out[i] = times[i];
    free(own);
    free(wh);
    free(times);
    return s;
}

drt_status drt_detect_frames_begin(drt_engine *e, drt_context *ctx, const drt_frame *const *frames, const drt_jpeg_src *jpegs,
                                   int n, const drt_detect_opts *o, drt_stage_times *times)
{
    DRT_TRY(drt_detect_check(e, n, o));
    if (o->pre != DRT_STAGE_DEVICE) return drt_error(DRT_STATUS_INVALID_ARG, "detect: frames begun need pre on the device");
    DRT_TRY(check_frames(e, frames, jpegs, n, o, NULL, 1));
    return preprocess_frames(e, ctx, frames, jpegs, n, o, NULL, times);
}

drt_status drt_detect_frames_prefetch(drt_engine *e, const drt_jpeg_src *jpegs, int n)
{
    const drt_device_stages *st = e->backend->stages;
    if (!st || !st->prefetch_jpegs || !jpegs || n < 1) return DRT_OK;
    drt_jpeg_src todo[n];
    int k = jpegs_given(jpegs, n, todo);
    return k ? st->prefetch_jpegs(e, todo, k) : DRT_OK;
}

drt_status drt_detect_frames(drt_engine *e, const drt_frame *const *frames, int n, const drt_detect_opts *opts,
                             const float *host_input, drt_detections **dets_out, drt_stage_times *times_out)
{
    return drt_detect_frames_jpeg(e, frames, NULL, n, opts, host_input, dets_out, times_out);
}
