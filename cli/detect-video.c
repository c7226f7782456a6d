/* darkrt detect on video: reader threads feed bounded queues; this thread takes batches across
 * sources, detects, and writes each source's outputs in frame order. */
#include "detect-video.h"
#include "cli-util.h"
#include "core/error.h"
#include "core/fileio.h"
#include "video-feed.h"
#include "video-outputs.h"
#include "video-show.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct video_run {
    const video_opts *o;
    const drt_model *model;
    drt_engine *engine;
    const drt_detect_opts *dopts;
    feed feed;
    source_out *outs;
    FILE *json, *summary;
    show_window *show;
    double start_ms, progress_ms;
    int failed_outputs;
} video_run;

/* Summary, JSON, drawing and files of one detected frame. */
static drt_status finish_frame(video_run *r, int src, feed_frame *fr, drt_image *im, const drt_detections *d,
                               const drt_stage_times *t)
{
    source_out *o = &r->outs[src];
    if (r->json) outputs_json_line(r->json, o, fr->index, fr->pts, fr->w, fr->h, d, r->model, t);
    double now = cli_now_ms();
    if (!o->done) o->first_ms = now;
    o->done++;
    double latency = now - fr->decoded_ms;
    o->latency_sum_ms += latency;
    if (latency > o->latency_max_ms) o->latency_max_ms = latency;
    if (!o->mp4 && !o->frames_dir && !r->show) return DRT_OK;
    drt_detections_draw(im, d, r->model);
    if (o->mp4 || r->show) outputs_to_rgb8(im, fr->rgb);
    drt_status s = outputs_write_frame(o, im, fr->rgb, fr->index, fr->pts);
    if (s == DRT_OK && r->show) show_frame(r->show, src, fr->rgb, fr->w, fr->h, o->done, now - o->first_ms);
    return s;
}

/* One engine run on inputs the readers letterboxed, then each frame's decode and NMS. */
static drt_status detect_prepared(video_run *r, feed_frame *frames, int k, drt_detections **dets, drt_stage_times *t)
{
    size_t item = (size_t)r->feed.prep.net_w * r->feed.prep.net_h * 3;
    float *input = malloc((size_t)k * item * sizeof(float));
    if (!input) return drt_error(DRT_STATUS_OOM, "detect: out of memory for %d inputs", k);
    for (int i = 0; i < k; i++) memcpy(input + (size_t)i * item, frames[i].input, item * sizeof(float));
    double t0 = cli_now_ms();
    drt_status s = drt_engine_run(r->engine, input, k);
    double per_frame = (cli_now_ms() - t0) / k;
    free(input);
    for (int i = 0; i < k && s == DRT_OK; i++) {
        double t1 = cli_now_ms();
        s = drt_detect_decode(r->engine, i, frames[i].w, frames[i].h, r->dopts, &dets[i]);
        t[i] = (drt_stage_times){frames[i].preprocess_ms, per_frame, cli_now_ms() - t1};
    }
    return s;
}

/* Detects in k frames in one engine run and finishes each. Frees the frames. */
static drt_status run_batch(video_run *r, feed_frame *frames, const int *src, int k)
{
    drt_image *ims[256] = {0};
    drt_detections *dets[256] = {0};
    drt_stage_times t[256];
    drt_status s = DRT_OK;
    if (r->o->delay_ms) usleep((useconds_t)r->o->delay_ms * 1000);
    if (r->feed.prep.letterbox) {
        s = detect_prepared(r, frames, k, dets, t);
    } else {
        for (int i = 0; i < k; i++) ims[i] = frames[i].image;
        s = drt_detect_batch(r->engine, (const drt_image *const *)ims, k, r->dopts, dets, t);
    }
    for (int i = 0; i < k; i++) {
        if (s == DRT_OK) s = finish_frame(r, src[i], &frames[i], frames[i].image, dets[i], &t[i]);
        drt_detections_free(dets[i]);
        feed_frame_free(&frames[i]);
    }
    return s;
}

