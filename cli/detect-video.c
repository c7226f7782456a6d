/* darkrt detect on video: reader threads decode into bounded queues; a producer thread hands their
 * frames, round robin over sources, to the pipeline (the pixels handed over, not copied; batches
 * across sources, workers letterbox); this thread takes the results in order and writes each
 * source's outputs. */
#include "detect-video.h"
#include "cli-util.h"
#include "core/error.h"
#include "core/fileio.h"
#include "engine/engine.h"
#include "pipeline/pipeline-adopt.h"
#include "video-feed.h"
#include "video-outputs.h"
#include "video-show.h"
#include "vision/vision.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Which frame a pipeline item is: its source, place and decode time. */
typedef struct frame_tag {
    int src;
    int64_t index;
    double pts, decoded_ms;
} frame_tag;

typedef struct video_run {
    const video_opts *o;
    const drt_model *model;
    drt_pipeline *pipe;
    feed feed;
    source_out *outs;
    FILE *json, *summary;
    show_window *show;
    double start_ms, progress_ms;
    drt_status submit_status;
    char submit_error[512];
    unsigned char *scratch; /* the drawn frame as RGB8 */
    size_t scratch_size;
} video_run;

/* The producer: frames from the readers (round robin over sources) into the pipeline, then close. */
static void *produce(void *arg)
{
    video_run *r = arg;
    feed_frame frames[256];
    int src[256], k, last = 0;
    while ((k = feed_take(&r->feed, frames, src, r->o->batch)) > 0) {
        for (int i = 0; i < k; i++) {
            if (r->feed.in_order && src[i] != last && r->submit_status == DRT_OK) { /* a stateful model's next video */
                last = src[i];
                if ((r->submit_status = drt_pipeline_start_sequence(r->pipe)) != DRT_OK)
                    snprintf(r->submit_error, sizeof r->submit_error, "%s", drt_last_error());
            }
            frame_tag *tag = malloc(sizeof *tag);
            drt_frame f = {.w = frames[i].w, .h = frames[i].h, .format = DRT_PIXEL_RGB8, .data = frames[i].rgb};
            if (frames[i].gpu) f.format = DRT_PIXEL_NV12_GPU, f.data = (const unsigned char *)frames[i].gpu;
            drt_status s = tag ? DRT_OK : drt_error(DRT_STATUS_OOM, "detect: out of memory");
            if (tag) *tag = (frame_tag){src[i], frames[i].index, frames[i].pts, frames[i].decoded_ms};
            if (s == DRT_OK && r->submit_status == DRT_OK) { /* the pixels handed over, not copied */
                s = drt_pipeline_submit_frame_adopt(r->pipe, &f, tag);
                frames[i].rgb = NULL;
                frames[i].gpu = NULL;
            }
            if (s != DRT_OK) { /* the pipeline has no result for it */
                free(tag);
                if (r->submit_status == DRT_OK) snprintf(r->submit_error, sizeof r->submit_error, "%s", drt_last_error());
                r->submit_status = s;
                feed_stop(&r->feed);
            }
            feed_frame_free(&frames[i]);
        }
    }
    drt_pipeline_close(r->pipe);
    return NULL;
}

/* The result's frame drawn, into the mp4, PNGs and window. */
static drt_status draw_frame(video_run *r, source_out *o, const frame_tag *t, const drt_pipeline_result *res, double now)
{
    const drt_frame *f = &res->image;
    size_t row = (size_t)f->w * 3, size = row * (size_t)f->h;
    if (size > r->scratch_size) {
        free(r->scratch);
        r->scratch_size = 0;
        if (!(r->scratch = malloc(size))) return drt_error(DRT_STATUS_OOM, "%s: out of memory", o->url);
        r->scratch_size = size;
    }
    for (int y = 0; y < f->h; y++) memcpy(r->scratch + row * (size_t)y, f->data + (f->stride ? f->stride : row) * (size_t)y, row);
    drt_image *im = NULL;
    DRT_TRY(drt_image_from_u8(o->url, r->scratch, f->w, f->h, 3, 1, &im));
    drt_detections_draw(im, res->dets, r->model);
    outputs_to_rgb8(im, r->scratch);
    drt_status s = outputs_write_frame(o, im, r->scratch, t->index, t->pts);
    drt_image_free(im);
    if (s == DRT_OK && r->show) show_frame(r->show, t->src, r->scratch, f->w, f->h, o->done, now - o->first_ms);
    return s;
}

