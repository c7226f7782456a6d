/* The pipeline's threads: workers decode and letterbox items in any order; the batcher runs the
 * engine on consecutive ready items and turns them into results, in submission order. */
#include "pipeline/pipeline-internal.h"
#include "core/error.h"
#include "vision/vision.h"
#include "core/fileio.h"
#include "engine/engine.h"
#include "core/timeline.h"
#include "core/log.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void fail_item(pipeline_item *it, drt_status s)
{
    it->status = s;
    it->error = strdup(drt_last_error());
}

/* Decoded pixels in the engine's page-locked memory when there is some left (it->pinned), else malloc's. */
static void *pinned_or_malloc(void *ctx, size_t bytes)
{
    pipeline_item *it = ((void **)ctx)[1];
    drt_engine *e = ((drt_pipeline *)((void **)ctx)[0])->engine;
    void *ptr = e->backend->stages->host_alloc(e, bytes);
    it->pinned = ptr != NULL;
    return ptr ? ptr : malloc(bytes);
}

static void release_pixels(void *ctx, void *ptr)
{
    pipeline_item *it = ((void **)ctx)[1];
    drt_engine *e = ((drt_pipeline *)((void **)ctx)[0])->engine;
    if (it->pinned) e->backend->stages->host_free(e, ptr);
    else free(ptr);
    it->pinned = 0;
}

/* The reduced frame's picture size, oriented, when fast decode scaled it. */
static void note_full_size(pipeline_item *it, const drt_u8_pixels *px)
{
    if (!px->full_w) return;
    int swap = px->orientation >= 5 && px->orientation <= 8;
    it->full_w = swap ? px->full_h : px->full_w, it->full_h = swap ? px->full_w : px->full_h;
    it->scale = px->scale;
}

/* A file read (unless its bytes are there: it->file) and decoded. A JPEG the device decodes stays as
 * bytes (the frame gives its size); one that is already RGB as decoded (3 components, no EXIF
 * rotation) is decoded straight into pinned memory when the pipeline pins frames; the rest as
 * drt_frame_load does. Fast decode: JPEGs at a reduced scale where the network input allows it
 * (drt_jpeg_decode_u8_fit). */
