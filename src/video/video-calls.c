/* The public video API in libdarkrt: each call goes to libdarkrt-video.so (FFmpeg), loaded by the
 * first video source or writer opened, so that programs reading images never load FFmpeg. */
#include "video/video-calls.h"
#include "core/error.h"
#include "core/module.h"

static const drt_video_calls *calls(void)
{
    const void *table;
    return drt_module_load("video", "video support (FFmpeg)", &table) == DRT_OK ? table : NULL;
}

drt_video_opts drt_video_opts_default(void)
{
    const drt_video_calls *c = calls();
    return c ? c->opts_default() : (drt_video_opts){.size = sizeof(drt_video_opts)}; /* zeros are defaults */
}

drt_status drt_video_open(const char *url, const drt_video_opts *opts, drt_video **video_out)
{
    const drt_video_calls *c = calls();
    if (!c) {
        if (video_out) *video_out = NULL;
        drt_error_prefix("%s", url ? url : "video");
        return DRT_STATUS_UNSUPPORTED;
    }
    return c->open(url, opts, video_out);
}

drt_status drt_video_writer_open(const char *path, int w, int h, double fps, drt_video_writer **writer_out)
{
    const drt_video_calls *c = calls();
    if (!c) {
        if (writer_out) *writer_out = NULL;
        drt_error_prefix("%s", path ? path : "video writer");
        return DRT_STATUS_UNSUPPORTED;
    }
    return c->writer_open(path, w, h, fps, writer_out);
}

/* The rest take objects made by the two above: the module is loaded by then. */
drt_status drt_video_read(drt_video *video, drt_video_frame *frame)
{
    DRT_ARG(video, "video");
    return calls()->read(video, frame);
}

drt_status drt_video_read_gpu(drt_video *video, drt_video_frame *frame, drt_nv12_gpu **gpu_out)
{
    if (gpu_out) *gpu_out = NULL;
    DRT_ARG(video, "video");
    return calls()->read_gpu(video, frame, gpu_out);
}

drt_video_info drt_video_get_info(const drt_video *video)
{
    DRT_ARG_OR(video, "video", (drt_video_info){0});
    return calls()->get_info(video);
}

drt_status drt_video_set_output_size(drt_video *video, int w, int h)
{
    DRT_ARG(video, "video");
    return calls()->set_output_size(video, w, h);
}

void drt_video_free(drt_video *video)
{
    if (video) calls()->free(video);
}

drt_status drt_video_writer_write(drt_video_writer *writer, const unsigned char *rgb, size_t stride, double pts)
{
    DRT_ARG(writer, "writer");
    return calls()->writer_write(writer, rgb, stride, pts);
}

drt_status drt_video_writer_close(drt_video_writer *writer)
{
    DRT_ARG(writer, "writer");
    return calls()->writer_close(writer);
}

void drt_video_writer_abort(drt_video_writer *writer)
{
    if (writer) calls()->writer_abort(writer);
}
