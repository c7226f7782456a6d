/* One cu_ctx per batch size: tensor and convolution descriptors, convolution algorithms chosen by
 * measuring (cudnnFindConvolutionForwardAlgorithmEx) or read from a plan (fused convs: their
 * execution plans as cuDNN's JSON, nothing timed or compiled), searched on the engine's own run
 * state. An engine builds the max_batch one; smaller batches run in it (drt_cuda_ctx_for), never
 * re-planning. Read-only once built: every run state (cuda-run.c) shares it. */
#include "backend/cuda/cuda-internal.h"
#include "core/env-switch.h"
#include "core/log.h"
#include "core/timeline.h"

#include <stdlib.h>
#include <string.h>

#define FIND_WS_MAX ((size_t)512 << 20)

void drt_cuda_ctx_free(cu_ctx *c, int n_convs)
{
    for (int i = 0; c->plan && i < n_convs; i++)
        if (c->plan[i] && !c->plan_shared[i]) cudnnBackendDestroyDescriptor(c->plan[i]);
    for (int i = 0; c->json && i < n_convs; i++) free(c->json[i]);
    free(c->json);
    free(c->json_len);
    free(c->plan);
    free(c->plan_shared);
    free(c->from_json);
    free(c->sig);
    for (int i = 0; c->xdesc && i < n_convs; i++) {
        if (c->xdesc[i]) cudnnDestroyTensorDescriptor(c->xdesc[i]);
        if (c->ydesc && c->ydesc[i]) cudnnDestroyTensorDescriptor(c->ydesc[i]);
        if (c->cdesc && c->cdesc[i]) cudnnDestroyConvolutionDescriptor(c->cdesc[i]);
    }
    free(c->xdesc);
    free(c->ydesc);
    free(c->cdesc);
    free(c->algo);
    free(c->math);
    memset(c, 0, sizeof *c);
}

const cu_op *drt_cuda_conv_op(const cu_engine *g, int conv)
{
    for (int i = 0; i < g->n_ops; i++)
        if (g->ops[i].kind == CU_OP_CONV && g->ops[i].conv == conv) return &g->ops[i];
    return NULL;
}

/* Fastest successful result; among those within 3% of it, the one needing least workspace.
 * fp32 plans keep to FMA kernels (no TF32) so they match the reference. */
static int pick(const cu_engine *g, const cudnnConvolutionFwdAlgoPerf_t *p, int n)
{
    int best = -1;
    for (int pass = 0; pass < 2 && best < 0; pass++)
        for (int i = 0; i < n; i++) {
            if (p[i].status != CUDNN_STATUS_SUCCESS) continue;
            if (!g->half && pass == 0 && p[i].mathType != CUDNN_FMA_MATH) continue;
            if (best < 0 || p[i].time < p[best].time) best = i;
        }
    if (best < 0) return -1;
    int choice = best;
    for (int i = 0; i < n; i++)
        if (p[i].status == CUDNN_STATUS_SUCCESS && p[i].mathType == p[best].mathType &&
            p[i].time <= p[best].time * 1.03f && p[i].memory < p[choice].memory)
            choice = i;
    return choice;
}

