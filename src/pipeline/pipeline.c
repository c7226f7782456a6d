/* The pipeline's API: options, threads' start and stop, submit (with back-pressure), close and
 * in-order next. The threads themselves are in pipeline-threads.c. */
#include "pipeline/pipeline-adopt.h"
#include "pipeline/pipeline-stop.h"
#include "pipeline/pipeline-internal.h"
#include "backend/registry.h"
#include "core/env-switch.h"
#include "core/error.h"
#include "core/opts.h"
#include "engine/engine.h"
#include "engine/plan.h"
#include "core/timeline.h"
#include "vision/vision.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_WORKERS 64
#define LOAD_EXTRA_ITEMS 8192

const char drt_pipeline_no_error[] = "";

pipeline_item *drt_pipeline_slot(drt_pipeline *p, long long index)
{
    return &p->ring[index % p->ring_cap];
}

/* Frees what an item still holds (not its result) and keeps its state. */
void drt_pipeline_item_clear(drt_pipeline *p, pipeline_item *it)
{
    free(it->path);
    free(it->error);
    free(it->input);
    free(it->jpeg);
    free(it->file);
    if (it->pinned) p->engine->backend->stages->host_free(p->engine, (void *)it->frame.data);
    else drt_frame_release(&it->frame);
    it->frame = (drt_frame){0};
    it->path = it->error = NULL;
    it->input = NULL;
    it->jpeg = it->file = NULL;
    it->pinned = 0;
    it->full_w = it->full_h = it->scale = 0;
}

drt_pipeline_opts drt_pipeline_opts_default(void)
{
    return (drt_pipeline_opts){.size = sizeof(drt_pipeline_opts), .detect = drt_detect_opts_default(), .max_det = 0};
}

/* One worker a core; one more where the workers also run a host engine (worker_engines): the cores'
 * fair share goes per thread, so with two busy processes on 2 cores, 3 workers get 3/5 of the machine
 * rather than 2/4 (bench/e2e-cpu.sh, yolo-fastest: falls 2.06x -> 1.69x; idle 294 -> 284 img/s). */
static int machine_workers(int host_engine_workers)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    n = (n < 1 ? 1 : n) + (host_engine_workers ? 1 : 0);
    return n > MAX_WORKERS ? MAX_WORKERS : (int)n;
}

/* The caller's options (an older, smaller struct keeps the defaults past its end), checked. */
static drt_status settle_opts(int max_batch, int host_engine, const drt_pipeline_opts *in, drt_pipeline_opts *o)
{
    *o = drt_pipeline_opts_default();
    DRT_TRY(drt_opts_copy(o, sizeof *o, in, "pipeline: drt_pipeline_opts"));
    if (o->workers < 0 || o->workers > MAX_WORKERS)
        return drt_error(DRT_STATUS_INVALID_ARG, "pipeline: workers %d: must be 0..%d (0: sized to the machine)",
                         o->workers, MAX_WORKERS);
    if (o->batch < 0 || o->batch > max_batch)
        return drt_error(DRT_STATUS_INVALID_ARG, "pipeline: batch %d: must be 0..%d (0: the engine's max batch)",
                         o->batch, max_batch);
    if (o->max_in_flight < 0)
        return drt_error(DRT_STATUS_INVALID_ARG, "pipeline: max_in_flight %d: must be >= 0", o->max_in_flight);
    if (o->max_det < 0) return drt_error(DRT_STATUS_INVALID_ARG, "pipeline: max_det %d: must be >= 0", o->max_det);
    if (!o->workers) o->workers = machine_workers(host_engine && o->worker_engines);
    if (!o->batch) o->batch = max_batch;
    int floor = 2 * o->batch + o->workers; /* a full batch running, the next one filling */
    if (!o->max_in_flight) o->max_in_flight = 4 * o->batch > 2 * o->workers ? 4 * o->batch : 2 * o->workers;
    if (o->max_in_flight < floor) o->max_in_flight = floor;
    return DRT_OK;
}

