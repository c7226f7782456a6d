/* NVDEC's CUDA device: FFmpeg's CUDA device context over the GPU's primary context, the one CUDA's
 * runtime (darkrt's engine) uses, so decoded frames are device pointers in the engine's context.
 * FFmpeg's own primary_ctx=1 refuses a primary context the runtime has already started: it wants
 * CU_CTX_SCHED_BLOCKING_SYNC and the runtime's default is automatic scheduling ("Primary context
 * already active with incompatible flags", which av_hwdevice_ctx_create reports as "unknown error").
 * A context FFmpeg creates itself would cost hundreds of MiB per stream and hold pointers the
 * engine cannot read. So the context is retained here and handed to FFmpeg, whatever its flags. */
#include "video/video-internal.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

/* ffnvcodec's loader (the one FFmpeg uses) opens libcuda.so.1; its failures are reported here. */
#define FFNV_LOG_FUNC(logctx, msg, ...) ((void)(logctx))
#define FFNV_DEBUG_LOG_FUNC(logctx, msg, ...) ((void)(logctx))
#include <ffnvcodec/dynlink_loader.h>

#include <libavutil/hwcontext.h>
#include <libavutil/hwcontext_cuda.h>

static CudaFunctions *cu;
static CUresult init_result = CUDA_SUCCESS;

static void load_driver(void)
{
    if (cuda_load_functions(&cu, NULL) < 0) {
        cu = NULL;
        return;
    }
    init_result = cu->cuInit(0);
}

static const char *cu_text(CUresult r)
{
    const char *s = NULL;
    if (cu->cuGetErrorString(r, &s) != CUDA_SUCCESS || !s) s = "unknown CUDA error";
    return s;
}

/* What each source's device holds: the retained context and a stream of its own, so the sources'
 * frame copies neither wait for each other nor for the engine (the legacy default stream would). */
typedef struct {
    CUdevice dev;
    CUcontext ctx;
    CUstream stream;
} held;

static void release(AVHWDeviceContext *dc)
{
    held *h = dc->user_opaque;
    CUcontext dummy;
    if (h->stream && cu->cuCtxPushCurrent(h->ctx) == CUDA_SUCCESS) {
        cu->cuStreamDestroy(h->stream);
        cu->cuCtxPopCurrent(&dummy);
    }
    cu->cuDevicePrimaryCtxRelease(h->dev);
    av_free(h);
}

int drt_video_cuda_device(int gpu, AVBufferRef **device_out, char *why, size_t why_size)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, load_driver);
    *device_out = NULL;
    if (!cu) {
        snprintf(why, why_size, "cannot load libcuda.so.1 (the NVIDIA driver) or a function of it");
        return -1;
    }
    if (init_result != CUDA_SUCCESS) {
        snprintf(why, why_size, "cuInit: %s", cu_text(init_result));
        return -1;
    }
    held *h = av_mallocz(sizeof *h);
    if (!h) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    CUresult r = cu->cuDeviceGet(&h->dev, gpu);
    if (r != CUDA_SUCCESS) {
        av_free(h);
        snprintf(why, why_size, "cuDeviceGet(%d): %s", gpu, cu_text(r));
        return -1;
    }
    r = cu->cuDevicePrimaryCtxRetain(&h->ctx, h->dev);
    if (r != CUDA_SUCCESS) {
        av_free(h);
        snprintf(why, why_size, "cuDevicePrimaryCtxRetain(GPU %d): %s", gpu, cu_text(r));
        return -1;
    }
    AVBufferRef *ref = av_hwdevice_ctx_alloc(AV_HWDEVICE_TYPE_CUDA);
    if (!ref) {
        cu->cuDevicePrimaryCtxRelease(h->dev);
        av_free(h);
        snprintf(why, why_size, "this FFmpeg has no CUDA device type (built without ffnvcodec)");
        return -1;
    }
    AVHWDeviceContext *dc = (AVHWDeviceContext *)ref->data;
    dc->user_opaque = h;
    dc->free = release; /* from here on, unref releases what h holds */
    CUcontext dummy;
    if ((r = cu->cuCtxPushCurrent(h->ctx)) == CUDA_SUCCESS) {
        r = cu->cuStreamCreate(&h->stream, CU_STREAM_NON_BLOCKING);
        cu->cuCtxPopCurrent(&dummy);
    }
    if (r != CUDA_SUCCESS) {
        h->stream = NULL;
        av_buffer_unref(&ref);
        snprintf(why, why_size, "cuStreamCreate: %s", cu_text(r));
        return -1;
    }
    AVCUDADeviceContext *hc = dc->hwctx;
    hc->cuda_ctx = h->ctx;
    hc->stream = h->stream;
    int ret = av_hwdevice_ctx_init(ref);
    if (ret < 0) {
        drt_video_av_error(ret, why, why_size);
        av_buffer_unref(&ref);
        return ret;
    }
    *device_out = ref;
    return 0;
}

int drt_video_cuda_sync(AVBufferRef *device, char *why, size_t why_size)
{
    held *h = ((AVHWDeviceContext *)device->data)->user_opaque;
    CUcontext dummy;
    CUresult r = cu->cuCtxPushCurrent(h->ctx);
    if (r == CUDA_SUCCESS) {
        r = cu->cuStreamSynchronize(h->stream);
        cu->cuCtxPopCurrent(&dummy);
    }
    if (r == CUDA_SUCCESS) return 0;
    snprintf(why, why_size, "cuStreamSynchronize: %s", cu_text(r));
    return -1;
}
