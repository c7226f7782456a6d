/* The pipeline against today's path (drt_image_load + drt_detect_batch, one image a run) on
 * yolo-fastest-1.1 (real weights) and Darknet's sample images: every box bit for bit, in input
 * order, with unreadable files in the middle reported on their own; in-memory RGB8 and padded
 * BGR8 frames give the same boxes as the files; the 8-bit letterbox equals the float one to the
 * last bit; batch larger than the input, one image, no images; NV12 known answers. And through a
 * stand-in device (the CPU engine behind drt_device_stages that run on the host): two batches in
 * flight, frames in the device's host memory, and JPEGs left to the device's decoder, some of them
 * refused back to the host (decoded ahead of their batch's staging by a thread of their own, or
 * left to the workers while the device's decoder opens), or shared between its decoder to host pixels
 * (the JPEG thread) and the workers (MIXED): the same boxes again; with DRT_PIPELINE_CONTEXTS=1 the
 * batches in flight take turns on the engine's own run state and a context (the stand-in keeps an
 * input per run state and runs each batch only when its run state is next used, as a device stream
 * would): the same boxes, and with the stand-in's input shared by the run states, boxes that differ; the context made
 * once, after the third batch's launch, never for three batches; a context that fails to be made: the same boxes,
 * one warning, and with the failure left as the device's error for the next launch, boxes that differ.
 * Workers that run a one-thread engine's contexts themselves (worker_engines) give the two-thread
 * engine's boxes; with device stages the pipeline keeps its batches. */
#include "darkrt.h"
#include "core/error.h"
#include "engine/engine.h"
#include "pipeline/pipeline-internal.h"
#include "same-results.h"
#include "unit/check.h"
#include "vision/vision.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_IN 16

static const char *const names[] = {"dog", "eagle", "giraffe", "horses", "kite", "person", "scream"};
#define N_NAMES 7

static drt_engine *make_engine(const char *shared, int max_batch, int threads, size_t max_activation_bytes)
{
    char cfg[4096], w[4096];
    snprintf(cfg, sizeof cfg, "%s/models/yolo-fastest-1.1/yolo-fastest-1.1.cfg", shared);
    snprintf(w, sizeof w, "%s/models/yolo-fastest-1.1/yolo-fastest-1.1.weights", shared);
    if (access(w, R_OK) != 0) return NULL;
    drt_model *m;
    drt_load_opts lo = drt_load_opts_default();
    if (drt_model_load_darknet(cfg, w, &lo, &m) != DRT_OK) return NULL;
    drt_engine_opts eo = drt_engine_opts_default();
    eo.max_batch = max_batch;
    eo.threads = threads;
    eo.max_activation_bytes = max_activation_bytes;
    eo.no_tune = 1; /* the same kernels in both engines: timed choices differ between runs on a busy machine */
    drt_engine *e = NULL;
    if (drt_engine_create(m, &eo, &e) != DRT_OK) printf("engine: %s\n", drt_last_error());
    drt_model_free(m);
    return e;
}

static int check_result(const char *what, drt_pipeline_result *r, int got, char **paths, drt_detections **ref)
{
    int i = (int)(intptr_t)r->tag;
    CHECK(i == got && r->index == got, "%s: result %d came back as item %d (index %lld)", what, got, i, r->index);
    if (ref[i]) CHECK(r->status == DRT_OK && same_dets(r->dets, ref[i]), "%s: item %d: boxes differ (%s)", what, i, r->error);
    else CHECK(r->status != DRT_OK && r->dets == NULL && strstr(r->error, paths[i]),
               "%s: item %d: should fail naming the file (%s)", what, i, r->error);
    drt_pipeline_result_free(r);
    return 1;
}

/* Runs paths (NULL: a frame from frames[i]) through a pipeline; checks each result against ref[i]
 * (NULL: the item must fail). Under an activation budget, with->worker_engines (non-zero asks for them) is the
 * number of workers expected to run the engine. Its profile's count of batches run on its context is kept in
 * last_context_batches. */
static long long last_context_batches;
static void check_pipeline(const char *what, drt_engine *e, int workers, int batch, char **paths,
                           const drt_frame *frames, int n, drt_detections **ref, const drt_pipeline_opts *with)
{
    drt_pipeline_opts o = with ? *with : drt_pipeline_opts_default();
    o.workers = workers;
    o.batch = batch;
    drt_pipeline *p;
    if (drt_pipeline_create(e, &o, &p) != DRT_OK) {
        CHECK(0, "%s: create: %s", what, drt_last_error());
        return;
    }
    int got = 0;
    drt_pipeline_result *r;
    drt_pipeline_get_opts(p, &o);
    int workers_run = with && with->worker_engines && !e->backend->stages; /* device stages keep batches */
    /* get_opts: how many workers run the engine: each, without an activation budget (check_budget: fewer) */
    int running = !workers_run ? 0 : e->opts.max_activation_bytes ? with->worker_engines : o.workers;
    CHECK(o.worker_engines == running && (!workers_run || o.worker_engines >= 1),
          "%s: worker_engines %d of %d workers, expected %d", what, o.worker_engines, o.workers, running);
    for (int i = 0; i < n || (!i && !n); i++) {
        int last = i >= n - 1;
        if (n) {
            drt_status s = paths[i] ? drt_pipeline_submit_file(p, paths[i], (void *)(intptr_t)i)
                                    : drt_pipeline_submit_frame(p, &frames[i], (void *)(intptr_t)i);
            CHECK(s == DRT_OK, "%s: submit %d: %s", what, i, drt_last_error());
        }
        if (last) drt_pipeline_close(p);
        /* one thread submits and takes: a result whenever max_in_flight are pending, all at the end */
        while ((last || i + 1 - got >= o.max_in_flight) && drt_pipeline_next(p, &r) == DRT_OK && r)
            got += check_result(what, r, got, paths, ref);
    }
    CHECK(got == n, "%s: %d results for %d items", what, got, n);
    last_context_batches = p->prof.context_batches; /* written before the last result was handed out */
    drt_pipeline_free(p);
}

