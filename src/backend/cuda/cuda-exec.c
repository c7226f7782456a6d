/* Enqueues the compiled ops on a run state's stream: the same code records the CUDA graph,
 * runs eagerly (DRT_CUDA_GRAPH=0) and drives the per-op profile. */
#include "backend/cuda/cuda-internal.h"
#include "core/timeline.h"

void *drt_cuda_view_ptr(const cu_engine *g, const void *arena, const cu_view *v)
{
    /* integer arithmetic: the compiler asks for alignments before any arena exists (NULL) */
    return (void *)((uintptr_t)arena + g->bufs[v->buf].offset + (size_t)v->coff * g->esize);
}

static void *buf_ptr(const cu_engine *g, const cu_run *r, int b) { return (unsigned char *)r->arena + g->bufs[b].offset; }

drt_status drt_cuda_enqueue_quantize(const cu_engine *g, cu_run *r, const cu_op *op, int batch)
{
    const cu_conv *cv = &g->convs[op->conv];
    DRT_CUDA_TRY(drt_k_quantize(drt_cuda_view_ptr(g, r->arena, &op->in), op->in.cs, buf_ptr(g, r, op->qbuf), cv->cq, op->in.c,
                                (long)batch * op->in.h * op->in.w, cv->step, cv->zp, cv->asym ? -128 : -127, r->stream));
    return DRT_OK;
}

static drt_status enqueue_conv(const cu_engine *g, cu_run *r, const cu_ctx *c, const cu_bind *b, const cu_op *op, int batch)
{
    const cu_conv *cv = &g->convs[op->conv];
    const float one = 1.f, zero = 0.f;
    if (cv->int8 && !op->q_given) DRT_TRY(drt_cuda_enqueue_quantize(g, r, op, batch)); /* the int8 copy it reads */
    long npix = (long)batch * op->out.h * op->out.w;
    const void *res = op->res.buf >= 0 ? drt_cuda_view_ptr(g, r->arena, &op->res) : NULL;
    if (b->plan[op->conv]) { /* conv, bias, activation and residual in one fused kernel */
        DRT_CUDNN_TRY(cudnnBackendExecute(r->dnn, b->plan[op->conv], b->vpack[op->conv]));
        if (c->math[op->conv] == CU_FUSED_SPLIT) { /* that graph was conv + bias: the rest in place */
            void *out = drt_cuda_view_ptr(g, r->arena, &op->out);
            DRT_CUDA_TRY(drt_k_epilogue(out, op->out.cs, out, op->out.cs, res, op->res.cs, NULL, op->out.c, npix, op->act,
                                        op->act2, g->half, r->stream));
        }
        return DRT_OK;
    }
    void *x = drt_cuda_view_ptr(g, r->arena, &op->in);
    void *out = drt_cuda_view_ptr(g, r->arena, &op->out);
    void *y = op->scratch >= 0 ? buf_ptr(g, r, op->scratch) : out;
    DRT_CUDNN_TRY(cudnnConvolutionForward(r->dnn, &one, c->xdesc[op->conv], x, cv->wdesc, cv->w, c->cdesc[op->conv],
                                          (cudnnConvolutionFwdAlgo_t)c->algo[op->conv], r->ws, g->ws_bytes, &zero,
                                          c->ydesc[op->conv], y));
    DRT_CUDA_TRY(drt_k_epilogue(y, cv->k, out, op->out.cs, res, op->res.cs, cv->bias, op->out.c, npix, op->act,
                                op->act2, g->half, r->stream));
    return DRT_OK;
}