/* The decode places that need no engine: CPU, and FAST without keep_image. */
static drt_status check_host_decode(const drt_pipeline_opts *o)
{
    if ((unsigned)o->image_decode >= DRT_IMAGE_DECODE_COUNT)
        return drt_error(DRT_STATUS_INVALID_ARG, "pipeline: image_decode %d: must be CPU (0), GPU (1), AUTO (2), FAST (3) "
                         "or MIXED (4)", (int)o->image_decode);
    if (o->image_decode == DRT_IMAGE_DECODE_FAST && o->keep_image)
        return drt_error(DRT_STATUS_UNSUPPORTED, "pipeline: fast decode keeps no full-size pixels: not with keep_image (drawing)");
    return DRT_OK;
}

/* GPU (and MIXED) image decode needs the device's JPEG decoder, pre on that device and no kept host
 * image; AUTO takes GPU when all hold, else CPU. MIXED's decoder is opened by its JPEG thread, not
 * here: the engine is ready meanwhile (nvJPEG's hardware backend takes some 0.6 s to open). GPU with
 * no_wait: *ready 0 while a decoder opened ahead of the engine is still opening (the batch thread
 * asks again, the workers decode on the host meanwhile); else this waits for it. */
static drt_status settle_decode(drt_engine *e, drt_pipeline_opts *o, int no_wait, int *ready)
{
    *ready = 0;
    DRT_TRY(check_host_decode(o));
    if (o->image_decode == DRT_IMAGE_DECODE_CPU || o->image_decode == DRT_IMAGE_DECODE_FAST) return DRT_OK;
    const drt_device_stages *st = e->backend->stages;
    int mixed = o->image_decode == DRT_IMAGE_DECODE_MIXED;
    drt_status s = DRT_OK;
    if (o->detect.pre != DRT_STAGE_DEVICE || !st || (mixed ? !st->decode_jpegs : !st->preprocess_jpegs))
        s = drt_error(DRT_STATUS_UNSUPPORTED, "pipeline: GPU image decode needs pre on a device that decodes JPEGs "
                      "(a CUDA engine, --pre gpu)");
    else if (o->keep_image)
        s = drt_error(DRT_STATUS_UNSUPPORTED, "pipeline: GPU image decode keeps no host pixels: not with keep_image "
                      "(drawing)");
    else if (!mixed && no_wait && st->jpeg_decoder_ready) s = st->jpeg_decoder_ready(e, ready);
    else if (!mixed && (s = st->preprocess_jpegs(e, NULL, NULL, 0, o->detect.resize, NULL)) == DRT_OK) *ready = 1;
    if (s != DRT_OK && o->image_decode == DRT_IMAGE_DECODE_AUTO) {
        drt_error_clear();
        s = DRT_OK;
        o->image_decode = DRT_IMAGE_DECODE_CPU;
    } else if (s == DRT_OK && o->image_decode == DRT_IMAGE_DECODE_AUTO) {
        o->image_decode = DRT_IMAGE_DECODE_GPU;
    }
    return s;
}

static drt_status start_threads(drt_pipeline *p)
{
    p->workers = calloc((size_t)p->opts.workers, sizeof *p->workers);
    if (!p->workers) return drt_error(DRT_STATUS_OOM, "pipeline: out of memory");
    for (; p->n_workers < p->opts.workers; p->n_workers++)
        if (pthread_create(&p->workers[p->n_workers], NULL, drt_pipeline_worker_main, p) != 0)
            return drt_error(DRT_STATUS_OOM, "pipeline: cannot start worker thread %d", p->n_workers + 1);
    if (pthread_create(&p->batcher, NULL, drt_pipeline_batcher_main, p) != 0)
        return drt_error(DRT_STATUS_OOM, "pipeline: cannot start the batch thread");
    p->batcher_started = 1;
    if (p->opts.image_decode == DRT_IMAGE_DECODE_MIXED) { /* waits for a plan's engine */
        if (pthread_create(&p->jpeg_thread, NULL, drt_pipeline_jpeg_main, p) != 0)
            return drt_error(DRT_STATUS_OOM, "pipeline: cannot start the JPEG thread");
        p->jpeg_started = 1;
    }
    return DRT_OK;
}