/* The stand-in device: its input is host memory, one per run state (the engine's own, ctx NULL, and each
 * context the pipeline runs batches on); run is the CPU engine's on that run state (drt_context_run for a
 * context: its heads), and one that leaves the heads on the device (DRT_HEADS_DEVICE_ASYNC) happens only
 * when its run state is next used (the next batch's staging there, or the decode), as on a device stream:
 * a batch staged on another run state meanwhile does not wait for it. decode leaves everything to the host;
 * its JPEG decoder is libjpeg and refuses every third file. Counts what the pipeline asked of it.
 * dev_shared_input: every run state stages into the engine's own input (the fault of a context's stage
 * buffers left in the engine), for the check that the test sees it. */
static const drt_backend *cpu_backend;
typedef struct dev_state {
    drt_context *ctx;
    float *in;
    int pending, runs; /* a run not done yet (its batch), runs done */
} dev_state;
#define DEV_STATES 4
static dev_state dev_states[DEV_STATES];
static size_t dev_in_floats;
static int dev_shared_input;

/* ctx's run state, made on first use (NULL when too many: the call fails). */
static dev_state *dev_state_of(drt_context *ctx)
{
    for (int i = 0; i < DEV_STATES; i++)
        if (dev_states[i].in && dev_states[i].ctx == ctx) return &dev_states[i];
    for (int i = 0; i < DEV_STATES; i++)
        if (!dev_states[i].in) {
            dev_states[i] = (dev_state){.ctx = ctx, .in = calloc(dev_in_floats, sizeof(float))};
            return dev_states[i].in ? &dev_states[i] : NULL;
        }
    return NULL;
}

/* Forgets every run state (their runs counted in *own and *other when given). */
static void dev_reset(int *own, int *other, int *contexts)
{
    for (int i = 0; i < DEV_STATES; i++) {
        dev_state *s = &dev_states[i];
        if (s->in && own) *(s->ctx ? other : own) += s->runs, *contexts += s->ctx != NULL;
        free(s->in);
        *s = (dev_state){0};
    }
}

static float *dev_input(const dev_state *s)
{
    return dev_shared_input ? dev_state_of(NULL)->in : s->in;
}

/* The run left pending on s, done now (in the order a stream would). */
/* dev_error: a failure left as the device's error (a CUDA thread's last error), which the next launch reports
 * (and clears, as cudaGetLastError does). */
static int dev_error;
static drt_status dev_launch(void)
{
    if (!dev_error) return DRT_OK;
    dev_error = 0;
    return drt_error(DRT_STATUS_CUDA, "stand-in: a launch reports the device's last error (out of memory)");
}

static drt_status dev_flush(drt_engine *e, dev_state *s)
{
    int n = s->pending;
    if (!n) return DRT_OK;
    s->pending = 0;
    s->runs++;
    return s->ctx ? drt_context_run(s->ctx, dev_input(s), n) : cpu_backend->run(e, dev_input(s), n);
}

static int async_runs, dev_runs, jpegs_decoded, jpegs_refused, host_jpegs, host_jpegs_refused;
static _Atomic int host_asks, host_allocs, host_frees; /* host_alloc is called from every worker */

static drt_status dev_preprocess_frame(drt_engine *e, drt_context *ctx, const drt_frame *f, int item, drt_resize mode)
{
    const drt_model *m = e->model;
    dev_state *s = dev_state_of(ctx);
    if (!s) return drt_error(DRT_STATUS_INTERNAL, "stand-in: too many run states");
    DRT_TRY(dev_launch());
    DRT_TRY(dev_flush(e, s)); /* staged behind the last run on this run state */
    return drt_frame_preprocess(f, mode, m->width, m->height, dev_input(s) + (size_t)item * m->width * m->height * 3);
}

static drt_status dev_run(drt_engine *e, drt_context *ctx, const float *input, int batch, int heads)
{
    dev_state *s = dev_state_of(ctx);
    if (!s) return drt_error(DRT_STATUS_INTERNAL, "stand-in: too many run states");
    DRT_TRY(dev_launch());
    dev_runs++;
    async_runs += heads == DRT_HEADS_DEVICE_ASYNC;
    if (input) {
        s->runs++;
        return ctx ? drt_context_run(ctx, input, batch) : cpu_backend->run(e, input, batch);
    }
    s->pending = batch;
    return heads == DRT_HEADS_DEVICE_ASYNC ? DRT_OK : dev_flush(e, s);
}