static drt_status enqueue_op(const drt_engine *e, const cu_engine *g, cu_run *r, const cu_ctx *c, const cu_bind *b,
                             const cu_op *op, int copies)
{
    int n = c->batch;
    const drt_model *m = e->model;
    void *a = r->arena;
    switch (op->kind) {
    case CU_OP_INPUT: {
        size_t bytes = (size_t)n * m->channels * m->height * m->width * sizeof(float);
        if (copies & CU_COPY_IN) DRT_CUDA_TRY(cudaMemcpyAsync(r->d_in, r->h_in, bytes, cudaMemcpyHostToDevice, r->stream));
        DRT_CUDA_TRY(drt_k_input(r->d_in, drt_cuda_view_ptr(g, a, &op->out), g->half, n, m->channels, m->height,
                                 m->width, op->out.cs, r->stream));
        return DRT_OK;
    }
    case CU_OP_CONV: return enqueue_conv(g, r, c, b, op, n);
    case CU_OP_MAXPOOL:
        DRT_CUDA_TRY(drt_k_maxpool(drt_cuda_view_ptr(g, a, &op->in), op->in.cs, drt_cuda_view_ptr(g, a, &op->out),
                                   op->out.cs, n, op->in.c, op->in.h, op->in.w, op->out.h, op->out.w, op->size,
                                   op->stride, op->stride_y, op->padding, op->avg, op->depth, g->half, r->stream));
        return DRT_OK;
    case CU_OP_UPSAMPLE:
        DRT_CUDA_TRY(drt_k_upsample(drt_cuda_view_ptr(g, a, &op->in), op->in.cs, drt_cuda_view_ptr(g, a, &op->out),
                                    op->out.cs, n, op->in.c, op->in.h, op->in.w, op->stride, g->half, r->stream));
        return DRT_OK;
    case CU_OP_COPY:
        DRT_CUDA_TRY(drt_k_copy(drt_cuda_view_ptr(g, a, &op->in), op->in.cs, drt_cuda_view_ptr(g, a, &op->out),
                                op->out.cs, (long)n * op->in.h * op->in.w, op->in.c, g->half, r->stream));
        return DRT_OK;
    case CU_OP_SHORTCUT:
        DRT_CUDA_TRY(drt_k_shortcut(drt_cuda_view_ptr(g, a, &op->in), op->in.cs, drt_cuda_view_ptr(g, a, &op->res),
                                    op->res.cs, drt_cuda_view_ptr(g, a, &op->out), op->out.cs, n, op->in.c, op->in.h,
                                    op->in.w, op->res.c, op->res.h, op->res.w, op->act, g->half, r->stream));
        return DRT_OK;
    case CU_OP_AVGPOOL:
        DRT_CUDA_TRY(drt_k_avgpool(drt_cuda_view_ptr(g, a, &op->in), op->in.cs, drt_cuda_view_ptr(g, a, &op->out), op->out.cs, n,
                                   op->in.c, op->in.h, op->in.w, g->half, r->stream));
        return DRT_OK;
    case CU_OP_SCALE_CHANNELS:
    case CU_OP_SAM:
        DRT_CUDA_TRY(drt_k_product(drt_cuda_view_ptr(g, a, &op->in), op->in.cs, drt_cuda_view_ptr(g, a, &op->res), op->res.cs,
                                   drt_cuda_view_ptr(g, a, &op->out), op->out.cs, n, op->out.c, op->out.h, op->out.w,
                                   op->kind == CU_OP_SCALE_CHANNELS, op->act, g->half, r->stream));
        return DRT_OK;
    case CU_OP_REORG3D:
        DRT_CUDA_TRY(drt_k_reorg3d(drt_cuda_view_ptr(g, a, &op->in), op->in.cs, drt_cuda_view_ptr(g, a, &op->out), op->out.cs, n,
                                   op->in.c, op->in.h, op->in.w, op->out.h, op->out.w, op->stride, g->half, r->stream));
        return DRT_OK;
    case CU_OP_REORG:
        DRT_CUDA_TRY(drt_k_reorg(drt_cuda_view_ptr(g, a, &op->in), op->in.cs, drt_cuda_view_ptr(g, a, &op->out), op->out.cs, n,
                                 op->in.c, op->in.h, op->in.w, op->out.h, op->out.w, op->stride, g->half, r->stream));
        return DRT_OK;
    case CU_OP_ACTIVATION:
        DRT_CUDA_TRY(drt_k_epilogue(drt_cuda_view_ptr(g, a, &op->in), op->in.cs, drt_cuda_view_ptr(g, a, &op->out), op->out.cs,
                                    NULL, 0, NULL, op->out.c, (long)n * op->out.h * op->out.w, op->act, DRT_ACT_LINEAR, g->half,
                                    r->stream));
        return DRT_OK;
    case CU_OP_STEP:
        DRT_CUDA_TRY(drt_k_step(drt_cuda_view_ptr(g, a, &op->in), op->in.cs, drt_cuda_view_ptr(g, a, &op->out), op->out.cs,
                                op->out.c, (long)n * op->out.h * op->out.w, g->half, r->stream));
        return DRT_OK;
    case CU_OP_AFFINE:
        DRT_CUDA_TRY(drt_k_affine(drt_cuda_view_ptr(g, a, &op->in), op->in.cs, drt_cuda_view_ptr(g, a, &op->out), op->out.cs,
                                  op->mul, op->mul + op->out.c, op->out.c, (long)n * op->out.h * op->out.w, g->half, r->stream));
        return DRT_OK;
    case CU_OP_WSUM: {
        const drt_layer *l = &m->layers[op->layer];
        DRT_CUDA_TRY(drt_k_wsum(drt_cuda_view_ptr(g, a, &op->in), op->in.cs, op->wa, drt_cuda_view_ptr(g, a, &op->res), op->res.cs,
                                op->res.c, op->wb, drt_cuda_view_ptr(g, a, &op->out), op->out.cs, op->out.c,
                                (long)n * op->out.h * op->out.w, l->weights_type == 2, op->act, g->half, r->stream));
        return DRT_OK;
    }
    case CU_OP_CONST:
        DRT_CUDA_TRY(drt_k_const(op->mul, drt_cuda_view_ptr(g, a, &op->out), op->out.cs, op->out.c, (long)n * op->out.h * op->out.w,
                                 g->half, r->stream));
        return DRT_OK;
    case CU_OP_HEAD: {
        int h = op->head;
        DRT_CUDA_TRY(drt_k_head(drt_cuda_view_ptr(g, a, &op->in), op->in.cs, r->d_heads[h], n, op->in.c, op->in.h,
                                op->in.w, g->half, r->stream));
        if ((copies & CU_COPY_OUT) && r->heads_registered)
            DRT_CUDA_TRY(cudaMemcpyAsync(r->heads[h], r->d_heads[h], (size_t)n * g->head_item[h] * sizeof(float),
                                         cudaMemcpyDeviceToHost, r->stream));
        return DRT_OK;
    }
    }
    return drt_error(DRT_STATUS_INTERNAL, "cuda: op kind %d", (int)op->kind);
}

