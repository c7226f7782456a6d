/* Annotated video out: RGB8 frames -> H.264 (libx264 through libavcodec) in mp4, written through
 * core/fileio's atomic file (the muxer writes and seeks the temporary; close renames it). */
#include "video/video-internal.h"
#include "core/error.h"
#include "core/fileio.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>

#define TIME_BASE 90000 /* ticks a second: mp4's usual video clock */
#define IO_BUFFER 65536

struct drt_video_writer {
    drt_atomic_file file;
    AVFormatContext *mux;
    AVCodecContext *enc;
    AVStream *st;
    AVFrame *yuv;
    AVPacket *pkt;
    struct SwsContext *sws;
    int w, h, header_written;
    int64_t last_pts;
};

static int write_io(void *opaque, uint8_t *buf, int n)
{
    drt_video_writer *vw = opaque;
    return fwrite(buf, 1, (size_t)n, vw->file.fp) == (size_t)n ? n : AVERROR(EIO);
}

static int64_t seek_io(void *opaque, int64_t offset, int whence)
{
    drt_video_writer *vw = opaque;
    if (whence & AVSEEK_SIZE) return -1;
    if (fseeko(vw->file.fp, (off_t)offset, whence & ~AVSEEK_FORCE) != 0) return AVERROR(EIO);
    return (int64_t)ftello(vw->file.fp);
}

static drt_status av_fail(drt_video_writer *vw, int ret, const char *what)
{
    char why[320];
    return drt_error(DRT_STATUS_IO, "%s: %s: %s", vw->file.final_path, what, drt_video_av_error(ret, why, sizeof why));
}

static drt_status open_encoder(drt_video_writer *vw, double fps)
{
    const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
    if (!codec) codec = avcodec_find_encoder(AV_CODEC_ID_H264);
    if (!codec) return drt_error(DRT_STATUS_UNSUPPORTED, "%s: this FFmpeg has no H.264 encoder", vw->file.final_path);
    AVCodecContext *c = vw->enc = avcodec_alloc_context3(codec);
    if (!c) return drt_error(DRT_STATUS_OOM, "%s: out of memory", vw->file.final_path);
    c->width = vw->w;
    c->height = vw->h;
    c->pix_fmt = AV_PIX_FMT_YUV420P;
    c->time_base = (AVRational){1, TIME_BASE};
    c->framerate = av_d2q(fps > 0 ? fps : 25, 100000);
    c->gop_size = (int)lround(fps > 0 ? 2 * fps : 50);
    if (vw->mux->oformat->flags & AVFMT_GLOBALHEADER) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    AVDictionary *o = NULL;
    av_dict_set(&o, "preset", "veryfast", 0); /* drawn boxes, not archival quality: keep up with detection */
    int ret = avcodec_open2(c, codec, &o);
    av_dict_free(&o);
    if (ret < 0) return av_fail(vw, ret, "cannot open the H.264 encoder");
    vw->st = avformat_new_stream(vw->mux, NULL);
    if (!vw->st || avcodec_parameters_from_context(vw->st->codecpar, c) < 0)
        return drt_error(DRT_STATUS_OOM, "%s: out of memory", vw->file.final_path);
    vw->st->time_base = c->time_base;
    vw->st->avg_frame_rate = c->framerate;
    vw->yuv = av_frame_alloc();
    vw->pkt = av_packet_alloc();
    if (!vw->yuv || !vw->pkt) return drt_error(DRT_STATUS_OOM, "%s: out of memory", vw->file.final_path);
    vw->yuv->format = c->pix_fmt;
    vw->yuv->width = c->width;
    vw->yuv->height = c->height;
    if (av_frame_get_buffer(vw->yuv, 0) < 0) return drt_error(DRT_STATUS_OOM, "%s: out of memory", vw->file.final_path);
    vw->sws = sws_getContext(vw->w, vw->h, AV_PIX_FMT_RGB24, vw->w, vw->h, AV_PIX_FMT_YUV420P, SWS_BICUBIC, NULL,
                             NULL, NULL);
    return vw->sws ? DRT_OK : drt_error(DRT_STATUS_INTERNAL, "%s: no RGB to YUV conversion", vw->file.final_path);
}

static drt_status open_muxer(drt_video_writer *vw)
{
    int ret = avformat_alloc_output_context2(&vw->mux, NULL, "mp4", NULL);
    if (ret < 0) return av_fail(vw, ret, "cannot set up the mp4 muxer");
    unsigned char *buf = av_malloc(IO_BUFFER);
    if (buf) vw->mux->pb = avio_alloc_context(buf, IO_BUFFER, 1, vw, NULL, write_io, seek_io);
    if (!vw->mux->pb) {
        av_free(buf);
        return drt_error(DRT_STATUS_OOM, "%s: out of memory", vw->file.final_path);
    }
    vw->mux->flags |= AVFMT_FLAG_CUSTOM_IO;
    return DRT_OK;
}

