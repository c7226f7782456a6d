/* The internal model: allocation, shape inference with Darknet's rules, small helpers. */
#define _POSIX_C_SOURCE 200809L
#include "graph/model.h"
#include "core/error.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const layer_names[DRT_LAYER_COUNT] = {
    "convolutional", "maxpool", "route", "shortcut", "upsample", "yolo", "dropout", "reorg",
    "avgpool", "scale_channels", "sam", "reorg3d", "activation", "local_avgpool", "batchnorm", "implicit",
    "local", "state",
};
static const char *const act_names[DRT_ACT_COUNT] = {
    "linear", "leaky", "relu", "logistic", "mish", "swish", "hard_mish", "relu6", "elu", "selu",
    "gelu", "tanh", "hardtan", "lhtan", "loggy", "ramp", "stair", "plse", "relie",
};

const char *drt_layer_type_name(drt_layer_type t)
{
    return (unsigned)t < DRT_LAYER_COUNT ? layer_names[t] : "?";
}

const char *drt_act_name(drt_act a) { return (unsigned)a < DRT_ACT_COUNT ? act_names[a] : "?"; }

int drt_act_parse(const char *name)
{
    for (int i = 0; i < DRT_ACT_COUNT; i++)
        if (strcmp(name, act_names[i]) == 0) return i;
    return -1;
}

drt_status drt_model_alloc(int n_layers, drt_model **model_out)
{
    *model_out = NULL;
    if (n_layers < 0 || n_layers > DRT_MAX_LAYERS)
        return drt_error(DRT_STATUS_INVALID_ARG, "model: %d layers: must be 0..%d (darkrt's limit for every model)", n_layers, DRT_MAX_LAYERS);
    drt_model *m = calloc(1, sizeof *m);
    if (!m) return drt_error(DRT_STATUS_OOM, "model: out of memory");
    m->layers = calloc(n_layers ? (size_t)n_layers : 1, sizeof *m->layers);
    if (!m->layers) {
        free(m);
        return drt_error(DRT_STATUS_OOM, "model: out of memory for %d layers", n_layers);
    }
    m->n_layers = n_layers;
    m->channels = 3;
    m->batch = 1;
    m->bn = DRT_BN_ALEXEYAB;
    m->resize = DRT_RESIZE_LETTERBOX;
    *model_out = m;
    return DRT_OK;
}

void drt_model_free(drt_model *m)
{
    if (!m) return;
    for (int i = 0; i < m->n_names; i++) free(m->names[i]);
    free(m->names);
    free(m->layers);
    free(m->params);
    free(m->fixed_params);
    free(m->source);
    free(m);
}

/* Whether p[0..len) holds an inf or NaN (exponent field all ones), without a branch per float: eight lanes
 * that -O2's straight-line vectorizer turns into SIMD (238 MiB in ~20 ms, not ~60 with isfinite per float). */
static int block_has_nonfinite(const float *p, size_t len)
{
    uint32_t lane[8] = {0}, worst = 0;
    size_t k = 0;
    for (; k + 8 <= len; k += 8) {
        uint32_t u[8];
        memcpy(u, p + k, sizeof u);
        for (int j = 0; j < 8; j++) {
            uint32_t e = u[j] & 0x7f800000u;
            lane[j] = e > lane[j] ? e : lane[j];
        }
    }
    for (; k < len; k++) {
        uint32_t u;
        memcpy(&u, p + k, 4);
        u &= 0x7f800000u;
        worst = u > worst ? u : worst;
    }
    for (int j = 0; j < 8; j++) worst = lane[j] > worst ? lane[j] : worst;
    return worst == 0x7f800000u;
}

/* The first of p[0..n) that is not finite, or n: blocks tested at once, only a bad one searched. */
static size_t first_nonfinite(const float *p, size_t n)
{
    enum { BLOCK = 4096 };
    for (size_t at = 0; at < n; at += BLOCK) {
        size_t len = n - at < BLOCK ? n - at : BLOCK;
        if (block_has_nonfinite(p + at, len))
            for (size_t k = 0; k < len; k++)
                if (!isfinite(p[at + k])) return at + k;
    }
    return n;
}

drt_status drt_model_check_params(const drt_model *m, const char *path)
{
    for (int i = 0; i < m->n_layers; i++) {
        const drt_layer *l = &m->layers[i];
        if (l->type == DRT_LAYER_SHORTCUT || l->type == DRT_LAYER_IMPLICIT) {
            size_t k = first_nonfinite(l->weights, l->n_weights);
            if (k < l->n_weights)
                return drt_error(DRT_STATUS_FORMAT, "%s: layer %d (%s) weight %zu of %zu is %g: weights must be finite",
                                 path, i, drt_layer_type_name(l->type), k, l->n_weights, l->weights[k]);
            continue;
        }
        if ((l->type != DRT_LAYER_CONV && l->type != DRT_LAYER_BATCHNORM && l->type != DRT_LAYER_LOCAL) || !l->biases)
            continue;
        char where[64] = ""; /* the cfg line, when the layer came from a cfg */
        if (l->line > 0) snprintf(where, sizeof where, " (cfg line %d)", l->line);
        size_t n = drt_layer_param_count(m, l);
        size_t k = first_nonfinite(l->biases, n); /* NaN would reach int8 casts and fp16 conversions */
        if (k < n)
            return drt_error(DRT_STATUS_FORMAT, "%s: layer %d%s float %zu of %zu is %g: weights must be finite",
                             path, i, where, k, n, l->biases[k]);
        for (int f = 0; (l->batch_normalize || l->type == DRT_LAYER_BATCHNORM) && l->rolling_var && f < l->filters; f++)
            if (l->rolling_var[f] < 0)
                return drt_error(DRT_STATUS_FORMAT, "%s: layer %d%s rolling variance %g of filter %d: must be >= 0",
                                 path, i, where, l->rolling_var[f], f);
    }
    return DRT_OK;
}

