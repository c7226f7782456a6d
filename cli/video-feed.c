/* Reader threads of detect's video sources and their bounded queues (see video-feed.h). */
#include "video-feed.h"
#include "cli-util.h"
#include "core/error.h"
#include "video/video-calls.h"
#include "vision/vision.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void feed_frame_free(feed_frame *fr)
{
    free(fr->rgb);
    if (fr->gpu) {
        drt_frame f = {.w = fr->w, .h = fr->h, .format = DRT_PIXEL_NV12_GPU, .data = (const unsigned char *)fr->gpu};
        drt_frame_release(&f);
    }
    memset(fr, 0, sizeof *fr);
}

static drt_status copy_frame(const feed_source *s, const drt_video_frame *in, feed_frame *out)
{
    size_t row = (size_t)in->w * 3;
    *out = (feed_frame){.w = in->w, .h = in->h, .index = in->index, .pts = in->pts, .decoded_ms = drt_now_ms()};
    out->rgb = malloc(row * (size_t)in->h);
    if (!out->rgb) return drt_error(DRT_STATUS_OOM, "%s: frame %lld: out of memory", s->url, (long long)in->index);
    for (int y = 0; y < in->h; y++) memcpy(out->rgb + row * (size_t)y, in->data + in->stride * (size_t)y, row);
    return DRT_OK;
}

static void free_queued(void *fr)
{
    feed_frame_free(fr);
}

/* Queues a frame: a file waits for room, a live source drops its oldest queued frames as
 * src/video/live-drop.h says (detection behind, or its slots full). */
static void push(feed_source *s, feed_frame *fr)
{
    feed *f = s->feed;
    pthread_mutex_lock(&f->lock);
    while (s->queue.count == s->queue.capacity && !s->info.live && !f->stop) pthread_cond_wait(&f->changed, &f->lock);
    if (f->stop) {
        feed_frame_free(fr);
    } else {
        drt_live_ring_push(&s->queue, fr, fr->decoded_ms);
        s->decoded++;
        if (fr->gpu) f->on_gpu++;
        else f->on_host++;
        pthread_cond_broadcast(&f->changed);
    }
    pthread_mutex_unlock(&f->lock);
}

static void finish(feed_source *s, drt_status status)
{
    feed *f = s->feed;
    pthread_mutex_lock(&f->lock);
    s->status = status;
    if (status != DRT_OK) snprintf(s->error, sizeof s->error, "%s", drt_last_error());
    s->ended = 1;
    pthread_cond_broadcast(&f->changed);
    pthread_mutex_unlock(&f->lock);
}

static int stopping(feed *f)
{
    pthread_mutex_lock(&f->lock);
    int stop = f->stop;
    pthread_mutex_unlock(&f->lock);
    return stop;
}

/* The size the decoder scales this source's frames to (its own without a feed_scale). */
static drt_status set_size(feed_source *s, const feed_scale *scale)
{
    s->w = s->info.w, s->h = s->info.h;
    if (!scale) return DRT_OK;
    if (s->info.w < 1 || s->info.h < 1)
        return drt_error(DRT_STATUS_UNSUPPORTED, "%s: --fast-resize: the stream does not tell its frame size", s->url);
    s->w = scale->net_w, s->h = scale->net_h;
    if (scale->mode == DRT_RESIZE_LETTERBOX) drt_letterbox_size(s->info.w, s->info.h, scale->net_w, scale->net_h, &s->w, &s->h);
    return drt_video_set_output_size(s->video, s->w, s->h);
}

/* Opens the source (sizes it) and tells feed_open how it went. */
static drt_status open_source(feed_source *s)
{
    feed *f = s->feed;
    drt_status status = drt_video_open(s->url, &f->vopts, &s->video);
    if (status == DRT_OK) {
        s->info = drt_video_get_info(s->video);
        status = set_size(s, f->scaled ? &f->scale : NULL);
    }
    drt_live_ring queue = {0};
    double fps = s->info.live ? s->info.fps : 0; /* a file's: the depth alone (its reader waits for room: no drops) */
    if (status == DRT_OK && drt_live_ring_init(&queue, sizeof(feed_frame), f->depth, fps, free_queued))
        status = drt_error(DRT_STATUS_OOM, "%s: out of memory", s->url);
    pthread_mutex_lock(&f->lock);
    s->queue = queue;
    s->opened = status == DRT_OK ? 1 : -1;
    s->status = status;
    if (status != DRT_OK) snprintf(s->error, sizeof s->error, "%s", drt_last_error());
    pthread_cond_broadcast(&f->changed);
    pthread_mutex_unlock(&f->lock);
    return status;
}

/* A source's thread: opens it (the sources open at once: live ones wait for their first data),
 * then reads until the end, an error or feed_stop. */