static int channels_ok(int channels)
{
    return channels == 3 ? 1 : (drt_error(DRT_STATUS_UNSUPPORTED, "pipeline: the model takes %d channels: images are "
                                           "RGB (3)", channels), 0);
}

static void free_contexts(drt_pipeline *p)
{
    for (int i = 0; p->contexts && i < p->n_contexts; i++) drt_context_free(p->contexts[i]);
    free(p->contexts);
    p->contexts = NULL;
    p->n_contexts = p->n_idle = 0;
}

/* Contexts for worker_engines: one per worker, fewer when they and the engine's own activations would
 * pass the engine's max_activation_bytes (each holds as much as the engine); 0: the engine's batches. */
static int contexts_within_budget(const drt_engine *e, int workers)
{
    drt_engine_memory mem;
    drt_engine_memory_usage(e, &mem);
    size_t budget = e->opts.max_activation_bytes, each = mem.host_activations;
    if (!budget || !each || budget / each > (size_t)workers) return workers;
    int n = (int)(budget / each) - 1;
    drt_warn("pipeline: the engine runs on %d of %d workers at a time: its own activations and each context's "
             "(%.1f MiB) within the limit of %.1f MiB%s", n < 0 ? 0 : n, workers, each / 1048576.0, budget / 1048576.0,
             n < 1 ? " (batches on its own instead)" : "");
    return n < 0 ? 0 : n;
}

/* worker_engines where the engine runs on the host: contexts the workers share; elsewhere batches. A stateful model
 * ([crnn]) always runs batches: the batch thread takes the items in submission order onto the engine's own run state,
 * and the engine runs each batch's items in order, so the state carries from each image to the next. */
static drt_status make_contexts(drt_pipeline *p, const drt_engine *e, drt_pipeline_opts *o)
{
    if (o->worker_engines && (e->backend->stages || !e->backend->ctx_create || drt_model_stateful(e->model) ||
                              o->detect.pre != DRT_STAGE_HOST ||
                              o->detect.decode != DRT_STAGE_HOST ||
                              (o->image_decode != DRT_IMAGE_DECODE_CPU && o->image_decode != DRT_IMAGE_DECODE_FAST)))
        o->worker_engines = 0;
    int n = o->worker_engines ? contexts_within_budget(e, o->workers) : 0;
    if (!n) o->worker_engines = 0;
    if (!o->worker_engines) return DRT_OK;
    if (!(p->contexts = calloc((size_t)n, sizeof *p->contexts))) return drt_error(DRT_STATUS_OOM, "pipeline: out of memory");
    p->n_contexts = p->n_idle = n;
    o->worker_engines = n; /* what get_opts reports: the workers running the engine at a time */
    drt_status s = DRT_OK;
    for (int i = 0; s == DRT_OK && i < n; i++) s = drt_context_create(e, &p->contexts[i]);
    if (s != DRT_OK) free_contexts(p);
    return s;
}

/* DRT_PIPELINE_CONTEXTS: whether the two batches in flight may run on two run states (the engine's own and a
 * context): batches on a device's stages, a model without state (its state carries from batch to batch on one run
 * state), and room for both within max_activation_bytes (each as much as the engine's activations and workspace). */
static int batch_contexts_fit(const drt_pipeline *p, const drt_engine *e, const drt_pipeline_opts *o)
{
    if (!p->batch_contexts || p->host_pre || o->worker_engines || !e->backend->stages || !e->backend->ctx_create ||
        drt_model_stateful(e->model))
        return 0;
    drt_engine_memory mem;
    drt_engine_memory_usage(e, &mem);
    /* a context allocates its own workspace beside the activations, input, heads and stage buffers */
    size_t budget = e->opts.max_activation_bytes,
           each = mem.device_activations ? mem.device_activations + mem.device_workspace : mem.host_activations;
    if (!budget || !each || budget / each >= 2) return 1;
    drt_warn("pipeline: DRT_PIPELINE_CONTEXTS: no room for a context beside the engine's own run state (%.1f MiB each) "
             "within the limit of %.1f MiB: every batch on the engine's own", each / 1048576.0, budget / 1048576.0);
    return 0;
}

