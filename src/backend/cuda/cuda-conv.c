/* Convolution weights and cuDNN descriptors: batchnorm folded into the kernels (the model's
 * formula), Darknet's [k][c/g][r][s] reordered to KRSC for NHWC, stored in the plan precision
 * (packed by one thread per core); int8 convs: the shared per-output-channel int8 weights and
 * their dequantization scales. */
#include "backend/cuda/cuda-internal.h"
#include "engine/int8-zero-point.h"
#include "graph/quantize.h"
#include "graph/xnor.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* IEEE binary16, round to nearest even (weights are converted once, on the host). */
static uint16_t to_half(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t e = (x >> 23) & 0xffu, man = x & 0x7fffffu;
    if (e == 0xff) return (uint16_t)(sign | 0x7c00u | (man ? 0x200u : 0));
    int ex = (int)e - 127 + 15;
    if (ex >= 31) return (uint16_t)(sign | 0x7c00u);
    if (ex <= 0) {
        if (ex < -10) return (uint16_t)sign;
        man |= 0x800000u;
        int shift = 14 - ex;
        uint32_t h = man >> shift, rem = man & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1))) h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = ((uint32_t)ex << 10) | (man >> 13), rem = man & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1))) h++; /* may carry into the exponent: right */
    return (uint16_t)(sign | h);
}

static size_t align256(size_t n) { return (n + 255) & ~(size_t)255; }

static size_t conv_weight_elems(const cu_conv *c) { return (size_t)c->k * c->r * c->s * (c->cin / c->groups); }

static size_t conv_weight_bytes(const cu_engine *g, const cu_conv *c)
{
    return align256(conv_weight_elems(c) * (c->int8 ? 1 : g->esize));
}

/* int8: each output channel's folded weights quantized (w_q = rint(w / ws[k]), src/graph/quantize.c);
 * dq[k] = input step * ws[k] turns the int32 sums back into real values. */
static void quantize_conv(const cu_conv *c, const float *wf, int8_t *w_out, float *dq_out)
{
    size_t per = (size_t)c->r * c->s * c->cin;
    for (int kk = 0; kk < c->k; kk++) dq_out[kk] = c->step * drt_quantize_row_s8(wf + kk * per, per, w_out + kk * per);
}

/* Fills one conv's KRSC weights (host staging, plan precision) and its float biases, batchnorm
 * folded with the coefficients of the shared fold-bn pass, both times `scale` (a conv handing int8 on: 1 / the next
 * conv's input step). An xnor=1 conv: the lowered conv of src/graph/xnor.h with its scale folded in
 * (2 mean|w'| sign(w'), b' - mean|w'| sum sign(w')), its signs in scratch (one filter's floats). */
static void pack_conv(const drt_xgraph *x, const cu_conv *c, int half, float scale, void *w_out, float *b_out,
                      float *scratch) /* half: 1 fp16 */
{
    const drt_model *m = x->m;
    const drt_layer *l = &m->layers[c->layer];
    const drt_xnode *nd = &x->node[c->layer];
    int cpg_src = drt_model_input_shape(m, c->layer).c / l->groups; /* Darknet's c/groups */
    int cpg = c->cin / c->groups;                                    /* stored (maybe padded) */
    size_t rs = (size_t)c->r * c->s;
    for (int kk = 0; kk < c->k; kk++) {
        float mul = nd->bn_mul ? nd->bn_mul[kk] : 1.f, add = nd->bn_add ? nd->bn_add[kk] : l->biases[kk];
        const float *w = l->weights + (size_t)kk * cpg_src * rs;
        if (l->xnor) {
            float mean = drt_xnor_filter(m->bn, l, kk, scratch, &add), sum = 0;
            for (size_t t = 0; t < (size_t)cpg_src * rs; t++) sum += scratch[t];
            add -= mean * sum;
            mul = 2.f * mean;
            w = scratch;
        }
        b_out[kk] = add * scale;
        mul *= scale;
        for (size_t t = 0; t < rs; t++)
            for (int ci = 0; ci < cpg; ci++) {
                float v = ci < cpg_src ? w[(size_t)ci * rs + t] * mul : 0.f;
                size_t at = ((size_t)kk * rs + t) * cpg + ci;
                if (half) ((uint16_t *)w_out)[at] = to_half(v);
                else ((float *)w_out)[at] = v;
            }
    }
}

