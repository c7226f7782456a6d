/* xnor=1 convs: AlexeyAB's binarized filters and their plain-conv form (xnor.h). */
#include "graph/xnor.h"

#include <math.h>

float drt_xnor_filter(drt_bn_formula bn, const drt_layer *l, int f, float *sign, float *bias)
{
    size_t k = l->n_weights / (size_t)l->filters;
    const float *w = l->weights + (size_t)f * k;
    float mul = 1.f, add = l->biases[f]; /* fuse_conv_batchnorm */
    if (l->batch_normalize) drt_bn_coeffs(bn, l->scales[f], l->rolling_mean[f], l->rolling_var[f], l->biases[f], &mul, &add);
    float mean = 0; /* binarize_weights: a float sum in filter order, over the fused weights */
    for (size_t i = 0; i < k; i++) {
        float v = w[i] * mul;
        mean += fabsf(v);
        sign[i] = v > 0 ? 1.f : -1.f;
    }
    *bias = add;
    return mean / (float)k;
}

void drt_xnor_lower(drt_bn_formula bn, const drt_layer *l, float *w, float *cbias, float *mul, float *add)
{
    size_t k = l->n_weights / (size_t)l->filters;
    for (int f = 0; f < l->filters; f++) {
        float *s = w + (size_t)f * k, sum = 0;
        mul[f] = drt_xnor_filter(bn, l, f, s, &add[f]);
        for (size_t i = 0; i < k; i++) {
            sum += s[i];
            s[i] *= 2.f;
        }
        cbias[f] = -sum;
    }
}
