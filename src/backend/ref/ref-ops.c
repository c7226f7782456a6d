/* Reference kernels of the layers other than conv: maxpool, upsample, route, shortcut, reorg,
 * avgpool, local_avgpool, batchnorm, scale_channels, sam, written after Darknet's forward_*_layer functions. */
#include "backend/ref/ref.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* AlexeyAB's maxpool_depth: out channel g is the max over input channels g, g + n, ... (n out channels). */
static void maxpool_depth(const drt_layer *l, drt_shape in, const float *x, float *y)
{
    size_t hw = (size_t)in.h * in.w;
    for (int g = 0; g < l->out.c; g++)
        for (size_t p = 0; p < hw; p++) {
            float best = -FLT_MAX;
            for (int k = g; k < in.c; k += l->out.c) best = x[(size_t)k * hw + p] > best ? x[(size_t)k * hw + p] : best;
            y[(size_t)g * hw + p] = best;
        }
}

void drt_ref_maxpool(const drt_layer *l, drt_shape in, const float *x, float *y)
{
    if (l->depth_channels) {
        maxpool_depth(l, in, x, y);
        return;
    }
    int off = -l->padding / 2;
    int oh = l->out.h, ow = l->out.w;
    for (int c = 0; c < in.c; c++) {
        const float *xc = x + (size_t)c * in.h * in.w;
        for (int i = 0; i < oh; i++) {
            for (int j = 0; j < ow; j++) {
                float best = -FLT_MAX;
                for (int n = 0; n < l->size; n++) {
                    for (int m = 0; m < l->size; m++) {
                        int cy = off + i * l->stride_y + n, cx = off + j * l->stride + m;
                        int valid = cy >= 0 && cy < in.h && cx >= 0 && cx < in.w;
                        float v = valid ? xc[(size_t)cy * in.w + cx] : -FLT_MAX;
                        best = v > best ? v : best;
                    }
                }
                y[((size_t)c * oh + i) * ow + j] = best;
            }
        }
    }
}

void drt_ref_upsample(const drt_layer *l, drt_shape in, const float *x, float *y)
{
    int s = l->stride, oh = l->out.h, ow = l->out.w;
    for (int c = 0; c < in.c; c++)
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++)
                y[((size_t)c * oh + i) * ow + j] = x[((size_t)c * in.h + i / s) * in.w + j / s];
}

void drt_ref_route(const drt_layer *l, const drt_shape *in_shapes, const float *const *xs, float *y)
{
    for (int k = 0; k < l->n_inputs; k++) {
        size_t part = drt_shape_size(in_shapes[k]) / (size_t)l->route_groups;
        memcpy(y, xs[k] + part * (size_t)l->route_group_id, part * sizeof(float));
        y += part;
    }
}

void drt_ref_shortcut(const drt_layer *l, drt_shape prev_shape, const float *prev, drt_shape from_shape,
                      const float *from, float *y)
{
    /* shortcut_cpu(w1,h1,c1 = from; w2,h2,c2 = the output, which starts as prev) */
    int w1 = from_shape.w, h1 = from_shape.h, c1 = from_shape.c;
    int w2 = prev_shape.w, h2 = prev_shape.h, c2 = prev_shape.c;
    int stride = w1 / w2, sample = w2 / w1;
    if (stride < 1) stride = 1;
    if (sample < 1) sample = 1;
    int minw = w1 < w2 ? w1 : w2, minh = h1 < h2 ? h1 : h2, minc = c1 < c2 ? c1 : c2;
    size_t n = drt_shape_size(prev_shape);
    memcpy(y, prev, n * sizeof(float));
    for (int k = 0; k < minc; k++)
        for (int j = 0; j < minh; j++)
            for (int i = 0; i < minw; i++) {
                size_t out_index = (size_t)i * sample + (size_t)w2 * ((size_t)j * sample + (size_t)h2 * k);
                size_t add_index = (size_t)i * stride + (size_t)w1 * ((size_t)j * stride + (size_t)h1 * k);
                y[out_index] = y[out_index] + from[add_index];
            }
    for (size_t i = 0; i < n; i++) y[i] = drt_act_apply(l->act, y[i]);
}