drt_status drt_pipeline_adopt_engine(drt_pipeline *p, drt_engine *e)
{
    const drt_model *m = e->model;
    drt_pipeline_opts o = p->opts;
    drt_status s = channels_ok(m->channels) ? DRT_OK : DRT_STATUS_UNSUPPORTED;
    int jpeg_ready = 0;
    if (s == DRT_OK && (m->width != p->net_w || m->height != p->net_h))
        s = drt_error(DRT_STATUS_FORMAT, "pipeline: %s: the engine takes %dx%d, the plan's header said %dx%d (the file "
                      "changed while loading?)", p->plan_path, m->width, m->height, p->net_w, p->net_h);
    if (s == DRT_OK) s = drt_detect_check(e, o.batch, &o.detect);
    if (s == DRT_OK) s = settle_decode(e, &o, p->jpeg_no_wait, &jpeg_ready);
    if (s == DRT_OK) s = make_contexts(p, e, &o);
    if (s == DRT_OK) s = drt_engine_reset_state(e); /* a stateful model's sequence starts with the pipeline */
    /* the batch's host input once the engine has accepted the size (a plan's header is not checked yet) */
    if (s == DRT_OK && p->host_pre && !o.worker_engines && !(p->batch_input = malloc((size_t)o.batch * p->net_w * p->net_h * 3 * sizeof(float))))
        s = drt_error(DRT_STATUS_OOM, "pipeline: out of memory for a batch of %d inputs", o.batch);
    if (s != DRT_OK) return s;
    const drt_device_stages *st = e->backend->stages;
    pthread_mutex_lock(&p->lock);
    p->engine = e;
    p->stateful = drt_model_stateful(m);
    if (o.image_decode != p->opts.image_decode) p->opts.image_decode = o.image_decode; /* AUTO resolved */
    p->opts.worker_engines = o.worker_engines;
    p->batch_contexts = batch_contexts_fit(p, e, &o);
    p->pinned_frames = !p->host_pre && !o.keep_image && st && st->host_alloc;
    p->engine_state = ENGINE_READY;
    p->jpeg_ready = jpeg_ready && o.image_decode == DRT_IMAGE_DECODE_GPU;
    p->decode_settled = 1;
    pthread_cond_broadcast(&p->work);
    pthread_cond_broadcast(&p->loaded);
    pthread_mutex_unlock(&p->lock);
    return DRT_OK;
}

/* A pipeline with its options settled, its ring (extra: slots beyond max_in_flight, for a plan's load)
 * and locks, no threads yet. */
static drt_status make_pipeline(int max_batch, int host_engine, int net_w, int net_h, const drt_pipeline_opts *opts, int extra,
                                drt_pipeline **out)
{
    drt_pipeline *p = calloc(1, sizeof *p);
    if (!p) return drt_error(DRT_STATUS_OOM, "pipeline: out of memory");
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->ready, NULL);
    pthread_cond_init(&p->done, NULL);
    pthread_cond_init(&p->space, NULL);
    pthread_cond_init(&p->loaded, NULL);
    p->prof.created_ms = drt_now_ms();
    /* debug switches (HACKING.md): session 11's GPU decode changes, off until measured on the device */
    p->jpeg_no_wait = drt_env_switch("DRT_NVJPEG_NO_WAIT", NULL) == 1;
    p->jpeg_prefetch = drt_env_switch("DRT_NVJPEG_PREFETCH", NULL) == 1;
    /* session 14's, off until measured on the device too */
    p->batch_contexts = drt_env_switch("DRT_PIPELINE_CONTEXTS", NULL) == 1;
    *out = p;
    DRT_TRY(settle_opts(max_batch, host_engine, opts, &p->opts));
    p->net_w = net_w, p->net_h = net_h;
    p->host_pre = p->opts.detect.pre == DRT_STAGE_HOST;
    p->ring_cap = p->opts.max_in_flight + extra;
    p->ring = calloc((size_t)p->ring_cap, sizeof *p->ring);
    if (!p->ring) return drt_error(DRT_STATUS_OOM, "pipeline: out of memory");
    return DRT_OK;
}

