/* Internals of src/video: FFmpeg's log captured into darkrt's one-line errors; NVDEC's CUDA device. */
#ifndef DRT_VIDEO_INTERNAL_H
#define DRT_VIDEO_INTERNAL_H

#include "darkrt/video.h"

/* Installs (once) a log callback that keeps FFmpeg quiet and remembers, per thread, the last
 * error it logged, for darkrt's message. */
void drt_video_log_init(void);

/* The last FFmpeg message of this thread ("" if none), trimmed to one line; clears it. */
const char *drt_video_log_take(void);

/* FFmpeg's text for an AVERROR code, followed by its last logged detail when that adds something. */
const char *drt_video_av_error(int averror, char *buf, size_t n);

/* An FFmpeg CUDA device (AVBufferRef) over GPU `gpu`'s primary context, shared with CUDA's runtime
 * (video-cuda.c). Fails (< 0) with the driver's or FFmpeg's reason in why[]. */
struct AVBufferRef;
int drt_video_cuda_device(int gpu, struct AVBufferRef **device_out, char *why, size_t why_size);

#endif