static drt_status load_file(drt_pipeline *p, pipeline_item *it)
{
    int gpu = it->device_jpeg_ok, fast = p->opts.image_decode == DRT_IMAGE_DECODE_FAST;
    int net_w = fast ? p->net_w : 0, net_h = fast ? p->net_h : 0, lb = p->opts.detect.resize == DRT_RESIZE_LETTERBOX;
    unsigned char *data = it->file;
    size_t size = it->file_size;
    it->file = NULL;
    if (!data && !gpu && !fast && !it->pin_ok) return drt_frame_load(it->path, &it->frame);
    if (!data) DRT_TRY(drt_read_file(it->path, DRT_IMAGE_MAX_FILE_BYTES, &data, &size));
    int w, h, plain_rgb = (gpu || fast || it->pin_ok) && drt_jpeg_device_ok(it->path, data, size, &w, &h);
    if (gpu && plain_rgb) {
        it->jpeg = data, it->jpeg_size = size;
        it->frame = (drt_frame){.w = w, .h = h, .format = DRT_PIXEL_RGB8};
        return DRT_OK;
    }
    drt_u8_pixels px;
    drt_status s;
    if (plain_rgb && it->pin_ok) {
        void *ctx[2] = {p, it};
        s = drt_jpeg_decode_u8_fit(it->path, data, size, &(drt_pixel_alloc){pinned_or_malloc, release_pixels, ctx}, net_w,
                                   net_h, lb, &px);
        free(data);
        if (s == DRT_OK) it->frame = (drt_frame){.w = px.w, .h = px.h, .format = DRT_PIXEL_RGB8, .data = px.data};
        if (s == DRT_OK) note_full_size(it, &px);
        return s;
    }
    if (fast && size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
        s = drt_jpeg_decode_u8_fit(it->path, data, size, NULL, net_w, net_h, lb, &px);
    else s = drt_image_decode_u8(it->path, data, size, &px);
    if (s == DRT_OK) note_full_size(it, &px);
    free(data);
    if (s == DRT_OK) s = drt_frame_from_u8(it->path, &px, &it->frame);
    free(px.data);
    return s;
}

/* Whether an item's decoded pixels could move into the engine's page-locked memory (tight RGB8 on the
 * host, not there yet). */
static int pinnable(const pipeline_item *it)
{
    return it->status == DRT_OK && !it->pinned && it->frame.data && !it->frame.stride && it->frame.format == DRT_PIXEL_RGB8;
}

/* The decoded pixels moved into the engine's page-locked memory (the upload reads them there);
 * kept where they are when none is left. */
static void pin_frame(drt_pipeline *p, pipeline_item *it)
{
    int w = it->frame.w, h = it->frame.h;
    size_t bytes = (size_t)w * h * 3;
    if (!pinnable(it)) return;
    void *pinned = p->engine->backend->stages->host_alloc(p->engine, bytes);
    if (!pinned) return;
    memcpy(pinned, it->frame.data, bytes);
    drt_frame_release(&it->frame);
    it->frame = (drt_frame){.w = w, .h = h, .format = DRT_PIXEL_RGB8, .data = pinned};
    it->pinned = 1;
}

int drt_pipeline_pin_now(const drt_pipeline *p, long long index)
{
    return p->pinned_frames && index < p->next_batch + 2LL * p->opts.max_in_flight;
}

/* Items decoded while a plan's engine loaded (or far ahead of the batch thread) sit in pageable memory, and the batch thread would copy
 * each of them through its staging on its own (9 ms a batch of 32 on the H200, against 3 ms from
 * page-locked memory). The workers move them first: the oldest READY item not yet gathered into a
 * batch, within max_in_flight of the batch thread, whose pixels are pageable; NULL when there is
 * none now. The cursor stops at an item still decoding (it may finish unpinned: looked at again).
 * Under the lock. */
static pipeline_item *item_to_pin(drt_pipeline *p)
{
    if (!p->pinned_frames) return NULL;
    if (p->next_pin < p->gathered) p->next_pin = p->gathered;
    for (long long end = p->next_batch + p->opts.max_in_flight; p->next_pin < end && p->next_pin < p->next_work; p->next_pin++) {
        pipeline_item *it = drt_pipeline_slot(p, p->next_pin);
        if (it->state != ITEM_READY) return NULL;
        if (pinnable(it)) {
            p->next_pin++;
            return it;
        }
    }
    return NULL;
}

void drt_pipeline_prepare_item(drt_pipeline *p, pipeline_item *it)
{
    double t0 = drt_now_ms();
    drt_status s = it->path ? load_file(p, it) : DRT_OK;
    if (s == DRT_OK && it->pin_ok) pin_frame(p, it);
    double t1 = drt_now_ms();
    it->times.decode_ms += t1 - t0;
    if (s == DRT_OK && p->host_pre) {
        it->input = malloc((size_t)p->net_w * p->net_h * 3 * sizeof(float));
        s = it->input ? drt_frame_preprocess(&it->frame, p->opts.detect.resize, p->net_w, p->net_h, it->input)
                      : drt_error(DRT_STATUS_OOM, "%s: out of memory for the network input", it->path ? it->path : "frame");
        it->times.preprocess_ms = drt_now_ms() - t1;
    }
    if (s != DRT_OK) fail_item(it, s);
}

static drt_pipeline_result *make_result(drt_pipeline *p, pipeline_item *it, drt_detections *dets);

/* worker_engines: the decoded item run on the worker's context and its result made (outside the lock). */
static void run_item(drt_pipeline *p, drt_context *ctx, pipeline_item *it)
{
    drt_detections *dets = NULL;
    if (it->status == DRT_OK) {
        double t0 = drt_now_ms();
        drt_status s = drt_context_run(ctx, it->input, 1);
        double t1 = drt_now_ms();
        if (s == DRT_OK)
            s = drt_detect_decode_context(p->engine, ctx, 0, it->frame.w, it->frame.h, &p->opts.detect, &dets);
        it->times.inference_ms = t1 - t0;
        it->times.postprocess_ms = drt_now_ms() - t1;
        if (s != DRT_OK) fail_item(it, s);
    }
    it->result = make_result(p, it, dets);
}

/* worker_engines: a free context once the engine is there (a plan's loads meanwhile) and another
 * worker gave one back (done is broadcast then); NULL when the pipeline batches, or the plan failed
 * or the pipeline stops (under the lock). */
static drt_context *worker_context(drt_pipeline *p)
{
    while (p->engine_state == ENGINE_LOADING && !p->stopping) pthread_cond_wait(&p->loaded, &p->lock);
    while (p->engine_state == ENGINE_READY && p->contexts && !p->n_idle && !p->stopping) pthread_cond_wait(&p->done, &p->lock);
    return p->engine_state == ENGINE_READY && p->contexts && !p->stopping ? p->contexts[--p->n_idle] : NULL;
}

void *drt_pipeline_worker_main(void *arg)
{
    drt_pipeline *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        double t0 = drt_now_ms();
        /* a plan's engine loading: decode ahead until load_budget bytes of pixels wait */
        pipeline_item *late = NULL;
        while (!p->stopping && !(late = item_to_pin(p)) &&
               (p->next_work == p->submitted || !p->decode_settled ||
                (p->engine_state == ENGINE_LOADING && p->load_bytes >= p->load_budget)))
            pthread_cond_wait(&p->work, &p->lock);
        double t1 = drt_now_ms();
        p->prof.worker_idle += t1 - t0;
        if (p->stopping) break;
        if (late) { /* decoded during the load: pinned before the batch thread gets to it */
            late->state = ITEM_DECODING;
            pthread_mutex_unlock(&p->lock);
            pin_frame(p, late);
            pthread_mutex_lock(&p->lock);
            late->state = ITEM_READY;
            p->prof.late_pinned += late->pinned;
            p->prof.worker_busy += drt_now_ms() - t1;
            pthread_cond_broadcast(&p->ready);
            continue;
        }
        pipeline_item *it = drt_pipeline_slot(p, p->next_work++);
        it->state = ITEM_DECODING;
        it->pin_ok = drt_pipeline_pin_now(p, it->index); /* 0 while a plan's engine loads: malloc'd pixels */
        it->device_jpeg_ok = p->engine_state == ENGINE_READY && p->opts.image_decode == DRT_IMAGE_DECODE_GPU && p->jpeg_ready;
        pthread_mutex_unlock(&p->lock);
        drt_pipeline_prepare_item(p, it);
        pthread_mutex_lock(&p->lock);
        drt_context *ctx = p->opts.worker_engines ? worker_context(p) : NULL;
        pthread_mutex_unlock(&p->lock);
        if (ctx) run_item(p, ctx, it);
        pthread_mutex_lock(&p->lock);
        p->prof.worker_busy += drt_now_ms() - t1;
        if (p->engine_state == ENGINE_LOADING) /* the pixels, bytes or host input this item holds */
            p->load_bytes += (size_t)it->frame.w * it->frame.h * 3 + it->jpeg_size +
                             (it->input ? (size_t)p->net_w * p->net_h * 3 * sizeof(float) : 0);
        if (ctx) { /* done here: next() hands results out in order */
            p->contexts[p->n_idle++] = ctx;
            drt_pipeline_item_clear(p, it);
            it->state = ITEM_DONE;
            p->prof.batch_items++;
            pthread_cond_broadcast(&p->done);
            continue;
        }
        it->state = ITEM_READY;
        pthread_cond_broadcast(&p->ready);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* A batch between its staging and its results: consecutive items of the ring and, of them, those
 * that decoded (good), with what the engine run needs. The batch thread's two take turns (slot 0 and
 * 1: batch k in slot k % 2). */
typedef struct batch {
    int n, k, begun, done; /* done: run and postprocessed already (host preprocessing: one call) */
    int slot;
    long long nth;         /* its place among the pipeline's batches (0: the first; slot is nth % 2) */
    drt_context *ctx;      /* the run state it is staged, run and decoded on (set by begin; NULL: the engine's own) */
    int collected;         /* k, good, frames, jpegs made for its prefetch (begin need not again) */
    int prefetching;       /* GPU decode: its JPEGs being decoded by the device from the thread `prefetch` */
    pthread_t prefetch;
    drt_engine *engine;
    drt_status s;
    pipeline_item **items, **good;
    const drt_frame **frames;
    drt_jpeg_src *jpegs;
    int *wh;
    drt_detections **dets;
    drt_stage_times *times;
} batch;

static void batch_free(batch *b)
{
    if (!b) return;
    free(b->items);
    free(b->good);
    free(b->frames);
    free(b->jpegs);
    free(b->wh);
    free(b->dets);
    free(b->times);
    free(b);
}

static batch *batch_new(int cap, int slot)
{
    batch *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->slot = slot;
    b->items = calloc((size_t)cap, sizeof *b->items);
    b->good = calloc((size_t)cap, sizeof *b->good);
    b->frames = calloc((size_t)cap, sizeof *b->frames);
    b->jpegs = calloc((size_t)cap, sizeof *b->jpegs);
    b->wh = calloc((size_t)cap * 2, sizeof *b->wh);
    b->dets = calloc((size_t)cap, sizeof *b->dets);
    b->times = calloc((size_t)cap, sizeof *b->times);
    if (b->items && b->good && b->frames && b->jpegs && b->wh && b->dets && b->times) return b;
    batch_free(b);
    return NULL;
}

/* The good items' frames (and JPEG bytes); with host preprocessing, their inputs side by side. */
static void collect(drt_pipeline *p, batch *b)
{
    b->collected = 1;
    size_t per = (size_t)p->net_w * p->net_h * 3;
    b->k = 0;
    for (int i = 0; i < b->n; i++) {
        pipeline_item *it = b->items[i];
        b->dets[i] = NULL;
        if (it->status != DRT_OK) continue;
        int k = b->k++;
        if (p->host_pre) memcpy(p->batch_input + per * k, it->input, per * sizeof(float));
        b->frames[k] = &it->frame;
        p->prof.pageable_staged += p->pinned_frames && !it->jpeg && pinnable(it); /* the batch thread's field */
        b->jpegs[k] = (drt_jpeg_src){.data = it->jpeg, .size = it->jpeg_size, .w = it->frame.w, .h = it->frame.h,
                                     .name = it->path};
        b->wh[2 * k] = it->frame.w, b->wh[2 * k + 1] = it->frame.h;
        b->good[k] = it;
        b->times[k] = (drt_stage_times){0};
    }
}

/* A batch whose first item starts a sequence (drt_pipeline_start_sequence; gather puts such an item first): the
 * engine's state reset before the batch runs, even when none of its items decoded (the next batch goes on with the
 * sequence, it does not start one). */
static drt_status start_sequence(drt_pipeline *p, const batch *b)
{
    return p->stateful && b->n && b->items[0]->seq_start ? drt_engine_reset_state(p->engine) : DRT_OK;
}

/* Stages a batch: its device input filled (enqueued), or with host preprocessing the whole run. */
static void begin(drt_pipeline *p, batch *b)
{
    if (!b->collected) collect(p, b);
    b->collected = 0;
    const drt_jpeg_src *jpegs = p->opts.image_decode == DRT_IMAGE_DECODE_GPU ? b->jpegs : NULL;
    b->begun = 1;
    b->done = p->host_pre;
    b->s = DRT_OK;
    /* DRT_PIPELINE_CONTEXTS: slot 1's batches on the context (once made), slot 0's on the engine's own run state, so
     * that the batch in flight and the one staged behind it never share a stream or a buffer */
    b->ctx = b->slot ? p->batch_ctx : NULL;
    if (p->host_pre) { /* the whole run here, after the last batch's: the reset too */
        b->s = start_sequence(p, b);
        if (b->s == DRT_OK && b->k)
            b->s = drt_detect_frames_jpeg(p->engine, b->frames, NULL, b->k, &p->opts.detect, p->batch_input, b->dets,
                                          b->times);
    } else if (b->k) {
        b->s = drt_detect_frames_begin(p->engine, b->ctx, b->frames, jpegs, b->k, &p->opts.detect, b->times);
    }
}

static void *prefetch_main(void *arg)
{
    batch *b = arg;
    if (drt_detect_frames_prefetch(b->engine, b->jpegs, b->k) != DRT_OK) drt_error_clear(); /* begin decodes them */
    return NULL;
}

/* GPU decode: the device's decode of b's JPEGs started on a thread of its own, so that it runs while
 * the batch thread takes the last batch's results (nvJPEG's calls hold the calling thread: some
 * 4 ms a batch of 32 on the H200, the batch thread's largest share); begin then letterboxes them.
 * Returns 1 when it started. */
static int start_prefetch(drt_pipeline *p, batch *b)
{
    if (!p->jpeg_prefetch || p->opts.image_decode != DRT_IMAGE_DECODE_GPU || !p->engine->backend->stages->prefetch_jpegs)
        return 0;
    collect(p, b);
    int any = 0;
    for (int i = 0; i < b->k; i++) any |= b->jpegs[i].data != NULL;
    b->engine = p->engine;
    b->prefetching = any && pthread_create(&b->prefetch, NULL, prefetch_main, b) == 0;
    return b->prefetching;
}

static void join_prefetch(batch *b)
{
    if (b && b->prefetching) pthread_join(b->prefetch, NULL);
    if (b) b->prefetching = 0;
}

/* Launches the engine on a staged batch (it may still run when this returns). */
static void launch(drt_pipeline *p, batch *b)
{
    if (b->done) return;
    if (b->s == DRT_OK) b->s = start_sequence(p, b); /* the last batch has finished: no run is in flight */
    if (b->s == DRT_OK && b->k) b->s = drt_detect_run(p->engine, b->ctx, NULL, b->k, &p->opts.detect, 1, b->times);
}

/* The result an item hands out; takes its detections and (keep_image) its pixels. */
static drt_pipeline_result *make_result(drt_pipeline *p, pipeline_item *it, drt_detections *dets)
{
    drt_pipeline_result *r = calloc(1, sizeof *r);
    if (!r) {
        drt_detections_free(dets);
        return NULL;
    }
    if (dets && p->opts.max_det > 0 && dets->count > p->opts.max_det) dets->count = p->opts.max_det;
    /* fast decode: boxes from the frame (pixel i: the picture's scale*i .. scale*i + scale - 1; the last
     * one may be partial) to the picture */
    for (int i = 0; it->full_w && dets && i < dets->count; i++) {
        drt_detection *d = &dets->items[i];
        float s = (float)it->scale, w = (float)it->full_w, h = (float)it->full_h;
        d->x1 = fminf(d->x1 * s, w), d->x2 = fminf(d->x2 * s, w), d->y1 = fminf(d->y1 * s, h), d->y2 = fminf(d->y2 * s, h);
    }
    *r = (drt_pipeline_result){.tag = it->tag, .index = it->index, .source = it->path, .status = it->status,
                               .error = it->error ? it->error : drt_pipeline_no_error,
                               .width = it->full_w ? it->full_w : it->frame.w, .height = it->full_w ? it->full_h : it->frame.h,
                               .dets = dets, .times = it->times};
    it->path = it->error = NULL; /* the result's now */
    if (p->opts.keep_image) {
        r->image = it->frame;
        it->frame = (drt_frame){0};
    }
    r->times.latency_ms = drt_now_ms() - it->submitted_ms;
    return r;
}

/* Waits for the batch's detections (decode + NMS); every item of it gets its result. */
static void finish(drt_pipeline *p, batch *b)
{
    if (!b->done && b->k && b->s == DRT_OK)
        b->s = drt_detect_postprocess(p->engine, b->ctx, b->k, b->wh, &p->opts.detect, b->dets, b->times);
    int k = b->k;
    drt_status s = b->s;
    for (int i = 0; i < k; i++) {
        if (s != DRT_OK) fail_item(b->good[i], s);
        b->good[i]->times.preprocess_ms += s == DRT_OK ? b->times[i].preprocess_ms : 0;
        b->good[i]->times.inference_ms = s == DRT_OK ? b->times[i].inference_ms : 0;
        b->good[i]->times.postprocess_ms = s == DRT_OK ? b->times[i].postprocess_ms : 0;
    }
    for (int i = 0, j = 0; i < b->n; i++) {
        int ok = j < k && b->good[j] == b->items[i];
        b->items[i]->result = make_result(p, b->items[i], ok && s == DRT_OK ? b->dets[j] : NULL);
        j += ok;
    }
}

/* Whether item `index` (submitted) starts a stateful model's sequence: it must begin a batch (under the lock). */
static int sequence_starts(drt_pipeline *p, long long index)
{
    return p->stateful && drt_pipeline_slot(p, index)->seq_start;
}

/* The next batch: consecutive READY items from `from`, as many as the batch size and none starting a sequence but
 * the first, without waiting for items not yet submitted; wait 0: only what is there now. Returns the count (0:
 * none, or stop). */
static int gather(drt_pipeline *p, long long from, pipeline_item **items, int wait)
{
    for (;;) {
        int n = 0;
        while (n < p->opts.batch && from + n < p->submitted && drt_pipeline_slot(p, from + n)->state == ITEM_READY &&
               !(n && sequence_starts(p, from + n)))
            n++;
        int more_coming = from + n < p->submitted; /* submitted, still decoding */
        int cut = n && more_coming && sequence_starts(p, from + n); /* the next sequence waits for the next batch */
        if (p->stopping) return 0;
        if (n == p->opts.batch || (n > 0 && (!more_coming || cut))) {
            for (int i = 0; i < n; i++) items[i] = drt_pipeline_slot(p, from + i);
            p->gathered = from + n; /* the workers' pin cursor leaves them alone */
            return n;
        }
        if (!wait || (n == 0 && p->closed && from == p->submitted)) return 0;
        pthread_cond_wait(&p->ready, &p->lock);
    }
}

/* Hands a finished batch's items to the consumer (under the lock). */
static void retire(drt_pipeline *p, batch *b)
{
    for (int i = 0; i < b->n; i++) {
        drt_pipeline_item_clear(p, b->items[i]);
        b->items[i]->state = ITEM_DONE;
    }
    p->next_batch += b->n;
    pthread_cond_broadcast(&p->done);
    if (p->pinned_frames) pthread_cond_broadcast(&p->work); /* the pin window moved on */
}

/* GPU decode with the device's decoder still opening (nvJPEG's hardware backend, opened while the
 * engine loaded): asked again after each batch; once it is open, the workers leave the JPEGs they
 * take to it. If it failed to open, they go on decoding every file. */
static void poll_jpeg_decoder(drt_pipeline *p)
{
    const drt_device_stages *st = p->engine->backend->stages;
    if (p->opts.image_decode != DRT_IMAGE_DECODE_GPU || p->jpeg_ready || p->jpeg_failed || !st->jpeg_decoder_ready) return;
    int ready = 0;
    drt_status s = st->jpeg_decoder_ready(p->engine, &ready);
    if (s != DRT_OK) {
        drt_warn("pipeline: GPU decode without the device's JPEG decoder (%s): the workers decode every file",
                 drt_last_error());
        drt_error_clear();
    }
    if (s == DRT_OK && !ready) return;
    pthread_mutex_lock(&p->lock);
    p->jpeg_ready = s == DRT_OK;
    p->jpeg_failed = s != DRT_OK;
    drt_timeline("pipeline: the device's JPEG decoder open, taking files from item %lld", p->next_work);
    pthread_mutex_unlock(&p->lock);
}

/* DRT_PIPELINE_CONTEXTS: the context for slot 1's batches, made when the first batch to run on it (the fourth, nth 3)
 * is about to be staged: after the third was launched, so that the making (allocations, plans, a graph capture: tens
 * of ms on a GPU) overlaps that batch's run; after the first results (batch 1, slot 1 too, runs on the engine's own);
 * never for three batches or fewer. One try: without it (out of memory), a warning and every batch on the engine's
 * own run state, as by default. */
static void make_batch_context(drt_pipeline *p, const batch *b)
{
    if (!p->batch_contexts || p->batch_ctx || b->nth < 3 || !b->slot) return;
    double t0 = drt_now_ms();
    if (drt_context_create(p->engine, &p->batch_ctx) == DRT_OK) {
        drt_timeline("pipeline: a context for every other batch made (%.1f ms, for batch %lld)", drt_now_ms() - t0, b->nth);
        return;
    }
    drt_warn("pipeline: DRT_PIPELINE_CONTEXTS: no context for the second batch in flight (%s): every batch on the "
             "engine's own run state", drt_last_error());
    drt_error_clear();
    p->batch_contexts = 0;
}

/* Two batches in flight when the device preprocesses: while the engine runs one, the next is
 * staged (its JPEGs decoded or its frames uploaded, and letterboxed, behind it on the device);
 * then the first one's detections are taken. */
void *drt_pipeline_batcher_main(void *arg)
{
    drt_pipeline *p = arg;
    if (p->plan_path) drt_pipeline_load_engine(p); /* the workers decode meanwhile */
    pthread_mutex_lock(&p->lock);
    int loaded = p->engine_state == ENGINE_READY, batches = !p->opts.worker_engines;
    pthread_mutex_unlock(&p->lock);
    if (!loaded || !batches) return NULL; /* worker_engines: the workers run the engine */
    pipeline_prof *pf = &p->prof;
    batch *cur = batch_new(p->opts.batch, 0), *next = batch_new(p->opts.batch, 1), *t;
    pthread_mutex_lock(&p->lock);
    double t0 = drt_now_ms(), t1;
    int n = cur && next ? gather(p, p->next_batch, cur->items, 1) : 0;
    pf->batch_wait += (t1 = drt_now_ms()) - t0;
    long long gathered = n > 0; /* batches gathered: the next one's nth */
    while (n > 0) {
        cur->n = n;
        pthread_mutex_unlock(&p->lock);
        join_prefetch(cur);
        if (!cur->begun) begin(p, cur);
        pf->batch_begin += (t0 = drt_now_ms()) - t1;
        if (!pf->batches) drt_timeline("pipeline: first batch (%d) staged", n);
        launch(p, cur);
        pf->batch_launch += (t1 = drt_now_ms()) - t0;
        pthread_mutex_lock(&p->lock);
        int m = p->host_pre ? 0 : gather(p, p->next_batch + n, next->items, 0);
        pthread_mutex_unlock(&p->lock);
        if (m) next->nth = gathered++, make_batch_context(p, next); /* while cur runs */
        if (m && (next->n = m, start_prefetch(p, next))) next->begun = 0, pf->prefetched++; /* begun once decoded */
        else if (m) begin(p, next);
        pf->batch_begin += (t0 = drt_now_ms()) - t1;
        finish(p, cur);
        pf->batch_finish += (t1 = drt_now_ms()) - t0;
        if (!pf->batches) drt_timeline("pipeline: first batch done");
        pf->batches++, pf->batch_items += n;
        pf->context_batches += cur->ctx && cur->k && cur->s == DRT_OK;
        poll_jpeg_decoder(p); /* beside a prefetch only once the decoder is open: then it asks nothing */
        pthread_mutex_lock(&p->lock);
        retire(p, cur);
        if (!m) {
            t0 = drt_now_ms();
            m = gather(p, p->next_batch, next->items, 1);
            pf->batch_wait += (t1 = drt_now_ms()) - t0;
            next->begun = 0;
            if (m) { /* nothing in flight: its context made now if it is the first on it */
                pthread_mutex_unlock(&p->lock);
                next->nth = gathered++, make_batch_context(p, next);
                pthread_mutex_lock(&p->lock);
            }
        }
        t = cur, cur = next, next = t;
        n = m;
    }
    pthread_mutex_unlock(&p->lock);
    join_prefetch(cur);
    join_prefetch(next);
    batch_free(cur);
    batch_free(next);
    drt_context_free(p->batch_ctx); /* every batch on it finished */
    p->batch_ctx = NULL;
    return NULL;
}

void drt_pipeline_prof_log(const drt_pipeline *p)
{
    if (!drt_timeline_on()) return;
    const pipeline_prof *f = &p->prof;
    double wall = drt_now_ms() - f->created_ms, w = p->n_workers ? p->n_workers : 1;
    fprintf(drt_log_file(), "pipeline: profile wall_ms=%.0f workers=%d worker_busy=%.3f worker_idle=%.3f producer_blocked_ms=%.0f "
            "batches=%lld mean_batch=%.1f batch_wait_ms=%.0f batch_stage_ms=%.0f batch_launch_ms=%.0f batch_results_ms=%.0f "
            "consumer_wait_ms=%.0f late_pinned=%lld pageable_staged=%lld jpeg_thread_items=%lld jpeg_thread_busy_ms=%.0f "
            "jpeg_thread_idle_ms=%.0f prefetched_batches=%lld context_batches=%lld\n", wall, p->n_workers, f->worker_busy / (w * wall),
            f->worker_idle / (w * wall), f->producer_blocked, f->batches, f->batches ? (double)f->batch_items / f->batches : 0.0,
            f->batch_wait, f->batch_begin, f->batch_launch, f->batch_finish, f->consumer_wait, f->late_pinned,
            f->pageable_staged, f->jpeg_items, f->jpeg_busy, f->jpeg_idle, f->prefetched, f->context_batches);
}