/* Boxes on a frame the decoder scaled (--fast-resize) back onto the source's own size. */
static void unscale_boxes(const feed_source *s, drt_detections *dets)
{
    float sx = (float)s->info.w / (float)s->w, sy = (float)s->info.h / (float)s->h;
    for (int i = 0; i < dets->count; i++) {
        drt_detection *d = &dets->items[i];
        d->x1 *= sx, d->x2 *= sx, d->y1 *= sy, d->y2 *= sy;
    }
}

/* JSON line, counts, latency and drawn outputs of one result. */
static drt_status finish_result(video_run *r, const drt_pipeline_result *res)
{
    const frame_tag *t = res->tag;
    source_out *o = &r->outs[t->src];
    const feed_source *fs = &r->feed.sources[t->src];
    if (res->status != DRT_OK) return drt_error(res->status, "%s: frame %lld: %s", o->url, (long long)t->index, res->error);
    const drt_pipeline_times *pt = &res->times;
    drt_stage_times st = {pt->preprocess_ms, pt->inference_ms, pt->postprocess_ms};
    int w = res->width, h = res->height;
    if (r->o->fast_resize) {
        unscale_boxes(fs, res->dets);
        w = fs->info.w, h = fs->info.h;
    }
    if (r->json) outputs_json_line(r->json, o, t->index, t->pts, w, h, res->dets, r->model, &st);
    double now = drt_now_ms();
    if (!o->done) o->first_ms = now;
    if (o->done == VIDEO_RATE_HEAD) o->head_ms = now;
    o->last_ms = now;
    o->recent_ms[o->done % VIDEO_RATE_TAIL] = now;
    o->done++;
    double latency = now - t->decoded_ms;
    o->latency_sum_ms += latency;
    if (latency > o->latency_max_ms) o->latency_max_ms = latency;
    return o->mp4 || o->frames_dir || r->show ? draw_frame(r, o, t, res, now) : DRT_OK;
}

/* "name: 120 frames, 3 dropped, 29.8 fps, 41 ms" for every source, on one terminal line. */
static void progress(video_run *r, int last)
{
    double now = drt_now_ms();
    if (!isatty(STDERR_FILENO) || (!last && now - r->progress_ms < 500)) return;
    r->progress_ms = now;
    char line[1024];
    size_t n = 0;
    pthread_mutex_lock(&r->feed.lock);
    for (int i = 0; i < r->feed.n && n < sizeof line - 1; i++) {
        const source_out *o = &r->outs[i];
        double secs = (now - o->first_ms) / 1000;
        n += (size_t)snprintf(line + n, sizeof line - n, "%s%s: %lld done, %lld dropped, %.1f fps, %.0f ms", i ? " | " : "",
                              o->name, (long long)o->done, (long long)r->feed.sources[i].queue.dropped,
                              o->done > 1 && secs > 0 ? (double)(o->done - 1) / secs : 0,
                              o->done ? o->latency_sum_ms / (double)o->done : 0);
    }
    pthread_mutex_unlock(&r->feed.lock);
    fprintf(stderr, "\r\033[K%.200s%s", line, last ? "\n" : "");
}

/* Per source: frames, drops, rate and latency; its outputs closed; its reader's error, if any.
 * Returns the number of sources that failed. */
