/* What detect writes for each video source: the annotated mp4, drawn PNG frames, JSON Lines. */
#ifndef DRT_CLI_VIDEO_OUTPUTS_H
#define DRT_CLI_VIDEO_OUTPUTS_H

#include <stdint.h>
#include <stdio.h>
#include "darkrt.h"

/* A live stream's rate leaves out its last VIDEO_RATE_TAIL - 1 results: frames its decoder holds
 * (frame threads, B-frame reordering) come out only when the stream's end is known, --timeout later.
 * And its first VIDEO_RATE_HEAD: the frames read while the stream was probed on opening come out
 * together, and the first runs are the slowest (a busy machine: 11.4 fps measured on a 10 fps stream). */
#define VIDEO_RATE_TAIL 32
#define VIDEO_RATE_HEAD 8

typedef struct source_out {
    const char *url;
    char name[128];        /* file-name stem of its outputs */
    char *mp4;             /* path of the annotated video, or NULL */
    char *frames_dir;      /* directory of drawn PNG frames, or NULL */
    double fps;
    int w, h;              /* of the mp4 */
    drt_video_writer *writer;
    int64_t done;
    double first_ms, last_ms, latency_sum_ms, latency_max_ms; /* first and last result's time */
    double head_ms;        /* result VIDEO_RATE_HEAD's time */
    double recent_ms[VIDEO_RATE_TAIL]; /* times of the last results, result i at [i % VIDEO_RATE_TAIL] */
} source_out;

/* Names each source's outputs (-o FILE.mp4 for one source, else -o DIR/<name>.mp4;
 * --frames DIR/<name>/) and creates the directories. Returns 0, or 2 after a usage error. */
int outputs_plan(source_out *outs, char **urls, int n, const char *out, const char *frames);

/* One frame's line: {"source", "frame", "pts", "image", "width", "height", "detections",
 * "timing_ms"} — detect's JSON object for an image, with the frame's place in front. */
void outputs_json_line(FILE *fp, const source_out *o, int64_t index, double pts, int w, int h,
                       const drt_detections *d, const drt_model *model, const drt_stage_times *t);

/* The drawn image as tight RGB8 (rounded as the PNG writer rounds). */
void outputs_to_rgb8(const drt_image *im, unsigned char *rgb);

/* Writes the drawn frame (drawn, and rgb: the same pixels as outputs_to_rgb8 gives) to the mp4
 * (opened at the first frame) and as a PNG. */
drt_status outputs_write_frame(source_out *o, const drt_image *drawn, unsigned char *rgb, int64_t index, double pts);

/* Finishes the mp4 (renamed into place, holding every frame written) and frees the names. */
drt_status outputs_close(source_out *o);

#endif
