/* Pre- and postprocessing on the GPU: Darknet's letterbox from the decoded image, the forward with
 * its input already on the device, YOLO decode and per-class NMS (yolo-post.cu), and the copy of
 * the survivors back. Each works on the run state its ctx names (the engine's own for NULL, else
 * the context's: its stream, input, heads and cu_stage buffers), so batches on two run states are
 * staged and run independently. Buffers are made on first use; the results are the host stages'
 * bit for bit. */
#include "backend/cuda/cuda-internal.h"
#include "core/timeline.h"
#include "vision/vision.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(drt_k_cand) == sizeof(drt_candidate) &&
                   offsetof(drt_k_cand, score) == offsetof(drt_candidate, score) &&
                   offsetof(drt_k_cand, class_id) == offsetof(drt_candidate, class_id) &&
                   offsetof(drt_k_cand, id) == offsetof(drt_candidate, id),
               "device candidates are copied into drt_candidates as they are");

/* Candidates per image copied with the first copy; an image with more gets a second one. */
#define FIRST_CANDS 64
#define POST_ROW (offsetof(drt_k_cands, items) + FIRST_CANDS * sizeof(drt_k_cand))

static drt_status ensure_post_buffers(const cu_engine *g, cu_stage *t)
{
    if (t->d_cands) return DRT_OK;
    size_t n = (size_t)g->max_batch;
    DRT_CUDA_TRY(cudaMalloc((void **)&t->d_cands, n * sizeof(drt_k_cands)));
    DRT_CUDA_TRY(cudaMalloc((void **)&t->d_kept, n * sizeof(drt_k_cands)));
    DRT_CUDA_TRY(cudaMalloc((void **)&t->d_maps, n * sizeof(drt_k_box_map)));
    DRT_CUDA_TRY(cudaHostAlloc((void **)&t->h_maps, n * sizeof(drt_k_box_map), cudaHostAllocDefault));
    DRT_CUDA_TRY(cudaHostAlloc((void **)&t->h_post, n * POST_ROW, cudaHostAllocDefault));
    return DRT_OK;
}

size_t drt_cuda_stages_bytes(const cu_engine *g)
{
    const cu_stage *t = &g->own.st;
    size_t n = (size_t)g->max_batch, post = 0;
    if (t->d_cands) post = n * (2 * sizeof(drt_k_cands) + sizeof(drt_k_box_map));
    return t->d_image_bytes + post + t->frame_cap;
}

void drt_cuda_stage_buffers_free(cu_run *r)
{
    cu_stage *t = &r->st;
    drt_cuda_frames_free(r);
    cudaFree(t->d_image);
    cudaFree(t->d_cands);
    cudaFree(t->d_kept);
    cudaFree(t->d_maps);
    if (t->h_maps) cudaFreeHost(t->h_maps);
    if (t->h_post) cudaFreeHost(t->h_post);
    memset(t, 0, sizeof *t);
}

void drt_cuda_stages_free(cu_engine *g)
{
    drt_cuda_stage_buffers_free(&g->own);
    drt_cuda_pinned_free(g);
    drt_cuda_nvjpeg_free(g);
    drt_timeline("cuda: free: nvJPEG closed");
}