drt_status drt_pipeline_create(drt_engine *engine, const drt_pipeline_opts *opts, drt_pipeline **out)
{
    DRT_ARG(out, "out");
    *out = NULL;
    DRT_ARG(engine, "engine");
    drt_pipeline *p = NULL;
    const drt_model *m = engine->model;
    drt_status s = make_pipeline(engine->opts.max_batch, !engine->backend->stages, m->width, m->height, opts, 0, &p);
    if (s == DRT_OK) s = drt_pipeline_adopt_engine(p, engine);
    if (s == DRT_OK) s = start_threads(p);
    if (s != DRT_OK) {
        drt_pipeline_free(p);
        return s;
    }
    *out = p;
    return DRT_OK;
}

/* Pixels the workers may decode ahead while a plan's engine loads: an eighth of the machine's memory,
 * at most 4 GiB (a CUDA plan loads in about a second: 16 workers decode some 4000 photos meanwhile). */
static size_t load_budget(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    size_t eighth = pages > 0 && page > 0 ? (size_t)pages * (size_t)page / 8 : (size_t)256 << 20;
    return eighth < ((size_t)4 << 30) ? eighth : (size_t)4 << 30;
}

/* The plan's backend, or NULL where there is none here (the load reports it). */
static const drt_backend *plan_backend(const drt_plan_info *info)
{
    const drt_backend *b;
    if (drt_backend_get(info->device, &b) == DRT_OK) return b;
    drt_error_clear();
    return NULL;
}

/* GPU or MIXED decode from a plan (AUTO where it would be GPU): the device's JPEG decoder opens while
 * the engine loads, not after it. Returns the stages that opened one, or NULL. */
static const drt_device_stages *open_jpeg_decoder_early(const drt_plan_info *info, const drt_engine_opts *engine_opts)
{
    const drt_backend *b = plan_backend(info);
    if (!b || !b->stages || !b->stages->open_jpeg_decoder) return NULL;
    b->stages->open_jpeg_decoder(engine_opts ? engine_opts->device_index : info->device_index);
    return b->stages;
}

/* A plan for a backend without device stages (its engine runs on the host). */
static int plan_on_host(const drt_plan_info *info)
{
    const drt_backend *b = plan_backend(info);
    return b && !b->stages;
}

/* The decoder opened ahead when no engine took it (the plan did not load, or no JPEG reached it). */
static void close_early_decoder(drt_pipeline *p)
{
    if (p->jpeg_early && p->jpeg_early->close_jpeg_decoder) p->jpeg_early->close_jpeg_decoder();
    p->jpeg_early = NULL;
}

drt_status drt_pipeline_create_plan(const char *plan_path, const drt_engine_opts *engine_opts, const drt_pipeline_opts *opts,
                                    drt_pipeline **out)
{
    DRT_ARG(out, "out");
    *out = NULL;
    DRT_ARG(plan_path, "plan_path");
    drt_timeline("pipeline: from the plan %s", plan_path);
    drt_engine_opts eo = drt_engine_opts_default();
    drt_plan_info info;
    int w, h, c;
    DRT_TRY(drt_opts_copy(&eo, sizeof eo, engine_opts, "pipeline: drt_engine_opts"));
    DRT_TRY(drt_plan_peek(plan_path, &info, &w, &h, &c));
    if (!channels_ok(c)) return DRT_STATUS_UNSUPPORTED;
    drt_pipeline *p = NULL;
    drt_status s = make_pipeline(drt_plan_engine_batch(&info, &eo), plan_on_host(&info), w, h, opts, LOAD_EXTRA_ITEMS, &p);
    if (s == DRT_OK) p->load_budget = load_budget();
    if (s == DRT_OK) s = check_host_decode(&p->opts);
    if (s == DRT_OK && !(p->plan_path = strdup(plan_path))) s = drt_error(DRT_STATUS_OOM, "pipeline: out of memory");
    if (s == DRT_OK) {
        p->engine_opts = eo;
        p->engine_opts_given = engine_opts != NULL; /* NULL: the plan's device index, as drt_engine_load_plan */
        drt_image_decode d = p->opts.image_decode;
        if (d == DRT_IMAGE_DECODE_GPU || d == DRT_IMAGE_DECODE_MIXED ||
            (d == DRT_IMAGE_DECODE_AUTO && p->opts.detect.pre == DRT_STAGE_DEVICE && !p->opts.keep_image))
            p->jpeg_early = open_jpeg_decoder_early(&info, engine_opts ? &eo : NULL);
        /* GPU (or AUTO) decode: the workers only read files, and wait to know whether the device decodes
         * (jpeg_no_wait: they decode on the host until the engine and its decoder are there); MIXED: they
         * decode on the host until the engine is there */
        p->decode_settled = d == DRT_IMAGE_DECODE_CPU || d == DRT_IMAGE_DECODE_FAST || d == DRT_IMAGE_DECODE_MIXED ||
                            p->jpeg_no_wait;
        s = start_threads(p);
    }
    if (s != DRT_OK) {
        drt_pipeline_free(p);
        return s;
    }
    *out = p;
    return DRT_OK;
}