drt_shape drt_model_input_shape(const drt_model *m, int i)
{
    const drt_layer *l = &m->layers[i];
    int src = l->n_inputs > 0 ? l->inputs[0] : i - 1;
    if (src < 0) return (drt_shape){m->channels, m->height, m->width};
    return m->layers[src].out;
}

size_t drt_layer_param_count(const drt_model *m, const drt_layer *l)
{
    if (l->type == DRT_LAYER_BATCHNORM) return 4 * (size_t)drt_model_input_shape(m, (int)(l - m->layers)).c;
    if (l->type == DRT_LAYER_IMPLICIT) return (size_t)l->filters;
    if (l->type == DRT_LAYER_SHORTCUT && l->weights_type) /* AlexeyAB: (n + 1) or (n + 1) x c, c the previous layer's */
        return (size_t)l->n_inputs * (l->weights_type == 2 ? (size_t)drt_model_input_shape(m, (int)(l - m->layers)).c : 1);
    if (l->type == DRT_LAYER_LOCAL) { /* biases per output value, weights per output pixel */
        size_t c = (size_t)drt_model_input_shape(m, (int)(l - m->layers)).c;
        return drt_shape_size(l->out) * (1 + c * (size_t)l->size * (size_t)l->size);
    }
    /* a shared conv's parameters are its source's; a fixed conv's are built in */
    if (l->type != DRT_LAYER_CONV || l->share || l->fixed) return 0;
    int c = drt_model_input_shape(m, (int)(l - m->layers)).c;
    size_t n = (size_t)l->filters * (l->batch_normalize ? 4 : 1);
    return n + (size_t)l->filters * (size_t)(c / l->groups) * (size_t)l->size * (size_t)l->size;
}

#define FAIL(m, l, ...) layer_error(m, l, __VA_ARGS__)

static drt_status layer_error(const drt_model *m, const drt_layer *l, const char *fmt, ...)
    DRT_PRINTF(3, 4);
int drt_layer_in_crnn(const drt_model *m, int i)
{
    for (int k = i - 4; k <= i + 4 && m->layers[i].line > 0; k++)
        if (k >= 0 && k < m->n_layers && m->layers[k].type == DRT_LAYER_STATE && m->layers[k].line == m->layers[i].line)
            return 1;
    return 0;
}

static drt_status layer_error(const drt_model *m, const drt_layer *l, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int idx = (int)(l - m->layers);
    const char *src = m->source ? m->source : "model";
    const char *type = l->connected ? "connected" : drt_layer_in_crnn(m, idx) ? "crnn" : drt_layer_type_name(l->type);
    if (l->line > 0) return drt_error(DRT_STATUS_PARSE, "%s:%d [%s] (layer %d) %s", src, l->line, type, idx, msg);
    return drt_error(DRT_STATUS_PARSE, "%s: layer %d (%s) %s", src, idx, type, msg);
}

/* Dimensions past which products could overflow or memory explode. */
#define MAX_DIM 65536
#define MAX_ELEMS (1LL << 31)
#define DRT_MAX_PARAMS ((size_t)1 << 28)

static drt_status check_inputs(const drt_model *m, const drt_layer *l, int i)
{
    if (l->n_inputs < 1 || l->n_inputs > DRT_MAX_INPUTS)
        return FAIL(m, l, "has %d inputs: must be 1..%d", l->n_inputs, DRT_MAX_INPUTS);
    for (int k = 0; k < l->n_inputs; k++) {
        int s = l->inputs[k];
        if (s < -1 || s >= i)
            return FAIL(m, l, "input %d refers to layer %d: must be an earlier layer (0..%d)", k, s, i - 1);
        if (s >= 0 && m->layers[s].type == DRT_LAYER_YOLO && l->type != DRT_LAYER_ROUTE)
            return FAIL(m, l, "input %d is a [yolo] layer", k);
    }
    return DRT_OK;
}

/* stride_y left 0 by a front end means stride (the same in both directions). */
static drt_status check_strides(const drt_model *m, drt_layer *l)
{
    if (!l->stride_y) l->stride_y = l->stride;
    if (l->stride <= 0 || l->stride > 64) return FAIL(m, l, "stride=%d: must be 1..64", l->stride);
    if (l->stride_y <= 0 || l->stride_y > 64) return FAIL(m, l, "stride_y=%d: must be 1..64", l->stride_y);
    return DRT_OK;
}

