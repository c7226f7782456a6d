/* darkrt detect on video files, cameras, streams and image sequences. */
#ifndef DRT_CLI_DETECT_VIDEO_H
#define DRT_CLI_DETECT_VIDEO_H

#include "darkrt.h"

typedef struct video_opts {
    const char *out;    /* -o: the annotated mp4 (one source) or a directory of <name>.mp4 */
    const char *json;   /* JSON Lines of every frame of every source, or "-" for stdout */
    const char *frames; /* --frames DIR: drawn frames as DIR/<name>/<index>.png */
    int show;           /* --show: a window with the drawn frames */
    double timeout_s;   /* --timeout: network and camera silence that ends a source */
    int queue;          /* frames buffered per source */
    int batch;          /* frames per engine run (the engine's max batch) */
    int workers;        /* the pipeline's letterbox threads (0: one per core) */
    int max_det;        /* detections kept per frame (0: all) */
    int delay_ms;       /* --test-delay-ms: a slower engine, for tests of live pacing */
    int read_delay_ms;  /* --test-read-delay-ms: readers start late, for tests of a live burst */
    const char *hwaccel; /* --hwaccel cuda: NVDEC decoding where present */
    int fast_resize;     /* --fast-resize: frames scaled to the letterbox size by the decoder's swscale */
} video_opts;

/* Detects in every frame of every source, batched across sources (the engine's max batch).
 * Returns the CLI exit code. */
int detect_videos(const video_opts *o, char **urls, int n, const drt_model *model, drt_engine *engine,
                  const drt_detect_opts *dopts);

#endif