static drt_status dev_decode(drt_engine *e, drt_context *ctx, int n, const int *wh, const drt_detect_opts *o, int nms,
                             struct drt_candidates *cands, int *host)
{
    (void)wh, (void)o, (void)nms, (void)cands;
    dev_state *s = dev_state_of(ctx);
    if (!s) return drt_error(DRT_STATUS_INTERNAL, "stand-in: too many run states");
    for (int i = 0; i < n; i++) host[i] = 1; /* the host decodes from the run state's heads (e->heads or the context's) */
    return dev_flush(e, s);
}

/* Its page-locked memory: malloc's, but every third ask is refused, as by a full pool (the pipeline
 * keeps those pixels in ordinary memory, moves them later or stages them from there). */
static void *dev_host_alloc(drt_engine *e, size_t bytes)
{
    (void)e;
    if (host_asks++ % 3 == 2) return NULL;
    host_allocs++;
    return malloc(bytes);
}
static void dev_host_free(drt_engine *e, void *ptr) { (void)e; host_frees += ptr != NULL; free(ptr); }

/* Its decode ahead (prefetch_jpegs, from the pipeline's prefetch thread): the files noted; the next
 * preprocess_jpegs counts a hit when it gets the same ones (as the device then only letterboxes). */
static const unsigned char *ahead[64];
static int ahead_n, prefetches, prefetch_hits;
static drt_status dev_prefetch_jpegs(drt_engine *e, const drt_jpeg_src *jpegs, int n)
{
    (void)e;
    prefetches++;
    ahead_n = n < 64 ? n : 0;
    for (int i = 0; i < ahead_n; i++) ahead[i] = jpegs[i].data;
    return DRT_OK;
}

static drt_status dev_preprocess_jpegs(drt_engine *e, drt_context *ctx, const drt_jpeg_src *jpegs, int n, drt_resize mode,
                                       int *refused)
{
    int hit = n > 0 && n == ahead_n;
    for (int i = 0; hit && i < n; i++) hit = ahead[i] == jpegs[i].data;
    prefetch_hits += hit, ahead_n = 0;
    for (int i = 0; i < n; i++) {
        refused[i] = (jpegs_decoded + jpegs_refused) % 3 == 0;
        jpegs_refused += refused[i];
        if (refused[i]) continue;
        drt_u8_pixels px;
        drt_frame f;
        DRT_TRY(drt_image_decode_u8(jpegs[i].name, jpegs[i].data, jpegs[i].size, &px));
        drt_status s = drt_frame_from_u8(jpegs[i].name, &px, &f);
        free(px.data);
        if (s == DRT_OK) s = dev_preprocess_frame(e, ctx, &f, jpegs[i].item, mode);
        drt_frame_release(&f);
        DRT_TRY(s);
        jpegs_decoded++;
    }
    return DRT_OK;
}

/* Its decoder to host pixels (MIXED's JPEG thread): libjpeg's pixels into out[i]; refuses every
 * third file too. */
static drt_status dev_decode_jpegs(drt_engine *e, const drt_jpeg_src *jpegs, int n, unsigned char *const *out, int *refused)
{
    (void)e;
    for (int i = 0; i < n; i++) {
        refused[i] = (host_jpegs + host_jpegs_refused) % 3 == 0;
        host_jpegs_refused += refused[i];
        if (refused[i]) continue;
        drt_u8_pixels px;
        DRT_TRY(drt_image_decode_u8(jpegs[i].name, jpegs[i].data, jpegs[i].size, &px));
        drt_status s = px.w == jpegs[i].w && px.h == jpegs[i].h && px.n == 3 && px.orientation <= 1 ? DRT_OK
                       : drt_error(DRT_STATUS_INTERNAL, "%s: not what the device decodes", jpegs[i].name);
        if (s == DRT_OK) memcpy(out[i], px.data, (size_t)px.w * px.h * 3);
        free(px.data);
        DRT_TRY(s);
        host_jpegs++;
    }
    return DRT_OK;
}

/* Its decoder opening in the background: still opening for the next `opening` asks, then open, or
 * (decoder_broken) never to open. */
static int opening, decoder_broken;
static drt_status dev_jpeg_ready(drt_engine *e, int *ready)
{
    (void)e;
    *ready = opening <= 0;
    if (opening > 0) opening--;
    return *ready && decoder_broken ? drt_error(DRT_STATUS_UNSUPPORTED, "stand-in decoder: broken") : DRT_OK;
}

/* Its contexts: the CPU engine's, counted, with the runs launched before each was made. dev_ctx_fail 1: each fails
 * after part of it was made (and freed), as a CUDA context whose cudaMalloc runs out of device memory; 2: the failure
 * also left as the device's error (a backend that does not clear it: the fault the check must see). */
static int ctx_creates, runs_at_create, dev_ctx_fail;
static drt_status dev_ctx_create(const drt_engine *e, float *const *heads, void **state_out)
{
    ctx_creates++;
    runs_at_create = dev_runs;
    DRT_TRY(cpu_backend->ctx_create(e, heads, state_out));
    if (!dev_ctx_fail) return DRT_OK;
    cpu_backend->ctx_free(e, *state_out);
    *state_out = NULL;
    dev_error = dev_ctx_fail == 2;
    return drt_error(DRT_STATUS_OOM, "stand-in: out of device memory for a context");
}