/* A conv with built-in weights (drt_conv_fixed): depthwise, linear, no batchnorm, of the form its kind fixes. */
static drt_status check_fixed(const drt_model *m, const drt_layer *l, drt_shape in)
{
    if ((unsigned)l->fixed >= DRT_FIXED_COUNT) return FAIL(m, l, "fixed weights kind %d: unknown", (int)l->fixed);
    if (l->groups != l->filters || l->filters != in.c || l->batch_normalize || l->share || l->flipped ||
        l->act != DRT_ACT_LINEAR || l->dilation > 1)
        return FAIL(m, l, "fixed weights: must be a depthwise linear conv of its %d input channels without batchnorm", in.c);
    int size = l->fixed == DRT_FIXED_BLUR3 ? 3 : l->fixed == DRT_FIXED_BLUR2 ? 2 : l->stride;
    if (l->fixed == DRT_FIXED_CROP) size = l->size; /* the crop's margin + 1, any */
    int pad = l->fixed == DRT_FIXED_BLUR3 ? 1 : 0;
    if (l->fixed == DRT_FIXED_CROP && (l->stride != 1 || l->stride_y != 1 || !isfinite(l->fixed_scale)))
        return FAIL(m, l, "[crop]: stride %dx%d, scale %g: must be 1x1 and finite", l->stride, l->stride_y, l->fixed_scale);
    if (l->size != size || l->pad != pad || (l->fixed == DRT_FIXED_SUM && l->stride_y != l->stride))
        return FAIL(m, l, "fixed weights: size=%d padding=%d stride %dx%d: the kind needs size %d, padding %d%s", l->size,
                    l->pad, l->stride, l->stride_y, size, pad, l->fixed == DRT_FIXED_SUM ? " and stride = size" : "");
    if (l->fixed == DRT_FIXED_SUM && !isfinite(l->fixed_scale))
        return FAIL(m, l, "fixed weights: scale %g must be finite", l->fixed_scale);
    if (l->fixed == DRT_FIXED_SUM && (in.w % l->stride || in.h % l->stride)) /* upsample_cpu reads rows out_w x s wide */
        return FAIL(m, l, "stride=-%d: must divide the input's %dx%d (AlexeyAB's downsampling reads other sizes "
                    "out of place)", l->stride, in.w, in.h);
    return DRT_OK;
}

/* xnor=1 (AlexeyAB's bit-packed CPU path, forward_convolutional_layer after calculate_binary_weights): the forms it
 * computes as binary. */
static drt_status check_xnor(const drt_model *m, const drt_layer *l, drt_shape in)
{
    if (l->xnor != 1) return FAIL(m, l, "xnor=%d: must be 0 or 1", l->xnor);
    if (l->fixed || l->connected || l->share || l->groups != 1 || l->dilation > 1)
        return FAIL(m, l, "xnor=1: not with fixed weights, [connected], share_index, groups or dilation (AlexeyAB's "
                    "binary path has none of them)");
    if (m->bn == DRT_BN_PJREDDIE)
        return FAIL(m, l, "xnor=1 with pjreddie's semantics (--bn pjreddie): not supported (its Darknet pads binary inputs "
                    "with 0, not -1, and applies batchnorm after the binary conv)");
    if (l->stride != l->stride_y)
        return FAIL(m, l, "xnor=1 with stride_x=%d != stride_y=%d: not supported (AlexeyAB's detector runs such a layer "
                    "unbinarized)", l->stride, l->stride_y);
    if (in.c % 32 && (l->size != 3 || l->pad != 1 || l->stride != 1))
        return FAIL(m, l, "xnor=1 on %d input channels (not a multiple of 32): only size=3 pad=1 stride=1 (AlexeyAB's "
                    "im2col_cpu_custom_bin has no other case and computes on zero bits)", in.c);
    return DRT_OK;
}

static drt_status infer_conv(const drt_model *m, drt_layer *l, drt_shape in)
{
    if (l->fixed && !l->filters) l->filters = l->groups = in.c; /* the cfg parser leaves a fixed conv's channels 0 */
    if (l->connected) { /* YOLOv1's [connected]: one output pixel reading the whole input */
        if (in.h != in.w || in.h > 64 || l->fixed || l->share || l->groups != 1 || l->dilation > 1 || l->flipped)
            return FAIL(m, l, "on a %dx%d input: darkrt runs it as a conv whose kernel is its input, which must be square "
                        "and at most 64x64", in.w, in.h);
        l->size = in.h, l->pad = 0, l->stride = l->stride_y = 1;
    }
    if (l->filters <= 0 || l->filters > MAX_DIM) return FAIL(m, l, "filters=%d: must be 1..%d", l->filters, MAX_DIM);
    if (l->size <= 0 || l->size > 64) return FAIL(m, l, "size=%d: must be 1..64", l->size);
    DRT_TRY(check_strides(m, l));
    if (l->pad < 0 || l->pad > 64) return FAIL(m, l, "padding=%d: must be 0..64", l->pad);
    if (l->groups <= 0) return FAIL(m, l, "groups=%d: must be > 0", l->groups);
    if (l->dilation < 0 || l->dilation > 64) return FAIL(m, l, "dilation=%d: must be 1..64", l->dilation);
    if (l->share) { /* AlexeyAB's make_convolutional_layer: the same size, weights, channels and filters */
        long i = l - m->layers, k = (long)l->share - 1; /* long: a plan may hold any int there */
        const drt_layer *s = k >= 0 && k < i ? &m->layers[k] : NULL;
        if (!s || s->type != DRT_LAYER_CONV || s->share)
            return FAIL(m, l, "share_index: layer %ld is not an earlier convolution with its own parameters", k);
        if (s->filters != l->filters || s->size != l->size || s->groups != l->groups ||
            s->batch_normalize != l->batch_normalize || drt_model_input_shape(m, (int)k).c != in.c || s->flipped != l->flipped)
            return FAIL(m, l, "share_index: layer %ld differs in filters, size, groups, batch_normalize, flipped or input "
                        "channels", k);
    }
    if (l->dilation > 1 && 2 * l->pad != l->size - 1) /* AlexeyAB's output size ignores dilation; its im2col does not */
        return FAIL(m, l, "dilation=%d: needs padding = (size - 1) / 2 (size=%d, padding=%d)", l->dilation, l->size, l->pad);
    if (in.c % l->groups) return FAIL(m, l, "groups=%d: must divide the %d input channels", l->groups, in.c);
    if (l->filters % l->groups) return FAIL(m, l, "groups=%d: must divide filters=%d", l->groups, l->filters);
    if (l->fixed) DRT_TRY(check_fixed(m, l, in));
    if (l->xnor) DRT_TRY(check_xnor(m, l, in));
    int oh = (in.h + 2 * l->pad - l->size) / l->stride_y + 1;
    int ow = (in.w + 2 * l->pad - l->size) / l->stride + 1;
    if (in.h + 2 * l->pad < l->size || in.w + 2 * l->pad < l->size)
        return FAIL(m, l, "size=%d: larger than the padded %dx%d input", l->size, in.w, in.h);
    l->out = (drt_shape){l->filters, oh, ow};
    return DRT_OK;
}

