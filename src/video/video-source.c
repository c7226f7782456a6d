/* Video sources through FFmpeg: demux, decode, convert to RGB8 with display-order indices and
 * stream-time-base timestamps. Network reads and camera opens are bounded by a deadline. */
#include "video/video-internal.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/opts.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavdevice/avdevice.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

struct drt_video {
    char *url;
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVPacket *pkt;
    AVFrame *frame, *host; /* host: a GPU frame copied to memory */
    AVBufferRef *hw;       /* the CUDA device of hwaccel decoding, or NULL */
    struct SwsContext *sws;
    int stream, live, draining, started, stopped;
    int broken;                  /* the FFmpeg code of the read that broke a live stream off, or 0 */
    double timeout_s, deadline, time_base;
    int64_t start, next_index;
    int64_t last_t, frame_ticks; /* the last frame's timestamp; one frame at the nominal rate (0: unknown) */
    int untimed_start;           /* the first frames had no timestamp: the first timed frame fixes the start */
    unsigned char *rgb;
    size_t stride;
    int rgb_w, rgb_h;
    int out_w, out_h; /* drt_video_set_output_size; 0: the decoded size */
    int told_cpu;     /* warned that NVDEC gave CPU frames after all */
    uint8_t *chroma;  /* NVDEC's frames: their U and V planes, split out of NV12 */
    size_t chroma_size;
    int gpu;          /* the CUDA device NVDEC decodes on */
    int gpu_frames;   /* frames may stay on the GPU (reserve_surfaces, before the first packet) */
    int gpu_sws_for;  /* gpu_sws holds libswscale's coefficients for this planar format + 1 (0: none yet) */
    drt_nv12_sws gpu_sws;
    AVBufferRef *gpu_held; /* an atomic_int: the frames handed out on the GPU and not yet released (each holds a ref) */
};

/* NVDEC frames handed out on the GPU keep their decoder surface until released (FFmpeg 5.1 frees the
 * surface with the frame), and NVDEC stops with "No decoder surfaces left" when the frames queued and in
 * flight take them all (64 live streams, 8 queued each: call C of 2026-12-04). So a decoder whose frames
 * may stay on the GPU gets GPU_HOLD_MAX extra surfaces (reserve_surfaces), and past that many held
 * frames a source's frames go through the host. */
#define GPU_HOLD_MAX 12

drt_video_opts drt_video_opts_default(void)
{
    drt_video_opts o = {.size = sizeof o, .timeout_s = 10};
    return o;
}

static double now_s(void) { return drt_now_ms() / 1e3; }

/* FFmpeg polls this during blocking I/O: non-zero abandons the call (AVERROR_EXIT). */
static int past_deadline(void *opaque)
{
    const drt_video *v = opaque;
    return v->deadline > 0 && now_s() > v->deadline;
}

static int is_camera(const char *url) { return !strncmp(url, "/dev/video", 10); }

static int is_network(const char *url) { return strstr(url, "://") && strncmp(url, "file://", 7); }

/* The input format and demuxer options for this kind of url. */
static const AVInputFormat *pick_format(const drt_video *v, const drt_video_opts *o, AVDictionary **dict)
{
    const char *url = v->url;
    if (is_network(url) && !strncmp(url, "udp://", 6)) {
        av_dict_set(dict, "overrun_nonfatal", "1", 0);
        av_dict_set(dict, "fifo_size", "278876", 0); /* ~50 MiB of 188-byte packets */
    }
    /* RTP interleaved in the RTSP connection first (no packet loss, through NAT), RTP/UDP where a server refuses
     * it: OpenCV's default, so what Darknet's and ultralytics' users get. */
    if (!strncmp(url, "rtsp://", 7)) av_dict_set(dict, "rtsp_flags", "prefer_tcp", 0);
    if (o->format) return av_find_input_format(o->format);
    if (is_camera(url)) return av_find_input_format("v4l2");
    if (!is_network(url) && strchr(url, '*')) {
        av_dict_set(dict, "pattern_type", "glob", 0);
        return av_find_input_format("image2");
    }
    if (!is_network(url) && strchr(url, '%')) return av_find_input_format("image2");
    return NULL;
}