static const drt_device_stages dev_stages = {.preprocess_frame = dev_preprocess_frame, .run = dev_run,
                                             .decode = dev_decode, .host_alloc = dev_host_alloc,
                                             .host_free = dev_host_free, .preprocess_jpegs = dev_preprocess_jpegs,
                                             .decode_jpegs = dev_decode_jpegs, .jpeg_decoder_ready = dev_jpeg_ready,
                                             .prefetch_jpegs = dev_prefetch_jpegs};

/* GPU decode one item at a time (each result taken before the next is submitted: the batch thread
 * asks whether the decoder is open after each batch, before its results go out): with
 * DRT_NVJPEG_NO_WAIT=1 and the decoder still opening for `open_after` asks (the pipeline's first,
 * then one after each batch), the workers decode the first items on the host (by default the
 * pipeline waits for it). Returns how many files the device's decoder got. */
static int device_jpegs_one_by_one(const char *what, drt_engine *e, char **paths, int n, drt_detections **ref,
                                   int open_after, int broken)
{
    drt_pipeline_opts o = drt_pipeline_opts_default();
    o.detect.pre = o.detect.decode = DRT_STAGE_DEVICE;
    o.image_decode = DRT_IMAGE_DECODE_GPU;
    o.workers = 1;
    o.batch = 1;
    opening = open_after, decoder_broken = broken;
    int before = jpegs_decoded + jpegs_refused, got = 0;
    drt_pipeline *p;
    drt_pipeline_result *r;
    CHECK(drt_pipeline_create(e, &o, &p) == DRT_OK, "%s: create: %s", what, drt_last_error());
    for (int i = 0; p && i < n; i++) {
        CHECK(drt_pipeline_submit_file(p, paths[i], (void *)(intptr_t)i) == DRT_OK, "%s: submit %d", what, i);
        if (drt_pipeline_next(p, &r) == DRT_OK && r) got += check_result(what, r, got, paths, ref);
    }
    CHECK(got == n, "%s: %d results for %d items", what, got, n);
    drt_pipeline_free(p);
    opening = decoder_broken = 0;
    return jpegs_decoded + jpegs_refused - before;
}

/* The log lines that name `log_needle`: how many, and the last. */
static char logged[1024];
static int n_logged;
static const char *log_needle;
static void keep_log(drt_log_level level, const char *message, void *user)
{
    (void)level, (void)user;
    if (!strstr(message, log_needle)) return;
    snprintf(logged, sizeof logged, "%s", message);
    n_logged++;
}

/* From now on the log goes to keep_log, counting the lines that name `needle` (drt_set_log_callback(NULL, NULL) ends it). */
static void watch_log(const char *needle)
{
    log_needle = needle;
    logged[0] = '\0';
    n_logged = 0;
    drt_set_log_callback(keep_log, NULL);
}

/* DRT_PIPELINE_CONTEXTS=1: the context made as the fourth batch is staged, after the third was launched (so its making
 * overlaps that run), and not at all for three batches (none would run on it); a context that fails to be made leaves
 * every batch on the engine's own run state: the same boxes, one try, one warning. And the check sees a failed making
 * that breaks the next batch: with the failure left as the device's error for the next launch, items fail. */
static void check_context_made(drt_engine *e, char **paths, int n, drt_detections **ref, const drt_pipeline_opts *o)
{
    int own = 0, other = 0, contexts = 0;
    dev_reset(NULL, NULL, NULL);
    ctx_creates = 0;
    check_pipeline("device stages, DRT_PIPELINE_CONTEXTS=1, three batches", e, 2, 1, paths, NULL, 3, ref, o);
    dev_reset(&own, &other, &contexts);
    CHECK(ctx_creates == 0 && other == 0, "DRT_PIPELINE_CONTEXTS=1, three batches: %d contexts made (want none: no batch "
          "would run on one), %d runs on them", ctx_creates, other);
    char *four[4] = {paths[0], paths[1], paths[2], paths[5]}; /* 3 and 4 are the unreadable ones */
    drt_detections *four_ref[4] = {ref[0], ref[1], ref[2], ref[5]};
    ctx_creates = dev_runs = 0;
    check_pipeline("device stages, DRT_PIPELINE_CONTEXTS=1, four batches", e, 2, 1, four, NULL, 4, four_ref, o);
    dev_reset(&own, &other, &contexts);
    CHECK(ctx_creates == 1 && runs_at_create == 3 && other == 1 && last_context_batches == 1, "DRT_PIPELINE_CONTEXTS=1, "
          "four batches: %d contexts made (want 1) after %d launches (want 3: the third batch's run overlaps the making), "
          "%d runs on it, %lld batches in the profile (want 1, the fourth)", ctx_creates, runs_at_create, other,
          last_context_batches);
    dev_ctx_fail = 1;
    ctx_creates = own = other = contexts = 0;
    watch_log("DRT_PIPELINE_CONTEXTS");
    check_pipeline("device stages, DRT_PIPELINE_CONTEXTS=1, the context failing", e, 2, 1, paths, NULL, n, ref, o);
    drt_set_log_callback(NULL, NULL);
    dev_reset(&own, &other, &contexts);
    CHECK(ctx_creates == 1 && own > 0 && other == 0 && contexts == 0 && last_context_batches == 0 && n_logged == 1 &&
          strstr(logged, "out of device memory for a context"), "DRT_PIPELINE_CONTEXTS=1, the context failing: %d "
          "tries (want 1), %d runs on the engine's own (want all), %d on %d contexts and %lld batches in the profile (want "
          "none), logged %d times (want once, with the failure): '%s'", ctx_creates, own, other, contexts,
          last_context_batches, n_logged, logged);
    printf("the context's failure left as the device's error (the fault the next check must see): its FAIL lines are "
           "expected\n");
    int before = failures;
    dev_ctx_fail = 2;
    check_pipeline("device stages, DRT_PIPELINE_CONTEXTS=1, the context failing, its error left", e, 2, 1, paths, NULL, n,
                   ref, o);
    int seen = failures - before;
    failures = before;
    dev_ctx_fail = dev_error = 0;
    dev_reset(NULL, NULL, NULL);
    CHECK(seen > 0, "DRT_PIPELINE_CONTEXTS=1 with the context's failure left for the next launch: every item fine "
          "(the check cannot see a failed making that breaks the next batch)");
}