static drt_status infer_maxpool(const drt_model *m, drt_layer *l, drt_shape in)
{
    if (l->size <= 0 || l->size > 64) return FAIL(m, l, "size=%d: must be 1..64", l->size);
    DRT_TRY(check_strides(m, l));
    if (l->padding < 0 || l->padding > 128) return FAIL(m, l, "padding=%d: must be 0..128", l->padding);
    if (l->depth_channels) { /* AlexeyAB's maxpool_depth: over channels, the same pixels */
        if (l->depth_channels < 0 || l->depth_channels > in.c) /* more would be -FLT_MAX planes */
            return FAIL(m, l, "out_channels=%d: must be 1..%d (the input's channels)", l->depth_channels, in.c);
        l->out = (drt_shape){l->depth_channels, in.h, in.w};
        return DRT_OK;
    }
    if (in.h + l->padding < l->size || in.w + l->padding < l->size)
        return FAIL(m, l, "size=%d: larger than the padded %dx%d input", l->size, in.w, in.h);
    l->out = (drt_shape){in.c, (in.h + l->padding - l->size) / l->stride_y + 1,
                         (in.w + l->padding - l->size) / l->stride + 1};
    return DRT_OK;
}

static drt_status infer_route(const drt_model *m, drt_layer *l)
{
    if (l->route_groups <= 0) return FAIL(m, l, "groups=%d: must be > 0", l->route_groups);
    if (l->route_group_id < 0 || l->route_group_id >= l->route_groups)
        return FAIL(m, l, "group_id=%d: must be 0..groups-1 (%d)", l->route_group_id, l->route_groups - 1);
    drt_shape out = {0, 0, 0};
    long long c = 0;
    for (int k = 0; k < l->n_inputs; k++) {
        drt_shape s = l->inputs[k] < 0 ? (drt_shape){m->channels, m->height, m->width}
                                       : m->layers[l->inputs[k]].out;
        if (s.c % l->route_groups)
            return FAIL(m, l, "groups=%d: must divide the %d channels of layer %d", l->route_groups, s.c, l->inputs[k]);
        if (k == 0) { out.h = s.h; out.w = s.w; }
        else if (s.h != out.h || s.w != out.w)
            return FAIL(m, l, "layer %d is %dx%d but layer %d is %dx%d: route inputs must have the same size",
                        l->inputs[k], s.w, s.h, l->inputs[0], out.w, out.h);
        c += s.c / l->route_groups; /* 64-bit: 8 inputs of 2^31 values would overflow an int */
        if (c * out.h * out.w > MAX_ELEMS || c > 0x7fffffffLL)
            return FAIL(m, l, "output of %lld values: out of range", c * out.h * out.w);
    }
    out.c = (int)c;
    l->out = out;
    return DRT_OK;
}

/* AlexeyAB's weighted or multi-input shortcut: every input of previous's h x w (its parser asserts it); each adds its
 * first min(c) channels. */
static drt_status infer_shortcut_multi(const drt_model *m, drt_layer *l)
{
    drt_shape a = drt_model_input_shape(m, (int)(l - m->layers));
    if (l->weights_type < 0 || l->weights_type > 2 || l->weights_norm < 0 || l->weights_norm > 2)
        return FAIL(m, l, "weights_type=%d, weights_normalization=%d: must be 0..2", l->weights_type, l->weights_norm);
    for (int k = 1; k < l->n_inputs; k++) {
        if (l->inputs[k] < 0) return FAIL(m, l, "from: must name earlier layers");
        drt_shape b = m->layers[l->inputs[k]].out;
        if (b.w != a.w || b.h != a.h)
            return FAIL(m, l, "from=%d is %dx%d, previous is %dx%d: a weighted or multi-input shortcut adds layers of one size "
                        "(AlexeyAB's parser asserts it)", l->inputs[k], b.w, b.h, a.w, a.h);
    }
    l->out = a;
    return DRT_OK;
}

static drt_status infer_shortcut(const drt_model *m, drt_layer *l)
{
    if (drt_shortcut_multi(l)) return infer_shortcut_multi(m, l);
    if (l->n_inputs != 2) return FAIL(m, l, "needs 2 inputs (previous and from), has %d", l->n_inputs);
    if (l->inputs[1] < 0) return FAIL(m, l, "from: must name an earlier layer");
    drt_shape a = l->inputs[0] < 0 ? (drt_shape){m->channels, m->height, m->width} : m->layers[l->inputs[0]].out;
    drt_shape b = m->layers[l->inputs[1]].out;
    /* Darknet's shortcut_cpu: integer stride or sample ratio, the same in both axes. */
    int ok_w = (a.w >= b.w) ? (a.w % b.w == 0) : (b.w % a.w == 0);
    int ok_h = (a.h >= b.h) ? (a.h % b.h == 0) : (b.h % a.h == 0);
    if (!ok_w || !ok_h || (a.w >= b.w) != (a.h >= b.h) ||
        (a.w >= b.w ? a.w / b.w != a.h / b.h : b.w / a.w != b.h / a.h))
        return FAIL(m, l, "from=%d is %dx%d, previous is %dx%d: sizes must differ by one integer factor",
                    l->inputs[1], b.w, b.h, a.w, a.h);
    l->out = a;
    return DRT_OK;
}