static drt_status find_algo(cu_engine *g, cu_ctx *c, int i, void *ws, size_t ws_bytes)
{
    cu_conv *cv = &g->convs[i];
    const cu_op *op = drt_cuda_conv_op(g, i);
    if (!op) return drt_error(DRT_STATUS_INTERNAL, "cuda: conv %d has no op", i);
    void *arena = g->own.arena;
    void *x = drt_cuda_view_ptr(g, arena, &op->in);
    void *y = op->scratch >= 0 ? (unsigned char *)arena + g->bufs[op->scratch].offset : drt_cuda_view_ptr(g, arena, &op->out);
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int n = 0;
    DRT_CUDNN_TRY(cudnnSetConvolutionMathType(c->cdesc[i], g->half ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
    DRT_CUDNN_TRY(cudnnFindConvolutionForwardAlgorithmEx(g->own.dnn, c->xdesc[i], x, cv->wdesc, cv->w, c->cdesc[i],
                                                         c->ydesc[i], y, CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &n, perf,
                                                         ws, ws_bytes));
    int k = pick(g, perf, n);
    if (k < 0)
        return drt_error(DRT_STATUS_CUDA, "cuda: layer %d: cuDNN has no convolution algorithm for this shape", cv->layer);
    c->algo[i] = perf[k].algo;
    c->math[i] = perf[k].mathType;
    if (perf[k].memory > c->ws_needed) c->ws_needed = perf[k].memory;
    if (g->verbose)
        fprintf(drt_log_file(), "cuda: conv %d batch %d: algo %d math %d %.3f ms ws %zu\n", cv->layer, c->batch,
                (int)perf[k].algo, (int)perf[k].mathType, perf[k].time, perf[k].memory);
    return DRT_OK;
}

/* A plan's algorithm, if cuDNN still accepts it for this shape. */
static int use_stored(cu_engine *g, cu_ctx *c, int i)
{
    cu_conv *cv = &g->convs[i];
    if (cv->algo_max < 0 || cv->algo_max >= CU_ALGO_FUSED) return 0;
    size_t ws = 0;
    cudnnSetConvolutionMathType(c->cdesc[i], (cudnnMathType_t)cv->math_max);
    if (cudnnGetConvolutionForwardWorkspaceSize(g->own.dnn, c->xdesc[i], cv->wdesc, c->cdesc[i], c->ydesc[i],
                                                (cudnnConvolutionFwdAlgo_t)cv->algo_max, &ws) != CUDNN_STATUS_SUCCESS)
        return 0;
    if (g->own.ws && ws > g->ws_bytes) return 0;
    c->algo[i] = cv->algo_max;
    c->math[i] = cv->math_max;
    if (ws > c->ws_needed) c->ws_needed = ws;
    return 1;
}

static drt_status make_descs(cu_engine *g, cu_ctx *c)
{
    cudnnDataType_t dt = g->half ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT;
    for (int i = 0; i < g->n_convs; i++) {
        const cu_op *op = drt_cuda_conv_op(g, i);
        if (!op) return drt_error(DRT_STATUS_INTERNAL, "cuda: conv %d has no op", i);
        cu_conv *cv = &g->convs[i];
        DRT_TRY(drt_cuda_conv_desc(g, cv, &c->cdesc[i]));
        DRT_CUDNN_TRY(cudnnCreateTensorDescriptor(&c->xdesc[i]));
        DRT_CUDNN_TRY(cudnnSetTensor4dDescriptor(c->xdesc[i], CUDNN_TENSOR_NHWC, dt, c->batch, cv->cin, op->in.h, op->in.w));
        DRT_CUDNN_TRY(cudnnCreateTensorDescriptor(&c->ydesc[i]));
        DRT_CUDNN_TRY(cudnnSetTensor4dDescriptor(c->ydesc[i], CUDNN_TENSOR_NHWC, dt, c->batch, cv->k, op->out.h, op->out.w));
        int on, oc, oh, ow;
        DRT_CUDNN_TRY(cudnnGetConvolution2dForwardOutputDim(c->cdesc[i], c->xdesc[i], cv->wdesc, &on, &oc, &oh, &ow));
        if (oc != cv->k || oh != op->out.h || ow != op->out.w)
            return drt_error(DRT_STATUS_INTERNAL, "cuda: layer %d: cuDNN output %dx%dx%d, model says %dx%dx%d", cv->layer,
                             oc, oh, ow, cv->k, op->out.h, op->out.w);
    }
    return DRT_OK;
}

static drt_status choose_algos(cu_engine *g, cu_ctx *c, int primary)
{
    void *ws = g->own.ws;
    size_t ws_bytes = g->ws_bytes;
    if (primary) { /* the first context sizes the workspace: search with a large temporary one */
        size_t free_b = 0, total_b = 0;
        DRT_CUDA_TRY(cudaMemGetInfo(&free_b, &total_b));
        ws_bytes = FIND_WS_MAX < free_b / 4 ? FIND_WS_MAX : free_b / 4;
        DRT_CUDA_TRY(cudaMalloc(&ws, ws_bytes));
    }
    drt_status s = DRT_OK;
    int fused = g->half && drt_env_switch("DRT_CUDA_LEGACY", NULL) != 1; /* 1: cuDNN's legacy API only (comparisons) */
    cudnnBackendDescriptor_t *made = NULL; /* a load's stored plans, rebuilt on several threads */
    int64_t *need = NULL;
    if (fused && c->batch == g->max_batch) {
        drt_cuda_plans_json_start(g); /* started by build already, when it could */
        drt_cuda_plans_json_take(g, ws_bytes, &made, &need);
    }
    for (int i = 0; s == DRT_OK && i < g->n_convs; i++) {
        int stored = c->batch == g->max_batch ? g->convs[i].algo_max : -1;
        const cu_conv *cv = &g->convs[i];
        if (fused && drt_cuda_fused_share(g, c, i)) continue; /* one plan per distinct problem: loads finalize fewer */
        if (made && made[i]) {
            drt_cuda_fused_adopt(g, c, i, made[i], need[i], cv->json_len);
            made[i] = NULL;
            continue;
        }
        if (stored >= CU_ALGO_FUSED && cv->json && drt_cuda_fused_from_json(g, c, i, cv->json, cv->json_len, ws_bytes) == DRT_OK)
            continue;
        if (fused) {
            if (stored >= CU_ALGO_FUSED && drt_cuda_fused_choose(g, c, i, ws, ws_bytes, stored - CU_ALGO_FUSED) == DRT_OK)
                continue;
            if (drt_cuda_fused_choose(g, c, i, ws, ws_bytes, -1) == DRT_OK) continue;
        }
        if (g->convs[i].int8 || g->convs[i].out_q) { /* int8 in or out runs only as a fused graph (the compiler checked) */
            s = drt_error(DRT_STATUS_CUDA, "cuda: conv %d batch %d: cuDNN found no fused int8 engine that runs", g->convs[i].layer,
                          c->batch);
            break;
        }
        if (!(c->batch == g->max_batch && use_stored(g, c, i))) s = find_algo(g, c, i, ws, ws_bytes);
        else if (g->verbose)
            fprintf(drt_log_file(), "cuda: conv %d batch %d: legacy algo %d math %d (from the plan)\n", g->convs[i].layer,
                    c->batch, c->algo[i], c->math[i]);
    }
    for (int i = 0; made && i < g->n_convs; i++) /* shared after all */
        if (made[i]) cudnnBackendDestroyDescriptor(made[i]);
    free(made);
    free(need);
    if (primary) {
        cudaFree(ws);
        if (s == DRT_OK && c->ws_needed) {
            DRT_CUDA_TRY(cudaMalloc(&g->own.ws, c->ws_needed));
            g->ws_bytes = c->ws_needed;
        }
    }
    for (int i = 0; s == DRT_OK && i < g->n_convs; i++) /* the legacy convs' descriptors as they run */
        if (!c->plan[i]) DRT_CUDNN_TRY(cudnnSetConvolutionMathType(c->cdesc[i], (cudnnMathType_t)c->math[i]));
    return s;
}

/* The max_batch context's fused plans as cuDNN's JSON, from which contexts rebuild their own. */
static drt_status keep_json(cu_engine *g, cu_ctx *c)
{
    int n = g->n_convs ? g->n_convs : 1;
    c->json = calloc((size_t)n, sizeof *c->json);
    c->json_len = calloc((size_t)n, sizeof *c->json_len);
    if (!c->json || !c->json_len) return drt_error(DRT_STATUS_OOM, "cuda: out of memory");
    for (int i = 0; i < g->n_convs; i++) {
        if (!c->plan[i] || c->plan_shared[i]) continue;
        const cu_conv *cv = &g->convs[i];
        if (c->from_json[i] && cv->json) { /* the loaded plan's own text: cuDNN need not write it again */
            if (!(c->json[i] = malloc(cv->json_len))) return drt_error(DRT_STATUS_OOM, "cuda: out of memory");
            memcpy(c->json[i], cv->json, cv->json_len);
            c->json_len[i] = cv->json_len;
        } else DRT_TRY(drt_cuda_fused_json(c, i, &c->json[i], &c->json_len[i]));
    }
    return DRT_OK;
}

/* Another thread's call that synchronizes the context (NVDEC decoders being made or freed by FFmpeg's
 * threads, a cudaFree) invalidates a capture in progress whatever its mode: the capture is tried again
 * (three times), with the thread's sticky error cleared, so that the next launch does not report it; after
 * that *exec_out stays NULL and the caller runs the ops without a graph (every caller has that path), to
 * capture again on a later run. */
#define CAPTURE_TRIES 3

drt_status drt_cuda_capture(const drt_engine *e, const cu_engine *g, cu_run *r, int k, int copies, cudaGraphExec_t *exec_out)
{
    cudaGraph_t graph = NULL;
    for (int attempt = 1;; attempt++) {
        DRT_CUDA_TRY(cudaStreamBeginCapture(r->stream, cudaStreamCaptureModeThreadLocal));
        drt_status s = drt_cuda_enqueue_ops(e, g, r, k, 0, g->n_ops, copies);
        cudaError_t ce = cudaStreamEndCapture(r->stream, &graph);
        if (s == DRT_OK && ce == cudaSuccess) break;
        if (graph) cudaGraphDestroy(graph);
        graph = NULL;
        cudaError_t sticky = cudaGetLastError(); /* read and cleared, whatever ce says */
        int invalidated = ce == cudaErrorStreamCaptureInvalidated || sticky == cudaErrorStreamCaptureInvalidated;
        if (!invalidated) return s != DRT_OK ? s : drt_cuda_fail_rt(ce, "cudaStreamEndCapture(forward)", __FILE__, __LINE__);
        if (attempt == CAPTURE_TRIES) {
            drt_timeline("cuda: batch %d: capture invalidated %d times: this run without a graph", g->ctx[k].batch, attempt);
            *exec_out = NULL;
            return DRT_OK;
        }
        drt_timeline("cuda: batch %d: capture invalidated by another thread, try %d", g->ctx[k].batch, attempt + 1);
    }
    cudaError_t ce = cudaGraphInstantiate(exec_out, graph, 0);
    cudaGraphDestroy(graph);
    if (ce != cudaSuccess) return drt_cuda_fail_rt(ce, "cudaGraphInstantiate(forward)", __FILE__, __LINE__);
    return DRT_OK;
}

static drt_status build_ctx(cu_engine *g, cu_ctx *c, int batch)
{
    int n = g->n_convs ? g->n_convs : 1;
    c->batch = batch;
    c->xdesc = calloc((size_t)n, sizeof *c->xdesc);
    c->ydesc = calloc((size_t)n, sizeof *c->ydesc);
    c->cdesc = calloc((size_t)n, sizeof *c->cdesc);
    c->algo = calloc((size_t)n, sizeof(int));
    c->math = calloc((size_t)n, sizeof(int));
    c->plan = calloc((size_t)n, sizeof *c->plan);
    c->sig = calloc((size_t)n * CU_SIG_LEN, sizeof(int));
    c->plan_shared = calloc((size_t)n, 1);
    c->from_json = calloc((size_t)n, 1);
    if (!c->xdesc || !c->ydesc || !c->cdesc || !c->algo || !c->math || !c->plan || !c->sig || !c->plan_shared || !c->from_json)
        return drt_error(DRT_STATUS_OOM, "cuda: out of memory");
    DRT_TRY(make_descs(g, c));
    drt_timeline("cuda: batch %d: descriptors made", batch);
    DRT_TRY(choose_algos(g, c, g->n_ctx == 0 && !g->own.ws));
    drt_timeline("cuda: batch %d: algorithms and plans chosen", batch);
    if (batch == g->max_batch) DRT_TRY(keep_json(g, c));
    drt_timeline("cuda: batch %d: convs planned", batch);
    return DRT_OK;
}

int drt_cuda_ctx_for(const cu_engine *g, int batch)
{
    int best = -1;
    for (int i = 0; i < g->n_ctx; i++)
        if (g->ctx[i].batch >= batch && (best < 0 || g->ctx[i].batch < g->ctx[best].batch)) best = i;
    return batch >= 1 ? best : -1;
}

int drt_cuda_ctx_for_run(const cu_engine *g, const cu_run *r, int batch)
{
    if (r == &g->own) return drt_cuda_ctx_for(g, batch);
    return batch >= 1 && batch <= g->max_batch ? 0 : -1;
}

drt_status drt_cuda_ctx_get(drt_engine *e, cu_engine *g, int batch, int *out)
{
    *out = -1;
    for (int i = 0; i < g->n_ctx; i++)
        if (g->ctx[i].batch == batch) {
            *out = i;
            return DRT_OK;
        }
    if (g->n_ctx == CU_MAX_CTX) { /* drop the oldest non-primary context (only the engine's run binds it) */
        drt_cuda_bind_free(g, &g->own.bind[1]);
        drt_cuda_ctx_free(&g->ctx[1], g->n_convs);
        memmove(&g->ctx[1], &g->ctx[2], sizeof(cu_ctx) * (CU_MAX_CTX - 2));
        memmove(&g->own.bind[1], &g->own.bind[2], sizeof(cu_bind) * (CU_MAX_CTX - 2));
        memset(&g->ctx[CU_MAX_CTX - 1], 0, sizeof(cu_ctx));
        memset(&g->own.bind[CU_MAX_CTX - 1], 0, sizeof(cu_bind));
        g->n_ctx--;
    }
    int k = g->n_ctx;
    drt_status s = build_ctx(g, &g->ctx[k], batch);
    if (s != DRT_OK) {
        drt_cuda_ctx_free(&g->ctx[k], g->n_convs);
        return s;
    }
    g->n_ctx++;
    cu_bind *b;
    pthread_mutex_lock(g->runs_lock);
    s = drt_cuda_bind(e, g, &g->own, k, &b);
    pthread_mutex_unlock(g->runs_lock);
    if (s != DRT_OK) {
        drt_cuda_bind_free(g, &g->own.bind[k]);
        drt_cuda_ctx_free(&g->ctx[k], g->n_convs);
        g->n_ctx--;
        return s;
    }
    drt_timeline("cuda: batch %d: graph captured", batch);
    *out = k;
    return DRT_OK;
}
