/* The pipeline's threads: workers decode and letterbox items in any order; the batcher runs the
 * engine on consecutive ready items and turns them into results, in submission order. */
#include "pipeline/pipeline-internal.h"
#include "core/error.h"
#include "vision/vision.h"

#include <stdlib.h>
#include <string.h>

static void fail_item(pipeline_item *it, drt_status s)
{
    it->status = s;
    it->error = strdup(drt_last_error());
}

/* Decode (files) and host letterbox, outside the lock. */
static void prepare_item(drt_pipeline *p, pipeline_item *it)
{
    double t0 = drt_now_ms();
    drt_status s = it->path ? drt_frame_load(it->path, &it->frame) : DRT_OK;
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

void *drt_pipeline_worker_main(void *arg)
{
    drt_pipeline *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->stopping && p->next_work == p->submitted) pthread_cond_wait(&p->work, &p->lock);
        if (p->stopping) break;
        pipeline_item *it = drt_pipeline_slot(p, p->next_work++);
        it->state = ITEM_DECODING;
        pthread_mutex_unlock(&p->lock);
        prepare_item(p, it);
        pthread_mutex_lock(&p->lock);
        it->state = ITEM_READY;
        pthread_cond_broadcast(&p->ready);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
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
    *r = (drt_pipeline_result){.tag = it->tag, .index = it->index, .source = it->path, .status = it->status,
                               .error = it->error ? it->error : drt_pipeline_no_error, .width = it->frame.w, .height = it->frame.h,
                               .dets = dets, .times = it->times};
    it->path = it->error = NULL; /* the result's now */
    if (p->opts.keep_image) {
        r->image = it->frame;
        it->frame = (drt_frame){0};
    }
    r->times.latency_ms = drt_now_ms() - it->submitted_ms;
    return r;
}

/* Runs the engine on the good items of items[0..n); every item gets its result. */
static void run_batch(drt_pipeline *p, pipeline_item **items, int n)
{
    const drt_frame *frames[n];
    drt_detections *dets[n];
    drt_stage_times times[n];
    pipeline_item *good[n];
    int k = 0;
    size_t per = (size_t)p->net_w * p->net_h * 3;
    for (int i = 0; i < n; i++) {
        dets[i] = NULL;
        if (items[i]->status != DRT_OK) continue;
        if (p->host_pre) memcpy(p->batch_input + per * k, items[i]->input, per * sizeof(float));
        frames[k] = &items[i]->frame;
        good[k++] = items[i];
    }
    drt_status s = k ? drt_detect_frames(p->engine, frames, k, &p->opts.detect, p->host_pre ? p->batch_input : NULL,
                                         dets, times)
                     : DRT_OK;
    for (int i = 0; i < k; i++) {
        if (s != DRT_OK) fail_item(good[i], s);
        good[i]->times.preprocess_ms += s == DRT_OK ? times[i].preprocess_ms : 0;
        good[i]->times.inference_ms = s == DRT_OK ? times[i].inference_ms : 0;
        good[i]->times.postprocess_ms = s == DRT_OK ? times[i].postprocess_ms : 0;
    }
    for (int i = 0, j = 0; i < n; i++) {
        int ok = j < k && good[j] == items[i];
        items[i]->result = make_result(p, items[i], ok && s == DRT_OK ? dets[j] : NULL);
        j += ok;
    }
}

/* Waits for the next batch: consecutive READY items from next_batch, as many as the batch size,
 * without waiting for items not yet submitted. Returns the count (0: stop). */
static int gather(drt_pipeline *p, pipeline_item **items)
{
    for (;;) {
        int n = 0;
        while (n < p->opts.batch && p->next_batch + n < p->submitted &&
               drt_pipeline_slot(p, p->next_batch + n)->state == ITEM_READY)
            n++;
        int more_coming = p->next_batch + n < p->submitted; /* submitted, still decoding */
        if (p->stopping) return 0;
        if (n == p->opts.batch || (n > 0 && !more_coming)) {
            for (int i = 0; i < n; i++) items[i] = drt_pipeline_slot(p, p->next_batch + i);
            return n;
        }
        if (n == 0 && p->closed && p->next_batch == p->submitted) return 0;
        pthread_cond_wait(&p->ready, &p->lock);
    }
}

void *drt_pipeline_batcher_main(void *arg)
{
    drt_pipeline *p = arg;
    pipeline_item **items = malloc((size_t)p->opts.batch * sizeof *items);
    pthread_mutex_lock(&p->lock);
    int n;
    while (items && (n = gather(p, items)) > 0) {
        pthread_mutex_unlock(&p->lock);
        run_batch(p, items, n);
        pthread_mutex_lock(&p->lock);
        for (int i = 0; i < n; i++) {
            drt_pipeline_item_clear(items[i]);
            items[i]->state = ITEM_DONE;
        }
        p->next_batch += n;
        pthread_cond_broadcast(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    free(items);
    return NULL;
}