/* The YOLO head settings, whichever front end (cfg, ONNX metadata, plan, --anchors) set them: every box
 * must have finite, positive sizes. Anchors all 0 mean "not given yet" (an ONNX file without darkrt's
 * metadata): detect refuses to decode such heads until anchors are supplied. */
static drt_status check_yolo_settings(const drt_model *m, const drt_layer *l)
{
    if (!isfinite(l->scale_x_y) || !(l->scale_x_y > 0) || l->scale_x_y > 100)
        return FAIL(m, l, "scale_x_y=%g: must be a number in (0, 100]", l->scale_x_y);
    if (l->new_coords != 0 && l->new_coords != 1) return FAIL(m, l, "new_coords=%d: must be 0 or 1", l->new_coords);
    int positive = 0;
    for (int k = 0; k < 2 * l->num; k++) {
        if (!isfinite(l->anchors[k]) || l->anchors[k] < 0)
            return FAIL(m, l, "anchor %d is %g: anchors must be finite and > 0", k, l->anchors[k]);
        positive += l->anchors[k] > 0;
    }
    if (positive && positive != 2 * l->num) return FAIL(m, l, "anchors hold a 0: anchors must be > 0");
    return DRT_OK;
}

static drt_status infer_yolo(const drt_model *m, drt_layer *l, drt_shape in)
{
    if (l->classes <= 0 || l->classes > 100000) return FAIL(m, l, "classes=%d: must be 1..100000", l->classes);
    if (l->num <= 0 || l->num > DRT_MAX_ANCHORS) return FAIL(m, l, "num=%d: must be 1..%d", l->num, DRT_MAX_ANCHORS);
    if (l->n_mask <= 0 || l->n_mask > l->num) return FAIL(m, l, "mask has %d entries: must be 1..num (%d)", l->n_mask, l->num);
    for (int k = 0; k < l->n_mask; k++)
        if (l->mask[k] < 0 || l->mask[k] >= l->num)
            return FAIL(m, l, "mask=%d: must be 0..num-1 (%d)", l->mask[k], l->num - 1);
    DRT_TRY(check_yolo_settings(m, l));
    if (l->detection) { /* make_detection_layer: side x side x ((1 + coords) x num + classes) inputs, coords 4 */
        if (l->detection < 1 || l->detection > 1024 || l->n_mask != l->num || l->region || l->gaussian || l->new_coords)
            return FAIL(m, l, "[detection] side=%d: must be 1..1024, every anchor, no other head kind", l->detection);
        long long want = (long long)l->detection * l->detection * (5LL * l->num + l->classes); /* side checked first */
        if ((long long)drt_shape_size(in) != want)
            return FAIL(m, l, "input has %zu values: must be side x side x (num x 5 + classes) = %d x %d x (%d x 5 + %d) = %lld "
                        "(check the output= of the [connected] before it)", drt_shape_size(in), l->detection,
                        l->detection, l->num, l->classes, want);
        l->out = in;
        return DRT_OK;
    }
    int box = l->gaussian ? 9 : 5; /* [Gaussian_yolo]: a sigma after each of x, y, w, h */
    int want = l->n_mask * (l->classes + box);
    if (in.c != want)
        return FAIL(m, l, "input has %d channels: must be masks x (classes + %d) = %d x %d = %d (check the filters= of the conv before it)",
                    in.c, box, l->n_mask, l->classes + box, want);
    l->out = in;
    return DRT_OK;
}

/* [scale_channels] and [sam]: previous times from (per channel, or elementwise), as AlexeyAB's
 * make_scale_channels_layer and make_sam_layer require the shapes. */
static drt_status infer_product(const drt_model *m, drt_layer *l)
{
    if (l->n_inputs != 2 || l->inputs[1] < 0) return FAIL(m, l, "needs previous and from= (an earlier layer)");
    drt_shape a = drt_model_input_shape(m, (int)(l - m->layers)), b = m->layers[l->inputs[1]].out;
    if (l->type == DRT_LAYER_SCALE_CHANNELS && (a.c != b.c || a.h != 1 || a.w != 1))
        return FAIL(m, l, "previous is %dx%dx%d, from=%d is %dx%dx%d: previous must be one value per channel of from (%dx1x1)",
                    a.c, a.h, a.w, l->inputs[1], b.c, b.h, b.w, b.c);
    if (l->type == DRT_LAYER_SAM && (a.c != b.c || a.h != b.h || a.w != b.w))
        return FAIL(m, l, "previous is %dx%dx%d, from=%d is %dx%dx%d: [sam] multiplies two tensors of one shape",
                    a.c, a.h, a.w, l->inputs[1], b.c, b.h, b.w);
    l->out = b;
    return DRT_OK;
}

/* Darknet's reorg (stride s, forward): c x h x w -> c*s*s x h/s x w/s. */
static drt_status infer_reorg(const drt_model *m, drt_layer *l, drt_shape in)
{
    int s = l->stride;
    if (s < 1 || s > 64 || in.h % s || in.w % s || in.c % (s * s))
        return FAIL(m, l, "stride=%d: must divide the input's %dx%d and its stride^2 its %d channels", s, in.w, in.h, in.c);
    l->out = (drt_shape){in.c * s * s, in.h / s, in.w / s};
    return DRT_OK;
}

/* YOLOv1's [local] (AlexeyAB's make_local_layer): its output size is local_out_height's, (h - 1) / stride + 1 with
 * pad=, (h - size) / stride + 1 without; its im2col_cpu pads pad pixels: both must agree. */