/* DRT_PIPELINE_CONTEXTS=1 (the debug switch, off by default until measured on the device): with device stages the
 * batch thread makes a context (check_context_made: when), and every other batch runs on it. The same
 * boxes as the engine alone; both run states ran batches; and the check can fail: with the stand-in's input shared
 * by the run states, a batch staged on the context overwrites the input of the one still pending on the engine's
 * own, and boxes differ. Under a max_activation_bytes with room for the engine's own activations only: no context,
 * said once in the log. */
static void check_batch_contexts(drt_engine *e, char **paths, char **frame_paths, const drt_frame *frames, int n,
                                 drt_detections **ref)
{
    drt_pipeline_opts o = drt_pipeline_opts_default();
    o.detect.pre = o.detect.decode = DRT_STAGE_DEVICE;
    int own = 0, other = 0, contexts = 0;
    dev_reset(NULL, NULL, NULL);
    check_pipeline("device stages, files, one run state (default)", e, 2, 1, paths, NULL, n, ref, &o);
    dev_reset(&own, &other, &contexts);
    CHECK(own > 0 && other == 0 && contexts == 0, "without DRT_PIPELINE_CONTEXTS: %d runs on the engine's own run state "
          "(want some), %d on %d contexts (want none)", own, other, contexts);
    setenv("DRT_PIPELINE_CONTEXTS", "1", 1);
    const char *what[] = {"files", "frames", "device JPEG decode", "device JPEG decode, decoded ahead"};
    for (int c = 0; c < 4; c++) {
        char label[128];
        snprintf(label, sizeof label, "device stages, DRT_PIPELINE_CONTEXTS=1, %s, batch 1", what[c]);
        o.image_decode = c >= 2 ? DRT_IMAGE_DECODE_GPU : DRT_IMAGE_DECODE_CPU;
        if (c == 3) setenv("DRT_NVJPEG_PREFETCH", "1", 1);
        own = other = contexts = ctx_creates = 0;
        check_pipeline(label, e, 2, 1, c == 1 ? frame_paths : paths, c == 1 ? frames : NULL, n, ref, &o);
        dev_reset(&own, &other, &contexts);
        CHECK(own > 0 && other > 0 && contexts == 1 && ctx_creates == 1 && last_context_batches == other, "%s: %d runs "
              "on the engine's own run state, %d on %d contexts (want some on each, one context, made once: %d), %lld in "
              "the profile (want the same)", label, own, other, contexts, ctx_creates, last_context_batches);
        unsetenv("DRT_NVJPEG_PREFETCH");
    }
    o.image_decode = DRT_IMAGE_DECODE_CPU;
    check_context_made(e, paths, n, ref, &o);
    check_pipeline("device stages, DRT_PIPELINE_CONTEXTS=1, files, batch 3", e, 2, 3, paths, NULL, n, ref, &o);
    drt_engine_memory mem;
    drt_engine_memory_usage(e, &mem);
    size_t budget = e->opts.max_activation_bytes;
    e->opts.max_activation_bytes = mem.host_activations * 2 - 1; /* the engine's own and not quite a context */
    watch_log("DRT_PIPELINE_CONTEXTS");
    own = other = contexts = 0;
    dev_reset(NULL, NULL, NULL);
    check_pipeline("device stages, DRT_PIPELINE_CONTEXTS=1, no room for a context", e, 2, 1, paths, NULL, n, ref, &o);
    dev_reset(&own, &other, &contexts);
    drt_set_log_callback(NULL, NULL);
    e->opts.max_activation_bytes = budget;
    CHECK(own > 0 && contexts == 0 && n_logged == 1 && strstr(logged, "no room for a context"),
          "DRT_PIPELINE_CONTEXTS=1 within room for one run state: %d runs on the engine's own, %d contexts (want none), "
          "logged %d times (want once: 'no room for a context'): '%s'", own, contexts, n_logged, logged);
    dev_reset(NULL, NULL, NULL);
    printf("the shared-input stand-in (the fault the next check must see): its FAIL lines are expected\n");
    int before = failures;
    dev_shared_input = 1;
    /* frames: ready as soon as submitted, so the next batch is staged while the last one is pending, however busy the machine */
    check_pipeline("device stages, DRT_PIPELINE_CONTEXTS=1, the run states sharing one input", e, 2, 1, frame_paths, frames, n,
                   ref, &o);
    dev_shared_input = 0;
    dev_reset(NULL, NULL, NULL);
    int seen = failures - before;
    failures = before;
    CHECK(seen > 0, "DRT_PIPELINE_CONTEXTS=1 with the stand-in's input shared by its run states: every box the same "
          "(the check cannot see batches that share a run state's buffers)");
    unsetenv("DRT_PIPELINE_CONTEXTS");
}