drt_status drt_pipeline_engine_status(drt_pipeline *p)
{
    if (p->engine_state != ENGINE_FAILED) return DRT_OK;
    return drt_error(p->load_status, "%s", p->load_error ? p->load_error : "pipeline: the engine did not load");
}

void drt_pipeline_load_engine(drt_pipeline *p)
{
    drt_engine *e = NULL;
    drt_status s = drt_engine_load_plan(p->plan_path, p->engine_opts_given ? &p->engine_opts : NULL, &e);
    if (s == DRT_OK) s = drt_pipeline_adopt_engine(p, e);
    if (s == DRT_OK) {
        drt_timeline("pipeline: engine ready");
        return;
    }
    drt_engine_free(e);
    char *why = strdup(drt_last_error()); /* (a decoder opened ahead is closed with the pipeline: no wait here) */
    pthread_mutex_lock(&p->lock);
    p->engine_state = ENGINE_FAILED;
    p->load_status = s;
    p->load_error = why;
    p->decode_settled = 1;
    pthread_cond_broadcast(&p->work);
    pthread_cond_broadcast(&p->loaded);
    pthread_cond_broadcast(&p->done);
    pthread_cond_broadcast(&p->space);
    pthread_mutex_unlock(&p->lock);
}

/* Waits while a plan's engine loads; its error if it failed (under the lock). */
static drt_status wait_engine(drt_pipeline *p)
{
    while (p->engine_state == ENGINE_LOADING && !p->stopping) pthread_cond_wait(&p->loaded, &p->lock);
    if (p->engine_state == ENGINE_LOADING) return drt_error(DRT_STATUS_INVALID_ARG, "pipeline: freed while loading");
    return drt_pipeline_engine_status(p);
}

drt_status drt_pipeline_engine(drt_pipeline *p, drt_engine **engine_out)
{
    DRT_ARG(engine_out, "engine_out");
    *engine_out = NULL;
    DRT_ARG(p, "p");
    pthread_mutex_lock(&p->lock);
    drt_status s = wait_engine(p);
    if (s == DRT_OK) *engine_out = p->engine;
    pthread_mutex_unlock(&p->lock);
    return s;
}

drt_status drt_pipeline_get_opts(const drt_pipeline *cp, drt_pipeline_opts *opts_out)
{
    DRT_ARG(cp, "p");
    DRT_ARG(opts_out, "opts_out");
    drt_pipeline *p = (drt_pipeline *)cp; /* waits on its lock: the options are settled once the engine is */
    pthread_mutex_lock(&p->lock);
    drt_status s = wait_engine(p);
    drt_pipeline_opts o = p->opts;
    pthread_mutex_unlock(&p->lock);
    return s == DRT_OK ? drt_opts_copy_out(opts_out, &o, sizeof o, "pipeline: drt_pipeline_opts") : s;
}

