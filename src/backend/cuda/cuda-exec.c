/* Enqueues the compiled ops on the engine's stream: the same code records the CUDA graph,
 * runs eagerly (DRT_CUDA_GRAPH=0) and drives the per-op profile. */
#include "backend/cuda/cuda-internal.h"
#include "core/timeline.h"

void *drt_cuda_view_ptr(const cu_engine *g, const cu_view *v)
{
    /* integer arithmetic: the compiler asks for alignments before the arena exists (NULL) */
    return (void *)((uintptr_t)g->arena + g->bufs[v->buf].offset + (size_t)v->coff * g->esize);
}

static void *buf_ptr(const cu_engine *g, int b) { return (unsigned char *)g->arena + g->bufs[b].offset; }

static drt_status enqueue_conv(cu_engine *g, cu_ctx *c, const cu_op *op, int batch)
{
    cu_conv *cv = &g->convs[op->conv];
    const float one = 1.f, zero = 0.f;
    if (cv->int8) /* the int8 copy of the input the fused int8 graph reads */
        DRT_CUDA_TRY(drt_k_quantize(drt_cuda_view_ptr(g, &op->in), op->in.cs, buf_ptr(g, op->qbuf), cv->cq, op->in.c,
                                    (long)batch * op->in.h * op->in.w, cv->step, g->stream));
    long npix = (long)batch * op->out.h * op->out.w;
    const void *res = op->res.buf >= 0 ? drt_cuda_view_ptr(g, &op->res) : NULL;
    if (c->plan[op->conv]) { /* conv, bias, activation and residual in one fused kernel */
        DRT_CUDNN_TRY(cudnnBackendExecute(g->dnn, c->plan[op->conv], c->vpack[op->conv]));
        if (c->math[op->conv] == CU_FUSED_SPLIT) { /* that graph was conv + bias: the rest in place */
            void *out = drt_cuda_view_ptr(g, &op->out);
            DRT_CUDA_TRY(drt_k_epilogue(out, op->out.cs, out, op->out.cs, res, op->res.cs, NULL, op->out.c, npix, op->act,
                                        op->act2, g->half, g->stream));
        }
        return DRT_OK;
    }
    void *x = drt_cuda_view_ptr(g, &op->in);
    void *out = drt_cuda_view_ptr(g, &op->out);
    void *y = op->scratch >= 0 ? buf_ptr(g, op->scratch) : out;
    DRT_CUDNN_TRY(cudnnSetConvolutionMathType(cv->cdesc, (cudnnMathType_t)c->math[op->conv]));
    DRT_CUDNN_TRY(cudnnConvolutionForward(g->dnn, &one, c->xdesc[op->conv], x, cv->wdesc, cv->w, cv->cdesc,
                                          (cudnnConvolutionFwdAlgo_t)c->algo[op->conv], g->ws, g->ws_bytes, &zero,
                                          c->ydesc[op->conv], y));
    DRT_CUDA_TRY(drt_k_epilogue(y, cv->k, out, op->out.cs, res, op->res.cs, cv->bias, op->out.c, npix, op->act,
                                op->act2, g->half, g->stream));
    return DRT_OK;
}

