/* 8-bit frames into the device input (drt_device_stages.preprocess_frame): each frame's rows are
 * packed into pinned staging, copied to the device asynchronously (the copy of one item overlaps
 * the packing of the next) and letterboxed there from the bytes (letterbox.cu), so 3 bytes a pixel
 * cross the bus instead of 12 and the network input is the host path's bit for bit. Frames whose
 * bytes are page-locked already (the pipeline's workers decode into drt_cuda_host_alloc's blocks)
 * are copied from where they are, without waiting for the last batch's copies: only a frame packed
 * into the host staging waits for them (H200 call C: 3.1 ms of staging a batch of 32 page-locked
 * frames, of which the CUDA calls should take ~0.6 ms: the rest, by estimate, that wait). NV12 is turned
 * into RGB8 on the host first (drt_frame_to_rgb8: the bytes the host path sees). NVDEC frames left on
 * the GPU (DRT_PIXEL_NV12_GPU) are letterboxed from where they are (letterbox.cu: NV12 converted
 * as libswscale would on the host path). The staging of a
 * batch is reused by the next one once its copies are done (an event), and grows when a batch
 * needs more. Each run state (the engine's own, each context's) has its staging and stream: the
 * device stages' ctx picks it. */
#include "backend/cuda/cuda-internal.h"
#include "vision/vision.h"

#include <string.h>

#define STAGE_MIN ((size_t)16 << 20)

static size_t align256(size_t n) { return (n + 255) & ~(size_t)255; }

void drt_cuda_frames_free(cu_run *r)
{
    cu_stage *t = &r->st;
    if (t->frame_ev) cudaEventDestroy(t->frame_ev);
    if (t->h_frames) cudaFreeHost(t->h_frames);
    cudaFree(t->d_frames);
    t->frame_ev = NULL;
    t->h_frames = t->d_frames = NULL;
    t->frame_cap = t->frame_used = 0;
}

cu_run *drt_cuda_run_of(cu_engine *g, drt_context *ctx)
{
    return ctx ? drt_context_state(ctx) : &g->own;
}

/* Room for `need` more bytes in this batch's staging of r; reallocates (after r's stream's work is
 * done: earlier items' copies and kernels read the old buffers) when it is too small. */
static drt_status stage_room(cu_run *r, size_t need)
{
    cu_stage *t = &r->st;
    if (!t->frame_ev) DRT_CUDA_TRY(cudaEventCreateWithFlags(&t->frame_ev, cudaEventDisableTiming));
    if (t->frame_used + need <= t->frame_cap) return DRT_OK;
    DRT_CUDA_TRY(cudaStreamSynchronize(r->stream));
    t->frame_used = 0;
    if (need <= t->frame_cap) return DRT_OK;
    size_t cap = t->frame_cap * 2 > need ? t->frame_cap * 2 : need;
    if (cap < STAGE_MIN) cap = STAGE_MIN;
    if (t->h_frames) cudaFreeHost(t->h_frames);
    cudaFree(t->d_frames);
    t->h_frames = t->d_frames = NULL;
    t->frame_cap = 0;
    DRT_CUDA_TRY(cudaHostAlloc((void **)&t->h_frames, cap, cudaHostAllocDefault));
    DRT_CUDA_TRY(cudaMalloc((void **)&t->d_frames, cap));
    t->frame_cap = cap;
    return DRT_OK;
}

drt_status drt_cuda_letterbox_u8(drt_engine *e, cu_run *r, const unsigned char *d, int w, int h, int bgr, int item,
                                 drt_resize mode)
{
    const drt_model *m = e->model;
    int new_w = m->width, new_h = m->height;
    if (mode == DRT_RESIZE_LETTERBOX) drt_letterbox_size(w, h, m->width, m->height, &new_w, &new_h);
    float *dst = r->d_in + (size_t)item * 3 * m->height * m->width;
    DRT_CUDA_TRY(drt_k_letterbox_u8(d, (long)w * 3, bgr, h, w, dst, m->height, m->width, new_w, new_h,
                                    (m->width - new_w) / 2, (m->height - new_h) / 2, drt_darknet_resize_scale(w, new_w),
                                    drt_darknet_resize_scale(h, new_h), r->stream));
    return DRT_OK;
}

/* Whether the bytes at p are page-locked (drt_cuda_host_alloc's, or any the caller pinned): the
 * copy engine reads them directly, with no pass through the staging. */
static int is_pinned(const void *p)
{
    struct cudaPointerAttributes a;
    if (cudaPointerGetAttributes(&a, p) != cudaSuccess) {
        cudaGetLastError();
        return 0;
    }
    return a.type == cudaMemoryTypeHost;
}

