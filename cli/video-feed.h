/* Video sources read on their own threads into bounded queues: a file waits for room (read as
 * fast as detection takes frames); a live source drops its oldest queued frames instead when
 * detection is behind (it keeps its own pace; drops are counted), and holds a burst (src/video/live-drop.h). */
#ifndef DRT_CLI_VIDEO_FEED_H
#define DRT_CLI_VIDEO_FEED_H

#include <pthread.h>
#include <stdint.h>
#include "darkrt.h"
#include "video/live-ring.h"
#include "vision/nv12-sws.h"

/* Frames scaled by the decoder to the network input's inner size (the letterbox's, or all of it
 * for a stretch), so the pipeline's resize keeps their size. */
typedef struct feed_scale {
    int net_w, net_h;
    drt_resize mode;
} feed_scale;

/* A decoded frame copied out of the decoder, or held on the GPU. */
typedef struct feed_frame {
    unsigned char *rgb; /* tight RGB8 (w * 3 bytes a row), or NULL when gpu is set */
    drt_nv12_gpu *gpu;  /* an NVDEC frame left on the GPU (feed_open's gpu_frames) */
    int w, h;
    int64_t index;
    double pts;
    double decoded_ms; /* drt_now_ms() when it was decoded (latency is measured from here) */
} feed_frame;

typedef struct feed_source {
    const char *url;
    drt_video *video;
    drt_video_info info;
    int w, h;            /* the frames' size: info's, or the network's letterbox (feed_scale) */
    pthread_t thread;
    int started;
    int opened;          /* 1: open, -1: failed to open (status, error), 0: opening */
    drt_live_ring queue; /* of feed_frame, made once open: a file's reader waits at its depth; a live one drops */
    int64_t decoded;
    int ended;           /* the reader is done: end of stream or an error */
    drt_status status;   /* of the reader; its error text in error[] */
    char error[512];
    struct feed *feed;
} feed_source;

typedef struct feed {
    pthread_mutex_t lock;
    pthread_cond_t changed; /* a source opened or ended, or a frame was queued or taken */
    feed_source *sources;
    int n, stop;
    int depth;            /* each source's queue depth (feed_open's queue) */
    drt_video_opts vopts;
    feed_scale scale;
    int scaled;           /* frames scaled to `scale` (else full size) */
    int gpu_frames;       /* NVDEC frames may stay on the GPU (feed_frame.gpu) */
    int on_gpu, on_host;  /* frames handed out each way (under the lock) */
    int read_delay_ms;    /* --test-read-delay-ms: each reader waits this long after opening (tests: a late start) */
    int in_order;         /* feed_take hands out one source's frames until it has ended, then the next's (a stateful
                           * model's sequences); else round robin. Set before the first feed_take */
    int next;             /* round robin: the source the next feed_take starts at (after the last one served) */
} feed;

/* Opens every url at once, each on its reader thread (the first failure in order is returned, with
 * its one-line error; feed_close then stops the others), and the readers go on reading.
 * queue: frames buffered per source (a live one's depth); scale: NULL for full-size frames; gpu_frames: NVDEC frames
 * that can stay on the GPU do (drt_video_read_gpu); read_delay_ms: for tests, 0 else. */
drt_status feed_open(feed *f, char **urls, int n, int queue, const drt_video_opts *vopts, const feed_scale *scale,
                     int gpu_frames, int read_delay_ms);

/* Takes up to max frames, round robin over the sources, going on after the last source the previous take
 * served (in_order: from the first source not ended and drained),
 * waiting while none is queued and some source is still reading. Writes frames[i] and which source each came from. Returns how many
 * (0: every source has ended and is drained, or feed_stop). The caller frees each with feed_frame_free. */
int feed_take(feed *f, feed_frame *frames, int *source_of, int max);

void feed_frame_free(feed_frame *fr);

/* Readers stop at their next frame; feed_take returns 0 from now on. */
void feed_stop(feed *f);

/* Stops the readers (a live source would never end) and frees everything. */
void feed_close(feed *f);

#endif