/* e's CPU engine behind the stand-in device stages: files and frames with pre and post on the
 * "device", JPEG decode on the CPU and on the "device". */
static void check_device_stages(drt_engine *e, char **paths, char **frame_paths, const drt_frame *frames, int n,
                                drt_detections **ref)
{
    drt_backend dev = *e->backend;
    dev.stages = &dev_stages;
    dev.ctx_create = dev_ctx_create;
    cpu_backend = e->backend;
    e->backend = &dev;
    dev_in_floats = (size_t)e->opts.max_batch * e->model->width * e->model->height * 3;
    drt_pipeline_opts o = drt_pipeline_opts_default();
    o.detect.pre = o.detect.decode = DRT_STAGE_DEVICE;
    o.worker_engines = 1; /* asked for, but a device's engine keeps its batches */
    check_pipeline("device stages, files", e, 2, 3, paths, NULL, n, ref, &o);
    o.worker_engines = 0;
    CHECK(async_runs > 0 && host_allocs > 0 && host_allocs == host_frees,
          "device stages: %d runs with two batches in flight, %d frames in the device's host memory, %d freed",
          async_runs, host_allocs, host_frees);
    check_pipeline("device stages, frames", e, 2, 3, frame_paths, frames, n, ref, &o);
    o.image_decode = DRT_IMAGE_DECODE_GPU;
    check_pipeline("device stages, device JPEG decode", e, 2, 3, paths, NULL, n, ref, &o);
    CHECK(prefetches == 0, "device JPEG decode: %d batches decoded ahead without DRT_NVJPEG_PREFETCH=1 (want none)", prefetches);
    setenv("DRT_NVJPEG_PREFETCH", "1", 1); /* the debug switch (off by default until measured on the device) */
    check_pipeline("device stages, device JPEG decode, decoded ahead", e, 2, 3, paths, NULL, n, ref, &o);
    check_pipeline("device stages, device JPEG decode, decoded ahead, batch 1", e, 1, 1, paths, NULL, n, ref, &o);
    unsetenv("DRT_NVJPEG_PREFETCH");
    CHECK(jpegs_decoded > 0 && jpegs_refused > 0, "device JPEG decode: %d decoded, %d refused (to the host)",
          jpegs_decoded, jpegs_refused);
    CHECK(prefetches > 0 && prefetch_hits == prefetches, "device JPEG decode: %d batches' JPEGs decoded ahead (want some), "
          "%d of them taken by the next begin (want all)", prefetches, prefetch_hits);
    int waited = device_jpegs_one_by_one("device JPEG decode, waiting for the decoder", e, paths, n, ref, 1000, 0);
    setenv("DRT_NVJPEG_NO_WAIT", "1", 1); /* likewise */
    int all = device_jpegs_one_by_one("device JPEG decode, one by one", e, paths, n, ref, 0, 0);
    int late = device_jpegs_one_by_one("device JPEG decode, the decoder open after the first batch", e, paths, n, ref, 1, 0);
    int never = device_jpegs_one_by_one("device JPEG decode, the decoder still opening", e, paths, n, ref, 1000, 0);
    int broken = device_jpegs_one_by_one("device JPEG decode, the decoder failing to open", e, paths, n, ref, 2, 1);
    unsetenv("DRT_NVJPEG_NO_WAIT");
    CHECK(all >= 5 && waited == all && late == all - 1 && never == 0 && broken == 0, "device JPEG decode while its decoder "
          "opens: the device got %d files (want >= 5); %d by default (the pipeline waits for it: want all), with "
          "DRT_NVJPEG_NO_WAIT=1 %d with the first batch's on the host (want one less), %d while it never opened and %d when "
          "it failed (want 0)", all, waited, late, never, broken);
    int seen = jpegs_decoded + jpegs_refused; /* MIXED: the device's decoder and the workers, the same pixels here */
    o.image_decode = DRT_IMAGE_DECODE_MIXED;
    check_pipeline("device stages, mixed JPEG decode", e, 2, 3, paths, NULL, n, ref, &o);
    check_pipeline("device stages, mixed JPEG decode, 3 workers, batch 1", e, 3, 1, paths, NULL, n, ref, &o);
    check_pipeline("device stages, mixed JPEG decode, 1 worker, batch 3, frames", e, 1, 3, frame_paths, frames, n, ref, &o);
    CHECK(host_jpegs > 0 && host_jpegs_refused > 0 && jpegs_decoded + jpegs_refused == seen,
          "mixed JPEG decode: %d files decoded by the JPEG thread, %d refused (want some of each), %d left to the batch "
          "thread's decoder (want none)", host_jpegs, host_jpegs_refused, jpegs_decoded + jpegs_refused - seen);
    o.image_decode = DRT_IMAGE_DECODE_GPU;
    o.keep_image = 1;
    drt_pipeline *p = NULL;
    CHECK(drt_pipeline_create(e, &o, &p) == DRT_STATUS_UNSUPPORTED && !p, "device JPEG decode with keep_image: refused");
    o.image_decode = DRT_IMAGE_DECODE_AUTO;
    CHECK(drt_pipeline_create(e, &o, &p) == DRT_OK && drt_pipeline_get_opts(p, &o) == DRT_OK &&
          o.image_decode == DRT_IMAGE_DECODE_CPU, "AUTO decode with keep_image: CPU");
    drt_pipeline_free(p);
    check_batch_contexts(e, paths, frame_paths, frames, n, ref);
    e->backend = cpu_backend;
    dev_reset(NULL, NULL, NULL);
}