static drt_status infer_local(const drt_model *m, drt_layer *l, drt_shape in)
{
    if (l->filters <= 0 || l->filters > MAX_DIM) return FAIL(m, l, "filters=%d: must be 1..%d", l->filters, MAX_DIM);
    if (l->size <= 0 || l->size > 64) return FAIL(m, l, "size=%d: must be 1..64", l->size);
    DRT_TRY(check_strides(m, l));
    if (l->stride_y != l->stride) return FAIL(m, l, "stride_y=%d: must be stride=%d", l->stride_y, l->stride);
    if (l->pad < 0 || l->pad > 64) return FAIL(m, l, "pad=%d: must be 0..64", l->pad);
    if (in.h + 2 * l->pad < l->size || in.w + 2 * l->pad < l->size)
        return FAIL(m, l, "size=%d: larger than the padded %dx%d input", l->size, in.w, in.h);
    if ((long long)in.c * l->size * l->size > (1LL << 28)) /* per output value; keeps the parameter count in range */
        return FAIL(m, l, "%d input channels x size %d^2: more than 2^28 weights per output value", in.c, l->size);
    int oh = (in.h + 2 * l->pad - l->size) / l->stride + 1, ow = (in.w + 2 * l->pad - l->size) / l->stride + 1;
    int ab_h = (l->pad ? in.h - 1 : in.h - l->size) / l->stride + 1, ab_w = (l->pad ? in.w - 1 : in.w - l->size) / l->stride + 1;
    if (oh != ab_h || ow != ab_w)
        return FAIL(m, l, "size=%d pad=%d: AlexeyAB's output size (%dx%d) differs from what its im2col reads (%dx%d): use "
                    "pad=0, or pad=1 with size=3", l->size, l->pad, ab_w, ab_h, ow, oh);
    l->out = (drt_shape){l->filters, oh, ow};
    return DRT_OK;
}

drt_status drt_model_infer_shapes(drt_model *m) { return drt_model_infer_shapes_from(m, 0); }

drt_status drt_model_infer_shapes_from(drt_model *m, int first)
{
    if (m->width <= 0 || m->height <= 0 || m->width > MAX_DIM || m->height > MAX_DIM)
        return drt_error(DRT_STATUS_PARSE, "%s: [net] width=%d height=%d: must be 1..%d",
                         m->source ? m->source : "model", m->width, m->height, MAX_DIM);
    if (m->channels <= 0 || m->channels > 64)
        return drt_error(DRT_STATUS_PARSE, "%s: [net] channels=%d: must be 1..64", m->source ? m->source : "model", m->channels);
    for (int i = first > 0 ? first : 0; i < m->n_layers; i++) {
        drt_layer *l = &m->layers[i];
        DRT_TRY(check_inputs(m, l, i));
        drt_shape in = drt_model_input_shape(m, i);
        drt_status s = DRT_OK;
        switch (l->type) {
        case DRT_LAYER_CONV: s = infer_conv(m, l, in); break;
        case DRT_LAYER_MAXPOOL: s = infer_maxpool(m, l, in); break;
        case DRT_LAYER_ROUTE: s = infer_route(m, l); break;
        case DRT_LAYER_SHORTCUT: s = infer_shortcut(m, l); break;
        case DRT_LAYER_UPSAMPLE:
            if (l->stride <= 0 || l->stride > 64) return FAIL(m, l, "stride=%d: must be 1..64", l->stride);
            l->out = (drt_shape){in.c, in.h * l->stride, in.w * l->stride};
            break;
        case DRT_LAYER_YOLO: s = infer_yolo(m, l, in); break;
        case DRT_LAYER_DROPOUT: l->out = in; break;
        case DRT_LAYER_REORG: s = infer_reorg(m, l, in); break;
        case DRT_LAYER_AVGPOOL: l->out = (drt_shape){in.c, 1, 1}; break;
        case DRT_LAYER_ACTIVATION: l->out = in; break;
        case DRT_LAYER_BATCHNORM:
            l->filters = in.c; /* AlexeyAB's make_batchnorm_layer: one set of parameters per channel */
            l->out = in;
            break;
        case DRT_LAYER_IMPLICIT:
            if (l->filters <= 0 || l->filters > MAX_DIM) return FAIL(m, l, "filters=%d: must be 1..%d", l->filters, MAX_DIM);
            l->out = (drt_shape){l->filters, 1, 1};
            break;
        case DRT_LAYER_LOCAL_AVGPOOL:
            if (l->padding / 2 >= l->size || l->padding - l->padding / 2 >= l->size)
                return FAIL(m, l, "padding=%d: must be < 2 x size=%d (a window outside the input averages nothing: AlexeyAB "
                            "divides by 0)", l->padding, l->size);
            s = infer_maxpool(m, l, in);
            break;
        case DRT_LAYER_REORG3D:
            if (l->stride < 1 || l->stride > 64 || in.h % l->stride || in.w % l->stride)
                return FAIL(m, l, "stride=%d: must divide the input's %dx%d", l->stride, in.w, in.h);
            l->out = (drt_shape){in.c * l->stride * l->stride, in.h / l->stride, in.w / l->stride};
            break;
        case DRT_LAYER_SCALE_CHANNELS:
        case DRT_LAYER_SAM: s = infer_product(m, l); break;
        case DRT_LAYER_LOCAL: s = infer_local(m, l, in); break;
        case DRT_LAYER_STATE:
            if (l->state_from <= i || l->state_from >= m->n_layers || m->layers[l->state_from].type == DRT_LAYER_YOLO)
                return FAIL(m, l, "state_from=%d: must be a later layer (%d..%d), not a [yolo]", l->state_from, i + 1,
                            m->n_layers - 1);
            for (int k = 0; k < i; k++) /* one state per source: the engines map each layer to the state it feeds */
                if (m->layers[k].type == DRT_LAYER_STATE && m->layers[k].state_from == l->state_from)
                    return FAIL(m, l, "state_from=%d: layer %d's state already (one state per layer)", l->state_from, k);
            l->out = in;
            break;
        default: return FAIL(m, l, "unknown layer type %d", (int)l->type);
        }
        if (s != DRT_OK) return s;
        if (l->out.c <= 0 || l->out.h <= 0 || l->out.w <= 0 || l->out.h > MAX_DIM || l->out.w > MAX_DIM ||
            (long long)l->out.c * l->out.h * l->out.w > MAX_ELEMS)
            return FAIL(m, l, "output %dx%dx%d: out of range", l->out.c, l->out.h, l->out.w);
    }
    /* every layer inferred: a state's source stores what it holds. From first, not 0: the one caller with
     * first > 0, the ONNX importer, appends a layer at a time and makes no state layers, and a loop from 0
     * made importing quadratic again (20,000 nodes: 0.5 s instead of 0.04; unit/build-time) */
    for (int i = first > 0 ? first : 0; i < m->n_layers; i++) {
        const drt_layer *l = &m->layers[i], *src = l->type == DRT_LAYER_STATE ? &m->layers[l->state_from] : l;
        if (memcmp(&src->out, &l->out, sizeof l->out))
            return FAIL(m, l, "state %dx%dx%d: layer %d's output (%dx%dx%d) must have its shape", l->out.c, l->out.h,
                        l->out.w, l->state_from, src->out.c, src->out.h, src->out.w);
    }
    return DRT_OK;
}