void drt_ref_shortcut_multi(const drt_layer *l, const drt_shape *shapes, const float *const *xs, float *y)
{
    size_t hw = (size_t)l->out.h * l->out.w;
    float w[DRT_MAX_INPUTS];
    for (int c = 0; c < l->out.c; c++) {
        for (int k = 0; k < l->n_inputs; k++) w[k] = drt_shortcut_weight(l, k, c);
        for (size_t i = 0; i < hw; i++) { /* shortcut_multilayer_cpu: previous x w, then each input's in order */
            float v = l->weights_type ? xs[0][c * hw + i] * w[0] : xs[0][c * hw + i];
            for (int k = 1; k < l->n_inputs; k++)
                if (c < shapes[k].c) v += l->weights_type ? xs[k][c * hw + i] * w[k] : xs[k][c * hw + i];
            y[c * hw + i] = drt_act_apply(l->act, v);
        }
    }
}

void drt_ref_reorg(const drt_layer *l, drt_shape in, const float *x, float *y)
{
    int s = l->stride, out_c = in.c / (s * s);
    /* Darknet reads x as out_c x h*s x w*s although it is c x h x w: its index order, kept as is. */
    for (int k = 0; k < in.c; k++)
        for (int j = 0; j < in.h; j++)
            for (int i = 0; i < in.w; i++) {
                int c2 = k % out_c, offset = k / out_c;
                int w2 = i * s + offset % s, h2 = j * s + offset / s;
                size_t in_index = (size_t)i + (size_t)in.w * ((size_t)j + (size_t)in.h * (size_t)k);
                size_t out_index = (size_t)w2 + (size_t)in.w * s * ((size_t)h2 + (size_t)in.h * s * (size_t)c2);
                y[in_index] = x[out_index];
            }
}

void drt_ref_reorg3d(const drt_layer *l, drt_shape in, const float *x, float *y)
{
    int s = l->stride, oh = l->out.h, ow = l->out.w;
    for (int k = 0; k < l->out.c; k++) /* AlexeyAB's reorg_cpu(x, out_w, out_h, out_c, ..., forward 0) */
        for (int j = 0; j < oh; j++)
            for (int i = 0; i < ow; i++) {
                int c2 = k % in.c, offset = k / in.c;
                int w2 = i * s + offset % s, h2 = j * s + offset / s;
                y[((size_t)k * oh + j) * ow + i] = x[((size_t)c2 * in.h + h2) * in.w + w2];
            }
}

void drt_ref_avgpool(drt_shape in, const float *x, float *y)
{
    size_t hw = (size_t)in.h * in.w;
    for (int c = 0; c < in.c; c++) {
        float sum = 0; /* AlexeyAB sums in float, in order, then divides */
        for (size_t i = 0; i < hw; i++) sum += x[c * hw + i];
        y[c] = sum / (float)hw;
    }
}

void drt_ref_product(const drt_layer *l, const float *prev, const float *from, float *y)
{
    size_t n = drt_shape_size(l->out), hw = (size_t)l->out.h * l->out.w;
    int per_channel = l->type == DRT_LAYER_SCALE_CHANNELS;
    for (size_t i = 0; i < n; i++) y[i] = drt_act_apply(l->act, prev[per_channel ? i / hw : i] * from[i]);
}

void drt_ref_local_avgpool(const drt_layer *l, drt_shape in, const float *x, float *y)
{
    int off = -l->padding / 2, oh = l->out.h, ow = l->out.w;
    for (int c = 0; c < in.c; c++) {
        const float *xc = x + (size_t)c * in.h * in.w;
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++) {
                float sum = 0; /* AlexeyAB: a float sum in window order, divided by the count inside the input */
                int count = 0;
                for (int n = 0; n < l->size; n++)
                    for (int m = 0; m < l->size; m++) {
                        int cy = off + i * l->stride_y + n, cx = off + j * l->stride + m;
                        if (cy < 0 || cy >= in.h || cx < 0 || cx >= in.w) continue;
                        sum += xc[(size_t)cy * in.w + cx];
                        count++;
                    }
                y[((size_t)c * oh + i) * ow + j] = sum / (float)count;
            }
    }
}

void drt_ref_batchnorm(const drt_layer *l, drt_bn_formula bn, const float *x, float *y)
{
    size_t hw = (size_t)l->out.h * l->out.w;
    for (int c = 0; c < l->out.c; c++) { /* Darknet's order: normalize_cpu, scale_bias, add_bias (as ref-conv.c) */
        float var = l->rolling_var[c], mean = l->rolling_mean[c], scale = l->scales[c], bias = l->biases[c];
        float denom = bn == DRT_BN_PJREDDIE ? sqrtf(var) + .000001f : sqrtf(var + .00001f);
        for (size_t i = 0; i < hw; i++) y[c * hw + i] = (x[c * hw + i] - mean) / denom * scale + bias;
    }
}