/* worker_engines under max_activation_bytes: room for the engine's own activations and two contexts'
 * lets two of four workers run the engine at a time (the same boxes, said once in the log); room for
 * the engine's own only, batches. */
static void check_budget(const char *shared, const drt_engine *e1, char **paths, int n, drt_detections **ref,
                         const drt_pipeline_opts *wo)
{
    drt_engine_memory mem;
    drt_engine_memory_usage(e1, &mem);
    size_t each = mem.host_activations;
    for (int contexts = 2; contexts >= 0; contexts -= 2) {
        drt_engine *e = make_engine(shared, 8, 1, (contexts + 1) * each);
        CHECK(e != NULL, "engine within %zu bytes: %s", (contexts + 1) * each, drt_last_error());
        if (!e) return;
        watch_log("workers at a time");
        char what[64], want[64];
        snprintf(what, sizeof what, "worker engines, 4 workers, room for %d contexts", contexts);
        drt_pipeline_opts o = *wo;
        o.workers = 4;
        drt_pipeline *p;
        CHECK(drt_pipeline_create(e, &o, &p) == DRT_OK && drt_pipeline_get_opts(p, &o) == DRT_OK &&
              o.worker_engines == contexts, "%s: worker_engines %d, expected %d", what, o.worker_engines, contexts);
        drt_pipeline_free(p);
        snprintf(want, sizeof want, "runs on %d of 4 workers at a time", contexts);
        CHECK(n_logged == 1 && strstr(logged, want), "%s: the log should say '%s' once: %d times, '%s'", what, want,
              n_logged, logged);
        /* the same boxes (no worker_engines asked where the pipeline turns it off: check_pipeline's expectation) */
        drt_pipeline_opts expect = *wo;
        expect.worker_engines = contexts;
        check_pipeline(what, e, 4, 0, paths, NULL, n, ref, contexts ? &expect : NULL);
        drt_set_log_callback(NULL, NULL);
        drt_engine_free(e);
    }
}

static drt_frame bgr_padded(const drt_frame *rgb)
{
    size_t stride = (size_t)rgb->w * 3 + 13;
    unsigned char *d = calloc(stride * rgb->h, 1);
    for (int y = 0; y < rgb->h; y++)
        for (int x = 0; x < rgb->w; x++)
            for (int k = 0; k < 3; k++) d[stride * y + 3 * x + k] = rgb->data[((size_t)y * rgb->w + x) * 3 + 2 - k];
    return (drt_frame){.w = rgb->w, .h = rgb->h, .format = DRT_PIXEL_BGR8, .data = d, .stride = stride};
}

static void check_letterbox(const char *path, const drt_frame *f, const drt_image *im)
{
    static float a[416 * 320 * 3], b[416 * 320 * 3];
    for (int mode = 0; mode < DRT_RESIZE_COUNT; mode++) {
        drt_status s1 = drt_image_preprocess(im, (drt_resize)mode, 416, 320, a);
        drt_status s2 = drt_frame_preprocess(f, (drt_resize)mode, 416, 320, b);
        CHECK(s1 == DRT_OK && s2 == DRT_OK && !memcmp(a, b, sizeof a), "%s: 8-bit letterbox (mode %d) differs from the float one", path, mode);
    }
}

static void check_nv12(void)
{
    /* 2x2 pixels sharing U 90, V 240: with Y 81 that is BT.601 red (255, 0, 0). */
    unsigned char nv[6] = {16, 235, 81, 81, 90, 240};
    drt_frame f = {.w = 2, .h = 2, .format = DRT_PIXEL_NV12, .data = nv};
    float in[2 * 2 * 3];
    CHECK(drt_frame_preprocess(&f, DRT_RESIZE_STRETCH, 2, 2, in) == DRT_OK, "nv12: %s", drt_last_error());
    CHECK(in[4] == 0.f && in[8] == 0.f, "nv12: Y=16 with red chroma: G %g B %g should be 0", in[4], in[8]);
    CHECK(in[2] > .99f && in[6] < .01f && in[10] < .01f, "nv12: Y=81 U=90 V=240 should be red: %g %g %g", in[2], in[6], in[10]);
    unsigned char grey[6] = {16, 235, 126, 126, 128, 128};
    f.data = grey;
    drt_frame_preprocess(&f, DRT_RESIZE_STRETCH, 2, 2, in);
    CHECK(in[0] == 0.f && in[1] == 1.f && in[5] == 1.f && in[9] == 1.f, "nv12: Y 16/235 grey should be 0/1: %g %g", in[0], in[1]);
    drt_frame bad = {.w = 4, .h = 2, .format = DRT_PIXEL_RGB8, .data = grey, .stride = 5};
    CHECK(drt_frame_preprocess(&bad, DRT_RESIZE_STRETCH, 2, 2, in) == DRT_STATUS_INVALID_ARG, "a stride below 3 * w must be refused");
}