/* The fixed convs' weights (AlexeyAB's make_convolutional_layer blur, upsample_cpu's reverse sum) and zero
 * biases, in m->fixed_params; infer_conv checked their form. */
static drt_status alloc_fixed(drt_model *m)
{
    static const float blur3[9] = {1 / 16.f, 2 / 16.f, 1 / 16.f, 2 / 16.f, 4 / 16.f, 2 / 16.f, 1 / 16.f, 2 / 16.f, 1 / 16.f};
    size_t total = 0;
    for (int i = 0; i < m->n_layers; i++) {
        const drt_layer *l = &m->layers[i];
        if (l->type == DRT_LAYER_CONV && l->fixed) total += (size_t)l->filters * (1 + (size_t)l->size * l->size);
    }
    free(m->fixed_params);
    if (!(m->fixed_params = calloc(total ? total : 1, sizeof(float))))
        return drt_error(DRT_STATUS_OOM, "%s: cannot allocate %zu fixed weights", m->source ? m->source : "model", total);
    float *p = m->fixed_params;
    for (int i = 0; i < m->n_layers; i++) {
        drt_layer *l = &m->layers[i];
        if (l->type != DRT_LAYER_CONV || !l->fixed) continue;
        size_t taps = (size_t)l->size * l->size;
        l->biases = p;
        p += l->filters;
        l->scales = l->rolling_mean = l->rolling_var = NULL;
        l->weights = p;
        l->n_weights = (size_t)l->filters * taps;
        for (size_t k = 0; k < l->n_weights; k++)
            p[k] = l->fixed == DRT_FIXED_BLUR3 ? blur3[k % 9] : l->fixed == DRT_FIXED_BLUR2 ? .25f : l->fixed_scale;
        if (l->fixed == DRT_FIXED_CROP) { /* forward_crop_layer: x * scale + trans, trans = -1 (scale 2) or 0 (1) */
            size_t centre = (size_t)(l->size - 1) / 2 * (size_t)(l->size + 1);
            for (size_t k = 0; k < l->n_weights; k++) p[k] = k % taps == centre ? l->fixed_scale : 0.f;
            for (int f = 0; f < l->filters; f++) l->biases[f] = 1.f - l->fixed_scale;
        }
        p += l->n_weights;
    }
    return DRT_OK;
}

drt_status drt_model_alloc_params(drt_model *m)
{
    size_t total = 0;
    for (int i = 0; i < m->n_layers; i++) {
        size_t n = drt_layer_param_count(m, &m->layers[i]);
        /* 2^28 floats (1 GiB): 4x the largest Darknet models; hostile cfgs stop here, not in calloc */
        if (n > DRT_MAX_PARAMS || total + n > DRT_MAX_PARAMS)
            return layer_error(m, &m->layers[i], "has too many parameters (%zu, %zu in all so far): the limit is %zu",
                               n, total + n, DRT_MAX_PARAMS);
        total += n;
    }
    free(m->params);
    m->params = calloc(total ? total : 1, sizeof(float));
    if (!m->params) return drt_error(DRT_STATUS_OOM, "%s: cannot allocate %zu parameters", m->source ? m->source : "model", total);
    m->n_params = total;
    DRT_TRY(alloc_fixed(m));
    float *p = m->params;
    for (int i = 0; i < m->n_layers; i++) {
        drt_layer *l = &m->layers[i];
        if (l->type == DRT_LAYER_BATCHNORM) { /* load_batchnorm_weights: biases, scales, mean, variance */
            int c = l->filters;
            l->biases = p, l->scales = p + c, l->rolling_mean = p + 2 * c, l->rolling_var = p + 3 * c;
            p += 4 * c;
            continue;
        }
        if (l->type == DRT_LAYER_LOCAL) { /* AlexeyAB's load_weights_upto: biases (outputs), then weights */
            l->biases = p;
            p += drt_shape_size(l->out);
            l->weights = p;
            l->n_weights = drt_layer_param_count(m, l) - drt_shape_size(l->out);
            p += l->n_weights;
            l->scales = l->rolling_mean = l->rolling_var = NULL;
            continue;
        }
        if ((l->type == DRT_LAYER_SHORTCUT && l->weights_type) || l->type == DRT_LAYER_IMPLICIT) {
            l->weights = p;
            l->n_weights = drt_layer_param_count(m, l);
            p += l->n_weights;
            continue;
        }
        if (l->type != DRT_LAYER_CONV || l->fixed) continue;
        if (l->share) { /* infer_conv checked the source: an earlier conv of the same form */
            const drt_layer *src = &m->layers[l->share - 1];
            l->biases = src->biases, l->scales = src->scales, l->rolling_mean = src->rolling_mean;
            l->rolling_var = src->rolling_var, l->weights = src->weights, l->n_weights = src->n_weights;
            continue;
        }
        int f = l->filters;
        l->n_weights = drt_layer_param_count(m, l) - (size_t)f * (l->batch_normalize ? 4 : 1);
        l->biases = p; p += f;
        if (l->connected) { /* load_connected_weights: biases, weights, then the batchnorm parameters */
            l->weights = p;
            p += l->n_weights;
        }
        if (l->batch_normalize) {
            l->scales = p; p += f;
            l->rolling_mean = p; p += f;
            l->rolling_var = p; p += f;
        } else {
            l->scales = l->rolling_mean = l->rolling_var = NULL;
        }
        if (!l->connected) {
            l->weights = p;
            p += l->n_weights;
        }
    }
    return DRT_OK;
}

