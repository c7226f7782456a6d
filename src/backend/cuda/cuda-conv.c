/* Convolution weights and cuDNN descriptors: batchnorm folded into the kernels (the model's
 * formula), Darknet's [k][c/g][r][s] reordered to KRSC for NHWC, stored in the plan precision;
 * int8 convs: symmetric per-output-channel int8 weights and their dequantization scales. */
#ifdef DRT_HAVE_CUDA
#include "backend/cuda/cuda-internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* int8: each output channel's folded weights scaled to [-127, 127] (w_q = rint(w / ws[k]));
 * dq[k] = input step * ws[k] turns the int32 sums back into real values. */
static void quantize_conv(const cu_conv *c, const float *wf, int8_t *w_out, float *dq_out)
{
    size_t per = (size_t)c->r * c->s * c->cin;
    for (int kk = 0; kk < c->k; kk++) {
        float amax = 0.f;
        for (size_t j = 0; j < per; j++) amax = fmaxf(amax, fabsf(wf[kk * per + j]));
        float ws = amax > 0 ? amax / 127.f : 1.f;
        for (size_t j = 0; j < per; j++) {
            float q = nearbyintf(wf[kk * per + j] / ws);
            w_out[kk * per + j] = (int8_t)fminf(127.f, fmaxf(-127.f, q));
        }
        dq_out[kk] = c->step * ws;
    }
}

/* Fills one conv's KRSC weights (host staging, plan precision) and its float biases. */
static void pack_conv(const drt_model *m, const cu_conv *c, int half, void *w_out, float *b_out) /* half: 1 fp16, 0 fp32 */
{
    const drt_layer *l = &m->layers[c->layer];
    int cpg_src = drt_model_input_shape(m, c->layer).c / l->groups; /* Darknet's c/groups */
    int cpg = c->cin / c->groups;                                    /* stored (maybe padded) */
    size_t rs = (size_t)c->r * c->s;
    for (int kk = 0; kk < c->k; kk++) {
        float mul = 1.f, add = l->biases[kk];
        if (l->batch_normalize)
            drt_bn_coeffs(m->bn, l->scales[kk], l->rolling_mean[kk], l->rolling_var[kk], l->biases[kk], &mul, &add);
        b_out[kk] = add;
        for (size_t t = 0; t < rs; t++)
            for (int ci = 0; ci < cpg; ci++) {
                float v = ci < cpg_src ? l->weights[((size_t)kk * cpg_src + ci) * rs + t] * mul : 0.f;
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
    DRT_CUDNN_TRY(cudnnCreateConvolutionDescriptor(&c->cdesc));
    DRT_CUDNN_TRY(cudnnSetConvolution2dDescriptor(c->cdesc, c->pad, c->pad, c->stride, c->stride, 1, 1,
                                                  CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    DRT_CUDNN_TRY(cudnnSetConvolutionGroupCount(c->cdesc, c->groups));
    DRT_CUDNN_TRY(cudnnSetConvolutionMathType(c->cdesc, g->half ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
    return DRT_OK;
}

/* The input step of an int8 conv: a plan's, or the calibrated threshold of its input / 127. */
static drt_status int8_step(const drt_engine *e, const cu_engine *g, cu_conv *c)
{
    if (c->step > 0) return DRT_OK;
    int src = e->model->layers[c->layer].inputs[0];
    float thr = g->in_thr ? g->in_thr[src + 1] : 0.f;
    if (!(thr > 0) || !isfinite(thr))
        return drt_error(DRT_STATUS_INTERNAL, "cuda: conv %d: no calibrated range for its input (layer %d)", c->layer, src);
    c->step = thr / 127.f;
    return DRT_OK;
}

drt_status drt_cuda_conv_setup(const drt_engine *e, cu_engine *g)
{
    size_t total = 0, most = 0;
    for (int i = 0; i < g->n_convs; i++) {
        cu_conv *c = &g->convs[i];
        if (c->int8) DRT_TRY(int8_step(e, g, c));
        total += conv_weight_bytes(g, c) + (c->int8 ? 3 : 2) * align256((size_t)c->k * sizeof(float));
        if (c->int8 && conv_weight_elems(c) > most) most = conv_weight_elems(c);
    }
    g->weight_bytes = total;
    unsigned char *host = malloc(total ? total : 1);
    float *wf = most ? malloc(most * sizeof(float)) : NULL; /* float staging of one int8 conv */
    if (!host || (most && !wf)) {
        free(host);
        free(wf);
        return drt_error(DRT_STATUS_OOM, "cuda: out of host memory staging %zu bytes of weights", total);
    }
    memset(host, 0, total ? total : 1);
    size_t off = 0;
    for (int i = 0; i < g->n_convs; i++) {
        cu_conv *c = &g->convs[i];
        size_t wb = conv_weight_bytes(g, c);
        size_t bb = align256((size_t)c->k * sizeof(float));
        float *bias = (float *)(host + off + wb);
        if (c->int8) {
            pack_conv(e->model, c, 0, wf, bias);
            quantize_conv(c, wf, (int8_t *)(host + off), (float *)(host + off + wb + 2 * bb));
        } else {
            pack_conv(e->model, c, g->half, host + off, bias);
        }
        for (int k = 0; k < c->k; k++) { /* the bias again in the storage precision */
            if (g->half) ((uint16_t *)(host + off + wb + bb))[k] = to_half(bias[k]);
            else ((float *)(host + off + wb + bb))[k] = bias[k];
        }
        c->w = (void *)off; /* offsets for now: rebased below */
        c->bias = (float *)(off + wb);
        c->bias_io = (void *)(off + wb + bb);
        c->dq = c->int8 ? (float *)(off + wb + 2 * bb) : NULL;
        off += wb + (c->int8 ? 3 : 2) * bb;
    }
    free(wf);
    cudaError_t ce = cudaMalloc(&g->weights, total ? total : 256);
    if (ce == cudaSuccess) ce = cudaMemcpy(g->weights, host, total, cudaMemcpyHostToDevice);
    free(host);
    if (ce != cudaSuccess)
        return drt_cuda_fail_rt(ce, "cudaMalloc/cudaMemcpy(weights)", __FILE__, __LINE__);
    for (int i = 0; i < g->n_convs; i++) {
        cu_conv *c = &g->convs[i];
        c->w = (unsigned char *)g->weights + (size_t)c->w;
        c->bias = (float *)((unsigned char *)g->weights + (size_t)c->bias);
        c->bias_io = (unsigned char *)g->weights + (size_t)c->bias_io;
        if (c->int8) c->dq = (float *)((unsigned char *)g->weights + (size_t)c->dq);
        DRT_TRY(make_descriptors(g, c));
    }
    return DRT_OK;
}
#else
typedef int drt_cuda_conv_unused;
#endif