static drt_status stage_preprocess(drt_engine *e, drt_context *ctx, const drt_image *im, int item, drt_resize mode)
{
    cu_engine *g = e->impl;
    cu_run *r = drt_cuda_run_of(g, ctx);
    cu_stage *t = &r->st;
    const drt_model *m = e->model;
    if (!im || !im->data || im->w < 1 || im->h < 1 || im->c != m->channels || item < 0 || item >= g->max_batch ||
        (unsigned)mode >= DRT_RESIZE_COUNT)
        return drt_error(DRT_STATUS_INVALID_ARG, "cuda preprocess: no image, %d channels (model: %d), item %d "
                         "(max batch %d) or resize mode %d", im ? im->c : 0, m->channels, item, g->max_batch, (int)mode);
    DRT_CUDA_TRY(cudaSetDevice(g->dev));
    size_t bytes = (size_t)im->c * im->h * im->w * sizeof(float);
    if (bytes > t->d_image_bytes) {
        cudaFree(t->d_image);
        t->d_image = NULL;
        t->d_image_bytes = 0;
        DRT_CUDA_TRY(cudaMalloc((void **)&t->d_image, bytes));
        t->d_image_bytes = bytes;
    }
    DRT_CUDA_TRY(cudaMemcpyAsync(t->d_image, im->data, bytes, cudaMemcpyHostToDevice, r->stream));
    int new_w = m->width, new_h = m->height;
    if (mode == DRT_RESIZE_LETTERBOX) drt_letterbox_size(im->w, im->h, m->width, m->height, &new_w, &new_h);
    float *dst = r->d_in + (size_t)item * m->channels * m->height * m->width;
    DRT_CUDA_TRY(drt_k_letterbox(t->d_image, im->c, im->h, im->w, dst, m->height, m->width, new_w, new_h,
                                 (m->width - new_w) / 2, (m->height - new_h) / 2,
                                 drt_darknet_resize_scale(im->w, new_w), drt_darknet_resize_scale(im->h, new_h),
                                 r->stream));
    DRT_CUDA_TRY(cudaStreamSynchronize(r->stream));
    return DRT_OK;
}

static drt_status stage_run(drt_engine *e, drt_context *ctx, const float *input, int batch, int heads_to_host)
{
    cu_engine *g = e->impl;
    cu_run *r = drt_cuda_run_of(g, ctx);
    const drt_model *m = e->model;
    DRT_CUDA_TRY(cudaSetDevice(g->dev));
    int k = drt_cuda_ctx_for_run(g, r, batch);
    if (k < 0) return drt_error(DRT_STATUS_INVALID_ARG, "cuda: batch %d: must be 1..%d", batch, g->max_batch);
    if (input) memcpy(r->h_in, input, (size_t)batch * m->channels * m->height * m->width * sizeof(float));
    DRT_TRY(drt_cuda_forward(e, g, r, k, batch, (input ? CU_COPY_IN : 0) | (heads_to_host == 1 ? CU_COPY_OUT : 0)));
    /* DRT_HEADS_DEVICE_ASYNC from the device's input: decode's copy waits for the forward, and the
     * host stages the next batch meanwhile (the stream keeps the order). */
    if (heads_to_host != DRT_HEADS_DEVICE_ASYNC || input || !g->async_runs) DRT_CUDA_TRY(cudaStreamSynchronize(r->stream));
    return DRT_OK;
}

/* The decode kernels of every head for n images of r's last run, then NMS when asked (on r's stream). h_maps
 * is written here while no copy reads it: the last decode on r was waited for (stage_decode). */
static drt_status enqueue_decode(drt_engine *e, const cu_engine *g, cu_run *r, int n, const int *wh, const drt_detect_opts *o,
                                 int nms)
{
    const drt_model *m = e->model;
    cu_stage *t = &r->st;
    for (int i = 0; i < n; i++) {
        drt_box_map b = drt_yolo_box_map(m->width, m->height, wh[2 * i], wh[2 * i + 1], o->resize);
        t->h_maps[i] = (drt_k_box_map){b.off_x, b.off_y, b.div_x, b.div_y, b.mul_w, b.mul_h, b.img_w, b.img_h};
    }
    DRT_CUDA_TRY(cudaMemcpyAsync(t->d_maps, t->h_maps, (size_t)n * sizeof(drt_k_box_map), cudaMemcpyHostToDevice,
                                 r->stream));
    DRT_CUDA_TRY(cudaMemset2DAsync(t->d_cands, sizeof(drt_k_cands), 0, 2 * sizeof(int), (size_t)n, r->stream));
    int id_base = 0;
    for (int h = 0; h < e->n_heads; h++) {
        drt_yolo_head hd;
        DRT_TRY(drt_engine_yolo_head(e, h, 0, &hd));
        drt_k_yolo_head k = {.data = r->d_heads[h], .item_floats = (long)g->head_item[h], .w = hd.w, .h = hd.h,
                             .n = hd.n, .classes = hd.classes, .new_coords = hd.new_coords,
                             .scale_x_y = hd.scale_x_y, .xy_bias = (float)(-0.5 * (hd.scale_x_y - 1)),
                             .id_base = id_base};
        memcpy(k.anchors, hd.anchors, sizeof k.anchors);
        float obj_cut = hd.new_coords ? o->thresh : drt_logit_floor(o->thresh);
        DRT_CUDA_TRY(drt_k_yolo_decode(&k, n, m->width, m->height, o->thresh, obj_cut, t->d_maps, t->d_cands, r->stream));
        id_base += hd.w * hd.h * hd.n;
    }
    if (nms) DRT_CUDA_TRY(drt_k_nms(t->d_cands, n, o->nms, t->d_kept, r->stream));
    return DRT_OK;
}