static drt_status make_descriptors(cu_engine *g, cu_conv *c)
{
    cudnnDataType_t dt = g->half ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT;
    DRT_CUDNN_TRY(cudnnCreateFilterDescriptor(&c->wdesc));
    DRT_CUDNN_TRY(cudnnSetFilter4dDescriptor(c->wdesc, dt, CUDNN_TENSOR_NHWC, c->k, c->cin / c->groups, c->r, c->s));
    return DRT_OK;
}

drt_status drt_cuda_conv_desc(const cu_engine *g, const cu_conv *c, cudnnConvolutionDescriptor_t *out)
{
    DRT_CUDNN_TRY(cudnnCreateConvolutionDescriptor(out));
    DRT_CUDNN_TRY(cudnnSetConvolution2dDescriptor(*out, c->pad, c->pad, c->stride_y, c->stride, c->dil, c->dil,
                                                  CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    DRT_CUDNN_TRY(cudnnSetConvolutionGroupCount(*out, c->groups));
    DRT_CUDNN_TRY(cudnnSetConvolutionMathType(*out, g->half ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
    return DRT_OK;
}

/* The input step of an int8 conv: a plan's, or the calibrated threshold of its input / 127; with a zero point, its
 * calibrated [lo, hi] over the 256 codes, lo at -128 (0 held exactly: the code zp). */
static drt_status int8_step(const drt_engine *e, const cu_engine *g, cu_conv *c)
{
    if (c->step > 0) return DRT_OK;
    int src = e->model->layers[c->layer].inputs[0];
    float thr = g->in_thr ? g->in_thr[src + 1] : 0.f;
    if (!(thr > 0) || !isfinite(thr))
        return drt_error(DRT_STATUS_INTERNAL, "cuda: conv %d: no calibrated range for its input (layer %d)", c->layer, src);
    c->step = thr / 127.f;
    if (c->asym && g->in_range) {
        float lo = g->in_range[2 * (src + 1)], hi = g->in_range[2 * (src + 1) + 1];
        if (hi > lo) {
            c->step = (hi - lo) / 255.f;
            c->zp = (int)fminf(127.f, fmaxf(-128.f, -128.f - rintf(lo / c->step)));
        }
    }
    return DRT_OK;
}

/* The k-float arrays after a conv's weights: bias, bias in the plan precision, (int8) dequantization scales, (a
 * hand-off into a conv with a zero point) that zero point, the array at zp_array. */
static int zp_array(const cu_conv *c) { return 2 + (c->int8 != 0); }
static int conv_arrays(const cu_engine *g, const cu_conv *c) { return zp_array(c) + drt_cuda_out_zp(g, c); }

/* Packing is the largest part of loading a plan (yolov3: 62 M weights): the convs are shared out
 * to one thread per core, each writing its own part of the staging. */
typedef struct pack_job {
    const drt_engine *e;
    cu_engine *g;
    unsigned char *host;
    const size_t *offs; /* each conv's place in host */
    size_t most;        /* float staging of the largest int8 or xnor=1 conv */
    atomic_int next, failed;
} pack_job;

static void pack_one(pack_job *j, int i, float *wf)
{
    cu_engine *g = j->g;
    cu_conv *c = &g->convs[i];
    unsigned char *at = j->host + j->offs[i];
    size_t wb = conv_weight_bytes(g, c), bb = align256((size_t)c->k * sizeof(float));
    float *bias = (float *)(at + wb);
    float scale = c->out_q ? 1.f / g->convs[c->q_next].step : 1.f; /* its output in the next conv's steps */
    if (c->int8) {
        pack_conv(g->xg, c, 0, scale, wf, bias, NULL);
        quantize_conv(c, wf, (int8_t *)at, (float *)(at + wb + 2 * bb));
        /* a zero point (convs that pad nothing: cuda-compile.c): out of the bias */
        drt_zp_conv zc = {c->k, c->cin / c->groups, c->r, c->s};
        if (c->zp) drt_zp_bias(&zc, (const int8_t *)at, (const float *)(at + wb + 2 * bb), c->zp, bias);
    } else {
        pack_conv(g->xg, c, g->half, scale, at, bias, wf); /* wf: an xnor conv's signs */
    }
    if (drt_cuda_out_zp(g, c)) /* the next conv's zero point, after its arrays (conv_arrays) */
        for (int k = 0; k < c->k; k++) ((float *)(at + wb + zp_array(c) * bb))[k] = (float)g->convs[c->q_next].zp;
    for (int k = 0; k < c->k; k++) { /* the bias again in the storage precision */
        if (g->half) ((uint16_t *)(at + wb + bb))[k] = to_half(bias[k]);
        else ((float *)(at + wb + bb))[k] = bias[k];
    }
}

static void *pack_worker(void *arg)
{
    pack_job *j = arg;
    float *wf = j->most ? malloc(j->most * sizeof(float)) : NULL;
    if (j->most && !wf) {
        atomic_store(&j->failed, 1);
        return NULL;
    }
    for (int i; (i = atomic_fetch_add(&j->next, 1)) < j->g->n_convs;) pack_one(j, i, wf);
    free(wf);
    return NULL;
}

static drt_status pack_all(pack_job *j)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int n = cores < 1 ? 1 : cores > 16 ? 16 : (int)cores, started = 0;
    pthread_t th[16];
    for (int t = 1; t < n && t < j->g->n_convs; t++)
        if (pthread_create(&th[started], NULL, pack_worker, j) == 0) started++;
    pack_worker(j);
    for (int t = 0; t < started; t++) pthread_join(th[t], NULL);
    return atomic_load(&j->failed) ? drt_error(DRT_STATUS_OOM, "cuda: out of host memory packing int8 or xnor weights") : DRT_OK;
}

drt_status drt_cuda_conv_setup(const drt_engine *e, cu_engine *g)
{
    size_t total = 0, most = 0;
    size_t *offs = malloc(sizeof(size_t) * (size_t)(g->n_convs ? g->n_convs : 1));
    if (!offs) return drt_error(DRT_STATUS_OOM, "cuda: out of memory");
    drt_status s = DRT_OK;
    for (int i = 0; s == DRT_OK && i < g->n_convs; i++) {
        cu_conv *c = &g->convs[i];
        if (c->int8) s = int8_step(e, g, c);
        offs[i] = total;
        total += conv_weight_bytes(g, c) + (size_t)conv_arrays(g, c) * align256((size_t)c->k * sizeof(float));
        if ((c->int8 || e->model->layers[c->layer].xnor) && conv_weight_elems(c) > most) most = conv_weight_elems(c);
    }
    g->weight_bytes = total;
    unsigned char *host = s == DRT_OK ? calloc(total ? total : 1, 1) : NULL;
    if (s == DRT_OK && !host) s = drt_error(DRT_STATUS_OOM, "cuda: out of host memory staging %zu bytes of weights", total);
    pack_job job = {.e = e, .g = g, .host = host, .offs = offs, .most = most};
    if (s == DRT_OK) s = pack_all(&job);
    cudaError_t ce = cudaSuccess;
    if (s == DRT_OK) ce = cudaMalloc(&g->weights, total ? total : 256);
    if (s == DRT_OK && ce == cudaSuccess) ce = cudaMemcpy(g->weights, host, total, cudaMemcpyHostToDevice);
    free(host);
    if (s == DRT_OK && ce != cudaSuccess) s = drt_cuda_fail_rt(ce, "cudaMalloc/cudaMemcpy(weights)", __FILE__, __LINE__);
    for (int i = 0; s == DRT_OK && i < g->n_convs; i++) {
        cu_conv *c = &g->convs[i];
        size_t wb = conv_weight_bytes(g, c), bb = align256((size_t)c->k * sizeof(float));
        unsigned char *at = (unsigned char *)g->weights + offs[i];
        c->w = at;
        c->bias = (float *)(at + wb);
        c->bias_io = at + wb + bb;
        c->dq = c->int8 ? (float *)(at + wb + 2 * bb) : NULL;
        c->zq = drt_cuda_out_zp(g, c) ? (float *)(at + wb + zp_array(c) * bb) : NULL;
        s = make_descriptors(g, c);
    }
    free(offs);
    return s;
}

/* Floats op i puts in g->bn_dev: [batchnorm] mul and add, [implicit] weights, a weighted shortcut's normalized weights
 * (once, at its first step). */
static size_t bn_floats(const drt_model *m, const cu_op *op)
{
    if (op->kind == CU_OP_AFFINE) return 2 * (size_t)op->out.c;
    if (op->kind == CU_OP_CONST) return (size_t)op->out.c;
    const drt_layer *l = op->kind == CU_OP_WSUM ? &m->layers[op->layer] : NULL;
    return l && op->wk == 1 && l->weights_type ? l->n_weights : 0;
}

drt_status drt_cuda_bn_setup(const drt_model *m, cu_engine *g)
{
    size_t total = 0;
    for (int i = 0; i < g->n_ops; i++) total += bn_floats(m, &g->ops[i]);
    if (!total) return DRT_OK;
    float *host = malloc(total * sizeof *host);
    if (!host) return drt_error(DRT_STATUS_OOM, "cuda: out of host memory for [batchnorm] coefficients");
    size_t at = 0;
    for (int i = 0; i < g->n_ops; i++) {
        const cu_op *op = &g->ops[i];
        size_t nf = bn_floats(m, op);
        if (!nf) continue;
        const drt_layer *l = &m->layers[op->layer];
        const drt_xnode *nd = &g->xg->node[op->layer];
        if (op->kind == CU_OP_AFFINE) {
            memcpy(host + at, nd->bn_mul, (size_t)op->out.c * sizeof *host);
            memcpy(host + at + op->out.c, nd->bn_add, (size_t)op->out.c * sizeof *host);
        } else {
            memcpy(host + at, op->kind == CU_OP_CONST ? l->weights : nd->bn_mul, nf * sizeof *host); /* bn_mul: fold-bn's */
        }
        at += nf;
    }
    cudaError_t ce = cudaMalloc((void **)&g->bn_dev, total * sizeof *host);
    if (ce == cudaSuccess) ce = cudaMemcpy(g->bn_dev, host, total * sizeof *host, cudaMemcpyHostToDevice);
    free(host);
    if (ce != cudaSuccess) return drt_cuda_fail_rt(ce, "cudaMalloc/cudaMemcpy([batchnorm])", __FILE__, __LINE__);
    at = 0;
    const float *lbase = NULL; /* the current weighted shortcut's weights, [input][1 or c] */
    for (int i = 0; i < g->n_ops; i++) {
        cu_op *op = &g->ops[i];
        const drt_layer *l = op->kind == CU_OP_WSUM ? &m->layers[op->layer] : NULL;
        if (l && l->weights_type) {
            size_t step = l->n_weights / (size_t)l->n_inputs;
            if (op->wk == 1) lbase = g->bn_dev + at;
            op->wa = op->wk == 1 ? lbase : NULL;
            op->wb = lbase + (size_t)op->wk * step;
        } else if (op->kind == CU_OP_AFFINE || op->kind == CU_OP_CONST) {
            op->mul = g->bn_dev + at;
        }
        at += bn_floats(m, op);
    }
    return DRT_OK;
}
