/* Reference xnor=1 conv (src/graph/xnor.h): AlexeyAB's binary dot product counted directly, sign against sign,
 * padding as -1, then x mean|w'| + b' and the activation (its order: the GEMM, add_bias, activate_array). */
#include "backend/ref/ref.h"
#include "graph/xnor.h"

size_t drt_ref_xnor_work_floats(const drt_layer *l, drt_shape in)
{
    size_t k = (size_t)in.c * (size_t)l->size * (size_t)l->size;
    return (size_t)l->filters * k + k + 2 * (size_t)l->filters;
}

void drt_ref_xnor(const drt_layer *l, drt_bn_formula bn, drt_shape in, const float *x, float *y, float *work)
{
    int s = l->size, n = l->out.h * l->out.w;
    size_t k = (size_t)in.c * s * s;
    float *sign = work, *col = sign + (size_t)l->filters * k, *mean = col + k, *bias = mean + l->filters;
    for (int f = 0; f < l->filters; f++) mean[f] = drt_xnor_filter(bn, l, f, sign + (size_t)f * k, &bias[f]);
    for (int p = 0; p < n; p++) {
        int y0 = (p / l->out.w) * l->stride_y - l->pad, x0 = (p % l->out.w) * l->stride - l->pad;
        float *cp = col;
        for (int c = 0; c < in.c; c++)
            for (int kh = 0; kh < s; kh++)
                for (int kw = 0; kw < s; kw++) {
                    int iy = y0 + kh, ix = x0 + kw;
                    int inside = iy >= 0 && iy < in.h && ix >= 0 && ix < in.w;
                    *cp++ = inside && x[((size_t)c * in.h + iy) * in.w + ix] > 0 ? 1.f : -1.f;
                }
        for (int f = 0; f < l->filters; f++) {
            const float *sf = sign + (size_t)f * k;
            float dot = 0; /* 2 popcount - K: a sum of +-1, exact */
            for (size_t i = 0; i < k; i++) dot += sf[i] * col[i];
            y[(size_t)f * n + p] = drt_act_apply(l->act, dot * mean[f] + bias[f]);
        }
    }
}