/* Image i's candidates from the first copy (and a second one past FIRST_CANDS) into c. */
static drt_status take_candidates(const cu_stage *t, const drt_k_cands *src, int i, int count, drt_candidates *c)
{
    if (count == 0) return DRT_OK;
    c->items = malloc((size_t)count * sizeof *c->items);
    if (!c->items) return drt_error(DRT_STATUS_OOM, "cuda decode: out of memory for %d boxes", count);
    c->cap = (size_t)count;
    const drt_k_cands *row = (const drt_k_cands *)(t->h_post + (size_t)i * POST_ROW);
    int first = count < FIRST_CANDS ? count : FIRST_CANDS;
    memcpy(c->items, row->items, (size_t)first * sizeof(drt_k_cand));
    if (count > first)
        DRT_CUDA_TRY(cudaMemcpy(c->items + first, src[i].items + first, (size_t)(count - first) * sizeof(drt_k_cand),
                                cudaMemcpyDeviceToHost));
    c->count = (size_t)count;
    return DRT_OK;
}

static drt_status stage_decode(drt_engine *e, drt_context *ctx, int n, const int *wh, const drt_detect_opts *o, int nms,
                               drt_candidates *cands, int *host)
{
    cu_engine *g = e->impl;
    cu_run *r = drt_cuda_run_of(g, ctx);
    cu_stage *t = &r->st;
    if (n < 1 || n > g->max_batch) return drt_error(DRT_STATUS_INVALID_ARG, "cuda decode: %d images", n);
    DRT_CUDA_TRY(cudaSetDevice(g->dev));
    DRT_TRY(ensure_post_buffers(g, t));
    DRT_TRY(enqueue_decode(e, g, r, n, wh, o, nms));
    const drt_k_cands *src = nms ? t->d_kept : t->d_cands;
    DRT_CUDA_TRY(cudaMemcpy2DAsync(t->h_post, POST_ROW, src, sizeof(drt_k_cands), POST_ROW, (size_t)n,
                                   cudaMemcpyDeviceToHost, r->stream));
    DRT_CUDA_TRY(cudaStreamSynchronize(r->stream));
    int heads_needed = 0;
    for (int i = 0; i < n; i++) {
        const drt_k_cands *row = (const drt_k_cands *)(t->h_post + (size_t)i * POST_ROW);
        int count = row->count;
        host[i] = count > DRT_K_CAND_CAP || count < 0 ? 1 : nms ? row->status : 0;
        if (host[i] == 1) {
            heads_needed = 1;
            continue;
        }
        DRT_TRY(take_candidates(t, src, i, count, &cands[i]));
    }
    if (heads_needed) /* too many candidates for the device's buffer: the host decodes from r's heads (e->heads or the context's) */
        for (int h = 0; h < e->n_heads; h++)
            DRT_CUDA_TRY(cudaMemcpy(r->heads[h], r->d_heads[h], (size_t)n * g->head_item[h] * sizeof(float),
                                    cudaMemcpyDeviceToHost));
    return DRT_OK;
}

const drt_device_stages drt_cuda_stages = {
    .preprocess = stage_preprocess,
    .preprocess_frame = drt_cuda_preprocess_frame,
    .run = stage_run,
    .decode = stage_decode,
    .host_alloc = drt_cuda_host_alloc,
    .host_free = drt_cuda_host_free,
    .preprocess_jpegs = drt_cuda_preprocess_jpegs,
    .decode_jpegs = drt_cuda_decode_jpegs,
    .open_jpeg_decoder = drt_cuda_open_jpeg_decoder,
    .close_jpeg_decoder = drt_cuda_close_jpeg_decoder,
    .jpeg_decoder_ready = drt_cuda_jpeg_decoder_ready,
    .prefetch_jpegs = drt_cuda_prefetch_jpegs,
};
