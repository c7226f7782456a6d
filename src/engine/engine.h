/* Engine internals: the backend interface every device implements, and the engine object. */
#ifndef DRT_ENGINE_ENGINE_H
#define DRT_ENGINE_ENGINE_H

#include "darkrt.h"
#include "graph/model.h"

#define DRT_MAX_HEADS 16
#define DRT_MAX_THREADS 1024 /* as the CLI's --threads: more only thrashes, and libgomp's stacks overflow */
#define DRT_PASS_ALL 0x3fu /* every enum drt_pass bit */

typedef struct drt_backend drt_backend;
struct drt_candidates;
struct drt_calib;

/* A JPEG file's bytes for decoding on the device, into batch item `item`; w, h from its header;
 * name: the file (for errors). */
typedef struct drt_jpeg_src {
    const unsigned char *data;
    size_t size;
    int w, h, item;
    const char *name;
} drt_jpeg_src;

#define DRT_HEADS_DEVICE_ASYNC 2

/* One image's float32 tensor as an engine stores it: pixel-major (NHWC), channel k of pixel px at
 * p[px * cs + k]. */
typedef struct drt_tensor_view {
    const float *p;
    int c, h, w, cs;
} drt_tensor_view;

/* Called by run_observed with each tensor stored: 0 the network input, layer + 1 a layer's output
 * (a conv's output written by the shortcut that absorbed it is the shortcut's). */
typedef void (*drt_tensor_observer)(void *ctx, int tensor, const drt_tensor_view *v);

/* Pre- and postprocessing on a backend's device (drt_detect_batch with DRT_STAGE_DEVICE). The stages
 * that stage, run and decode a batch take the run state they work on: ctx NULL, the engine's own
 * (e->heads); else a context of e (drt_context_state: its stream, buffers and heads), so that batches on
 * different contexts are staged and run independently. One batch's stages go to one run state. */