static void *reader(void *arg)
{
    feed_source *s = arg;
    drt_status status = open_source(s);
    if (status == DRT_OK && s->feed->read_delay_ms) usleep((useconds_t)s->feed->read_delay_ms * 1000); /* tests */
    while (status == DRT_OK && !stopping(s->feed)) {
        drt_video_frame vf;
        feed_frame fr;
        drt_nv12_gpu *gpu = NULL;
        status = drt_video_read_gpu(s->video, &vf, s->feed->gpu_frames ? &gpu : NULL);
        if (status == DRT_OK && gpu) {
            fr = (feed_frame){.gpu = gpu, .w = vf.w, .h = vf.h, .index = vf.index, .pts = vf.pts, .decoded_ms = drt_now_ms()};
            push(s, &fr);
            continue;
        }
        if (status != DRT_OK || !vf.data) break;
        if ((status = copy_frame(s, &vf, &fr)) != DRT_OK) {
            feed_frame_free(&fr);
            break;
        }
        push(s, &fr);
    }
    finish(s, status);
    return NULL;
}

drt_status feed_open(feed *f, char **urls, int n, int queue, const drt_video_opts *vopts, const feed_scale *scale,
                     int gpu_frames, int read_delay_ms)
{
    memset(f, 0, sizeof *f);
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->changed, NULL);
    f->vopts = *vopts;
    f->scaled = scale != NULL;
    f->gpu_frames = gpu_frames;
    f->read_delay_ms = read_delay_ms;
    if (scale) f->scale = *scale;
    f->sources = calloc((size_t)n, sizeof *f->sources);
    if (!f->sources) return drt_error(DRT_STATUS_OOM, "video sources: out of memory");
    f->n = n;
    f->depth = queue;
    for (int i = 0; i < n; i++) {
        feed_source *s = &f->sources[i];
        s->url = urls[i];
        s->feed = f;
    }
    for (int i = 0; i < n; i++) {
        if (pthread_create(&f->sources[i].thread, NULL, reader, &f->sources[i]) != 0)
            return drt_error(DRT_STATUS_OOM, "%s: cannot start a reader thread", urls[i]);
        f->sources[i].started = 1;
    }
    pthread_mutex_lock(&f->lock); /* every source open, or the first (in order) that failed */
    drt_status status = DRT_OK;
    for (int i = 0; i < n && status == DRT_OK; i++) {
        feed_source *s = &f->sources[i];
        while (!s->opened) pthread_cond_wait(&f->changed, &f->lock);
        if (s->opened < 0) status = drt_error(s->status, "%s", s->error);
    }
    pthread_mutex_unlock(&f->lock);
    return status;
}

/* Under the lock: takes frames round robin from `start` (in_order: from the first source not ended and drained
 * alone); returns how many. */
static int take_queued(feed *f, feed_frame *frames, int *source_of, int max, int start)
{
    int k = 0, progress = 1, first = 0;
    while (f->in_order && first < f->n - 1 && f->sources[first].ended && !f->sources[first].queue.count) first++;
    int n = f->in_order ? 1 : f->n;
    if (f->in_order) start = first;
    while (k < max && progress) {
        progress = 0;
        for (int j = 0; j < n && k < max; j++) {
            int i = (start + j) % f->n;
            if (!drt_live_ring_take(&f->sources[i].queue, &frames[k])) continue;
            source_of[k++] = i;
            progress = 1;
        }
    }
    return k;
}

int feed_take(feed *f, feed_frame *frames, int *source_of, int max)
{
    pthread_mutex_lock(&f->lock);
    int k = 0;
    for (;;) {
        k = f->stop ? 0 : take_queued(f, frames, source_of, max, f->next);
        int reading = 0;
        for (int i = 0; i < f->n; i++) reading |= !f->sources[i].ended;
        if (k > 0 || !reading || f->stop) break;
        pthread_cond_wait(&f->changed, &f->lock);
    }
    /* the next take goes on after the last source served: with more sources queued than a take holds, each
     * waits at most n / max takes (starting one source later each time, as before, let one wait n - max) */
    if (k > 0) f->next = (source_of[k - 1] + 1) % f->n;
    if (k > 0) pthread_cond_broadcast(&f->changed); /* room for the waiting file readers */
    pthread_mutex_unlock(&f->lock);
    return k;
}

void feed_stop(feed *f)
{
    pthread_mutex_lock(&f->lock);
    f->stop = 1;
    pthread_cond_broadcast(&f->changed);
    pthread_mutex_unlock(&f->lock);
}

void feed_close(feed *f)
{
    feed_stop(f);
    for (int i = 0; i < f->n; i++) {
        feed_source *s = &f->sources[i];
        if (s->started) pthread_join(s->thread, NULL);
        drt_live_ring_free(&s->queue);
        drt_video_free(s->video);
    }
    free(f->sources);
    pthread_cond_destroy(&f->changed);
    pthread_mutex_destroy(&f->lock);
    memset(f, 0, sizeof *f);
}
