/* Run states of a CUDA engine: the stream, cuDNN handle, activation arena, workspace, input and
 * head buffers and captured graphs that one run at a time uses. The engine's own (g->own) and each
 * drt_context's are made the same way over the engine's read-only compiled state (ops, weights,
 * chosen algorithms): no algorithm is searched or timed and no weight copied. cuDNN execution
 * plans are not safe to share across threads, so a context rebuilds its own from the cuDNN JSON the
 * engine kept (no heuristics, timing or kernel compilation). */
#include "backend/cuda/cuda-internal.h"

#include <stdlib.h>
#include <string.h>

drt_status drt_cuda_run_open(const cu_engine *g, cu_run *r)
{
    (void)g;
    DRT_CUDA_TRY(cudaStreamCreateWithFlags(&r->stream, cudaStreamNonBlocking));
    DRT_CUDNN_TRY(cudnnCreate(&r->dnn));
    DRT_CUDNN_TRY(cudnnSetStream(r->dnn, r->stream));
    return DRT_OK;
}

drt_status drt_cuda_run_alloc(const drt_engine *e, const cu_engine *g, cu_run *r, float *const *heads)
{
    const drt_model *m = e->model;
    size_t in_bytes = (size_t)g->max_batch * m->channels * m->height * m->width * sizeof(float);
    DRT_CUDA_TRY(cudaMalloc(&r->arena, g->arena_bytes ? g->arena_bytes : 256));
    /* measured on data, never on zeros: algorithm search reads the arena */
    DRT_CUDA_TRY(cudaMemset(r->arena, 0x3c, g->arena_bytes ? g->arena_bytes : 256));
    DRT_CUDA_TRY(cudaMalloc((void **)&r->d_in, in_bytes));
    DRT_CUDA_TRY(cudaHostAlloc((void **)&r->h_in, in_bytes, cudaHostAllocDefault));
    memset(r->h_in, 0, in_bytes);
    for (int h = 0; h < e->n_heads; h++) {
        r->heads[h] = heads[h];
        DRT_CUDA_TRY(cudaMalloc((void **)&r->d_heads[h], g->head_item[h] * g->max_batch * sizeof(float)));
    }
    r->heads_registered = 1;
    for (int h = 0; h < e->n_heads; h++) /* page-locked heads: the graph copies straight into them */
        if (cudaHostRegister(r->heads[h], g->head_item[h] * g->max_batch * sizeof(float), cudaHostRegisterDefault) != cudaSuccess) {
            cudaGetLastError();
            for (int k = 0; k < h; k++) cudaHostUnregister(r->heads[k]);
            r->heads_registered = 0;
            break;
        }
    return DRT_OK;
}

void drt_cuda_bind_free(const cu_engine *g, cu_bind *b)
{
    if (b->exec) cudaGraphExecDestroy(b->exec);
    for (int i = 0; i < 3; i++)
        if (b->exec_part[i]) cudaGraphExecDestroy(b->exec_part[i]);
    for (int i = 0; b->vpack && i < g->n_convs; i++)
        if (b->vpack[i]) cudnnBackendDestroyDescriptor(b->vpack[i]);
    for (int i = 0; b->own_plans && b->plan && i < g->n_convs; i++) {
        int first = b->plan[i] != NULL; /* shared plans (same problem) are destroyed once */
        for (int j = 0; first && j < i; j++) first = b->plan[j] != b->plan[i];
        if (first) cudnnBackendDestroyDescriptor(b->plan[i]);
    }
    if (b->own_plans) free(b->plan);
    free(b->vpack);
    memset(b, 0, sizeof *b);
}

/* r's execution plans of g->ctx[k]: the engine's own run state uses the ones chosen on it; others
 * rebuild theirs, once per distinct problem as the engine shared them. */