/* Copies an RGB8/BGR8 frame (any stride) up, packed tight (through the pinned staging unless its
 * bytes are pinned and tight already), and letterboxes it into batch item `item` of the device input.
 * A pinned frame must stay as it is until the batch has run (its copy is asynchronous). */
static drt_status upload_letterbox(drt_engine *e, cu_run *r, const drt_frame *f, int item, drt_resize mode)
{
    cu_stage *t = &r->st;
    size_t row = (size_t)f->w * 3, stride = f->stride ? f->stride : row, bytes = row * (size_t)f->h;
    if (item == 0 && t->frame_used) { /* a new batch: the host staging is written again once the last one's copies are done */
        t->frame_used = 0;
        t->frame_wait = 1;
    }
    DRT_TRY(stage_room(r, align256(bytes)));
    unsigned char *h = t->h_frames + t->frame_used, *d = t->d_frames + t->frame_used;
    const unsigned char *src = h;
    if (stride == row && is_pinned(f->data)) {
        src = f->data; /* copied from where it is: nothing to wait for (the device staging is reused in stream order) */
    } else {
        if (t->frame_wait) DRT_CUDA_TRY(cudaEventSynchronize(t->frame_ev)); /* the last batch's copies read h */
        t->frame_wait = 0;
        if (stride == row) memcpy(h, f->data, bytes);
        else
            for (int y = 0; y < f->h; y++) memcpy(h + row * (size_t)y, f->data + stride * (size_t)y, row);
    }
    DRT_CUDA_TRY(cudaMemcpyAsync(d, src, bytes, cudaMemcpyHostToDevice, r->stream));
    DRT_CUDA_TRY(cudaEventRecord(t->frame_ev, r->stream));
    t->frame_used += align256(bytes);
    return drt_cuda_letterbox_u8(e, r, d, f->w, f->h, f->format == DRT_PIXEL_BGR8, item, mode);
}

/* An NVDEC frame already on the device: letterboxed straight from its NV12 (no upload, no staging). */
static drt_status letterbox_nv12(drt_engine *e, const cu_engine *g, cu_run *r, const drt_nv12_gpu *f, int item, drt_resize mode)
{
    const drt_model *m = e->model;
    if (f->gpu != g->dev)
        return drt_error(DRT_STATUS_INVALID_ARG, "cuda preprocess: a frame decoded on GPU %d for an engine on GPU %d",
                         f->gpu, g->dev);
    int new_w = m->width, new_h = m->height;
    if (mode == DRT_RESIZE_LETTERBOX) drt_letterbox_size(f->w, f->h, m->width, m->height, &new_w, &new_h);
    float *dst = r->d_in + (size_t)item * 3 * m->height * m->width;
    DRT_CUDA_TRY(drt_k_letterbox_nv12(f->y, (long)f->y_pitch, f->uv, (long)f->uv_pitch, f->sws, f->h, f->w, dst, m->height,
                                      m->width, new_w, new_h, (m->width - new_w) / 2, (m->height - new_h) / 2,
                                      drt_darknet_resize_scale(f->w, new_w), drt_darknet_resize_scale(f->h, new_h),
                                      r->stream));
    return DRT_OK;
}

drt_status drt_cuda_preprocess_frame(drt_engine *e, drt_context *ctx, const drt_frame *f, int item, drt_resize mode)
{
    cu_engine *g = e->impl;
    cu_run *r = drt_cuda_run_of(g, ctx);
    const drt_model *m = e->model;
    if (m->channels != 3 || item < 0 || item >= g->max_batch || (unsigned)mode >= DRT_RESIZE_COUNT)
        return drt_error(DRT_STATUS_INVALID_ARG, "cuda preprocess: %d model channels (8-bit frames need 3), item %d "
                         "(max batch %d) or resize mode %d", m->channels, item, g->max_batch, (int)mode);
    if (f && f->format == DRT_PIXEL_NV12_GPU && f->data) {
        DRT_CUDA_TRY(cudaSetDevice(g->dev));
        return letterbox_nv12(e, g, r, (const drt_nv12_gpu *)f->data, item, mode);
    }
    DRT_TRY(drt_frame_check(f));
    DRT_CUDA_TRY(cudaSetDevice(g->dev));
    if (f->format != DRT_PIXEL_NV12) return upload_letterbox(e, r, f, item, mode);
    drt_frame rgb;
    DRT_TRY(drt_frame_to_rgb8(f, &rgb));
    drt_status s = upload_letterbox(e, r, &rgb, item, mode);
    drt_frame_release(&rgb);
    return s;
}