/* "name: 120 frames, 3 dropped, 29.8 fps, 41 ms" for every source, on one terminal line. */
static void progress(video_run *r, int last)
{
    double now = cli_now_ms();
    if (!isatty(STDERR_FILENO) || (!last && now - r->progress_ms < 500)) return;
    r->progress_ms = now;
    char line[1024];
    size_t n = 0;
    pthread_mutex_lock(&r->feed.lock);
    for (int i = 0; i < r->feed.n && n < sizeof line - 1; i++) {
        const source_out *o = &r->outs[i];
        double secs = (now - o->first_ms) / 1000;
        n += (size_t)snprintf(line + n, sizeof line - n, "%s%s: %lld done, %lld dropped, %.1f fps, %.0f ms", i ? " | " : "",
                              o->name, (long long)o->done, (long long)r->feed.sources[i].dropped,
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
        double secs = (cli_now_ms() - r->start_ms) / 1000;
        fprintf(r->summary, "%s: %lld frames, %lld dropped, %.1f fps, latency %.1f ms mean, %.1f ms max\n", o->url,
                (long long)o->done, (long long)fs->dropped, secs > 0 ? (double)o->done / secs : 0,
                o->done ? o->latency_sum_ms / (double)o->done : 0, o->latency_max_ms);
        drt_status s = outputs_close(o);
        if (s != DRT_OK) failed += cli_fail(s);
        if (fs->status != DRT_OK) {
            fprintf(stderr, "darkrt: %s: %s\n", drt_status_str(fs->status), fs->error);
            failed++;
        }
    }
    return failed;
}

static int run_all(video_run *r)
{
    int batch = r->o->batch;
    feed_frame frames[256];
    int src[256], k;
    drt_status s = DRT_OK;
    r->start_ms = cli_now_ms();
    while (s == DRT_OK && (k = feed_take(&r->feed, frames, src, batch > 256 ? 256 : batch)) > 0) {
        s = run_batch(r, frames, src, k);
        progress(r, 0);
        if (r->show && show_closed(r->show)) break;
    }
    progress(r, 1);
    int rc = s == DRT_OK ? 0 : cli_fail(s);
    return finish_sources(r) || rc ? 1 : 0;
}

int detect_videos(const video_opts *o, char **urls, int n, const drt_model *model, drt_engine *engine,
                  const drt_detect_opts *dopts)
{
    video_run r = {.o = o, .model = model, .engine = engine, .dopts = dopts, .summary = stdout};
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
    /* Readers letterbox where the host preprocesses and decodes (what drt_detect_batch would do). */
    const drt_model *em = drt_engine_model(engine);
    feed_prep prep = {.letterbox = dopts->pre == DRT_STAGE_HOST && dopts->decode == DRT_STAGE_HOST &&
                                   drt_model_channels(em) == 3,
                      .keep_image = o->out || o->frames || o->show, .net_w = drt_model_width(em),
                      .net_h = drt_model_height(em), .resize = dopts->resize};
    drt_video_opts vopts = drt_video_opts_default();
    vopts.timeout_s = o->timeout_s;
    vopts.hwaccel = o->hwaccel;
    if (rc == 0 && s == DRT_OK) s = feed_open(&r.feed, urls, n, o->queue, &vopts, &prep);
    if (rc == 0 && s == DRT_OK && o->show) s = show_open(&r.show, n);
    for (int i = 0; rc == 0 && s == DRT_OK && i < n; i++) r.outs[i].fps = r.feed.sources[i].info.fps;
    if (rc == 0) rc = s == DRT_OK ? run_all(&r) : cli_fail(s);
    feed_close(&r.feed);
    show_close(r.show);
    for (int i = 0; i < n; i++) outputs_close(&r.outs[i]); /* after a failed open: frees the names */
    if (r.json == af.fp && af.fp) { /* JSON Lines hold every frame detected, even after a failure */
        s = drt_atomic_commit(&af);
        if (s != DRT_OK) rc = cli_fail(s);
    }
    free(r.outs);
    return rc;
}
