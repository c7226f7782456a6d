/* The video functions libdarkrt-video.so (FFmpeg) hands to the library: video-calls.c forwards the
 * public API (include/darkrt/video.h) to them, loading the module on first use. */
#ifndef DRT_VIDEO_CALLS_H
#define DRT_VIDEO_CALLS_H

#include "darkrt/video.h"

typedef struct drt_video_calls {
    drt_video_opts (*opts_default)(void);
    drt_status (*open)(const char *url, const drt_video_opts *opts, drt_video **video_out);
    drt_status (*read)(drt_video *video, drt_video_frame *frame);
    drt_video_info (*get_info)(const drt_video *video);
    drt_status (*set_output_size)(drt_video *video, int w, int h);
    void (*free)(drt_video *video);
    drt_status (*writer_open)(const char *path, int w, int h, double fps, drt_video_writer **writer_out);
    drt_status (*writer_write)(drt_video_writer *writer, const unsigned char *rgb, size_t stride, double pts);
    drt_status (*writer_close)(drt_video_writer *writer);
    void (*writer_abort)(drt_video_writer *writer);
} drt_video_calls;

#endif