typedef struct drt_device_stages {
    /* Letterboxes (or stretches) `image` into batch item `item` of the device's input; returns
     * when it is done (stage times are honest). */
    drt_status (*preprocess)(drt_engine *e, drt_context *ctx, const drt_image *image, int item, drt_resize mode);
    /* Optional: the same from an 8-bit frame (RGB8/BGR8/NV12): upload the bytes, letterbox on
     * the device. NULL: drt_detect_frames converts the frame to a float image for preprocess. */
    drt_status (*preprocess_frame)(drt_engine *e, drt_context *ctx, const drt_frame *frame, int item, drt_resize mode);
    /* Runs `batch` items: from the host's `input`, or from the device's input when input is NULL;
     * heads_to_host 1: the run state's heads filled (e->heads, or the context's); 0: the heads stay on the
     * device for decode;
     * DRT_HEADS_DEVICE_ASYNC: the same, and from the device's input the call may return before the
     * device is done (decode waits for it), so the host can stage the next batch meanwhile. */
    drt_status (*run)(drt_engine *e, drt_context *ctx, const float *input, int batch, int heads_to_host);
    /* Decodes items 0..n-1 of the last run on the device (img_wh: width, height of each image)
     * into cands[i], and with `nms` runs per-class NMS too (survivors by falling score). host[i]
     * says what is left to the host: 0 nothing but NMS when nms is 0, 1 decode and NMS from
     * the run state's heads (filled for those items), 2 NMS of cands[i]. */
    drt_status (*decode)(drt_engine *e, drt_context *ctx, int n, const int *img_wh, const drt_detect_opts *o, int nms,
                         struct drt_candidates *cands, int *host);
    /* Optional: page-locked host memory for frames (the pipeline's workers decode into it, so
     * preprocess_frame copies from it directly); thread-safe; NULL when none is left (the caller
     * keeps ordinary memory). Blocks are freed before the engine. */
    void *(*host_alloc)(drt_engine *e, size_t bytes);
    void (*host_free)(drt_engine *e, void *ptr);
    /* Optional: decodes n baseline colour JPEGs on the device, each letterboxed into its batch
     * item as preprocess_frame would (the decoder's pixels differ slightly from libjpeg's);
     * refused[i] = 1: the decoder does not take file i (left to the host). n = 0 only asks
     * whether the device can decode JPEGs (DRT_STATUS_UNSUPPORTED and why when not). */
    drt_status (*preprocess_jpegs)(drt_engine *e, drt_context *ctx, const drt_jpeg_src *jpegs, int n, drt_resize mode,
                                   int *refused);
    /* Optional: the same decoder's pixels to the host: out[i] (jpegs[i].w * h * 3 bytes, tight RGB8;
     * host_alloc's blocks are copied to fastest) gets file i unless refused[i] (left to the host).
     * A decoder and stream of its own: called from one thread at a time, while the engine runs and
     * other threads stage batches (the pipeline's JPEG thread, MIXED decode). Returns once the
     * pixels are there. n = 0: whether the device can (DRT_STATUS_UNSUPPORTED and why when not). */
    drt_status (*decode_jpegs)(drt_engine *e, const drt_jpeg_src *jpegs, int n, unsigned char *const *out, int *refused);
    /* Optional: starts opening a JPEG decoder for device `device_index` in the background, before
     * any engine exists (a plan's pipeline with GPU or MIXED decode, as the load starts: nvJPEG's
     * hardware backend takes some 0.6 s to open); the next engine on that device that opens one
     * (preprocess_jpegs or decode_jpegs) takes this one. At most one waits at a time; errors are
     * those calls' to report. */
    void (*open_jpeg_decoder)(int device_index);
    /* Optional, with open_jpeg_decoder: closes the decoder it opened if no engine took it (a plan that
     * failed to load, a pipeline freed before its first JPEG); waits for it to finish opening. */
    void (*close_jpeg_decoder)(void);
    /* Optional: whether preprocess_jpegs would decode now (*ready 1) or its decoder is still opening in
     * the background (open_jpeg_decoder's: *ready 0, nothing waited for); the error (and why) when it
     * could not open. Called from the thread that calls preprocess_jpegs. NULL: preprocess_jpegs with
     * n = 0 answers, waiting for the decoder. */
    drt_status (*jpeg_decoder_ready)(drt_engine *e, int *ready);
    /* Optional: starts decoding the JPEGs of the next preprocess_jpegs call (the same jpegs, n) on the
     * device, on a stream of the decoder's own, from another thread while the engine runs the batch
     * before and its results are taken; preprocess_jpegs then only letterboxes them (after that
     * decode). Never concurrently with preprocess_jpegs. A call that preprocess_jpegs does not
     * match is dropped. */
    drt_status (*prefetch_jpegs)(drt_engine *e, const drt_jpeg_src *jpegs, int n);
} drt_device_stages;

struct drt_engine {
    const drt_backend *backend;
    void *impl;           /* the backend's state */
    drt_model *model;     /* the engine's own copy (graph, weights, metadata) */
    drt_engine_opts opts; /* as built (calib_dir is not kept) */
    const struct drt_calib *calib; /* create() only, int8: the calibration to build from (engine/calib.h),
                                    * measured by the caller on opts; NULL: create() measures its own */
    int n_heads;
    int head_layers[DRT_MAX_HEADS]; /* the [yolo] layer of each head */
    drt_tensor_desc head_desc[DRT_MAX_HEADS]; /* n = batch of the last run */
    float *heads[DRT_MAX_HEADS]; /* host float32 NCHW, room for opts.max_batch; backends fill them */
    const float *staged;  /* drt_engine_stage's input, for a backend without device stages */
};

