/* A live video source's reader thread: it reads at the source's own pace into a short queue and,
 * when the stream's consumer falls behind, drops the oldest queued frames (counted) rather than
 * letting the camera's or the socket's buffer overflow; a burst stays (the CLI's queue and rule: live-ring.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pydarkrt.h"
#include "video/live-ring.h"

typedef struct live_frame {
    unsigned char *rgb; /* tight RGB8 rows, malloc'd */
    drt_video_frame info;
} live_frame;

struct drtpy_live {
    drt_video *video;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    drt_live_ring queue;    /* of live_frame, at the stream's rate */
    int ended, stop;
    drt_status status;      /* the reader's last status (DRT_OK at the end of the stream) */
    char error[1024];       /* its message (the reader thread's drt_last_error) */
    long long reported;     /* of queue.dropped */
    live_frame current;     /* the frame handed out last: valid until the next call */
};

static void frame_free(void *p)
{
    live_frame *f = p;
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
    return 0;
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
        double decoded_ms = drtpy_now_s() * 1e3;
        pthread_mutex_lock(&l->lock);
        int stop = l->stop;
        if (!stop) drt_live_ring_push(&l->queue, &f, decoded_ms); /* drops the oldest as live-drop.h says */
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
    if (!l || drt_live_ring_init(&l->queue, sizeof(live_frame), capacity, drt_video_get_info(video).fps, frame_free)) {
        free(l);
        return NULL;
    }
    l->video = video;
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->changed, NULL);
    if (pthread_create(&l->thread, NULL, reader, l) != 0) {
        pthread_cond_destroy(&l->changed);
        pthread_mutex_destroy(&l->lock);
        drt_live_ring_free(&l->queue);
        free(l);
        return NULL;
    }
    return l;
}

drt_status drtpy_live_next(drtpy_live *l, drt_video_frame *frame, long long *dropped, char *err, size_t err_size)
{
    frame_free(&l->current);
    pthread_mutex_lock(&l->lock);
    while (!l->queue.count && !l->ended) pthread_cond_wait(&l->changed, &l->lock);
    drt_status s = DRT_OK;
    memset(frame, 0, sizeof *frame);
    if (drt_live_ring_take(&l->queue, &l->current)) {
        *frame = l->current.info;
    } else {
        s = l->status;
        snprintf(err, err_size, "%s", l->error);
    }
    *dropped = l->queue.dropped - l->reported;
    l->reported = l->queue.dropped;
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
    drt_live_ring_free(&l->queue);
    frame_free(&l->current);
    pthread_cond_destroy(&l->changed);
    pthread_mutex_destroy(&l->lock);
    free(l);
}
