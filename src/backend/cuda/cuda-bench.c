/* Benchmark and profile hooks for bench/gpu-bench.c: graph replays timed with device events, and
 * a per-op profile of an eager run. */
#include "backend/cuda/cuda-internal.h"

#include <stdlib.h>
#include <string.h>

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

drt_status drt_cuda_time_forward(drt_engine *e, int batch, int iters, float *ms_out)
{
    cu_engine *g = e->impl;
    int k;
    if (e->backend != &drt_backend_cuda) return drt_error(DRT_STATUS_INVALID_ARG, "cuda timing: not a CUDA engine");
    if (batch < 1 || batch > g->max_batch) return drt_error(DRT_STATUS_INVALID_ARG, "cuda timing: batch %d", batch);
    DRT_TRY(drt_cuda_ctx_get(e, g, batch, &k));
    cu_run *r = &g->own;
    cu_bind *bd = &r->bind[k];
    if (!bd->exec_part[0] && g->use_graph) DRT_TRY(drt_cuda_capture(e, g, r, k, 0, &bd->exec_part[0]));
    cudaEvent_t a, b;
    DRT_CUDA_TRY(cudaEventCreate(&a));
    DRT_CUDA_TRY(cudaEventCreate(&b));
    drt_status s = DRT_OK;
    for (int i = -3; s == DRT_OK && i < iters; i++) { /* three warm-ups */
        cudaError_t ce = cudaEventRecord(a, r->stream);
        if (ce == cudaSuccess) {
            if (bd->exec_part[0]) ce = cudaGraphLaunch(bd->exec_part[0], r->stream);
            else s = drt_cuda_enqueue_ops(e, g, r, k, 0, g->n_ops, 0);
        }
        if (ce == cudaSuccess && s == DRT_OK) ce = cudaEventRecord(b, r->stream);
        if (ce == cudaSuccess && s == DRT_OK) ce = cudaEventSynchronize(b);
        float ms = 0;
        if (ce == cudaSuccess && s == DRT_OK) ce = cudaEventElapsedTime(&ms, a, b);
        if (ce != cudaSuccess) s = drt_cuda_fail_rt(ce, "timed forward", __FILE__, __LINE__);
        if (i >= 0) ms_out[i] = ms;
    }
    cudaEventDestroy(a);
    cudaEventDestroy(b);
    return s;
}

/* Eager run with an event between ops; prints each op's median time, slowest first. */
drt_status drt_cuda_profile(drt_engine *e, int batch, int iters, FILE *out)
{
    cu_engine *g = e->impl;
    int k;
    DRT_TRY(drt_cuda_ctx_get(e, g, batch, &k));
    const cu_ctx *c = &g->ctx[k];
    cu_run *r = &g->own;
    int n = g->n_ops;
    cudaEvent_t *ev = calloc((size_t)n + 1, sizeof *ev);
    float *t = calloc((size_t)n * (size_t)iters, sizeof(float));
    int *order = calloc((size_t)n, sizeof(int));
    float *med = calloc((size_t)n, sizeof(float));
    drt_status s = (ev && t && order && med) ? DRT_OK : drt_error(DRT_STATUS_OOM, "cuda profile: out of memory");
    for (int i = 0; s == DRT_OK && i <= n; i++)
        if (cudaEventCreate(&ev[i]) != cudaSuccess) s = drt_error(DRT_STATUS_CUDA, "cuda profile: cudaEventCreate");
    for (int it = 0; s == DRT_OK && it < iters; it++) {
        for (int i = 0; s == DRT_OK && i < n; i++) {
            cudaEventRecord(ev[i], r->stream);
            s = drt_cuda_enqueue_ops(e, g, r, k, i, i + 1, 0);
        }
        cudaEventRecord(ev[n], r->stream);
        if (s == DRT_OK && cudaEventSynchronize(ev[n]) != cudaSuccess) s = drt_error(DRT_STATUS_CUDA, "cuda profile: sync");
        for (int i = 0; s == DRT_OK && i < n; i++) cudaEventElapsedTime(&t[(size_t)i * iters + it], ev[i], ev[i + 1]);
    }
    float *qmed = calloc((size_t)n, sizeof(float)), *qt = calloc((size_t)iters, sizeof(float)); /* int8 convs' quantize */
    if (s == DRT_OK && (!qmed || !qt)) s = drt_error(DRT_STATUS_OOM, "cuda profile: out of memory");
    for (int i = 0; s == DRT_OK && i < n; i++) {
        const cu_op *o = &g->ops[i];
        if (o->kind != CU_OP_CONV || !g->convs[o->conv].int8 || o->q_given) continue;
        for (int it = 0; s == DRT_OK && it < iters; it++) {
            cudaEventRecord(ev[0], r->stream);
            s = drt_cuda_enqueue_quantize(g, r, o, c->batch);
            cudaEventRecord(ev[1], r->stream);
            if (s == DRT_OK && cudaEventSynchronize(ev[1]) != cudaSuccess) s = drt_error(DRT_STATUS_CUDA, "cuda profile: sync");
            if (s == DRT_OK) cudaEventElapsedTime(&qt[it], ev[0], ev[1]);
        }
        if (s != DRT_OK) break;
        qsort(qt, (size_t)iters, sizeof(float), cmp_float);
        qmed[i] = qt[iters / 2];
    }
    double total = 0, qtotal = 0;
    for (int i = 0; s == DRT_OK && i < n; i++) qtotal += qmed[i];
    for (int i = 0; s == DRT_OK && i < n; i++) {
        qsort(t + (size_t)i * iters, (size_t)iters, sizeof(float), cmp_float);
        med[i] = t[(size_t)i * iters + iters / 2];
        total += med[i];
        order[i] = i;
    }
    for (int i = 0; s == DRT_OK && i < n; i++) /* selection sort: slowest first */
        for (int j = i + 1; j < n; j++)
            if (med[order[j]] > med[order[i]]) { int x = order[i]; order[i] = order[j]; order[j] = x; }
    if (s == DRT_OK) {
        fprintf(out, "per-op profile (eager, batch %d, median of %d): sum %.3f ms, of which int8 convs' quantize steps %.3f ms\n",
                batch, iters, total, qtotal);
        for (int i = 0; i < n; i++) {
            const cu_op *o = &g->ops[order[i]];
            fprintf(out, "  %8.4f ms %5.1f%%  %-28s %dx%dx%d", med[order[i]], 100.0 * med[order[i]] / (total > 0 ? total : 1),
                    o->label, o->out.c, o->out.h, o->out.w);
            if (o->kind == CU_OP_CONV) {
                const cu_conv *cv = &g->convs[o->conv];
                fprintf(out, "  k%d s%d g%d cin%d algo %d%s", cv->r, cv->stride, cv->groups, cv->cin, c->algo[o->conv],
                        c->plan[o->conv] && c->math[o->conv] == CU_FUSED_SPLIT ? " split" : "");
                if (cv->int8 && !o->q_given) fprintf(out, "  quantize %.4f ms", qmed[order[i]]);
            }
            fputc('\n', out);
        }
    }
    for (int i = 0; ev && i <= n; i++) if (ev[i]) cudaEventDestroy(ev[i]);
    free(ev);
    free(t);
    free(order);
    free(med);
    free(qmed);
    free(qt);
    return s;
}
