/* darkrt video: frames from files, cameras, network streams and image sequences (FFmpeg), and
 * annotated H.264 mp4 out. */
#ifndef DARKRT_VIDEO_H
#define DARKRT_VIDEO_H

#include <stddef.h>
#include <stdint.h>
#include "darkrt/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A video source. One thread at a time may call drt_video_read on it; different sources are
 * independent. */
typedef struct drt_video drt_video;

typedef struct drt_video_opts {
    size_t size;       /* sizeof(drt_video_opts); smaller (older) structs are accepted */
    double timeout_s;  /* opening, and the longest wait for data, of network sources and cameras;
                          0 = 10 s. A source silent for longer fails with "no data for N s". */
    const char *format; /* FFmpeg input format ("v4l2", "image2", "mpegts"...); NULL: guessed */
    const char *hwaccel; /* "cuda": decode on the GPU (NVDEC) where FFmpeg and the machine have it,
                            frames copied to the host; else (or NULL) the CPU decodes */
    int threads;         /* CPU decoding threads (FFmpeg's frame and slice threads); 0: one per core */
    int gpu;             /* hwaccel "cuda": the CUDA device that decodes (cuda:N; the engine's, so that
                            its frames are in the engine's context); 0: the first */
} drt_video_opts;

DRT_API drt_video_opts drt_video_opts_default(void);

/* Opens `url`:
 *  - a file (mp4, mkv, avi, mov, webm, ts; H.264, H.265, MJPEG, VP9... as FFmpeg decodes them);
 *  - a V4L2 camera "/dev/videoN";
 *  - a network stream "rtsp://", "http(s)://", "udp://", "srt://", "tcp://" (as FFmpeg has them);
 *  - an image sequence: a printf pattern "dir/%04d.png" or a glob "dir/img*.jpg".
 * Fails with one line naming the url and why (missing file, no video stream, refused, timeout). */
DRT_API drt_status drt_video_open(const char *url, const drt_video_opts *opts, drt_video **video_out);

/* A decoded frame, in display order: RGB8, h rows of `stride` bytes. The pixels belong to the
 * source and stay valid until the next drt_video_read or drt_video_free. */
typedef struct drt_video_frame {
    int w, h;
    const unsigned char *data;
    size_t stride;
    int64_t index;    /* 0, 1, 2... in display order (B-frames reordered) */
    double pts;       /* seconds since the stream's start (its time base); the frame's best-effort
                         timestamp, so variable frame rates keep their real times; a frame FFmpeg gives
                         none (an rtsp:// stream's first) one frame at the nominal rate after the one
                         before it, or before the first timed one; -1 if the rate is unknown too */
} drt_video_frame;

/* Decodes the next frame into *frame. At the end of the stream returns DRT_OK with frame->data
 * NULL. A corrupt or truncated stream, or one that stops sending or breaks off, fails with one line naming the
 * url, the frame reached and the rule broken; the frames returned before stay valid results. */
DRT_API drt_status drt_video_read(drt_video *video, drt_video_frame *frame);

typedef struct drt_video_info {
    int w, h;
    double fps;       /* the stream's nominal rate (0 if unknown) */
    int64_t frames;   /* the container's frame count (0 if unknown) */
    int live;         /* a camera or a network stream: it sets its own pace */
    const char *codec; /* decoder name ("h264") */
    int hwaccel;      /* frames decoded on the GPU (drt_video_opts.hwaccel took effect) */
} drt_video_info;

DRT_API drt_video_info drt_video_get_info(const drt_video *video);

/* From the next frame on, frames come scaled to w x h in the same libswscale pass that converts
 * them to RGB8 (bilinear, as `ffmpeg -vf scale=W:H:flags=bilinear`): no full-size RGB frame is
 * made. 0, 0: the decoded size again (the default). Sizes 1..16384. */
DRT_API drt_status drt_video_set_output_size(drt_video *video, int w, int h);

DRT_API void drt_video_free(drt_video *video);

/* True for names drt_video_open should read rather than the image loader: video file
 * extensions, "scheme://" URLs, /dev/video*, and image-sequence patterns (% or *). */
DRT_API int drt_video_is_source(const char *name);

/* An H.264 mp4 writer (libavcodec's libx264), written to "<path>.tmp-<pid>" and renamed into
 * place by drt_video_writer_close: never a half-written file at `path`. */
typedef struct drt_video_writer drt_video_writer;

/* fps: the nominal rate (written as the stream's rate); frame times come from each frame's pts.
 * Odd widths/heights lose their last column/row (H.264 4:2:0 needs even sizes). */
DRT_API drt_status drt_video_writer_open(const char *path, int w, int h, double fps, drt_video_writer **writer_out);

/* Encodes one RGB8 frame (w x h as opened) shown at pts seconds; pts must increase. */
DRT_API drt_status drt_video_writer_write(drt_video_writer *writer, const unsigned char *rgb, size_t stride, double pts);

/* Flushes the encoder, finishes the mp4 and renames it into place. Frees the writer. */
DRT_API drt_status drt_video_writer_close(drt_video_writer *writer);

/* Removes the temporary file and frees the writer (nothing appears at `path`). */
DRT_API void drt_video_writer_abort(drt_video_writer *writer);

#ifdef __cplusplus
}
#endif
#endif