int drt_model_heads(const drt_model *m, int *idx, int max)
{
    int n = 0;
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i].type == DRT_LAYER_YOLO) {
            if (n < max) idx[n] = i;
            n++;
        }
    return n;
}

void drt_bn_coeffs(drt_bn_formula bn, float scale, float mean, float var, float bias, float *mul, float *add)
{
    float denom = bn == DRT_BN_PJREDDIE ? sqrtf(var) + .000001f : sqrtf(var + .00001f);
    *mul = scale / denom;
    *add = bias - mean * *mul;
}

float drt_act_apply(drt_act a, float x) { return drt_act_eval(a, x); }

static float lrelu(float w) { return w > .001f ? w : .001f; } /* AlexeyAB's network.c lrelu */

float drt_shortcut_weight(const drt_layer *l, int k, int c)
{
    if (!l->weights_type) return 1.f;
    int step = (int)(l->n_weights / (size_t)l->n_inputs), chan = l->weights_type == 2 ? c : 0;
    const float *w = l->weights + chan;
    if (!l->weights_norm) return w[(size_t)k * step];
    float max = -3.4e38f, sum = .0001f; /* fuse_conv_batchnorm: eps 0.0001, in input order */
    for (int i = 0; i < l->n_inputs; i++) max = w[(size_t)i * step] > max ? w[(size_t)i * step] : max;
    for (int i = 0; i < l->n_inputs; i++) sum += l->weights_norm == 1 ? lrelu(w[(size_t)i * step]) : expf(w[(size_t)i * step] - max);
    return l->weights_norm == 1 ? lrelu(w[(size_t)k * step]) / sum : expf(w[(size_t)k * step] - max) / sum;
}

drt_status drt_model_clone(const drt_model *src, drt_model **out)
{
    drt_model *m;
    DRT_TRY(drt_model_alloc(src->n_layers, &m));
    drt_layer *layers = m->layers;
    *m = *src;
    m->layers = layers;
    m->source = NULL;
    m->names = NULL;
    m->n_names = 0;
    m->params = NULL;
    m->fixed_params = NULL;
    memcpy(m->layers, src->layers, sizeof *layers * (size_t)src->n_layers);
    if ((src->source && !(m->source = strdup(src->source))) || drt_model_alloc_params(m) != DRT_OK) {
        drt_model_free(m);
        return drt_error(DRT_STATUS_OOM, "model: out of memory while copying");
    }
    memcpy(m->params, src->params, sizeof(float) * src->n_params);
    if (src->n_names) {
        m->names = calloc((size_t)src->n_names, sizeof *m->names);
        if (!m->names) { drt_model_free(m); return drt_error(DRT_STATUS_OOM, "model: out of memory"); }
        m->n_names = src->n_names;
        for (int i = 0; i < src->n_names; i++)
            if (!(m->names[i] = strdup(src->names[i]))) { drt_model_free(m); return drt_error(DRT_STATUS_OOM, "model: out of memory"); }
    }
    *out = m;
    return DRT_OK;
}

/* The getters of a NULL model: 0 (bn: -1, class names: NULL) and the error text. */
int drt_model_width(const drt_model *m) { DRT_ARG_OR(m, "model", 0); return m->width; }
int drt_model_height(const drt_model *m) { DRT_ARG_OR(m, "model", 0); return m->height; }
int drt_model_channels(const drt_model *m) { DRT_ARG_OR(m, "model", 0); return m->channels; }
int drt_model_num_layers(const drt_model *m) { DRT_ARG_OR(m, "model", 0); return m->n_layers; }

int drt_model_first_state(const drt_model *m)
{
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i].type == DRT_LAYER_STATE) return i;
    return -1;
}

int drt_model_stateful(const drt_model *m)
{
    DRT_ARG_OR(m, "model", 0);
    return drt_model_first_state(m) >= 0;
}
drt_bn_formula drt_model_bn_formula(const drt_model *m) { DRT_ARG_OR(m, "model", (drt_bn_formula)-1); return m->bn; }
size_t drt_model_num_params(const drt_model *m) { DRT_ARG_OR(m, "model", 0); return m->n_params; }

const char *drt_model_class_name(const drt_model *m, int id)
{
    DRT_ARG_OR(m, "model", NULL);
    return (m->names && id >= 0 && id < m->n_names) ? m->names[id] : NULL;
}

drt_load_opts drt_load_opts_default(void)
{
    return (drt_load_opts){.size = sizeof(drt_load_opts), .bn = DRT_BN_ALEXEYAB, .warn = 1};
}