static drt_status bind_plans(const cu_engine *g, cu_run *r, int k, cu_bind *b, int n)
{
    const cu_ctx *c = &g->ctx[k];
    if (r == &g->own) {
        b->plan = c->plan;
        return DRT_OK;
    }
    b->own_plans = 1;
    if (!(b->plan = calloc((size_t)n, sizeof *b->plan))) return drt_error(DRT_STATUS_OOM, "cuda: out of memory");
    for (int i = 0; i < g->n_convs; i++) {
        if (c->plan_shared[i]) {
            for (int j = 0; j < i && !b->plan[i]; j++)
                if (c->plan[j] == c->plan[i]) b->plan[i] = b->plan[j];
            if (b->plan[i]) continue;
        }
        DRT_TRY(drt_cuda_fused_rebuild(g, c, i, r->dnn, &b->plan[i]));
    }
    return DRT_OK;
}

drt_status drt_cuda_bind(const drt_engine *e, const cu_engine *g, cu_run *r, int k, cu_bind **out)
{
    cu_bind *b = &r->bind[k];
    *out = b;
    if (b->batch) return DRT_OK;
    int n = g->n_convs ? g->n_convs : 1;
    if (!(b->vpack = calloc((size_t)n, sizeof *b->vpack))) return drt_error(DRT_STATUS_OOM, "cuda: out of memory");
    drt_status s = bind_plans(g, r, k, b, n);
    for (int i = 0; s == DRT_OK && i < g->n_convs; i++)
        if (b->plan[i]) s = drt_cuda_fused_bind(g, &g->ctx[k], r, b, i);
    if (s == DRT_OK) b->batch = g->ctx[k].batch;
    if (s == DRT_OK && g->use_graph) s = drt_cuda_capture(e, g, r, k, CU_COPY_ALL, &b->exec);
    if (s != DRT_OK) drt_cuda_bind_free(g, b);
    return s;
}

void drt_cuda_run_free(const drt_engine *e, const cu_engine *g, cu_run *r)
{
    if (r->stream) cudaStreamSynchronize(r->stream);
    drt_cuda_stage_buffers_free(r);
    for (int k = 0; k < CU_MAX_CTX; k++) drt_cuda_bind_free(g, &r->bind[k]);
    if (r->heads_registered)
        for (int h = 0; h < e->n_heads; h++) cudaHostUnregister(r->heads[h]);
    for (int h = 0; h < DRT_MAX_HEADS; h++) cudaFree(r->d_heads[h]);
    cudaFree(r->d_in);
    cudaFree(r->arena);
    cudaFree(r->ws);
    if (r->h_in) cudaFreeHost(r->h_in);
    if (r->dnn) cudnnDestroy(r->dnn);
    if (r->stream) cudaStreamDestroy(r->stream);
    memset(r, 0, sizeof *r);
}

drt_status drt_cuda_run_create(const drt_engine *e, const cu_engine *g, float *const *heads, cu_run **out)
{
    *out = NULL;
    cu_run *r = calloc(1, sizeof *r);
    if (!r) return drt_error(DRT_STATUS_OOM, "cuda: out of memory");
    cu_bind *b;
    drt_status s = drt_cuda_run_open(g, r);
    if (s == DRT_OK) s = drt_cuda_run_alloc(e, g, r, heads);
    if (s == DRT_OK && g->ws_bytes && cudaMalloc(&r->ws, g->ws_bytes) != cudaSuccess && cudaGetLastError() != cudaSuccess)
        s = drt_error(DRT_STATUS_OOM, "cuda: no device memory for a context's %zu-byte workspace", g->ws_bytes);
    if (s == DRT_OK) s = drt_cuda_bind(e, g, r, 0, &b);
    if (s == DRT_OK) s = cudaStreamSynchronize(r->stream) == cudaSuccess ? DRT_OK
                          : drt_error(DRT_STATUS_CUDA, "cuda: a new context's stream failed");
    if (s != DRT_OK) {
        drt_cuda_run_free(e, g, r);
        free(r);
        return s;
    }
    *out = r;
    return DRT_OK;
}