static int finish_sources(video_run *r)
{
    int failed = 0;
    for (int i = 0; i < r->feed.n; i++) {
        source_out *o = &r->outs[i];
        feed_source *fs = &r->feed.sources[i];
        double secs = (drt_now_ms() - r->start_ms) / 1000;
        /* fps: over the whole run (engine load included). The stream's rate, what a live source's pace is
         * checked by: from its result VIDEO_RATE_HEAD (its first where fewer) to its last but
         * VIDEO_RATE_TAIL - 1 (all where fewer). */
        int64_t last = o->done > VIDEO_RATE_TAIL ? o->done - VIDEO_RATE_TAIL : o->done - 1;
        double last_ms = o->done > VIDEO_RATE_TAIL ? o->recent_ms[o->done % VIDEO_RATE_TAIL] : o->last_ms;
        int64_t head = last > VIDEO_RATE_HEAD ? VIDEO_RATE_HEAD : 0;
        double span = o->done > 1 ? (last_ms - (head ? o->head_ms : o->first_ms)) / 1000 : 0;
        fprintf(r->summary, "%s: %lld frames, %lld dropped, %.1f fps, latency %.1f ms mean, %.1f ms max, stream %.1f fps over %.2f s\n",
                o->url, (long long)o->done, fs->queue.dropped, secs > 0 ? (double)o->done / secs : 0,
                o->done ? o->latency_sum_ms / (double)o->done : 0, o->latency_max_ms,
                last > head && span > 0 ? (double)(last - head) / span : 0, span);
        drt_status s = outputs_close(o);
        if (s != DRT_OK) failed += cli_fail(s);
        if (fs->status != DRT_OK) {
            fprintf(stderr, "darkrt: %s: %s\n", drt_status_str(fs->status), fs->error);
            failed++;
        }
    }
    return failed;
}

/* Where the frames went, once: NVDEC's on the GPU, or through the host when they could have stayed
 * there (drawing, --fast-resize and --pre cpu need them on the host: said in --help, not here). */
static void tell_frames(video_run *r)
{
    feed *f = &r->feed;
    if (!r->o->hwaccel) return;
    pthread_mutex_lock(&f->lock);
    if (f->on_gpu)
        fprintf(stderr, "darkrt detect: %d NVDEC frames stay on the GPU (NV12 letterboxed there), %d through the host\n",
                f->on_gpu, f->on_host);
    else if (f->on_host && f->gpu_frames) /* asked for, and none stayed */
        fprintf(stderr, "darkrt detect: %d frames through the host (not NVDEC's 8-bit 4:2:0 at its own size, "
                "or libswscale's conversion is not reproduced on this machine)\n", f->on_host);
    pthread_mutex_unlock(&f->lock);
}

/* The consumer (this thread): results in order until the pipeline is drained. After a failure
 * the readers stop and the rest is drained unwritten. */
static int run_all(video_run *r)
{
    pthread_t producer;
    r->start_ms = drt_now_ms();
    if (pthread_create(&producer, NULL, produce, r) != 0) {
        drt_pipeline_close(r->pipe);
        return cli_usage_error("detect", "cannot start a thread");
    }
    drt_status s = DRT_OK, fail = DRT_OK;
    drt_pipeline_result *res;
    while ((s = drt_pipeline_next(r->pipe, &res)) == DRT_OK && res) {
        if (r->o->delay_ms) usleep((useconds_t)r->o->delay_ms * 1000); /* a slower engine, for tests */
        if (fail == DRT_OK && (fail = finish_result(r, res)) != DRT_OK) {
            cli_fail(fail);
            feed_stop(&r->feed);
        }
        free(res->tag);
        drt_pipeline_result_free(res);
        progress(r, 0);
        if (r->show && show_closed(r->show)) feed_stop(&r->feed);
    }
    pthread_join(producer, NULL);
    progress(r, 1);
    tell_frames(r);
    int rc = fail != DRT_OK || s != DRT_OK ? 1 : 0;
    if (s != DRT_OK) cli_fail(s);
    if (r->submit_status != DRT_OK) {
        fprintf(stderr, "darkrt: %s: %s\n", drt_status_str(r->submit_status), r->submit_error);
        rc = 1;
    }
    return finish_sources(r) || rc ? 1 : 0;
}

/* NVDEC frames stay on the GPU into the letterbox when nothing needs their pixels on the host:
 * preprocessing on the engine's device (which takes 8-bit frames), no drawing, no decoder resize. */
static int gpu_frames(const video_opts *o, const drt_engine *engine, const drt_detect_opts *dopts)
{
    const drt_device_stages *st = engine->backend->stages;
    return o->hwaccel && dopts->pre == DRT_STAGE_DEVICE && st && st->preprocess_frame && !o->out && !o->frames &&
           !o->show && !o->fast_resize;
}