/* Claims the next slot (blocking at max_in_flight) and queues it; takes path or frame. */
static drt_status enqueue(drt_pipeline *p, char *path, drt_frame frame, void *tag, double t0)
{
    pthread_mutex_lock(&p->lock);
    double w0 = drt_now_ms();
    for (;;) { /* while a plan's engine loads, the ring's extra slots too */
        long long bound = p->engine_state == ENGINE_LOADING ? p->ring_cap : p->opts.max_in_flight;
        if (p->closed || p->stopping || p->engine_state == ENGINE_FAILED || p->submitted - p->next_out < bound) break;
        pthread_cond_wait(&p->space, &p->lock);
    }
    p->prof.producer_blocked += drt_now_ms() - w0;
    if (p->closed || p->stopping || p->engine_state == ENGINE_FAILED) {
        drt_status s = p->engine_state == ENGINE_FAILED ? drt_pipeline_engine_status(p)
                                                        : drt_error(DRT_STATUS_INVALID_ARG, "pipeline: submit after close");
        pthread_mutex_unlock(&p->lock);
        free(path);
        drt_frame_release(&frame);
        return s;
    }
    pipeline_item *it = drt_pipeline_slot(p, p->submitted);
    *it = (pipeline_item){.state = ITEM_QUEUED, .index = p->submitted, .tag = tag, .path = path, .frame = frame,
                          .submitted_ms = t0, .times = {.decode_ms = path ? 0 : drt_now_ms() - t0}, .seq_start = p->seq_pending};
    p->seq_pending = 0;
    p->submitted++;
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->lock);
    return DRT_OK;
}

drt_status drt_pipeline_start_sequence(drt_pipeline *p)
{
    DRT_ARG(p, "p");
    pthread_mutex_lock(&p->lock);
    int closed = p->closed || p->stopping;
    if (!closed) p->seq_pending = 1;
    pthread_mutex_unlock(&p->lock);
    return closed ? drt_error(DRT_STATUS_INVALID_ARG, "pipeline: start_sequence after close") : DRT_OK;
}

drt_status drt_pipeline_submit_file(drt_pipeline *p, const char *path, void *tag)
{
    DRT_ARG(p, "p");
    DRT_ARG(path, "path");
    char *copy = strdup(path);
    if (!copy) return drt_error(DRT_STATUS_OOM, "pipeline: out of memory");
    return enqueue(p, copy, (drt_frame){0}, tag, drt_now_ms());
}

drt_status drt_pipeline_submit_frame(drt_pipeline *p, const drt_frame *frame, void *tag)
{
    DRT_ARG(p, "p");
    DRT_ARG(frame, "frame");
    double t0 = drt_now_ms();
    drt_frame rgb;
    DRT_TRY(drt_frame_to_rgb8(frame, &rgb)); /* checks the frame too */
    return enqueue(p, NULL, rgb, tag, t0);
}

/* A frame left on the GPU goes straight to the device's 8-bit preprocessing: never to the host's
 * letterbox, nor out as a result's pixels. */
static drt_status gpu_frame_ok(const drt_pipeline *p, const drt_frame *f)
{
    const drt_device_stages *st = p->engine->backend->stages;
    if (!f->data || f->w < 1 || f->h < 1) return drt_error(DRT_STATUS_INVALID_ARG, "pipeline: a GPU frame without pixels");
    if (p->host_pre || p->opts.keep_image || !st || !st->preprocess_frame)
        return drt_error(DRT_STATUS_UNSUPPORTED, "pipeline: a frame on the GPU needs preprocessing on the device (--pre gpu) "
                         "and no kept pixels (drawing)");
    return DRT_OK;
}

drt_status drt_pipeline_submit_frame_adopt(drt_pipeline *p, drt_frame *frame, void *tag)
{
    double t0 = drt_now_ms();
    drt_frame f = *frame;
    frame->data = NULL;
    drt_status s = !p ? drt_error(DRT_STATUS_INVALID_ARG, "pipeline: p is NULL")
                   : f.format == DRT_PIXEL_NV12_GPU ? gpu_frame_ok(p, &f) : drt_frame_check(&f);
    if (s == DRT_OK && f.format != DRT_PIXEL_NV12_GPU && (f.format != DRT_PIXEL_RGB8 || (f.stride && f.stride != (size_t)f.w * 3)))
        s = drt_error(DRT_STATUS_INVALID_ARG, "pipeline: adopted frame: format %d, stride %zu: must be RGB8 of tight rows",
                      (int)f.format, f.stride);
    if (s != DRT_OK) {
        drt_frame_release(&f);
        return s;
    }
    f.stride = 0;
    return enqueue(p, NULL, f, tag, t0);
}

