/* MIXED decode's JPEG thread: the device's JPEG decoder (drt_device_stages.decode_jpegs, nvJPEG on
 * CUDA) beside the CPU workers. It takes runs of up to a batch of consecutive items from the workers'
 * queue (whoever is free takes the next items: the share each decoder gets follows its speed), has
 * the device decode the JPEGs it takes to host pixels (page-locked where there is room), and hands
 * them on as READY items like the workers' own: the batch thread stages them in order, never waiting
 * on the device's decoder itself. Files the decoder does not take (not baseline colour JPEGs,
 * refused, or a device error) are decoded here on the CPU as a worker would. */
#include "pipeline/pipeline-internal.h"
#include "core/error.h"
#include "core/fileio.h"
#include "core/timeline.h"
#include "engine/engine.h"
#include "vision/vision.h"

#include <stdlib.h>

/* What the thread holds of one item it gave to the device. */
typedef struct jpeg_job {
    pipeline_item *it;
    unsigned char *data; /* the file's bytes */
    unsigned char *out;  /* the decoded pixels */
    int pinned;          /* out is the engine's page-locked memory */
} jpeg_job;

static void release_out(drt_pipeline *p, jpeg_job *j)
{
    if (j->pinned) p->engine->backend->stages->host_free(p->engine, j->out);
    else free(j->out);
    j->out = NULL;
}

/* The item's file read and, when the device takes it (a baseline colour JPEG), queued as a job with
 * its output memory; else decoded here on the CPU. Returns 1 when queued. */
static int queue_job(drt_pipeline *p, pipeline_item *it, jpeg_job *job, drt_jpeg_src *src)
{
    unsigned char *data = NULL;
    size_t size = 0;
    int w, h;
    if (!it->path || drt_read_file(it->path, DRT_IMAGE_MAX_FILE_BYTES, &data, &size) != DRT_OK ||
        !drt_jpeg_device_ok(it->path, data, size, &w, &h)) {
        drt_error_clear();
        it->file = data, it->file_size = size; /* read once: the host decode takes the bytes */
        drt_pipeline_prepare_item(p, it);      /* frames, unreadable files, other formats: as a worker would */
        return 0;
    }
    size_t bytes = (size_t)w * h * 3;
    const drt_device_stages *st = p->engine->backend->stages;
    unsigned char *out = it->pin_ok ? st->host_alloc(p->engine, bytes) : NULL;
    *job = (jpeg_job){.it = it, .data = data, .out = out, .pinned = out != NULL};
    if (!out && !(job->out = malloc(bytes))) {
        it->file = data, it->file_size = size;
        drt_pipeline_prepare_item(p, it);
        return 0;
    }
    *src = (drt_jpeg_src){.data = data, .size = size, .w = w, .h = h, .name = it->path};
    return 1;
}

/* n items decoded: the device's JPEGs in one call, the rest on the CPU. Returns how many the device
 * decoded, or -1 when it failed (those items decoded on the CPU: the thread stops using it). */
static int decode_run(drt_pipeline *p, pipeline_item **items, int n)
{
    jpeg_job jobs[n];
    drt_jpeg_src srcs[n];
    unsigned char *out[n];
    int refused[n], k = 0, decoded = 0;
    double t0 = drt_now_ms();
    for (int i = 0; i < n; i++)
        if (queue_job(p, items[i], &jobs[k], &srcs[k])) out[k] = jobs[k].out, k++;
    drt_status s = k ? p->engine->backend->stages->decode_jpegs(p->engine, srcs, k, out, refused) : DRT_OK;
    double share = k ? (drt_now_ms() - t0) / k : 0;
    for (int i = 0; i < k; i++) {
        pipeline_item *it = jobs[i].it;
        if (s == DRT_OK && !refused[i]) {
            free(jobs[i].data);
            it->frame = (drt_frame){.w = srcs[i].w, .h = srcs[i].h, .format = DRT_PIXEL_RGB8, .data = jobs[i].out};
            it->pinned = jobs[i].pinned;
            it->times.decode_ms += share;
            decoded++;
            continue;
        }
        release_out(p, &jobs[i]);
        it->file = jobs[i].data, it->file_size = srcs[i].size;
        drt_pipeline_prepare_item(p, it); /* refused: libjpeg, from the bytes read */
    }
    if (s != DRT_OK) {
        drt_warn("pipeline: the device's JPEG decoder failed (%s): the workers decode the rest", drt_last_error());
        drt_error_clear();
        return -1;
    }
    return decoded;
}

void *drt_pipeline_jpeg_main(void *arg)
{
    drt_pipeline *p = arg;
    pthread_mutex_lock(&p->lock);
    while (p->engine_state == ENGINE_LOADING && !p->stopping) pthread_cond_wait(&p->loaded, &p->lock);
    int go = p->engine_state == ENGINE_READY && !p->stopping;
    pthread_mutex_unlock(&p->lock);
    if (!go) return NULL;
    /* the decoder opened here (nvJPEG's hardware backend: about 0.6 s) while the workers decode */
    if (p->engine->backend->stages->decode_jpegs(p->engine, NULL, 0, NULL, NULL) != DRT_OK) {
        drt_warn("pipeline: MIXED decode without the device's decoder (%s): the workers decode every file",
                drt_last_error());
        drt_error_clear();
        return NULL;
    }
    drt_timeline("pipeline: the JPEG thread's decoder open");
    int cap = p->opts.batch;
    pipeline_item **items = malloc((size_t)cap * sizeof *items);
    pthread_mutex_lock(&p->lock);
    while (items) {
        double t0 = drt_now_ms();
        while (!p->stopping && p->next_work == p->submitted) pthread_cond_wait(&p->work, &p->lock);
        double t1 = drt_now_ms();
        p->prof.jpeg_idle += t1 - t0;
        if (p->stopping) break;
        int n = 0;
        while (n < cap && p->next_work < p->submitted) {
            pipeline_item *it = items[n++] = drt_pipeline_slot(p, p->next_work++);
            it->state = ITEM_DECODING;
            it->pin_ok = p->pinned_frames; /* the device copies straight into page-locked memory, even far ahead of
                                             * the batch thread: into pageable memory the driver stages it, slower */
            it->device_jpeg_ok = 0;
        }
        pthread_mutex_unlock(&p->lock);
        int decoded = decode_run(p, items, n);
        pthread_mutex_lock(&p->lock);
        for (int i = 0; i < n; i++) items[i]->state = ITEM_READY;
        p->prof.jpeg_busy += drt_now_ms() - t1;
        p->prof.jpeg_items += decoded > 0 ? decoded : 0;
        pthread_cond_broadcast(&p->ready);
        if (decoded < 0) break;
    }
    pthread_mutex_unlock(&p->lock);
    free(items);
    return NULL;
}