/* A device's engine. Optional slots may be NULL. */
struct drt_backend {
    const char *name;
    drt_device device;
    /* Builds e->impl from e->model and e->opts. plan_blob/plan_size: the backend's own section
     * of a plan being loaded (NULL when building from a model). */
    drt_status (*create)(drt_engine *e, const void *plan_blob, size_t plan_size);
    /* Runs `batch` images (1..opts.max_batch) and fills e->heads. */
    drt_status (*run)(drt_engine *e, const float *input, int batch);
    void (*destroy)(drt_engine *e);
    /* Optional: the backend's section of a plan (malloc'd; caller frees). */
    drt_status (*serialize)(const drt_engine *e, void **blob_out, size_t *size_out);
    /* Optional: refuses a plan built for another machine (CPU features, GPU, library versions). */
    drt_status (*check_plan)(const void *plan_blob, size_t plan_size, const char *plan_path);
    /* Optional: memory held. */
    void (*memory)(const drt_engine *e, drt_engine_memory *out);
    /* Optional: pre- and postprocessing on the device. */
    const drt_device_stages *stages;
    /* Optional (drt_context_create; without them the backend refuses contexts): a run state of
     * its own (activations, scratch, streams) over the engine's compiled state, which ctx_create
     * and ctx_run only read, so contexts are made and run concurrently. ctx_run fills heads[h]
     * (room for max_batch), the same pointers ctx_create got (a GPU registers them for its copies). */
    drt_status (*ctx_create)(const drt_engine *e, float *const *heads, void **state_out);
    drt_status (*ctx_run)(const drt_engine *e, void *state, const float *input, int batch, float *const *heads);
    void (*ctx_free)(const drt_engine *e, void *state);
    /* Optional (the registry's DRT_BACKEND_CALIBRATES backend: int8 calibration, src/engine/calib.c):
     * runs one image through an fp32 engine, calling observe with each tensor it stores; the heads
     * are not filled (e->heads may be NULL). */
    drt_status (*run_observed)(drt_engine *e, const float *input, drt_tensor_observer observe, void *ctx);
    /* Optional: a stateful model's (drt_model_stateful) recurrent states of a run state back to zeros: state NULL,
     * the engine's own; else a context's. A backend keeps them per run state, carried from each image of a run to the
     * next (batch items in order) and from run to run; without this slot it refuses stateful models. */
    void (*reset_state)(const drt_engine *e, void *state);
    /* Optional: starts the device's slow one-time setup (driver, context) in the background, so that
     * it overlaps the host reading a plan (drt_engine_load_plan calls it once the header names the
     * device); create waits for it. Errors are create's to report. */
    void (*warm_up)(int device_index);
};

/* The backends are listed in src/backend/registry.c (drt_backend_get). */
extern const drt_backend drt_backend_ref;
extern const drt_backend drt_backend_cpu;

/* context.c, for the device stages: a context's backend run state, and its heads' batch (n) set by a
 * run through the stages (drt_context_run sets it itself). */
void *drt_context_state(const drt_context *c);
void drt_context_set_batch(drt_context *c, int n);

/* The int8 activation code an engine with these options uses: DRT_INT8_ACT_ASYM or _SYM (auto resolved for o->device:
 * asym where the backend takes zero points, DRT_BACKEND_ZERO_POINTS). */
int drt_int8_activations_of(const drt_engine_opts *o);

/* Creates an engine around an owned model copy (used by drt_engine_create and plan loading). */
drt_status drt_engine_create_owned(drt_model *model_owned, const drt_engine_opts *opts,
                                   const void *plan_blob, size_t plan_size, drt_engine **engine_out);
/* drt_engine_create from a calibration the caller measured with drt_calib_measure(model, opts) and keeps
 * (a --min-map search's candidates: one calibration for all): the engine the same bytes as
 * drt_engine_create's, without measuring it again. calib NULL: drt_engine_create. */
drt_status drt_engine_create_calibrated(const drt_model *model, const drt_engine_opts *opts, const struct drt_calib *calib,
                                        drt_engine **engine_out);

/* engine-staged.c: timing runs as a detection pipeline pays for them (the --min-map search, darkrt bench's
 * "staged" rows). drt_engine_stage puts `input` (batch images) where drt_engine_run_staged reads it: on a backend
 * with device stages, on the device (uploaded and run once: not the caller's to time), and each run_staged then runs
 * from there and leaves the heads there, as a device pipeline does (it uploads 8-bit pixels, not floats, and
 * decodes on the device: the float upload and the heads' download are not its time); elsewhere each run_staged is a
 * drt_engine_run of the host input (kept, not copied). */
/* 1 when e's staged runs run on its device (its backend has device stages). */
int drt_engine_stages_on_device(const drt_engine *e);
drt_status drt_engine_stage(drt_engine *e, const float *input, int batch);
drt_status drt_engine_run_staged(drt_engine *e, int batch);

#endif
