/* Video sources read on their own threads into bounded queues: a file waits for room (read as
 * fast as detection takes frames); a live source drops its oldest queued frame instead (it keeps
 * its own pace; drops are counted). Each reader also prepares its frames for the engine (float
 * image, and the letterboxed network input where the host preprocesses), beside inference. */
#ifndef DRT_CLI_VIDEO_FEED_H
#define DRT_CLI_VIDEO_FEED_H

#include <pthread.h>
#include <stdint.h>
#include "darkrt.h"

/* What readers prepare: the network input (net_w x net_h, resize) when letterbox is set; the float
 * image and RGB8 pixels stay with the frame when keep_image is set (for drawing). */
typedef struct feed_prep {
    int letterbox, keep_image;
    int net_w, net_h;
    drt_resize resize;
} feed_prep;

/* A decoded frame, prepared. */
typedef struct feed_frame {
    unsigned char *rgb; /* tight RGB8 (w * 3 bytes a row), or NULL */
    drt_image *image;   /* the frame as detect's float image, or NULL (letterboxed and not drawn) */
    float *input;       /* the network input, or NULL (the engine preprocesses) */
    double preprocess_ms;
    int w, h;
    int64_t index;
    double pts;
    double decoded_ms; /* cli_now_ms() when it was decoded (latency is measured from here) */
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
    feed_prep prep;
} feed;

/* Opens every url (the first failure is returned, with its one-line error) and starts readers.
 * queue: frames buffered per source. */
drt_status feed_open(feed *f, char **urls, int n, int queue, const drt_video_opts *vopts, const feed_prep *prep);

/* Takes up to max frames, round robin over the sources, waiting while none is queued and some
 * source is still reading. Writes frames[i] and which source each came from. Returns how many
 * (0: every source has ended and is drained). The caller frees each with feed_frame_free. */
int feed_take(feed *f, feed_frame *frames, int *source_of, int max);

void feed_frame_free(feed_frame *fr);

/* Stops the readers (a live source would never end) and frees everything. */
void feed_close(feed *f);

#endif