drt_status drt_cuda_enqueue_ops(const drt_engine *e, const cu_engine *g, cu_run *r, int k, int from, int to, int copies)
{
    for (int i = from; i < to; i++) {
        drt_status s = enqueue_op(e, g, r, &g->ctx[k], &r->bind[k], &g->ops[i], copies);
        if (s != DRT_OK) {
            drt_error_prefix("cuda: %s", g->ops[i].label);
            return s;
        }
    }
    return DRT_OK;
}
/* The copies of the first n items the graph leaves out (a partial batch run by a larger context). */
static drt_status copy_in(const drt_engine *e, cu_run *r, int n)
{
    const drt_model *m = e->model;
    size_t bytes = (size_t)n * m->channels * m->height * m->width * sizeof(float);
    DRT_CUDA_TRY(cudaMemcpyAsync(r->d_in, r->h_in, bytes, cudaMemcpyHostToDevice, r->stream));
    return DRT_OK;
}

static drt_status copy_out(const drt_engine *e, const cu_engine *g, cu_run *r, int n)
{
    for (int h = 0; h < e->n_heads; h++)
        DRT_CUDA_TRY(cudaMemcpyAsync(r->heads[h], r->d_heads[h], (size_t)n * g->head_item[h] * sizeof(float),
                                     cudaMemcpyDeviceToHost, r->stream));
    return DRT_OK;
}

drt_status drt_cuda_forward(const drt_engine *e, const cu_engine *g, cu_run *r, int k, int n, int copies)
{
    cu_bind *b;
    DRT_TRY(drt_cuda_bind(e, g, r, k, &b));
    /* a partial batch: the context's graph without copies, the copies sized to n around it */
    int in_graph = n == g->ctx[k].batch ? copies : 0;
    if (!r->heads_registered) in_graph &= ~CU_COPY_OUT;
    if ((copies & ~in_graph) & CU_COPY_IN) DRT_TRY(copy_in(e, r, n));
    cudaGraphExec_t *exec = in_graph == CU_COPY_ALL ? &b->exec : &b->exec_part[in_graph];
    if (g->use_graph && !*exec) { /* first run of this batch size and copies on r */
        pthread_mutex_lock(g->runs_lock);
        drt_status s = drt_cuda_capture(e, g, r, k, in_graph, exec);
        pthread_mutex_unlock(g->runs_lock);
        DRT_TRY(s);
        if (*exec) drt_timeline("cuda: batch %d: graph for copies %d captured (%d items)", g->ctx[k].batch, in_graph, n);
    }
    if (*exec) DRT_CUDA_TRY(cudaGraphLaunch(*exec, r->stream));
    else DRT_TRY(drt_cuda_enqueue_ops(e, g, r, k, 0, g->n_ops, in_graph));
    if ((copies & ~in_graph) & CU_COPY_OUT) DRT_TRY(copy_out(e, g, r, n));
    return DRT_OK;
}
