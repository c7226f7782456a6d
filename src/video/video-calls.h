/* The video functions libdarkrt-video.so (FFmpeg) hands to the library: video-calls.c forwards the
 * public API (include/darkrt/video.h) to them, loading the module on first use. */
#ifndef DRT_VIDEO_CALLS_H
#define DRT_VIDEO_CALLS_H

#include "darkrt/video.h"
#include "vision/nv12-sws.h"

/* drt_video_read, where an NVDEC frame may stay on the GPU (hwaccel "cuda", the frame at its own
 * size, nv12-sws.h exact for it): then *gpu_out is set (a malloc'd descriptor holding the frame
 * until its release; drt_frame_release of a DRT_PIXEL_NV12_GPU frame releases and frees it), and
 * *frame has the size, index and pts but no data. Otherwise as drt_video_read, *gpu_out NULL.
 * The first read decides for the whole stream: NVDEC gets the surfaces that frames held on the GPU
 * need only when it passes gpu_out (and no output size was set); later reads follow that choice.
 * For in-tree callers (cli/video-feed.c): not part of the public API. */
drt_status drt_video_read_gpu(drt_video *video, drt_video_frame *frame, drt_nv12_gpu **gpu_out);

typedef struct drt_video_calls {
    drt_video_opts (*opts_default)(void);
    drt_status (*open)(const char *url, const drt_video_opts *opts, drt_video **video_out);
    drt_status (*read)(drt_video *video, drt_video_frame *frame);
    drt_status (*read_gpu)(drt_video *video, drt_video_frame *frame, drt_nv12_gpu **gpu_out);
    drt_video_info (*get_info)(const drt_video *video);
    drt_status (*set_output_size)(drt_video *video, int w, int h);
    void (*free)(drt_video *video);
    drt_status (*writer_open)(const char *path, int w, int h, double fps, drt_video_writer **writer_out);
    drt_status (*writer_write)(drt_video_writer *writer, const unsigned char *rgb, size_t stride, double pts);
    drt_status (*writer_close)(drt_video_writer *writer);
    void (*writer_abort)(drt_video_writer *writer);
} drt_video_calls;

#endif
