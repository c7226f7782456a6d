/* libdarkrt-video.so's one export: the FFmpeg video functions for the library that loads it. */
#include "video/video-calls.h"
#include "core/module.h"

static const drt_video_calls calls = {
    drt_video_opts_default, drt_video_open, drt_video_read, drt_video_read_gpu, drt_video_get_info, drt_video_set_output_size, drt_video_free,
    drt_video_writer_open, drt_video_writer_write, drt_video_writer_close, drt_video_writer_abort,
};

DRT_MODULE_ENTRY const void *drt_module_video(const drt_module_host *host)
{
    return drt_module_attach(host) ? &calls : NULL;
}