drt_status drt_video_writer_open(const char *path, int w, int h, double fps, drt_video_writer **writer_out)
{
    DRT_ARG(writer_out, "writer_out");
    *writer_out = NULL;
    DRT_ARG(path, "path");
    if (w < 2 || h < 2) return drt_error(DRT_STATUS_INVALID_ARG, "%s: %dx%d: frames need at least 2x2 pixels", path, w, h);
    drt_video_log_init();
    drt_video_writer *vw = calloc(1, sizeof *vw);
    if (!vw) return drt_error(DRT_STATUS_OOM, "%s: out of memory", path);
    vw->w = w & ~1;
    vw->h = h & ~1;
    vw->last_pts = -1;
    drt_status s = drt_atomic_open(&vw->file, path);
    if (s != DRT_OK) {
        free(vw);
        return s;
    }
    s = open_muxer(vw);
    if (s == DRT_OK) s = open_encoder(vw, fps);
    if (s == DRT_OK) {
        int ret = avformat_write_header(vw->mux, NULL);
        if (ret < 0) s = av_fail(vw, ret, "cannot write the mp4 header");
        vw->header_written = ret >= 0;
    }
    if (s != DRT_OK) {
        drt_video_writer_abort(vw);
        return s;
    }
    *writer_out = vw;
    return DRT_OK;
}

/* Sends a frame (or NULL: the end) to the encoder and muxes what comes out. */
static drt_status encode(drt_video_writer *vw, AVFrame *frame)
{
    int ret = avcodec_send_frame(vw->enc, frame);
    if (ret < 0) return av_fail(vw, ret, "cannot encode");
    for (;;) {
        ret = avcodec_receive_packet(vw->enc, vw->pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return DRT_OK;
        if (ret < 0) return av_fail(vw, ret, "cannot encode");
        av_packet_rescale_ts(vw->pkt, vw->enc->time_base, vw->st->time_base);
        vw->pkt->stream_index = vw->st->index;
        ret = av_interleaved_write_frame(vw->mux, vw->pkt);
        if (ret < 0) return av_fail(vw, ret, "cannot write");
    }
}

drt_status drt_video_writer_write(drt_video_writer *vw, const unsigned char *rgb, size_t stride, double pts)
{
    DRT_ARG(vw, "writer");
    DRT_ARG(rgb, "rgb");
    if (av_frame_make_writable(vw->yuv) < 0) return drt_error(DRT_STATUS_OOM, "%s: out of memory", vw->file.final_path);
    const uint8_t *src[4] = {rgb};
    int src_stride[4] = {(int)stride};
    sws_scale(vw->sws, src, src_stride, 0, vw->h, vw->yuv->data, vw->yuv->linesize);
    int64_t t = pts >= 0 ? llround(pts * TIME_BASE) : vw->last_pts + 1;
    vw->yuv->pts = t > vw->last_pts ? t : vw->last_pts + 1; /* strictly increasing, as the muxer needs */
    vw->last_pts = vw->yuv->pts;
    return encode(vw, vw->yuv);
}

static void release(drt_video_writer *vw)
{
    sws_freeContext(vw->sws);
    av_frame_free(&vw->yuv);
    av_packet_free(&vw->pkt);
    avcodec_free_context(&vw->enc);
    if (vw->mux) {
        if (vw->mux->pb) av_freep(&vw->mux->pb->buffer);
        avio_context_free(&vw->mux->pb);
        avformat_free_context(vw->mux);
    }
}

drt_status drt_video_writer_close(drt_video_writer *vw)
{
    DRT_ARG(vw, "writer");
    drt_status s = encode(vw, NULL);
    if (s == DRT_OK) {
        int ret = av_write_trailer(vw->mux);
        if (ret < 0) s = av_fail(vw, ret, "cannot finish the mp4");
        else avio_flush(vw->mux->pb);
    }
    if (s != DRT_OK) {
        drt_video_writer_abort(vw);
        return s;
    }
    release(vw);
    s = drt_atomic_commit(&vw->file);
    free(vw);
    return s;
}

void drt_video_writer_abort(drt_video_writer *vw)
{
    if (!vw) return;
    release(vw);
    drt_atomic_abort(&vw->file);
    free(vw);
}