static drt_status open_error(drt_video *v, int ret)
{
    char why[320];
    if (ret == AVERROR_EXIT)
        return drt_error(DRT_STATUS_IO, "%s: no answer within %.1f s: unreachable or not sending", v->url,
                         v->timeout_s);
    drt_video_av_error(ret, why, sizeof why);
    if (is_camera(v->url)) return drt_error(DRT_STATUS_IO, "%s: cannot open the camera: %s", v->url, why);
    /* libsrt's caller says only EIO when no listener answered within its connect timeout (3 s) or one refused */
    if (!strncmp(v->url, "srt://", 6) && !strstr(v->url, "mode=listener") && ret == AVERROR(EIO))
        return drt_error(DRT_STATUS_IO, "%s: cannot open the stream: no SRT listener accepted the call", v->url);
    if (is_network(v->url)) return drt_error(DRT_STATUS_IO, "%s: cannot open the stream: %s", v->url, why);
    return drt_error(ret == AVERROR(ENOENT) ? DRT_STATUS_IO : DRT_STATUS_FORMAT, "%s: cannot open: %s", v->url, why);
}

static drt_status open_input(drt_video *v, const drt_video_opts *o)
{
    AVDictionary *dict = NULL;
    const AVInputFormat *f = pick_format(v, o, &dict);
    if (o->format && !f) return drt_error(DRT_STATUS_INVALID_ARG, "%s: unknown input format %s", v->url, o->format);
    v->fmt = avformat_alloc_context();
    if (!v->fmt) return drt_error(DRT_STATUS_OOM, "%s: out of memory", v->url);
    v->fmt->interrupt_callback = (AVIOInterruptCB){past_deadline, v};
    v->deadline = now_s() + v->timeout_s;
    int ret = avformat_open_input(&v->fmt, v->url, f, &dict); /* frees fmt on failure */
    av_dict_free(&dict);
    if (ret < 0) return open_error(v, ret);
    v->deadline = now_s() + v->timeout_s; /* the streams' details take more data */
    if (v->live) { /* a few frames tell a live stream's codec and rate; waiting for 20 costs seconds */
        v->fmt->fps_probe_size = 3;
        v->fmt->max_analyze_duration = AV_TIME_BASE;
    }
    ret = avformat_find_stream_info(v->fmt, NULL);
    if (ret >= 0 && past_deadline(v)) ret = AVERROR_EXIT; /* cut short: its reader failed for good */
    if (ret < 0) return open_error(v, ret);
    return DRT_OK;
}

/* Offered formats in the decoder's order: the GPU's when hwaccel decoding is on, else the first
 * one in memory (after NVDEC failed to start, FFmpeg asks again without it: other hardware formats
 * such as VAAPI's would fail in turn against a CUDA device). */
static enum AVPixelFormat pick_pixel_format(AVCodecContext *dec, const enum AVPixelFormat *offered)
{
    for (const enum AVPixelFormat *p = offered; *p != AV_PIX_FMT_NONE; p++)
        if (*p == AV_PIX_FMT_CUDA && dec->hw_device_ctx) return *p;
    for (const enum AVPixelFormat *p = offered; *p != AV_PIX_FMT_NONE; p++)
        if (!(av_pix_fmt_desc_get(*p)->flags & AV_PIX_FMT_FLAG_HWACCEL)) return *p;
    return offered[0];
}

/* NVDEC through FFmpeg's CUDA device (video-cuda.c: the GPU's primary context), where this codec
 * has it; the CPU decodes otherwise, and the warning says FFmpeg's or the driver's reason. */