static drt_status enqueue_op(drt_engine *e, cu_engine *g, cu_ctx *c, const cu_op *op, int copies)
{
    int n = c->batch;
    const drt_model *m = e->model;
    switch (op->kind) {
    case CU_OP_INPUT: {
        size_t bytes = (size_t)n * m->channels * m->height * m->width * sizeof(float);
        if (copies & CU_COPY_IN) DRT_CUDA_TRY(cudaMemcpyAsync(g->d_in, g->h_in, bytes, cudaMemcpyHostToDevice, g->stream));
        DRT_CUDA_TRY(drt_k_input(g->d_in, drt_cuda_view_ptr(g, &op->out), g->half, n, m->channels, m->height,
                                 m->width, op->out.cs, g->stream));
        return DRT_OK;
    }
    case CU_OP_CONV: return enqueue_conv(g, c, op, n);
    case CU_OP_MAXPOOL:
        DRT_CUDA_TRY(drt_k_maxpool(drt_cuda_view_ptr(g, &op->in), op->in.cs, drt_cuda_view_ptr(g, &op->out), op->out.cs,
                                   n, op->in.c, op->in.h, op->in.w, op->out.h, op->out.w, op->size, op->stride,
                                   op->padding, g->half, g->stream));
        return DRT_OK;
    case CU_OP_UPSAMPLE:
        DRT_CUDA_TRY(drt_k_upsample(drt_cuda_view_ptr(g, &op->in), op->in.cs, drt_cuda_view_ptr(g, &op->out),
                                    op->out.cs, n, op->in.c, op->in.h, op->in.w, op->stride, g->half, g->stream));
        return DRT_OK;
    case CU_OP_COPY:
        DRT_CUDA_TRY(drt_k_copy(drt_cuda_view_ptr(g, &op->in), op->in.cs, drt_cuda_view_ptr(g, &op->out), op->out.cs,
                                (long)n * op->in.h * op->in.w, op->in.c, g->half, g->stream));
        return DRT_OK;
    case CU_OP_SHORTCUT:
        DRT_CUDA_TRY(drt_k_shortcut(drt_cuda_view_ptr(g, &op->in), op->in.cs, drt_cuda_view_ptr(g, &op->res),
                                    op->res.cs, drt_cuda_view_ptr(g, &op->out), op->out.cs, n, op->in.c, op->in.h,
                                    op->in.w, op->res.c, op->res.h, op->res.w, op->act, g->half, g->stream));
        return DRT_OK;
    case CU_OP_AVGPOOL:
        DRT_CUDA_TRY(drt_k_avgpool(drt_cuda_view_ptr(g, &op->in), op->in.cs, drt_cuda_view_ptr(g, &op->out), op->out.cs, n,
                                   op->in.c, op->in.h, op->in.w, g->half, g->stream));
        return DRT_OK;
    case CU_OP_SCALE_CHANNELS:
    case CU_OP_SAM:
        DRT_CUDA_TRY(drt_k_product(drt_cuda_view_ptr(g, &op->in), op->in.cs, drt_cuda_view_ptr(g, &op->res), op->res.cs,
                                   drt_cuda_view_ptr(g, &op->out), op->out.cs, n, op->out.c, op->out.h, op->out.w,
                                   op->kind == CU_OP_SCALE_CHANNELS, op->act, g->half, g->stream));
        return DRT_OK;
    case CU_OP_REORG3D:
        DRT_CUDA_TRY(drt_k_reorg3d(drt_cuda_view_ptr(g, &op->in), op->in.cs, drt_cuda_view_ptr(g, &op->out), op->out.cs, n,
                                   op->in.c, op->in.h, op->in.w, op->out.h, op->out.w, op->stride, g->half, g->stream));
        return DRT_OK;
    case CU_OP_REORG:
        DRT_CUDA_TRY(drt_k_reorg(drt_cuda_view_ptr(g, &op->in), op->in.cs, drt_cuda_view_ptr(g, &op->out), op->out.cs, n,
                                 op->in.c, op->in.h, op->in.w, op->out.h, op->out.w, op->stride, g->half, g->stream));
        return DRT_OK;
    case CU_OP_HEAD: {
        int h = op->head;
        DRT_CUDA_TRY(drt_k_head(drt_cuda_view_ptr(g, &op->in), op->in.cs, g->d_heads[h], n, op->in.c, op->in.h,
                                op->in.w, g->half, g->stream));
        if ((copies & CU_COPY_OUT) && g->heads_registered)
            DRT_CUDA_TRY(cudaMemcpyAsync(e->heads[h], g->d_heads[h], (size_t)n * g->head_item[h] * sizeof(float),
                                         cudaMemcpyDeviceToHost, g->stream));
        return DRT_OK;
    }
    }
    return drt_error(DRT_STATUS_INTERNAL, "cuda: op kind %d", (int)op->kind);
}

drt_status drt_cuda_enqueue_ops(drt_engine *e, cu_engine *g, cu_ctx *c, int from, int to, int copies)
{
    for (int i = from; i < to; i++) {
        drt_status s = enqueue_op(e, g, c, &g->ops[i], copies);
        if (s != DRT_OK) {
            drt_error_prefix("cuda: %s", g->ops[i].label);
            return s;
        }
    }
    return DRT_OK;
}
/* The copies of the first n items the graph leaves out (a partial batch run by a larger context). */
static drt_status copy_in(drt_engine *e, cu_engine *g, int n)
{
    const drt_model *m = e->model;
    size_t bytes = (size_t)n * m->channels * m->height * m->width * sizeof(float);
    DRT_CUDA_TRY(cudaMemcpyAsync(g->d_in, g->h_in, bytes, cudaMemcpyHostToDevice, g->stream));
    return DRT_OK;
}

static drt_status copy_out(drt_engine *e, cu_engine *g, int n)
{
    for (int h = 0; h < e->n_heads; h++)
        DRT_CUDA_TRY(cudaMemcpyAsync(e->heads[h], g->d_heads[h], (size_t)n * g->head_item[h] * sizeof(float),
                                     cudaMemcpyDeviceToHost, g->stream));
    return DRT_OK;
}

drt_status drt_cuda_forward(drt_engine *e, cu_engine *g, cu_ctx *c, int n, int copies)
{
    /* a partial batch: the context's graph without copies, the copies sized to n around it */
    int in_graph = n == c->batch ? copies : 0;
    if (!g->heads_registered) in_graph &= ~CU_COPY_OUT;
    if ((copies & ~in_graph) & CU_COPY_IN) DRT_TRY(copy_in(e, g, n));
    cudaGraphExec_t *exec = in_graph == CU_COPY_ALL ? &c->exec : &c->exec_part[in_graph];
    if (g->use_graph && !*exec) {
        DRT_TRY(drt_cuda_capture(e, g, c, in_graph, exec));
        drt_timeline("cuda: batch %d: graph for copies %d captured (%d items)", c->batch, in_graph, n);
    }
    if (*exec) DRT_CUDA_TRY(cudaGraphLaunch(*exec, g->stream));
    else DRT_TRY(drt_cuda_enqueue_ops(e, g, c, 0, g->n_ops, in_graph));
    if ((copies & ~in_graph) & CU_COPY_OUT) DRT_TRY(copy_out(e, g, n));
    return DRT_OK;
}
