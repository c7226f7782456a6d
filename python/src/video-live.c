/* A live video source's reader thread: it reads at the source's own pace into a short queue and,
 * when the stream's consumer falls behind, drops the oldest queued frames (counted) rather than
 * letting the camera's or the socket's buffer overflow; a burst stays (the CLI's rule: live-drop.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pydarkrt.h"
#include "video/live-drop.h"

typedef struct live_frame {
    unsigned char *rgb; /* tight RGB8 rows, malloc'd */
    drt_video_frame info;
    double decoded_s;   /* drtpy_now_s() when it was read */
} live_frame;

struct drtpy_live {
    drt_video *video;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    live_frame *queue;      /* ring of `slots` */
    int head, count, capacity, slots; /* capacity: the queue's depth (live-drop.h) */
    double fps;             /* the stream's rate (0: unknown) */
    int ended, stop;
    drt_status status;      /* the reader's last status (DRT_OK at the end of the stream) */
    char error[1024];       /* its message (the reader thread's drt_last_error) */
    long long dropped, reported;
    live_frame current;     /* the frame handed out last: valid until the next call */
};

static void frame_free(live_frame *f)
{
    free(f->rgb);
    memset(f, 0, sizeof *f);
}

static int copy_frame(const drt_video_frame *in, live_frame *out)
{
    size_t row = 3 * (size_t)in->w;
    out->rgb = malloc(row * (size_t)in->h);
    if (!out->rgb) return -1;
    for (int y = 0; y < in->h; y++) memcpy(out->rgb + row * (size_t)y, in->data + in->stride * (size_t)y, row);
    out->info = *in;
    out->info.data = out->rgb;
    out->info.stride = row;
    out->decoded_s = drtpy_now_s();
    return 0;
}

/* Queues a frame, dropping the oldest ones as live-drop.h says (the consumer behind, or the slots full).
 * Under the lock. */
static void push(drtpy_live *l, live_frame *f)
{
    while (l->count && drt_live_drop(l->count, l->capacity, l->fps, (f->decoded_s - l->queue[l->head].decoded_s) * 1e3)) {
        frame_free(&l->queue[l->head]);
        l->head = (l->head + 1) % l->slots;
        l->count--;
        l->dropped++;
    }
    l->queue[(l->head + l->count) % l->slots] = *f;
    l->count++;
}

static void *reader(void *arg)
{
    drtpy_live *l = arg;
    drt_status s = DRT_OK;
    for (;;) {
        drt_video_frame vf;
        live_frame f = {0};
        s = drt_video_read(l->video, &vf);
        if (s != DRT_OK || !vf.data) break;
        if (copy_frame(&vf, &f) != 0) {
            s = DRT_STATUS_OOM;
            snprintf(l->error, sizeof l->error, "video frame %lld: out of memory", (long long)vf.index);
            break;
        }
        pthread_mutex_lock(&l->lock);
        int stop = l->stop;
        if (!stop) push(l, &f);
        pthread_cond_broadcast(&l->changed);
        pthread_mutex_unlock(&l->lock);
        if (stop) {
            frame_free(&f);
            break;
        }
    }
    pthread_mutex_lock(&l->lock);
    if (s != DRT_OK && !l->error[0]) snprintf(l->error, sizeof l->error, "%s", drt_last_error());
    l->status = s;
    l->ended = 1;
    pthread_cond_broadcast(&l->changed);
    pthread_mutex_unlock(&l->lock);
    return NULL;
}

drtpy_live *drtpy_live_start(drt_video *video, int capacity)
{
    drtpy_live *l = calloc(1, sizeof *l);
    double fps = drt_video_get_info(video).fps;
    int slots = drt_live_slots(capacity, fps);
    if (!l || !(l->queue = calloc((size_t)slots, sizeof *l->queue))) {
        free(l);
        return NULL;
    }
    l->video = video;
    l->capacity = capacity;
    l->slots = slots;
    l->fps = fps;
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->changed, NULL);
    if (pthread_create(&l->thread, NULL, reader, l) != 0) {
        pthread_cond_destroy(&l->changed);
        pthread_mutex_destroy(&l->lock);
        free(l->queue);
        free(l);
        return NULL;
    }
    return l;
}

drt_status drtpy_live_next(drtpy_live *l, drt_video_frame *frame, long long *dropped, char *err, size_t err_size)
{
    frame_free(&l->current);
    pthread_mutex_lock(&l->lock);
    while (!l->count && !l->ended) pthread_cond_wait(&l->changed, &l->lock);
    drt_status s = DRT_OK;
    memset(frame, 0, sizeof *frame);
    if (l->count) {
        l->current = l->queue[l->head];
        memset(&l->queue[l->head], 0, sizeof l->queue[l->head]);
        l->head = (l->head + 1) % l->slots;
        l->count--;
        *frame = l->current.info;
    } else {
        s = l->status;
        snprintf(err, err_size, "%s", l->error);
    }
    *dropped = l->dropped - l->reported;
    l->reported = l->dropped;
    pthread_mutex_unlock(&l->lock);
    return s;
}

void drtpy_live_stop(drtpy_live *l)
{
    if (!l) return;
    pthread_mutex_lock(&l->lock);
    l->stop = 1;
    pthread_mutex_unlock(&l->lock);
    pthread_join(l->thread, NULL); /* after its current read: at most the source's timeout */
    for (int k = 0; k < l->count; k++) frame_free(&l->queue[(l->head + k) % l->slots]);
    frame_free(&l->current);
    pthread_cond_destroy(&l->changed);
    pthread_mutex_destroy(&l->lock);
    free(l->queue);
    free(l);
}