static void try_hwaccel(drt_video *v, const AVCodec *codec, const char *hwaccel, int gpu)
{
    if (!hwaccel || strcmp(hwaccel, "cuda")) return;
    int ok = 0;
    for (int i = 0;; i++) {
        const AVCodecHWConfig *c = avcodec_get_hw_config(codec, i);
        if (!c) break;
        ok |= c->device_type == AV_HWDEVICE_TYPE_CUDA && (c->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX);
    }
    char why[320];
    if (!ok) {
        drt_warn("%s: no CUDA decoding for %s here (this FFmpeg has no NVDEC for it): the CPU decodes", v->url,
                 codec->name);
        return;
    }
    v->gpu = gpu;
    if (drt_video_cuda_device(gpu, &v->hw, why, sizeof why) < 0) {
        drt_warn("%s: no CUDA decoding for %s here (%s): the CPU decodes", v->url, codec->name, why);
        return;
    }
    v->dec->hw_device_ctx = av_buffer_ref(v->hw);
    v->dec->get_format = pick_pixel_format;
}

/* Before the first packet (FFmpeg sizes NVDEC's surface pool from extra_hw_frames when the stream's
 * first header picks the GPU format, not at avcodec_open2): the extra surfaces only for frames that
 * may stay on the GPU, i.e. read with drt_video_read_gpu's gpu_out and not scaled by the decoder.
 * Frames copied to the host free their surface at once: 12 more 1080p surfaces there would be 37 MB
 * of GPU memory a stream for nothing. */
static void reserve_surfaces(drt_video *v, int gpu_frames)
{
    if (v->started || v->draining) return;
    v->gpu_frames = v->hw && gpu_frames && !v->out_w;
    v->dec->extra_hw_frames = v->gpu_frames ? GPU_HOLD_MAX : 0;
}