void drt_pipeline_close(drt_pipeline *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->closed = 1;
    pthread_cond_broadcast(&p->ready);
    pthread_cond_broadcast(&p->done);
    pthread_cond_broadcast(&p->space);
    pthread_mutex_unlock(&p->lock);
}

drt_status drt_pipeline_next(drt_pipeline *p, drt_pipeline_result **result_out)
{
    DRT_ARG(result_out, "result_out");
    *result_out = NULL;
    DRT_ARG(p, "p");
    pthread_mutex_lock(&p->lock);
    pipeline_item *it = NULL;
    double w0 = drt_now_ms();
    while (p->next_out == p->submitted && !p->closed && !p->stopping && p->engine_state != ENGINE_FAILED)
        pthread_cond_wait(&p->done, &p->lock);
    if (p->next_out < p->submitted) {
        it = drt_pipeline_slot(p, p->next_out);
        while (it->state != ITEM_DONE && !p->stopping && p->engine_state != ENGINE_FAILED)
            pthread_cond_wait(&p->done, &p->lock);
    }
    p->prof.consumer_wait += drt_now_ms() - w0;
    if (p->engine_state == ENGINE_FAILED) { /* the plan did not load: no item gets a result */
        drt_status s = drt_pipeline_engine_status(p);
        pthread_mutex_unlock(&p->lock);
        return s;
    }
    drt_pipeline_result *r = it && it->state == ITEM_DONE ? it->result : NULL;
    if (it && it->state == ITEM_DONE) {
        it->result = NULL;
        it->state = ITEM_FREE;
        p->next_out++;
        pthread_cond_signal(&p->space);
    }
    pthread_mutex_unlock(&p->lock);
    if (it && !r) return drt_error(DRT_STATUS_OOM, "pipeline: out of memory for a result");
    *result_out = r;
    return DRT_OK;
}

void drt_pipeline_result_free(drt_pipeline_result *r)
{
    if (!r) return;
    free((void *)r->source);
    if (r->error != drt_pipeline_no_error) free((void *)r->error);
    drt_detections_free(r->dets);
    drt_frame_release(&r->image);
    free(r);
}

void drt_pipeline_stop(drt_pipeline *p)
{
    if (!p || p->joined) return;
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
    pthread_cond_broadcast(&p->work);
    pthread_cond_broadcast(&p->ready);
    pthread_cond_broadcast(&p->done);
    pthread_cond_broadcast(&p->space);
    pthread_cond_broadcast(&p->loaded);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->n_workers; i++) pthread_join(p->workers[i], NULL);
    if (p->jpeg_started) pthread_join(p->jpeg_thread, NULL);
    if (p->batcher_started) pthread_join(p->batcher, NULL);
    if (p->batcher_started) drt_pipeline_prof_log(p);
    p->joined = 1;
}

void drt_pipeline_free(drt_pipeline *p)
{
    if (!p) return;
    drt_pipeline_stop(p);
    free_contexts(p); /* before a plan's engine */
    close_early_decoder(p);
    for (int i = 0; p->ring && i < p->ring_cap; i++) {
        drt_pipeline_item_clear(p, &p->ring[i]);
        drt_pipeline_result_free(p->ring[i].result);
    }
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->ready);
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->space);
    pthread_cond_destroy(&p->loaded);
    if (p->plan_path) drt_engine_free(p->engine); /* the pipeline's own */
    drt_timeline("pipeline: freed%s", p->plan_path ? " (with its engine and page-locked memory)" : "");
    free(p->plan_path);
    free(p->load_error);
    free(p->ring);
    free(p->workers);
    free(p->batch_input);
    free(p);
}