int main(void)
{
    const char *root = getenv("DRT_ROOT"), *shared = getenv("DRT_SHARED");
    char sh[4096], bad[] = "/tmp/drt-pipeline-bad-XXXXXX";
    snprintf(sh, sizeof sh, "%s/../shared", root ? root : ".");
    drt_engine *e = make_engine(shared ? shared : sh, 3, 2, 0), *e8 = make_engine(shared ? shared : sh, 8, 2, 0),
               *e1 = make_engine(shared ? shared : sh, 8, 1, 0);
    if (!e || !e8 || !e1 || access("/usr/share/darknet/data/dog.jpg", R_OK) != 0) {
        printf("skip: needs yolo-fastest-1.1 weights (../shared/models) and /usr/share/darknet/data\n");
        return 77;
    }
    int fd = mkstemp(bad);
    if (fd >= 0) (void)!write(fd, "\xFF\xD8\xFF\xE0 not really a JPEG", 22), close(fd);
    char *paths[MAX_IN], buf[MAX_IN][256];
    drt_detections *ref[MAX_IN] = {0};
    drt_frame frames[MAX_IN] = {0};
    int n = 0, boxes = 0;
    for (int i = 0; i < N_NAMES; i++) {
        if (i == 3) paths[n++] = bad, paths[n++] = "/nonexistent/x.jpg"; /* unreadable, in the middle */
        snprintf(buf[n], sizeof buf[n], "/usr/share/darknet/data/%s.jpg", names[i]);
        paths[n] = buf[n];
        drt_image *im;
        CHECK(drt_image_load(paths[n], &im) == DRT_OK, "%s: %s", paths[n], drt_last_error());
        CHECK(drt_detect_batch(e, (const drt_image *const *)&im, 1, NULL, &ref[n], NULL) == DRT_OK, "detect: %s", drt_last_error());
        CHECK(drt_frame_load(paths[n], &frames[n]) == DRT_OK, "%s: %s", paths[n], drt_last_error());
        check_letterbox(paths[n], &frames[n], im);
        boxes += ref[n] ? ref[n]->count : 0;
        drt_image_free(im);
        n++;
    }
    CHECK(boxes >= 10, "only %d boxes from today's path on Darknet's samples", boxes);
    check_pipeline("files, 2 workers, batch 3", e, 2, 3, paths, NULL, n, ref, NULL);
    check_pipeline("files, 1 worker, batch 1", e, 1, 1, paths, NULL, n, ref, NULL);
    check_pipeline("files, batch 8 > folder", e8, 3, 8, paths, NULL, n, ref, NULL);
    check_pipeline("one image", e8, 0, 0, paths, NULL, 1, ref, NULL);
    check_pipeline("no images", e8, 0, 0, paths, NULL, 0, ref, NULL);
    char *none[MAX_IN] = {0};
    drt_frame bgr[MAX_IN] = {0};
    for (int i = 0; i < n; i++) if (frames[i].data) bgr[i] = bgr_padded(&frames[i]);
    for (int i = 0; i < n; i++) none[i] = frames[i].data ? NULL : paths[i];
    check_pipeline("RGB8 frames", e, 2, 3, none, frames, n, ref, NULL);
    check_pipeline("padded BGR8 frames", e, 2, 3, none, bgr, n, ref, NULL);
    /* worker_engines: each worker runs a one-thread engine's context on the images it decoded */
    drt_pipeline_opts wo = drt_pipeline_opts_default();
    wo.worker_engines = 1;
    check_pipeline("worker engines, files, 2 workers", e1, 2, 0, paths, NULL, n, ref, &wo);
    check_pipeline("worker engines, files, 3 workers", e1, 3, 0, paths, NULL, n, ref, &wo);
    check_pipeline("worker engines, one image", e1, 0, 0, paths, NULL, 1, ref, &wo);
    check_pipeline("worker engines, no images", e1, 0, 0, paths, NULL, 0, ref, &wo);
    check_pipeline("worker engines, padded BGR8 frames", e1, 2, 0, none, bgr, n, ref, &wo);
    wo.keep_image = 1;
    check_pipeline("worker engines, keep_image", e1, 2, 0, paths, NULL, n, ref, &wo);
    wo.keep_image = 0;
    check_budget(shared ? shared : sh, e1, paths, n, ref, &wo);
    check_nv12();
    check_device_stages(e, paths, none, frames, n, ref);
    for (int i = 0; i < n; i++) {
        drt_detections_free(ref[i]);
        drt_frame_release(&frames[i]);
        drt_frame_release(&bgr[i]);
    }
    unlink(bad);
    drt_engine_free(e);
    drt_engine_free(e8);
    drt_engine_free(e1);
    if (failures) return DONE();
    printf("ok: %d inputs, %d boxes, every box equal to drt_image_load + drt_detect_batch\n", n, boxes);
    return 0;
}