static drt_status open_decoder(drt_video *v, const char *hwaccel, int threads, int gpu)
{
    const AVCodec *codec = NULL;
    v->stream = av_find_best_stream(v->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (v->stream < 0)
        return drt_error(DRT_STATUS_FORMAT, "%s: %s", v->url,
                         v->stream == AVERROR_DECODER_NOT_FOUND ? "no decoder for its video stream" : "no video stream");
    AVStream *st = v->fmt->streams[v->stream];
    v->dec = avcodec_alloc_context3(codec);
    if (!v->dec || avcodec_parameters_to_context(v->dec, st->codecpar) < 0)
        return drt_error(DRT_STATUS_OOM, "%s: cannot set up the %s decoder", v->url, codec->name);
    v->dec->pkt_timebase = st->time_base;
    try_hwaccel(v, codec, hwaccel, gpu);
    /* CPU decoding on several threads (frames in flight: a few frames' latency, none lost);
     * NVDEC does its own work. */
    v->dec->thread_count = v->hw ? 1 : threads;
    v->dec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    /* A file with bad data is an error; a live stream conceals the loss of a packet and goes on. */
    if (!v->live) v->dec->err_recognition |= AV_EF_EXPLODE;
    int ret = avcodec_open2(v->dec, codec, NULL);
    if (ret < 0) return open_error(v, ret);
    v->time_base = av_q2d(st->time_base);
    v->start = st->start_time;
    v->last_t = AV_NOPTS_VALUE;
    AVRational rate = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
    v->frame_ticks = rate.num > 0 && rate.den > 0 ? av_rescale_q(1, av_inv_q(rate), st->time_base) : 0;
    v->pkt = av_packet_alloc();
    v->frame = av_frame_alloc();
    v->host = av_frame_alloc();
    if (!v->pkt || !v->frame || !v->host) return drt_error(DRT_STATUS_OOM, "%s: out of memory", v->url);
    return DRT_OK;
}

drt_status drt_video_open(const char *url, const drt_video_opts *opts, drt_video **video_out)
{
    DRT_ARG(video_out, "video_out");
    *video_out = NULL;
    DRT_ARG(url, "url");
    drt_video_opts o = drt_video_opts_default();
    DRT_TRY(drt_opts_copy(&o, sizeof o, opts, "video: drt_video_opts"));
    if (o.timeout_s <= 0) o.timeout_s = 10;
    drt_video_log_init();
    drt_video_log_take(); /* an older message explains nothing here */
    static pthread_once_t devices_once = PTHREAD_ONCE_INIT;
    pthread_once(&devices_once, avdevice_register_all);
    drt_video *v = calloc(1, sizeof *v);
    if (!v || !(v->url = strdup(url))) {
        free(v);
        return drt_error(DRT_STATUS_OOM, "%s: out of memory", url);
    }
    v->timeout_s = o.timeout_s;
    v->live = is_camera(url) || is_network(url) || (o.format && !strcmp(o.format, "v4l2"));
    drt_status s = open_input(v, &o);
    if (o.gpu < 0) s = drt_error(DRT_STATUS_INVALID_ARG, "%s: gpu %d: must be >= 0", url, o.gpu);
    if (s == DRT_OK) s = open_decoder(v, o.hwaccel, o.threads < 0 ? 0 : o.threads, o.gpu);
    if (s != DRT_OK) {
        drt_video_free(v);
        return s;
    }
    *video_out = v;
    return DRT_OK;
}

static drt_status read_error(drt_video *v, int ret, const char *what)
{
    char why[320];
    if (ret == AVERROR_EXIT)
        return drt_error(DRT_STATUS_IO, "%s: after frame %lld: no data for %.1f s: the stream stopped", v->url,
                         (long long)v->next_index - 1, v->timeout_s);
    return drt_error(DRT_STATUS_FORMAT, "%s: frame %lld: %s: %s", v->url, (long long)v->next_index, what,
                     drt_video_av_error(ret, why, sizeof why));
}

/* (Re)allocates the RGB8 buffer for w x h. */
static drt_status size_rgb(drt_video *v, int w, int h)
{
    if (w == v->rgb_w && h == v->rgb_h) return DRT_OK;
    free(v->rgb);
    v->stride = ((size_t)w * 3 + 63) & ~(size_t)63;
    v->rgb = aligned_alloc(64, v->stride * (size_t)h);
    v->rgb_w = v->rgb ? w : 0;
    v->rgb_h = v->rgb ? h : 0;
    return v->rgb ? DRT_OK : drt_error(DRT_STATUS_OOM, "%s: frame %lld: out of memory", v->url, (long long)v->next_index);
}

/* The frame's size, display-order index and time (seconds since the stream's start) into *out. */
static void stamp(drt_video *v, const AVFrame *f, int w, int h, drt_video_frame *out)
{
    int64_t t = f->best_effort_timestamp;
    /* A frame FFmpeg gives no timestamp comes one frame (at the nominal rate) after the one before; the
     * first at 0, until the first timed frame, one frame after the untimed ones, fixes the stream's start
     * (FFmpeg 5.1's RTP demuxer does not time an rtsp:// stream's first frame: tests/cli/video-live.sh). */
    if (t == AV_NOPTS_VALUE && v->frame_ticks > 0) {
        if (v->last_t == AV_NOPTS_VALUE) {
            v->start = 0;
            v->last_t = -v->frame_ticks;
            v->untimed_start = 1;
        }
        t = v->last_t + v->frame_ticks;
    } else if (t != AV_NOPTS_VALUE && v->untimed_start) {
        v->start += t - (v->last_t + v->frame_ticks);
        v->untimed_start = 0;
    }
    if (v->start == AV_NOPTS_VALUE) v->start = t;
    if (t != AV_NOPTS_VALUE) v->last_t = t;
    *out = (drt_video_frame){.w = w, .h = h, .index = v->next_index++,
                             .pts = t == AV_NOPTS_VALUE ? -1 : (double)(t - v->start) * v->time_base};
}

/* NVDEC's NV12 copied to memory, as the CPU decoder's planar 4:2:0 (video-nv12.c). */
static drt_status nv12_as_planar(drt_video *v, AVFrame *f)
{
    if (drt_video_nv12_as_planar(f, v->dec->sw_pix_fmt, &v->chroma, &v->chroma_size) < 0)
        return drt_error(DRT_STATUS_OOM, "%s: frame %lld: out of memory", v->url, (long long)v->next_index);
    return DRT_OK;
}

/* Converts the decoded frame to RGB8: at its size with swscale's exact unscaled path (as ffmpeg
 * -pix_fmt rgb24 does), or scaled to out_w x out_h in the same pass (bilinear). */
static drt_status to_rgb(drt_video *v, drt_video_frame *out)
{
    AVFrame *f = v->frame;
    if (f->format == AV_PIX_FMT_CUDA) { /* NV12 on the GPU: copied to the host, then converted as 4:2:0 */
        av_frame_unref(v->host);
        int ret = av_hwframe_transfer_data(v->host, f, 0);
        if (ret < 0) return read_error(v, ret, "cannot copy the frame from the GPU");
        v->host->best_effort_timestamp = f->best_effort_timestamp;
        f = v->host;
        DRT_TRY(nv12_as_planar(v, f));
    } else if (v->hw && !v->told_cpu) { /* NVDEC failed to start (no libnvcuvid, a profile it lacks) */
        v->told_cpu = 1;
        const char *why = drt_video_log_take();
        drt_warn("%s: NVDEC did not take this stream%s%s%s: the CPU decodes", v->url, why[0] ? " (" : "", why,
                 why[0] ? ")" : "");
    }
    int w = v->out_w ? v->out_w : f->width, h = v->out_h ? v->out_h : f->height;
    DRT_TRY(size_rgb(v, w, h));
    v->sws = sws_getCachedContext(v->sws, f->width, f->height, f->format, w, h, AV_PIX_FMT_RGB24,
                                  v->out_w ? SWS_BILINEAR : SWS_BICUBIC, NULL, NULL, NULL);
    if (!v->sws)
        return drt_error(DRT_STATUS_UNSUPPORTED, "%s: frame %lld: cannot convert %s to RGB", v->url,
                         (long long)v->next_index, av_get_pix_fmt_name(f->format));
    uint8_t *dst[4] = {v->rgb};
    int dst_stride[4] = {(int)v->stride};
    sws_scale(v->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst, dst_stride);
    stamp(v, f, w, h, out);
    out->data = v->rgb, out->stride = v->stride;
    return DRT_OK;
}

/* Whether this decoded frame may stay on the GPU: NVDEC's NV12 of an 8-bit 4:2:0 stream at its own
 * size, where libswscale's conversion (the host path) is the one nv12-sws.h computes: an even height
 * (odd ones take its other path), rows that its 8-pixel steps fit in the host path's RGB stride
 * (else it leaves the last pixels of a row alone), and the arithmetic checked on this machine. */
static int gpu_ok(const drt_video *v, const AVFrame *f)
{
    const AVHWFramesContext *fc = f->hw_frames_ctx ? (const AVHWFramesContext *)f->hw_frames_ctx->data : NULL;
    enum AVPixelFormat planar = v->dec->sw_pix_fmt;
    size_t stride = ((size_t)f->width * 3 + 63) & ~(size_t)63; /* size_rgb's */
    return f->format == AV_PIX_FMT_CUDA && fc && fc->sw_format == AV_PIX_FMT_NV12 && !v->out_w && !(f->height & 1) &&
           ((size_t)f->width + 7) / 8 * 8 * 3 <= stride && (planar == AV_PIX_FMT_YUV420P || planar == AV_PIX_FMT_YUVJ420P) &&
           drt_video_nv12_sws_exact(planar);
}

typedef struct gpu_hold {
    AVFrame *frame;
    AVBufferRef *held; /* the source's gpu_held counter (outlives the source while frames are out) */
} gpu_hold;

static void release_gpu_frame(void *owner)
{
    gpu_hold *h = owner;
    atomic_fetch_sub((atomic_int *)h->held->data, 1);
    av_buffer_unref(&h->held);
    av_frame_free(&h->frame);
    free(h);
}

static int gpu_hold_full(drt_video *v)
{
    if (!v->gpu_held && !(v->gpu_held = av_buffer_allocz(sizeof(atomic_int)))) return 1;
    return atomic_load((atomic_int *)v->gpu_held->data) >= GPU_HOLD_MAX;
}

/* The decoded frame handed out on the GPU: a reference to it (NVDEC's pool keeps the pixels until
 * release), once NVDEC's copy into it is done, with the host path's coefficients. */
static drt_status to_gpu(drt_video *v, drt_video_frame *out, drt_nv12_gpu **gpu_out)
{
    AVFrame *f = v->frame;
    char why[320];
    if (v->gpu_sws_for != v->dec->sw_pix_fmt + 1) { /* the host path's context for this format */
        v->sws = sws_getCachedContext(v->sws, f->width, f->height, v->dec->sw_pix_fmt, f->width, f->height,
                                      AV_PIX_FMT_RGB24, SWS_BICUBIC, NULL, NULL, NULL);
        if (drt_video_nv12_sws_coeffs(v->sws, &v->gpu_sws) < 0)
            return drt_error(DRT_STATUS_UNSUPPORTED, "%s: frame %lld: no libswscale conversion of %s to RGB", v->url,
                             (long long)v->next_index, av_get_pix_fmt_name(v->dec->sw_pix_fmt));
        v->gpu_sws_for = v->dec->sw_pix_fmt + 1;
    }
    if (drt_video_cuda_sync(v->hw, why, sizeof why) < 0)
        return drt_error(DRT_STATUS_CUDA, "%s: frame %lld: NVDEC: %s", v->url, (long long)v->next_index, why);
    drt_nv12_gpu *g = malloc(sizeof *g);
    gpu_hold *h = malloc(sizeof *h);
    AVFrame *ref = g && h ? av_frame_clone(f) : NULL;
    AVBufferRef *held = ref ? av_buffer_ref(v->gpu_held) : NULL;
    if (!held) {
        av_frame_free(&ref);
        free(h);
        free(g);
        return drt_error(DRT_STATUS_OOM, "%s: frame %lld: out of memory", v->url, (long long)v->next_index);
    }
    atomic_fetch_add((atomic_int *)held->data, 1);
    *h = (gpu_hold){.frame = ref, .held = held};
    *g = (drt_nv12_gpu){.w = f->width, .h = f->height, .gpu = v->gpu, .y = ref->data[0], .uv = ref->data[1],
                        .y_pitch = (size_t)ref->linesize[0], .uv_pitch = (size_t)ref->linesize[1], .sws = v->gpu_sws,
                        .release = release_gpu_frame, .owner = h};
    stamp(v, f, f->width, f->height, out);
    *gpu_out = g;
    return DRT_OK;
}

drt_status drt_video_set_output_size(drt_video *v, int w, int h)
{
    DRT_ARG(v, "video");
    if ((w || h) && (w < 1 || h < 1 || w > 16384 || h > 16384))
        return drt_error(DRT_STATUS_INVALID_ARG, "%s: output size %dx%d: must be 1..16384 each, or 0x0", v->url, w, h);
    v->out_w = w;
    v->out_h = h;
    return DRT_OK;
}

/* At the end: a live stream that went silent or broke off failed; a file with fewer frames than its container
 * lists was cut short. */
static drt_status check_complete(drt_video *v)
{
    if (v->stopped) return read_error(v, AVERROR_EXIT, "");
    char why[320];
    if (v->broken)
        return drt_error(DRT_STATUS_IO, "%s: after frame %lld: the stream broke off: %s", v->url,
                         (long long)v->next_index - 1, drt_video_av_error(v->broken, why, sizeof why));
    int64_t listed = v->fmt->streams[v->stream]->nb_frames;
    if (v->live || listed <= 0 || v->next_index >= listed) return DRT_OK;
    return drt_error(DRT_STATUS_FORMAT, "%s: frame %lld: truncated: the container lists %lld frames", v->url,
                     (long long)v->next_index, (long long)listed);
}

/* Feeds the decoder one packet of the video stream (or the end). Returns an FFmpeg code. */
static int feed_decoder(drt_video *v)
{
    for (;;) {
        v->deadline = v->live ? now_s() + v->timeout_s : 0;
        int ret = av_read_frame(v->fmt, v->pkt);
        if (ret == AVERROR_EOF || (ret < 0 && avio_feof(v->fmt->pb) && !v->live)) {
            v->draining = 1;
            return avcodec_send_packet(v->dec, NULL);
        }
        if (ret == AVERROR_EXIT && v->live) { /* silent too long: the frames still in the decoder first */
            v->stopped = v->draining = 1;
            return avcodec_send_packet(v->dec, NULL);
        }
        /* A live stream's connection lost (an SRT listener's close too: libsrt tells it as EIO, like a
         * broken link): the frames still in the decoder first, then the error. */
        if (ret < 0 && ret != AVERROR(EAGAIN) && v->live) {
            v->broken = ret;
            v->draining = 1;
            return avcodec_send_packet(v->dec, NULL);
        }
        if (ret < 0) return ret;
        /* A live stream joined mid-way starts at its next keyframe. */
        int skip = v->pkt->stream_index != v->stream || (v->live && !v->started && !(v->pkt->flags & AV_PKT_FLAG_KEY));
        if (!skip) {
            v->started = 1;
            ret = avcodec_send_packet(v->dec, v->pkt);
        }
        av_packet_unref(v->pkt);
        if (!skip) return ret == AVERROR(EAGAIN) ? 0 : ret;
    }
}

drt_status drt_video_read(drt_video *v, drt_video_frame *out) { return drt_video_read_gpu(v, out, NULL); }

drt_status drt_video_read_gpu(drt_video *v, drt_video_frame *out, drt_nv12_gpu **gpu_out)
{
    if (gpu_out) *gpu_out = NULL;
    DRT_ARG(out, "frame");
    memset(out, 0, sizeof *out);
    DRT_ARG(v, "video");
    drt_video_log_take();
    for (;;) {
        int ret = avcodec_receive_frame(v->dec, v->frame);
        if (ret == 0) {
            int bad = (v->frame->flags & AV_FRAME_FLAG_CORRUPT) || v->frame->decode_error_flags;
            drt_status s = bad && !v->live ? drt_error(DRT_STATUS_FORMAT, "%s: frame %lld: corrupt data", v->url,
                                                       (long long)v->next_index)
                           : gpu_out && v->gpu_frames && gpu_ok(v, v->frame) && !gpu_hold_full(v) ? to_gpu(v, out, gpu_out)
                                                            : to_rgb(v, out);
            av_frame_unref(v->frame);
            return s;
        }
        if (ret == AVERROR_EOF) return check_complete(v);
        if (ret != AVERROR(EAGAIN)) return read_error(v, ret, "cannot decode");
        if (v->draining) return check_complete(v);
        reserve_surfaces(v, gpu_out != NULL);
        ret = feed_decoder(v);
        if (ret < 0 && ret != AVERROR_EOF)
            return read_error(v, ret, ret == AVERROR_INVALIDDATA || v->draining ? "cannot decode" : "cannot read");
    }
}

drt_video_info drt_video_get_info(const drt_video *v)
{
    DRT_ARG_OR(v, "video", (drt_video_info){0});
    const AVStream *st = v->fmt->streams[v->stream];
    AVRational r = st->avg_frame_rate.num ? st->avg_frame_rate : st->r_frame_rate;
    drt_video_info info = {.w = v->dec->width, .h = v->dec->height, .fps = r.num && r.den ? av_q2d(r) : 0,
                           .frames = st->nb_frames, .live = v->live, .codec = v->dec->codec->name,
                           .hwaccel = v->dec->hw_device_ctx != NULL};
    return info;
}

void drt_video_free(drt_video *v)
{
    if (!v) return;
    sws_freeContext(v->sws);
    av_frame_free(&v->frame);
    av_frame_free(&v->host);
    av_packet_free(&v->pkt);
    avcodec_free_context(&v->dec);
    avformat_close_input(&v->fmt);
    av_buffer_unref(&v->hw);
    av_buffer_unref(&v->gpu_held);
    free(v->rgb);
    free(v->chroma);
    free(v->url);
    free(v);
}
