/* Video sources read on their own threads into bounded queues: a file waits for room (read as
 * fast as detection takes frames); a live source drops its oldest queued frame instead (it keeps
 * its own pace; drops are counted). */
#ifndef DRT_CLI_VIDEO_FEED_H
#define DRT_CLI_VIDEO_FEED_H

#include <pthread.h>
#include <stdint.h>
#include "darkrt.h"

/* A decoded frame copied out of the decoder. */
typedef struct feed_frame {
    unsigned char *rgb; /* tight RGB8 (w * 3 bytes a row) */
    int w, h;
    int64_t index;
    double pts;
    double decoded_ms; /* drt_now_ms() when it was decoded (latency is measured from here) */
} feed_frame;

typedef struct feed_source {
    const char *url;
    drt_video *video;
    drt_video_info info;
    pthread_t thread;
    int started;
    feed_frame *queue; /* ring of `capacity` */
    int capacity, head, count;
    int64_t decoded, dropped;
    int ended;           /* the reader is done: end of stream or an error */
    drt_status status;   /* of the reader; its error text in error[] */
    char error[512];
    struct feed *feed;
} feed_source;

typedef struct feed {
    pthread_mutex_t lock;
    pthread_cond_t changed; /* a frame was queued or taken, or a source ended */
    feed_source *sources;
    int n, stop;
} feed;

/* Opens every url (the first failure is returned, with its one-line error) and starts readers.
 * queue: frames buffered per source. */
drt_status feed_open(feed *f, char **urls, int n, int queue, const drt_video_opts *vopts);

/* Takes up to max frames, round robin over the sources, waiting while none is queued and some
 * source is still reading. Writes frames[i] and which source each came from. Returns how many
 * (0: every source has ended and is drained, or feed_stop). The caller frees each with feed_frame_free. */
int feed_take(feed *f, feed_frame *frames, int *source_of, int max);

void feed_frame_free(feed_frame *fr);

/* Readers stop at their next frame; feed_take returns 0 from now on. */
void feed_stop(feed *f);

/* Stops the readers (a live source would never end) and frees everything. */
void feed_close(feed *f);

#endif