static drt_status start_pipeline(video_run *r, drt_engine *engine, const drt_detect_opts *dopts)
{
    drt_pipeline_opts po = drt_pipeline_opts_default();
    po.batch = r->o->batch;
    po.workers = r->o->workers;
    po.max_in_flight = 2 * r->o->batch; /* a live source's frames wait in its own queue, where old ones drop */
    po.detect = *dopts;
    po.max_det = r->o->max_det;
    po.keep_image = r->o->out || r->o->frames || r->o->show;
    /* a one-thread CPU engine (detect's default on 2 cores): each worker letterboxes a frame and runs the
     * engine on it, as detect does on several images; the batch thread alone ran every frame's
     * inference, the workers idle 94% (57 fps against 106 on a 1280x720 clip, the same CPU time) */
    po.worker_engines = engine->opts.threads == 1;
    return drt_pipeline_create(engine, &po, &r->pipe);
}

int detect_videos(const video_opts *o, char **urls, int n, const drt_model *model, drt_engine *engine,
                  const drt_detect_opts *dopts)
{
    video_run r = {.o = o, .model = model, .summary = stdout};
    drt_atomic_file af = {0};
    r.outs = calloc((size_t)n, sizeof *r.outs);
    if (!r.outs) return cli_usage_error("detect", "out of memory");
    int rc = outputs_plan(r.outs, urls, n, o->out, o->frames);
    drt_status s = DRT_OK;
    if (rc == 0 && o->json && !strcmp(o->json, "-")) {
        r.json = stdout;
        r.summary = stderr;
    } else if (rc == 0 && o->json && (s = drt_atomic_open(&af, o->json)) == DRT_OK) {
        r.json = af.fp;
    }
    drt_video_opts vopts = drt_video_opts_default();
    vopts.timeout_s = o->timeout_s;
    vopts.hwaccel = o->hwaccel;
    vopts.gpu = engine->opts.device_index; /* NVDEC on the engine's GPU: its frames are in the engine's context */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    vopts.threads = cores > n ? (int)(cores / n) : 1; /* the machine's cores shared by the sources */
    feed_scale scale = {drt_model_width(model), drt_model_height(model), dopts->resize};
    if (rc == 0 && s == DRT_OK)
        s = feed_open(&r.feed, urls, n, o->queue, &vopts, o->fast_resize ? &scale : NULL, gpu_frames(o, engine, dopts),
                      o->read_delay_ms);
    /* a stateful model ([crnn]): one video after another, each a sequence from a zero state, not round robin */
    r.feed.in_order = n > 1 && drt_model_stateful(model);
    for (int i = 0; rc == 0 && s == DRT_OK && r.feed.in_order && i < n; i++)
        if (r.feed.sources[i].info.live)
            rc = cli_usage_error("detect", "%s: a live source never ends, and the model is stateful ([crnn]: one "
                                 "video after another): give it alone", urls[i]);
    if (rc == 0 && s == DRT_OK) s = start_pipeline(&r, engine, dopts);
    if (rc == 0 && s == DRT_OK && o->show) s = show_open(&r.show, n);
    for (int i = 0; rc == 0 && s == DRT_OK && i < n; i++) r.outs[i].fps = r.feed.sources[i].info.fps;
    if (rc == 0) rc = s == DRT_OK ? run_all(&r) : cli_fail(s);
    feed_close(&r.feed);
    drt_pipeline_free(r.pipe);
    free(r.scratch);
    show_close(r.show);
    long long handled = 0;
    for (int i = 0; i < n; i++) handled += r.outs[i].done;
    for (int i = 0; i < n; i++) outputs_close(&r.outs[i]); /* after a failed open: frees the names */
    /* JSON Lines hold every frame detected, even after a failure; a run that failed before any frame (a refused or
     * failed open) leaves an existing file as it was, as detect on images does */
    if (r.json == af.fp && af.fp && (rc == 0 || handled > 0)) {
        s = drt_atomic_commit(&af);
        if (s != DRT_OK) rc = cli_fail(s);
    } else if (r.json == af.fp && af.fp) {
        drt_atomic_abort(&af);
    }
    free(r.outs);
    return rc;
}
