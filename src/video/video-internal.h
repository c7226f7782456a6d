/* Internals of src/video (the module: FFmpeg's headers): FFmpeg's log captured into darkrt's one-line
 * errors; NVDEC's CUDA device and frames. */
#ifndef DRT_VIDEO_INTERNAL_H
#define DRT_VIDEO_INTERNAL_H

#include "video/video-calls.h"
#include "vision/nv12-sws.h"

#include <libavutil/buffer.h>
#include <libavutil/frame.h>
#include <libavutil/pixfmt.h>

/* Installs (once) a log callback that keeps FFmpeg quiet and remembers, per thread, the last
 * error it logged, for darkrt's message. */
void drt_video_log_init(void);

/* The last FFmpeg message of this thread ("" if none), trimmed to one line; clears it. */
const char *drt_video_log_take(void);

/* FFmpeg's text for an AVERROR code, followed by its last logged detail when that adds something. */
const char *drt_video_av_error(int averror, char *buf, size_t n);

/* An FFmpeg CUDA device (AVBufferRef) over GPU `gpu`'s primary context, shared with CUDA's runtime
 * (video-cuda.c). Fails (< 0) with the driver's or FFmpeg's reason in why[]. */
int drt_video_cuda_device(int gpu, AVBufferRef **device_out, char *why, size_t why_size);

/* NVDEC's NV12 frame `f` (copied to memory) turned, in place, into the CPU decoder's planar 4:2:0
 * (`planar`: YUV420P or YUVJ420P; other formats are left as they are): Y used where it is, U and V
 * split out into *chroma (grown as needed, the caller frees it). swscale then converts it as it
 * converts the CPU decoder's frames (its exact unscaled 4:2:0 path); NV12 would take its generic
 * path and filter the chroma otherwise. Returns 0, or -1 out of memory. */
int drt_video_nv12_as_planar(AVFrame *f, enum AVPixelFormat planar, unsigned char **chroma, size_t *chroma_size);

struct SwsContext;
/* The coefficients of libswscale's 8-bit 4:2:0 -> RGB24 conversion in `sws` (its colorspace
 * details, as FFmpeg 5.1's ff_yuv2rgb_c_init_tables turns them into 16-bit lanes). 0, or -1. */
int drt_video_nv12_sws_coeffs(struct SwsContext *sws, drt_nv12_sws *out);

/* Whether src/vision/nv12-sws.h gives libswscale's bytes for `planar` (YUV420P or YUVJ420P) on
 * this machine: checked once per process on a test frame (a libswscale without the x86 SIMD path,
 * or another version's arithmetic, fails it, and frames then come to the host). */
int drt_video_nv12_sws_exact(enum AVPixelFormat planar);

/* Waits for the work queued on the stream of FFmpeg's CUDA device `device` (video-cuda.c): NVDEC's
 * copy of a frame out of its surface is asynchronous. 0, or -1 with the reason in why[]. */
int drt_video_cuda_sync(AVBufferRef *device, char *why, size_t why_size);

#endif
