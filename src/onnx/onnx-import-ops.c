/* ONNX import, node by node: each supported pattern becomes one Darknet layer with the same
 * semantics (Conv[+BN][+act] -> conv, Add[+act] -> shortcut, Concat/Split/Slice -> route,
 * Resize/Upsample -> upsample, MaxPool -> maxpool, Mul[+act] -> sam or scale_channels,
 * GlobalAveragePool -> avgpool, SpaceToDepth -> reorg3d, Slice/Max/Concat -> maxpool_depth); anything else is refused by
 * name. */
#include "onnx/onnx-import.h"
#include "core/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUPPORTED_OPS "Conv, BatchNormalization, LeakyRelu(alpha 0.1 or 0.01), Relu, Sigmoid, Mish, Softplus+Tanh+Mul (mish), " \
                      "Sigmoid+Mul (swish), Tanh, Elu, Selu, Clip (relu6, hardtan), Mul (sam, scale_channels), " \
                      "GlobalAveragePool, AveragePool (count_include_pad 0), SpaceToDepth (reorg3d), Add, Concat, Split, Slice (channels), Resize/Upsample (nearest, integer scale), " \
                      "MaxPool, Max (maxpool_depth), Identity, Dropout, Constant"

static int out_value(const ix *x, int node, int k)
{
    const Onnx__NodeProto *n = ix_node(x, node);
    return (size_t)k < n->n_output ? ix_find(x, n->output[k]) : -1;
}

static int op_is(const ix *x, int node, const char *op) { return strcmp(ix_node(x, node)->op_type, op) == 0; }

/* The single consumer of value v (not a graph output), or -1. */
static int sole_consumer(const ix *x, int v)
{
    if (v < 0) return -1;
    const ix_value *val = &x->vals[v];
    return (!val->is_output && val->n_consumers == 1) ? val->consumers[0] : -1;
}

/* Node outputs past the first must be absent or unused (Dropout's mask, MaxPool's indices, BN's stats). */
static drt_status only_first_output(const ix *x, int node)
{
    const Onnx__NodeProto *n = ix_node(x, node);
    for (size_t k = 1; k < n->n_output; k++) {
        int v = out_value(x, node, (int)k);
        if (v >= 0 && (x->vals[v].n_consumers || x->vals[v].is_output))
            return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "output %zu '%s' is used: only the first output is supported", k, n->output[k]);
    }
    return DRT_OK;
}

typedef struct act_match {
    int act; /* drt_act, or -1 when the node starts no activation */
    int n_nodes, nodes[3];
    int out; /* the value the activation ends in */
} act_match;

/* A Mul node whose two inputs are values a and b in either order. */
static int is_mul_of(const ix *x, int node, int a, int b)
{
    const Onnx__NodeProto *n = ix_node(x, node);
    if (!op_is(x, node, "Mul") || n->n_input != 2) return 0;
    int i0 = ix_find(x, n->input[0]), i1 = ix_find(x, n->input[1]);
    return (i0 == a && i1 == b) || (i0 == b && i1 == a);
}

/* Elu (alpha 1) and Selu with Darknet's constants (alpha 1.6732, gamma 1.0507). */
static drt_status elu_act(const ix *x, int n, act_match *am)
{
    int selu = op_is(x, n, "Selu");
    float alpha, gamma = 1.0507f;
    DRT_TRY(ix_check_attrs(x, n, (const char *[]){"alpha", selu ? "gamma" : NULL, NULL}));
    DRT_TRY(ix_attr_float(x, n, "alpha", selu ? 1.67326319f : 1.f, &alpha));
    if (selu) DRT_TRY(ix_attr_float(x, n, "gamma", 1.05070102f, &gamma));
    float want = selu ? 1.6732f : 1.f;
    if (!(fabsf(alpha - want) <= 1e-6f) || !(fabsf(gamma - 1.0507f) <= 1e-6f))
        return ix_fail(x, n, DRT_STATUS_UNSUPPORTED, "alpha=%g gamma=%g: Darknet's %s has alpha %g%s", alpha, gamma,
                       selu ? "selu" : "elu", want, selu ? ", gamma 1.0507" : "");
    am->act = selu ? DRT_ACT_SELU : DRT_ACT_ELU;
    return DRT_OK;
}

/* Clip to [0, 6] (relu6) or [-1, 1] (hardtan): bounds as constant inputs (opset 11+) or attributes. */
static drt_status clip_act(ix *x, int n, act_match *am)
{
    const Onnx__NodeProto *nd = ix_node(x, n);
    float b[2] = {-INFINITY, INFINITY};
    if (x->opset < 11) {
        DRT_TRY(ix_check_attrs(x, n, (const char *[]){"min", "max", NULL}));
        DRT_TRY(ix_attr_float(x, n, "min", b[0], &b[0]));
        DRT_TRY(ix_attr_float(x, n, "max", b[1], &b[1]));
    } else {
        DRT_TRY(ix_check_attrs(x, n, (const char *[]){NULL}));
        for (int k = 1; k < 3 && (size_t)k < nd->n_input; k++) {
            const Onnx__TensorProto *t;
            DRT_TRY(ix_const_input(x, n, k, &t));
            if (t) DRT_TRY(ix_tensor_floats(x, n, t, &b[k - 1], 1));
        }
    }
    if (b[0] == 0 && b[1] == 6) am->act = DRT_ACT_RELU6;
    else if (b[0] == -1 && b[1] == 1) am->act = DRT_ACT_HARDTAN;
    else
        return ix_fail(x, n, DRT_STATUS_UNSUPPORTED, "bounds [%g, %g]: only [0, 6] (relu6) and [-1, 1] (hardtan) are "
                       "Darknet activations", b[0], b[1]);
    return DRT_OK;
}

/* The activation that node n computes from value xv: one node, Sigmoid+Mul (swish) or
 * Softplus+Tanh+Mul (mish). */
static drt_status chain_from(ix *x, int n, int xv, act_match *am)
{
    const Onnx__NodeProto *nd = ix_node(x, n);
    *am = (act_match){.act = -1, .n_nodes = 1, .nodes = {n}, .out = out_value(x, n, 0)};
    if (op_is(x, n, "Clip") && nd->n_output == 1) return clip_act(x, n, am);
    if (nd->n_input != 1 || nd->n_output != 1) return DRT_OK;
    if (op_is(x, n, "LeakyRelu")) {
        float alpha;
        DRT_TRY(ix_check_attrs(x, n, (const char *[]){"alpha", NULL}));
        DRT_TRY(ix_attr_float(x, n, "alpha", 0.01f, &alpha));
        if (fabsf(alpha - 0.1f) <= 1e-6f) am->act = DRT_ACT_LEAKY;
        else if (fabsf(alpha - 0.01f) <= 1e-8f) am->act = DRT_ACT_RELIE;
        else /* NaN too */
            return ix_fail(x, n, DRT_STATUS_UNSUPPORTED, "alpha=%g: Darknet's leaky is 0.1 and relie 0.01", alpha);
    } else if (op_is(x, n, "Elu") || op_is(x, n, "Selu")) {
        DRT_TRY(elu_act(x, n, am));
    } else if (op_is(x, n, "Tanh")) {
        am->act = DRT_ACT_TANH;
    } else if (op_is(x, n, "Relu")) {
        am->act = DRT_ACT_RELU;
    } else if (op_is(x, n, "Mish")) {
        am->act = DRT_ACT_MISH;
    } else if (op_is(x, n, "Sigmoid")) {
        int s = am->out, mul = sole_consumer(x, s);
        am->act = DRT_ACT_LOGISTIC;
        if (mul >= 0 && is_mul_of(x, mul, xv, s))
            *am = (act_match){.act = DRT_ACT_SWISH, .n_nodes = 2, .nodes = {n, mul}, .out = out_value(x, mul, 0)};
    } else if (op_is(x, n, "Softplus")) {
        int t = sole_consumer(x, am->out);
        int mul = (t >= 0 && op_is(x, t, "Tanh")) ? sole_consumer(x, out_value(x, t, 0)) : -1;
        if (mul < 0 || !is_mul_of(x, mul, xv, out_value(x, t, 0)))
            return ix_fail(x, n, DRT_STATUS_UNSUPPORTED, "Softplus is supported only as mish: x * Tanh(Softplus(x))");
        *am = (act_match){.act = DRT_ACT_MISH, .n_nodes = 3, .nodes = {n, t, mul}, .out = out_value(x, mul, 0)};
    }
    if (am->out < 0) am->act = -1; /* an unnamed output: nothing to define */
    if (am->act >= 0 && !op_is(x, n, "Elu") && !op_is(x, n, "Selu") && !op_is(x, n, "Clip"))
        DRT_TRY(ix_check_attrs(x, n, (const char *[]){op_is(x, n, "LeakyRelu") ? "alpha" : NULL, NULL}));
    return DRT_OK;
}

/* Folds the activation that alone consumes value yv into the layer making it. */
static drt_status fuse_act(ix *x, int yv, drt_act *act, int *final_out)
{
    *act = DRT_ACT_LINEAR;
    *final_out = yv;
    if (yv < 0) return DRT_OK; /* an unnamed output: nothing consumes it */
    const ix_value *y = &x->vals[yv];
    if (y->is_output || y->n_consumers == 0 || y->n_consumers > 2) return DRT_OK;
    act_match am;
    DRT_TRY(chain_from(x, y->consumers[0], yv, &am));
    if (am.act < 0) return DRT_OK;
    for (int c = 0; c < y->n_consumers; c++) {
        int in_chain = 0;
        for (int j = 0; j < am.n_nodes; j++) in_chain |= am.nodes[j] == y->consumers[c];
        if (!in_chain) return DRT_OK;
    }
    for (int j = 0; j < am.n_nodes; j++) x->done[am.nodes[j]] = 1;
    *act = (drt_act)am.act;
    *final_out = am.out;
    return DRT_OK;
}

static drt_status define_value(ix *x, int v, int layer)
{
    if (v < 0) return DRT_OK; /* an unnamed output: nothing can read it */
    x->vals[v].kind = IX_LAYER;
    x->vals[v].layer = layer;
    return DRT_OK;
}

typedef struct conv_parts {
    int src, filters, size, stride, stride_y, pad, groups, dilation; /* stride: horizontal */
    const float *w;         /* filters x (c/groups) x size x size */
    const float *conv_bias; /* NULL: none */
    const float *bn;        /* scale, bias, mean, var (filters each), or NULL */
    float eps;
    drt_act act;
} conv_parts;

/* A conv layer with Darknet's parameter order. BN stays BN when its epsilon can be expressed
 * with Darknet's 1e-5 (var' = var + eps - 1e-5 >= 0); otherwise it is folded into the weights. */
static drt_status add_conv(ix *x, int node, const conv_parts *p, int *idx)
{
    int f = p->filters;
    int cin = ix_layer_shape(x, p->src).c / p->groups;
    size_t per = (size_t)cin * p->size * p->size, nw = per * f;
    int keep_bn = p->bn != NULL;
    for (int o = 0; keep_bn && o < f; o++) keep_bn = (double)p->bn[3 * f + o] + p->eps - 1e-5 >= 0;
    size_t total = (size_t)f * (keep_bn ? 4 : 1) + nw;
    float *params = malloc(total * sizeof *params);
    if (!params) return ix_fail(x, node, DRT_STATUS_OOM, "out of memory for %zu parameters", total);
    float *w = params + (size_t)f * (keep_bn ? 4 : 1);
    memcpy(w, p->w, nw * sizeof *w);
    for (int o = 0; o < f; o++) {
        float cb = p->conv_bias ? p->conv_bias[o] : 0;
        if (!p->bn) {
            params[o] = cb;
        } else if (keep_bn) {
            params[o] = p->bn[f + o];                            /* biases = BN beta */
            params[f + o] = p->bn[o];                            /* scales */
            params[2 * f + o] = p->bn[2 * f + o] - cb;           /* mean absorbs the conv bias */
            params[3 * f + o] = p->eps == 1e-5f ? p->bn[3 * f + o] : (float)((double)p->bn[3 * f + o] + p->eps - 1e-5);
        } else {
            float mul = p->bn[o] / sqrtf(p->bn[3 * f + o] + p->eps);
            for (size_t j = 0; j < per; j++) w[o * per + j] *= mul;
            params[o] = p->bn[f + o] + (cb - p->bn[2 * f + o]) * mul;
        }
    }
    drt_layer l = {.type = DRT_LAYER_CONV, .n_inputs = 1, .inputs = {p->src}, .act = p->act, .filters = f,
                   .size = p->size, .stride = p->stride, .stride_y = p->stride_y, .pad = p->pad, .groups = p->groups, .batch_normalize = keep_bn,
                   .dilation = p->dilation};
    return ix_add_layer(x, node, &l, params, idx);
}

/* BatchNormalization's four parameter tensors (scale, B, mean, var) into bn[4 * f]. */
static drt_status read_bn(ix *x, int node, int f, float *bn, float *eps)
{
    DRT_TRY(ix_check_attrs(x, node, (const char *[]){"epsilon", "momentum", "spatial", "training_mode", "is_test", NULL}));
    int64_t spatial, training;
    DRT_TRY(ix_attr_float(x, node, "epsilon", 1e-5f, eps));
    DRT_TRY(ix_attr_int(x, node, "spatial", 1, &spatial));
    DRT_TRY(ix_attr_int(x, node, "training_mode", 0, &training));
    if (spatial != 1 || training != 0)
        return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "spatial=%lld training_mode=%lld: only inference with spatial=1",
                       (long long)spatial, (long long)training);
    if (!(*eps >= 0) || *eps > 1) return ix_fail(x, node, DRT_STATUS_FORMAT, "epsilon=%g: must be in [0, 1]", *eps);
    DRT_TRY(only_first_output(x, node));
    if (ix_node(x, node)->n_input != 5) return ix_fail(x, node, DRT_STATUS_FORMAT, "has %zu inputs: must be 5", ix_node(x, node)->n_input);
    for (int k = 0; k < 4; k++) {
        const Onnx__TensorProto *t;
        DRT_TRY(ix_const_input(x, node, k + 1, &t));
        if (!t) return ix_fail(x, node, DRT_STATUS_FORMAT, "input %d is missing", k + 1);
        if (t->n_dims != 1 || t->dims[0] != f)
            return ix_fail(x, node, DRT_STATUS_FORMAT, "parameter '%s' must have shape [%d] (the channels): dims disagree",
                           t->name ? t->name : "", f);
        DRT_TRY(ix_tensor_floats(x, node, t, bn + (size_t)k * f, (size_t)f));
    }
    for (int o = 0; o < f; o++) /* sqrt(var + epsilon) must be real */
        if (!((double)bn[3 * f + o] + *eps >= 0))
            return ix_fail(x, node, DRT_STATUS_FORMAT, "variance %g of channel %d: var + epsilon must be >= 0", bn[3 * f + o], o);
    return DRT_OK;
}

/* Conv padding in Darknet's form (the same on every side), from pads or auto_pad. */
static drt_status conv_pad(ix *x, int node, drt_shape in, int k, const int64_t st[2], int *pad)
{
    char autopad[32];
    int64_t pads[4] = {0, 0, 0, 0};
    size_t n;
    DRT_TRY(ix_attr_string(x, node, "auto_pad", "NOTSET", autopad, sizeof autopad));
    DRT_TRY(ix_attr_ints(x, node, "pads", pads, 4, &n));
    if (n != 0 && n != 4) return ix_fail(x, node, DRT_STATUS_FORMAT, "pads has %zu values: must be 4", n);
    if (!strcmp(autopad, "SAME_UPPER") || !strcmp(autopad, "SAME_LOWER")) {
        int dims[2] = {in.h, in.w};
        for (int a = 0; a < 2; a++) {
            int out = (dims[a] + (int)st[a] - 1) / (int)st[a], total = (out - 1) * (int)st[a] + k - dims[a];
            if (total < 0) total = 0;
            pads[a] = pads[a + 2] = total / 2;
            if (total % 2) pads[a + 2] += 1;
        }
    } else if (strcmp(autopad, "NOTSET") && strcmp(autopad, "VALID") && autopad[0]) {
        return ix_fail(x, node, DRT_STATUS_FORMAT, "auto_pad=%s: must be NOTSET, VALID, SAME_UPPER or SAME_LOWER", autopad);
    }
    if (pads[0] != pads[1] || pads[0] != pads[2] || pads[0] != pads[3] || pads[0] < 0 || pads[0] > 64)
        return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "pads [%lld,%lld,%lld,%lld]: Darknet convs pad every side alike (0..64)",
                       (long long)pads[0], (long long)pads[1], (long long)pads[2], (long long)pads[3]);
    *pad = (int)pads[0];
    return DRT_OK;
}

static drt_status read_conv(ix *x, int node)
{
    DRT_TRY(ix_check_attrs(x, node, (const char *[]){"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides", NULL}));
    conv_parts p = {.eps = 1e-5f};
    DRT_TRY(ix_input_layer(x, node, 0, &p.src));
    drt_shape in = ix_layer_shape(x, p.src);
    const Onnx__TensorProto *wt, *bt;
    DRT_TRY(ix_const_input(x, node, 1, &wt));
    DRT_TRY(ix_const_input(x, node, 2, &bt));
    if (!wt) return ix_fail(x, node, DRT_STATUS_FORMAT, "has no weight input");
    size_t wcount; /* dims and data checked before any dim is believed */
    DRT_TRY(ix_tensor_count(x, node, wt, &wcount));
    if (bt) DRT_TRY(ix_tensor_count(x, node, bt, &wcount));
    if (wt->n_dims != 4) return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "weight '%s' has rank %zu: only 2-D convs (rank 4)", wt->name, wt->n_dims);
    int64_t group, ks[2], st[2] = {1, 1}, dil[2] = {1, 1};
    size_t nks, nst, ndil;
    DRT_TRY(ix_attr_int(x, node, "group", 1, &group));
    DRT_TRY(ix_attr_ints(x, node, "kernel_shape", ks, 2, &nks));
    DRT_TRY(ix_attr_ints(x, node, "strides", st, 2, &nst));
    DRT_TRY(ix_attr_ints(x, node, "dilations", dil, 2, &ndil));
    if (!nst) st[0] = st[1] = 1;
    if (!ndil) dil[0] = dil[1] = 1;
    if (group < 1 || group > in.c || in.c % group || wt->dims[1] * group != in.c || wt->dims[0] < 1 || wt->dims[0] % group)
        return ix_fail(x, node, DRT_STATUS_FORMAT, "weight '%s' dims [%lld,%lld,...] with group=%lld disagree with the %d input channels",
                       wt->name, (long long)wt->dims[0], (long long)wt->dims[1], (long long)group, in.c);
    if (wt->dims[2] != wt->dims[3] || (nks && (ks[0] != wt->dims[2] || ks[1] != wt->dims[3])))
        return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "kernel %lldx%lld: Darknet kernels are square and match kernel_shape",
                       (long long)wt->dims[2], (long long)wt->dims[3]);
    if (st[0] < 1 || st[0] > 64 || st[1] < 1 || st[1] > 64 || dil[0] != dil[1] || dil[0] < 1 || dil[0] > 64)
        return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "strides [%lld,%lld] dilations [%lld,%lld]: need strides 1..64 and equal dilations",
                       (long long)st[0], (long long)st[1], (long long)dil[0], (long long)dil[1]);
    if (wt->dims[0] > 65536 || wt->dims[2] > 64)
        return ix_fail(x, node, DRT_STATUS_FORMAT, "weight '%s' dims out of range (filters <= 65536, size <= 64)", wt->name);
    p.filters = (int)wt->dims[0];
    p.size = (int)wt->dims[2];
    p.stride_y = (int)st[0]; /* ONNX strides: [height, width] */
    p.stride = (int)st[1];
    p.groups = (int)group;
    DRT_TRY(conv_pad(x, node, in, p.size, st, &p.pad));
    if (dil[0] > 1) { /* Darknet's dilated conv: pads (size - 1) / 2 x dilation, an odd size */
        if (p.size % 2 == 0 || p.pad != (p.size - 1) / 2 * dil[0])
            return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "dilations %lld with pads %d: Darknet needs an odd kernel padded "
                           "(size - 1) / 2 x dilation", (long long)dil[0], p.pad);
        p.dilation = (int)dil[0];
        p.pad = (p.size - 1) / 2;
    }
    size_t nw = (size_t)p.filters * (size_t)wt->dims[1] * p.size * p.size;
    float *buf = malloc((nw + 5 * (size_t)p.filters) * sizeof *buf);
    if (!buf) return ix_fail(x, node, DRT_STATUS_OOM, "out of memory");
    float *bias = buf + nw, *bn = bias + p.filters;
    drt_status s = ix_tensor_floats(x, node, wt, buf, nw);
    if (s == DRT_OK && bt) {
        if (bt->n_dims != 1 || bt->dims[0] != p.filters)
            s = ix_fail(x, node, DRT_STATUS_FORMAT, "bias '%s' must have shape [%d]: dims disagree", bt->name, p.filters);
        else s = ix_tensor_floats(x, node, bt, bias, (size_t)p.filters);
        p.conv_bias = bias;
    }
    p.w = buf;
    int yv = out_value(x, node, 0), bn_node = yv >= 0 ? sole_consumer(x, yv) : -1;
    if (s == DRT_OK && bn_node >= 0 && op_is(x, bn_node, "BatchNormalization") &&
        ix_find(x, ix_node(x, bn_node)->input[0]) == yv) {
        s = read_bn(x, bn_node, p.filters, bn, &p.eps);
        p.bn = bn;
        x->done[bn_node] = 1;
        yv = out_value(x, bn_node, 0);
    }
    int final_v = yv, idx = -1;
    if (s == DRT_OK) s = fuse_act(x, yv, &p.act, &final_v);
    if (s == DRT_OK) s = add_conv(x, node, &p, &idx);
    free(buf);
    DRT_TRY(s);
    return define_value(x, final_v, idx);
}

/* An identity depthwise 1x1 conv carrying a BN and/or an activation that follows no conv. */
static drt_status identity_conv(ix *x, int node, int src, const float *bn, float eps, drt_act act, int *idx)
{
    int c = ix_layer_shape(x, src).c;
    float *ones = malloc((size_t)c * sizeof *ones);
    if (!ones) return ix_fail(x, node, DRT_STATUS_OOM, "out of memory");
    for (int i = 0; i < c; i++) ones[i] = 1;
    conv_parts p = {.src = src, .filters = c, .size = 1, .stride = 1, .groups = c, .w = ones, .bn = bn, .eps = eps, .act = act};
    drt_status s = add_conv(x, node, &p, idx);
    free(ones);
    return s;
}

static drt_status read_bn_alone(ix *x, int node)
{
    int src, idx, final_v;
    DRT_TRY(ix_input_layer(x, node, 0, &src));
    int c = ix_layer_shape(x, src).c;
    float *bn = malloc(4 * (size_t)c * sizeof *bn), eps;
    if (!bn) return ix_fail(x, node, DRT_STATUS_OOM, "out of memory");
    drt_act act = DRT_ACT_LINEAR;
    drt_status s = read_bn(x, node, c, bn, &eps);
    if (s == DRT_OK) s = fuse_act(x, out_value(x, node, 0), &act, &final_v);
    if (s == DRT_OK) s = identity_conv(x, node, src, bn, eps, act, &idx);
    free(bn);
    DRT_TRY(s);
    return define_value(x, final_v, idx);
}

static drt_status read_act_alone(ix *x, int node)
{
    int src, idx;
    ix_value *in;
    DRT_TRY(ix_input(x, node, 0, &in));
    act_match am;
    DRT_TRY(chain_from(x, node, (int)(in - x->vals), &am));
    if (am.act < 0)
        return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "not supported here (supported: %s)", SUPPORTED_OPS);
    DRT_TRY(ix_input_layer(x, node, 0, &src));
    DRT_TRY(identity_conv(x, node, src, NULL, 1e-5f, (drt_act)am.act, &idx));
    for (int j = 0; j < am.n_nodes; j++) x->done[am.nodes[j]] = 1;
    return define_value(x, am.out, idx);
}

/* The two layer inputs of an Add or Mul node (no attributes). */
static drt_status two_inputs(ix *x, int node, int *a, int *b)
{
    DRT_TRY(ix_check_attrs(x, node, (const char *[]){NULL}));
    if (ix_node(x, node)->n_input != 2) return ix_fail(x, node, DRT_STATUS_FORMAT, "must have 2 inputs");
    DRT_TRY(ix_input_layer(x, node, 0, a));
    return ix_input_layer(x, node, 1, b);
}

/* Adds a two-input layer l (its act taken from what alone consumes the node's output). */
static drt_status add_binary(ix *x, int node, drt_layer *l)
{
    int idx, final_v;
    DRT_TRY(fuse_act(x, out_value(x, node, 0), &l->act, &final_v));
    DRT_TRY(ix_add_layer(x, node, l, NULL, &idx));
    return define_value(x, final_v, idx);
}

static drt_status read_add(ix *x, int node)
{
    int a, b;
    DRT_TRY(two_inputs(x, node, &a, &b));
    drt_shape sa = ix_layer_shape(x, a), sb = ix_layer_shape(x, b);
    if (sa.c != sb.c || sa.h != sb.h || sa.w != sb.w)
        return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "adds %dx%dx%d to %dx%dx%d: only same-shape adds (no broadcasting)",
                       sa.c, sa.h, sa.w, sb.c, sb.h, sb.w);
    if (a < 0) { int t = a; a = b; b = t; } /* shortcut's from= must be a layer */
    if (b < 0) return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "adds the network input to itself");
    drt_layer l = {.type = DRT_LAYER_SHORTCUT, .n_inputs = 2, .inputs = {a, b}};
    return add_binary(x, node, &l);
}

/* Mul of two layers: [sam] (the same shapes) or [scale_channels] (one factor per channel, c x 1 x 1, times
 * a c x h x w layer). Mul nodes of swish and mish never get here: their activation took them. */
static drt_status read_mul(ix *x, int node)
{
    int a, b;
    DRT_TRY(two_inputs(x, node, &a, &b));
    drt_shape sa = ix_layer_shape(x, a), sb = ix_layer_shape(x, b);
    if (sa.h * sa.w > sb.h * sb.w) { int t = a; a = b; b = t; drt_shape u = sa; sa = sb; sb = u; }
    int same = sa.c == sb.c && sa.h == sb.h && sa.w == sb.w, per_channel = sa.c == sb.c && sa.h == 1 && sa.w == 1;
    if (!same && !per_channel)
        return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "multiplies %dx%dx%d by %dx%dx%d: only the same shapes ([sam]) or "
                       "one factor per channel ([scale_channels])", sa.c, sa.h, sa.w, sb.c, sb.h, sb.w);
    if (b < 0) return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "multiplies the network input: from= must be a layer");
    drt_layer l = {.type = same ? DRT_LAYER_SAM : DRT_LAYER_SCALE_CHANNELS, .n_inputs = 2, .inputs = {a, b}};
    return add_binary(x, node, &l);
}

static drt_status read_space_to_depth(ix *x, int node)
{
    DRT_TRY(ix_check_attrs(x, node, (const char *[]){"blocksize", NULL}));
    int64_t bs;
    DRT_TRY(ix_attr_int(x, node, "blocksize", 0, &bs));
    if (bs < 1 || bs > 64) return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "blocksize=%lld: must be 1..64", (long long)bs);
    drt_layer l = {.type = DRT_LAYER_REORG3D, .n_inputs = 1, .stride = (int)bs};
    int idx;
    DRT_TRY(ix_input_layer(x, node, 0, &l.inputs[0]));
    DRT_TRY(ix_add_layer(x, node, &l, NULL, &idx));
    return define_value(x, out_value(x, node, 0), idx);
}

static drt_status read_global_avgpool(ix *x, int node)
{
    DRT_TRY(ix_check_attrs(x, node, (const char *[]){NULL}));
    drt_layer l = {.type = DRT_LAYER_AVGPOOL, .n_inputs = 1};
    int idx;
    DRT_TRY(ix_input_layer(x, node, 0, &l.inputs[0]));
    DRT_TRY(ix_add_layer(x, node, &l, NULL, &idx));
    return define_value(x, out_value(x, node, 0), idx);
}

static drt_status channel_axis(ix *x, int node, int64_t axis)
{
    if (axis != 1 && axis != -3)
        return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "axis=%lld: only the channel axis (1) is supported", (long long)axis);
    return DRT_OK;
}

static drt_status read_concat(ix *x, int node)
{
    DRT_TRY(ix_check_attrs(x, node, (const char *[]){"axis", NULL}));
    int64_t axis;
    DRT_TRY(ix_attr_int(x, node, "axis", 1000, &axis));
    DRT_TRY(channel_axis(x, node, axis));
    size_t n = ix_node(x, node)->n_input;
    if (n < 1 || n > DRT_MAX_INPUTS)
        return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "%zu inputs: darkrt's route takes 1..%d", n, DRT_MAX_INPUTS);
    drt_layer l = {.type = DRT_LAYER_ROUTE, .n_inputs = (int)n, .route_groups = 1};
    for (size_t k = 0; k < n; k++) DRT_TRY(ix_input_layer(x, node, (int)k, &l.inputs[k]));
    int idx;
    DRT_TRY(ix_add_layer(x, node, &l, NULL, &idx));
    return define_value(x, out_value(x, node, 0), idx);
}

/* Output k = channels [off, off + size) of layer src: a route group when the range is one of
 * C / size equal parts; another range is kept for a pattern that takes it (maxpool_depth's Max) and
 * refused, naming this node, when anything else uses it. */
static drt_status define_part(ix *x, int node, int k, int src, int64_t off, int64_t size)
{
    int c = ix_layer_shape(x, src).c, v = out_value(x, node, k);
    if (v < 0) return DRT_OK;
    if (size <= 0 || off < 0 || off + size > c)
        return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "channels %lld..%lld of %d: Darknet's route groups take one of equal parts",
                       (long long)off, (long long)(off + size), c);
    if (size == c) return define_value(x, v, src);
    ix_value *val = &x->vals[v];
    int groups = c % size || off % size ? 0 : (int)(c / size);
    val->kind = IX_PART;
    val->part_src = src;
    val->part_groups = groups;
    val->part_id = groups ? (int)(off / size) : 0;
    val->part_off = off;
    val->part_size = size;
    val->part_node = node;
    return DRT_OK;
}

static drt_status read_split(ix *x, int node)
{
    DRT_TRY(ix_check_attrs(x, node, (const char *[]){"axis", "split", "num_outputs", NULL}));
    int64_t axis, sizes[DRT_MAX_ANCHORS], num;
    size_t n = 0, n_out = ix_node(x, node)->n_output;
    DRT_TRY(ix_attr_int(x, node, "axis", 0, &axis));
    DRT_TRY(channel_axis(x, node, axis));
    DRT_TRY(ix_attr_int(x, node, "num_outputs", (int64_t)n_out, &num));
    if (num != (int64_t)n_out || n_out < 1 || n_out > DRT_MAX_ANCHORS)
        return ix_fail(x, node, DRT_STATUS_FORMAT, "%zu outputs (num_outputs=%lld): must agree, 1..%d", n_out, (long long)num, DRT_MAX_ANCHORS);
    int src;
    DRT_TRY(ix_input_layer(x, node, 0, &src));
    int c = ix_layer_shape(x, src).c;
    if (x->opset < 13) {
        DRT_TRY(ix_attr_ints(x, node, "split", sizes, DRT_MAX_ANCHORS, &n));
    } else {
        const Onnx__TensorProto *t;
        if (ix_attr(ix_node(x, node), "split"))
            return ix_fail(x, node, DRT_STATUS_FORMAT, "attribute 'split': since opset 13 the sizes are input 1");
        DRT_TRY(ix_const_input(x, node, 1, &t));
        if (t) DRT_TRY(ix_tensor_ints(x, node, t, sizes, DRT_MAX_ANCHORS, &n));
    }
    if (n == 0) {
        if (c % (int)n_out) return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "%d channels do not split into %zu equal parts", c, n_out);
        for (size_t k = 0; k < n_out; k++) sizes[k] = c / (int)n_out;
    } else if (n != n_out) {
        return ix_fail(x, node, DRT_STATUS_FORMAT, "split has %zu sizes for %zu outputs", n, n_out);
    }
    int64_t off = 0;
    for (size_t k = 0; k < n_out; k++) {
        if (sizes[k] < 0 || sizes[k] > c)
            return ix_fail(x, node, DRT_STATUS_FORMAT, "split size %lld: must be 0..%d (the input's channels)", (long long)sizes[k], c);
        DRT_TRY(define_part(x, node, (int)k, src, off, sizes[k]));
        off += sizes[k];
    }
    if (off != c) return ix_fail(x, node, DRT_STATUS_FORMAT, "split sizes add up to %lld: the input has %d channels", (long long)off, c);
    return DRT_OK;
}

static drt_status slice_args(ix *x, int node, int64_t v[4][4], size_t n[4])
{
    static const char *const names[4] = {"starts", "ends", "axes", "steps"};
    for (int a = 0; a < 4; a++) {
        n[a] = 0;
        if (x->opset < 10) {
            if (a < 3) DRT_TRY(ix_attr_ints(x, node, names[a], v[a], 4, &n[a]));
        } else {
            const Onnx__TensorProto *t;
            DRT_TRY(ix_const_input(x, node, a + 1, &t));
            if (t) DRT_TRY(ix_tensor_ints(x, node, t, v[a], 4, &n[a]));
        }
    }
    if (n[0] != n[1] || n[0] == 0 || (n[2] && n[2] != n[0]) || (n[3] && n[3] != n[0]))
        return ix_fail(x, node, DRT_STATUS_FORMAT, "starts, ends, axes and steps must have the same length (>= 1)");
    return DRT_OK;
}

/* The channel range a Slice node takes of a tensor of shape s (only unit-step channel slices). */
static drt_status slice_range(ix *x, int node, drt_shape s, int64_t *off_out, int64_t *size_out)
{
    DRT_TRY(ix_check_attrs(x, node, x->opset < 10 ? (const char *[]){"starts", "ends", "axes", NULL} : (const char *[]){NULL}));
    int64_t v[4][4];
    size_t n[4];
    DRT_TRY(slice_args(x, node, v, n));
    int64_t dims[4] = {1 << 30, s.c, s.h, s.w}, off = 0, size = s.c;
    for (size_t i = 0; i < n[0]; i++) {
        int64_t axis = n[2] ? v[2][i] : (int64_t)i, step = n[3] ? v[3][i] : 1;
        if (axis < 0) axis += 4;
        if (axis < 0 || axis > 3 || step != 1)
            return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "axis %lld step %lld: only unit-step channel slices", (long long)axis, (long long)step);
        int64_t d = dims[axis], b = v[0][i], e = v[1][i];
        if (b < 0) b += d;
        if (e < 0) e += d;
        b = b < 0 ? 0 : (b > d ? d : b);
        e = e < 0 ? 0 : (e > d ? d : e);
        if (axis != 1) {
            if (b != 0 || e != d)
                return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "slices axis %lld: only the channel axis may be sliced", (long long)axis);
            continue;
        }
        off = b;
        size = e - b;
    }
    *off_out = off;
    *size_out = size;
    return DRT_OK;
}

static drt_status read_slice(ix *x, int node)
{
    int src;
    int64_t off, size;
    DRT_TRY(ix_input_layer(x, node, 0, &src));
    DRT_TRY(slice_range(x, node, ix_layer_shape(x, src), &off, &size));
    return define_part(x, node, 0, src, off, size);
}

/* The node whose first output is value v, or -1 (an input or initializer). */
static int producer(const ix *x, int v)
{
    for (int i = 0; v >= 0 && i < (int)x->gp->n_node; i++) {
        const Onnx__NodeProto *n = ix_node(x, i);
        if (n->n_output > 0 && !strcmp(n->output[0], x->vals[v].name)) return i;
    }
    return -1;
}

/* A Slice node reading value v whose range of a tensor of shape s is [off, off + size). */
static int slice_of(ix *x, int node, int v, drt_shape s, int64_t off, int64_t size)
{
    const Onnx__NodeProto *n = node >= 0 ? ix_node(x, node) : NULL;
    int64_t o, z;
    if (!n || !op_is(x, node, "Slice") || n->n_input < 1 || ix_find(x, n->input[0]) != v) return 0;
    return slice_range(x, node, s, &o, &z) == DRT_OK && o == off && z == size;
}

#define DEPTH_RULE "only AlexeyAB's maxpool_depth as darkrt exports it: Max over consecutive equal channel slices of one " \
                   "tensor, and a partial last group maxed into the first channels (Slice, Max, Concat)"

/* AlexeyAB's maxpool_depth (onnx-export.c's emit_maxpool_depth): Max over the n slices [j oc, (j + 1) oc) of a tensor
 * of c channels; with c = n oc + r (0 < r < oc), that Max's channels [0, r) are maxed with the tensor's last r
 * (Slice, Slice, Max) and concatenated with its channels [r, oc). One maxpool layer with depth_channels = oc. */
static drt_status read_max(ix *x, int node)
{
    const Onnx__NodeProto *nd = ix_node(x, node);
    DRT_TRY(ix_check_attrs(x, node, (const char *[]){NULL}));
    int src = -1;
    int64_t oc = 0, n = (int64_t)nd->n_input;
    for (int64_t j = 0; j < n; j++) {
        ix_value *v;
        DRT_TRY(ix_input(x, node, (int)j, &v));
        if (v->kind != IX_PART || (j && (v->part_src != src || v->part_size != oc)) || v->part_off != j * v->part_size)
            return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, DEPTH_RULE);
        src = v->part_src;
        oc = v->part_size;
    }
    if (n < 1) return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, DEPTH_RULE);
    drt_shape s = ix_layer_shape(x, src);
    int64_t r = s.c - n * oc;
    int out = out_value(x, node, 0), last = node, chain[5];
    if (r < 0 || r >= oc) return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, DEPTH_RULE);
    if (r) { /* the partial group: lo = Slice(out, 0, r), hi = Slice(out, r, oc), Max(lo, tail), Concat(that, hi) */
        const ix_value *mv = &x->vals[out];
        drt_shape ms = {(int)oc, s.h, s.w};
        int lo = -1, hi = -1;
        for (int k = 0; !mv->is_output && mv->n_consumers == 2 && k < 2; k++) {
            int cn = mv->consumers[k];
            if (slice_of(x, cn, out, ms, 0, r)) lo = cn;
            else if (slice_of(x, cn, out, ms, r, oc - r)) hi = cn;
        }
        int lo_v = lo >= 0 ? out_value(x, lo, 0) : -1, hi_v = hi >= 0 ? out_value(x, hi, 0) : -1;
        int mx = sole_consumer(x, lo_v), tail = -1, cc = -1;
        if (mx >= 0 && op_is(x, mx, "Max") && ix_node(x, mx)->n_input == 2 && ix_node(x, mx)->n_attribute == 0) {
            const Onnx__NodeProto *m = ix_node(x, mx);
            int t_v = ix_find(x, m->input[ix_find(x, m->input[0]) == lo_v ? 1 : 0]);
            int p = producer(x, t_v), src_v = p >= 0 ? ix_find(x, ix_node(x, p)->input[0]) : -1;
            if (src_v >= 0 && x->vals[src_v].kind == IX_LAYER && x->vals[src_v].layer == src &&
                slice_of(x, p, src_v, s, n * oc, r) && sole_consumer(x, t_v) == mx)
                tail = p;
            cc = sole_consumer(x, out_value(x, mx, 0));
        }
        int64_t axis = 0;
        if (tail < 0 || cc < 0 || !op_is(x, cc, "Concat") || sole_consumer(x, hi_v) != cc || ix_node(x, cc)->n_input != 2 ||
            ix_find(x, ix_node(x, cc)->input[0]) != out_value(x, mx, 0) || ix_check_attrs(x, cc, (const char *[]){"axis", NULL}) ||
            ix_attr_int(x, cc, "axis", 0, &axis) || (axis != 1 && axis != -3))
            return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "%lld channels in groups of %lld: " DEPTH_RULE, (long long)s.c,
                           (long long)oc);
        chain[0] = lo, chain[1] = hi, chain[2] = tail, chain[3] = mx, chain[4] = cc;
        for (int k = 0; k < 5; k++) x->done[chain[k]] = 1;
        last = cc;
    }
    drt_layer l = {.type = DRT_LAYER_MAXPOOL, .n_inputs = 1, .inputs = {src}, .size = 1, .stride = 1, .stride_y = 1,
                   .depth_channels = (int)oc};
    int idx;
    DRT_TRY(ix_add_layer(x, node, &l, NULL, &idx));
    return define_value(x, out_value(x, last, 0), idx);
}

/* True when ONNX's nearest Resize with this coordinate mode picks floor(x / k) for every x. */
static int nearest_is_floor(const char *ctm, const char *nm, int in, int k, double scale)
{
    int out = in * k;
    for (int xo = 0; xo < out; xo++) {
        double xi;
        if (!strcmp(ctm, "asymmetric")) xi = xo / scale;
        else if (!strcmp(ctm, "half_pixel")) xi = (xo + 0.5) / scale - 0.5;
        else if (!strcmp(ctm, "pytorch_half_pixel")) xi = out > 1 ? (xo + 0.5) / scale - 0.5 : 0;
        else if (!strcmp(ctm, "align_corners")) xi = out == 1 ? 0 : xo * (double)(in - 1) / (out - 1);
        else if (!strcmp(ctm, "tf_half_pixel_for_nn")) xi = (xo + 0.5) / scale;
        else return 0;
        double r;
        if (!strcmp(nm, "floor")) r = floor(xi);
        else if (!strcmp(nm, "ceil")) r = ceil(xi);
        else if (!strcmp(nm, "round_prefer_floor")) r = (xi - floor(xi) == 0.5) ? floor(xi) : round(xi);
        else if (!strcmp(nm, "round_prefer_ceil")) r = (xi - floor(xi) == 0.5) ? ceil(xi) : round(xi);
        else return 0;
        if (r < 0) r = 0;
        if (r > in - 1) r = in - 1;
        if ((int)r != xo / k) return 0;
    }
    return 1;
}

/* Integer factor of one spatial axis from a scale (or an output size). */
static drt_status resize_factor(ix *x, int node, double scale, int in, int *k)
{
    double r = floor(scale + 0.5);
    if (!(fabs(scale - r) < 1e-6) || r < 1 || r > 64 || (int)r * (double)in > 65536)
        return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "scale %g: Darknet's upsample needs an integer factor 1..64", scale);
    *k = (int)r;
    return DRT_OK;
}

static drt_status resize_scales(ix *x, int node, drt_shape s, double sc[4])
{
    const Onnx__NodeProto *n = ix_node(x, node);
    const Onnx__TensorProto *ts = NULL, *tz = NULL;
    float f[4];
    int64_t sz[4], axes[4];
    size_t cnt = 0, naxes = 0;
    int is_upsample = op_is(x, node, "Upsample");
    const Onnx__AttributeProto *attr = ix_attr(n, "scales");
    if (attr) {
        if (attr->n_floats != 4) return ix_fail(x, node, DRT_STATUS_FORMAT, "scales must have 4 values");
        for (int i = 0; i < 4; i++) sc[i] = attr->floats[i];
        return DRT_OK;
    }
    int scales_at = (is_upsample || x->opset < 11) ? 1 : 2;
    DRT_TRY(ix_const_input(x, node, scales_at, &ts));
    if (!is_upsample && x->opset >= 11) DRT_TRY(ix_const_input(x, node, 3, &tz));
    if (!is_upsample && x->opset >= 18) DRT_TRY(ix_attr_ints(x, node, "axes", axes, 4, &naxes));
    size_t want = naxes ? naxes : 4;
    if (naxes && !(naxes == 2 && (axes[0] == 2 || axes[0] == -2) && (axes[1] == 3 || axes[1] == -1)))
        return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "axes: only [2, 3] is supported");
    sc[0] = sc[1] = 1;
    if (ts) DRT_TRY(ix_tensor_count(x, node, ts, &cnt));
    if (cnt) {
        if (cnt != want) return ix_fail(x, node, DRT_STATUS_FORMAT, "scales has %zu values: must be %zu", cnt, want);
        DRT_TRY(ix_tensor_floats(x, node, ts, f, cnt));
        for (size_t i = 0; i < cnt; i++) sc[4 - want + i] = f[i];
        return DRT_OK;
    }
    if (!tz) return ix_fail(x, node, DRT_STATUS_FORMAT, "has neither scales nor sizes");
    DRT_TRY(ix_tensor_ints(x, node, tz, sz, 4, &cnt));
    if (cnt != want) return ix_fail(x, node, DRT_STATUS_FORMAT, "sizes has %zu values: must be %zu", cnt, want);
    int64_t dims[4] = {0, s.c, s.h, s.w};
    for (size_t i = 0; i < cnt; i++) {
        size_t a = 4 - want + i;
        if (a == 0) { sc[0] = 1; continue; } /* batch: any size given means the file's batch */
        sc[a] = (double)sz[i] / (double)dims[a];
    }
    return DRT_OK;
}

static drt_status read_resize(ix *x, int node)
{
    DRT_TRY(ix_check_attrs(x, node, (const char *[]){"mode", "coordinate_transformation_mode", "nearest_mode", "cubic_coeff_a",
                                                     "exclude_outside", "extrapolation_value", "antialias", "axes",
                                                     "keep_aspect_ratio_policy", "scales", NULL}));
    int src, kh, kw;
    DRT_TRY(ix_input_layer(x, node, 0, &src));
    drt_shape s = ix_layer_shape(x, src);
    char mode[32], ctm[32], nm[32], karp[32];
    int modern = op_is(x, node, "Resize") && x->opset >= 11;
    DRT_TRY(ix_attr_string(x, node, "mode", "nearest", mode, sizeof mode));
    DRT_TRY(ix_attr_string(x, node, "coordinate_transformation_mode", modern ? "half_pixel" : "asymmetric", ctm, sizeof ctm));
    DRT_TRY(ix_attr_string(x, node, "nearest_mode", modern ? "round_prefer_floor" : "floor", nm, sizeof nm));
    DRT_TRY(ix_attr_string(x, node, "keep_aspect_ratio_policy", "stretch", karp, sizeof karp));
    if (strcmp(mode, "nearest"))
        return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "mode=%s: Darknet's upsample is nearest", mode);
    if (strcmp(karp, "stretch"))
        return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "keep_aspect_ratio_policy=%s: only stretch", karp);
    double sc[4];
    DRT_TRY(resize_scales(x, node, s, sc));
    if (fabs(sc[0] - 1) > 1e-6 || fabs(sc[1] - 1) > 1e-6)
        return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "scales batch/channels by %g/%g: only H and W may be scaled", sc[0], sc[1]);
    DRT_TRY(resize_factor(x, node, sc[2], s.h, &kh));
    DRT_TRY(resize_factor(x, node, sc[3], s.w, &kw));
    if (kh != kw) return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "factors %d (H) and %d (W): Darknet's upsample uses one", kh, kw);
    if (!nearest_is_floor(ctm, nm, s.h, kh, sc[2]) || !nearest_is_floor(ctm, nm, s.w, kw, sc[3]))
        return ix_fail(x, node, DRT_STATUS_UNSUPPORTED,
                       "coordinate_transformation_mode=%s nearest_mode=%s does not repeat each pixel %d times as Darknet does", ctm, nm, kh);
    int v = out_value(x, node, 0), idx;
    if (kh == 1) return define_value(x, v, src);
    drt_layer l = {.type = DRT_LAYER_UPSAMPLE, .n_inputs = 1, .inputs = {src}, .stride = kh};
    DRT_TRY(ix_add_layer(x, node, &l, NULL, &idx));
    return define_value(x, v, idx);
}

/* MaxPool -> maxpool; AveragePool (count_include_pad=0) -> local_avgpool: the same window. */
static drt_status read_maxpool(ix *x, int node)
{
    int avg = op_is(x, node, "AveragePool");
    DRT_TRY(ix_check_attrs(x, node, (const char *[]){"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads",
                                                     avg ? "count_include_pad" : "storage_order", "strides", NULL}));
    int64_t include_pad = 0;
    if (avg) DRT_TRY(ix_attr_int(x, node, "count_include_pad", 0, &include_pad));
    if (include_pad)
        return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "count_include_pad=1: Darknet's [local_avgpool] averages the values "
                       "inside the input only");
    DRT_TRY(only_first_output(x, node));
    int src, idx;
    DRT_TRY(ix_input_layer(x, node, 0, &src));
    drt_shape in = ix_layer_shape(x, src);
    int64_t ks[2], st[2] = {1, 1}, dil[2] = {1, 1}, pads[4] = {0, 0, 0, 0}, ceil_mode;
    size_t nks, nst, ndil, np;
    char autopad[32];
    DRT_TRY(ix_attr_ints(x, node, "kernel_shape", ks, 2, &nks));
    DRT_TRY(ix_attr_ints(x, node, "strides", st, 2, &nst));
    DRT_TRY(ix_attr_ints(x, node, "dilations", dil, 2, &ndil));
    DRT_TRY(ix_attr_ints(x, node, "pads", pads, 4, &np));
    DRT_TRY(ix_attr_int(x, node, "ceil_mode", 0, &ceil_mode));
    DRT_TRY(ix_attr_string(x, node, "auto_pad", "NOTSET", autopad, sizeof autopad));
    if (!nst) st[0] = st[1] = 1;
    if (!ndil) dil[0] = dil[1] = 1;
    if (nks != 2 || ks[0] != ks[1] || ks[0] < 1 || ks[0] > 64 || st[0] < 1 || st[0] > 64 || st[1] < 1 || st[1] > 64 || dil[0] != 1 || dil[1] != 1)
        return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "needs a square kernel 1..64, strides 1..64 and no dilation");
    if (np != 0 && np != 4) return ix_fail(x, node, DRT_STATUS_FORMAT, "pads has %zu values: must be 4", np);
    int k = (int)ks[0], sv[2] = {(int)st[0], (int)st[1]}; /* [height, width] */
    if (!strcmp(autopad, "SAME_UPPER") || !strcmp(autopad, "SAME_LOWER")) {
        int dims[2] = {in.h, in.w};
        for (int a = 0; a < 2; a++) {
            int s = sv[a], out = (dims[a] + s - 1) / s, total = (out - 1) * s + k - dims[a];
            if (total < 0) total = 0;
            int small = total / 2, big = total - small;
            pads[a] = autopad[5] == 'U' ? small : big;
            pads[a + 2] = autopad[5] == 'U' ? big : small;
        }
    }
    for (int a = 0; a < 4; a++) /* before any sum: values come from the file */
        if (pads[a] < 0 || pads[a] > 128)
            return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "pads[%d]=%lld: must be 0..128", a, (long long)pads[a]);
    /* Darknet: padding/2 before, the rest after, the same on both axes. */
    int64_t padding = pads[0] + pads[2];
    if (pads[0] != pads[1] || pads[2] != pads[3] || pads[0] != padding / 2 || pads[0] < 0 || padding > 128)
        return ix_fail(x, node, DRT_STATUS_UNSUPPORTED,
                       "pads [%lld,%lld,%lld,%lld]: Darknet pads padding/2 at the top/left and the rest at the bottom/right",
                       (long long)pads[0], (long long)pads[1], (long long)pads[2], (long long)pads[3]);
    if (ceil_mode) {
        int dims[2] = {in.h, in.w};
        for (int a = 0; a < 2; a++)
            if ((dims[a] + padding - k + sv[a] - 1) / sv[a] != (dims[a] + padding - k) / sv[a])
                return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "ceil_mode=1 changes the output size here: Darknet rounds down");
    }
    drt_layer l = {.type = avg ? DRT_LAYER_LOCAL_AVGPOOL : DRT_LAYER_MAXPOOL, .n_inputs = 1, .inputs = {src}, .size = k,
                   .stride = sv[1], .stride_y = sv[0], .padding = (int)padding};
    DRT_TRY(ix_add_layer(x, node, &l, NULL, &idx));
    return define_value(x, out_value(x, node, 0), idx);
}

/* Identity and inference Dropout: the output is the input. */
static drt_status read_alias(ix *x, int node)
{
    int is_dropout = op_is(x, node, "Dropout");
    DRT_TRY(ix_check_attrs(x, node, is_dropout ? (const char *[]){"ratio", "is_test", "seed", NULL} : (const char *[]){NULL}));
    DRT_TRY(only_first_output(x, node));
    if (is_dropout && x->opset >= 12) {
        const Onnx__TensorProto *t;
        int64_t train = 0;
        size_t n = 0;
        DRT_TRY(ix_const_input(x, node, 2, &t));
        if (t && t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__BOOL) train = t->n_int32_data ? t->int32_data[0] : (t->raw_data.len ? t->raw_data.data[0] : 0);
        else if (t) DRT_TRY(ix_tensor_ints(x, node, t, &train, 1, &n));
        if (train) return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "training_mode is true: only inference");
    }
    ix_value *in;
    DRT_TRY(ix_input(x, node, 0, &in));
    int v = out_value(x, node, 0);
    if (v < 0) return DRT_OK;
    ix_value *out = &x->vals[v];
    out->kind = in->kind;
    out->layer = in->layer;
    out->tensor = in->tensor;
    out->part_src = in->part_src;
    out->part_groups = in->part_groups;
    out->part_id = in->part_id;
    out->part_off = in->part_off;
    out->part_size = in->part_size;
    out->part_node = in->part_node;
    return DRT_OK;
}

/* A Constant's value as a tensor (value_float(s) / value_int(s) become small tensors). */
static drt_status read_constant(ix *x, int node)
{
    const Onnx__NodeProto *n = ix_node(x, node);
    DRT_TRY(ix_check_attrs(x, node, (const char *[]){"value", "value_float", "value_floats", "value_int", "value_ints", NULL}));
    if (n->n_attribute != 1) return ix_fail(x, node, DRT_STATUS_FORMAT, "must have exactly one value attribute");
    const Onnx__AttributeProto *a = n->attribute[0];
    Onnx__TensorProto *t;
    if (!strcmp(a->name, "value")) {
        if (!a->t) return ix_fail(x, node, DRT_STATUS_FORMAT, "attribute 'value': must be a tensor");
        t = a->t;
    } else {
        t = ox_alloc(&x->arena, sizeof *t);
        int64_t *dims = ox_alloc(&x->arena, sizeof *dims);
        if (!t || !dims) return ix_fail(x, node, DRT_STATUS_OOM, "out of memory");
        onnx__tensor_proto__init(t);
        t->has_data_type = 1;
        int is_float = a->name[6] == 'f', is_list = a->name[strlen(a->name) - 1] == 's';
        t->data_type = is_float ? ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT : ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
        if (is_float) { t->float_data = is_list ? a->floats : (float *)&a->f; t->n_float_data = is_list ? a->n_floats : 1; }
        else { t->int64_data = is_list ? a->ints : (int64_t *)&a->i; t->n_int64_data = is_list ? a->n_ints : 1; }
        dims[0] = is_float ? (int64_t)t->n_float_data : (int64_t)t->n_int64_data;
        t->dims = dims;
        t->n_dims = is_list ? 1 : 0;
        t->name = n->output[0];
    }
    int v = out_value(x, node, 0);
    if (v < 0) return DRT_OK;
    x->vals[v].kind = IX_CONST;
    x->vals[v].tensor = t;
    return DRT_OK;
}

typedef drt_status (*node_reader)(ix *x, int node);
static const struct {
    const char *op;
    node_reader read;
} readers[] = {
    {"Conv", read_conv},         {"BatchNormalization", read_bn_alone}, {"LeakyRelu", read_act_alone},
    {"Relu", read_act_alone},    {"Sigmoid", read_act_alone},           {"Mish", read_act_alone},
    {"Softplus", read_act_alone}, {"Add", read_add},                    {"Concat", read_concat},
    {"Split", read_split},       {"Slice", read_slice},                 {"Resize", read_resize},
    {"Upsample", read_resize},   {"MaxPool", read_maxpool},             {"Identity", read_alias},
    {"Dropout", read_alias},     {"Constant", read_constant},           {"Tanh", read_act_alone},
    {"Elu", read_act_alone},     {"Selu", read_act_alone},              {"Clip", read_act_alone},
    {"Mul", read_mul},           {"GlobalAveragePool", read_global_avgpool}, {"SpaceToDepth", read_space_to_depth},
    {"AveragePool", read_maxpool}, {"Max", read_max},
};

drt_status ix_read_node(ix *x, int node)
{
    const Onnx__NodeProto *n = ix_node(x, node);
    for (size_t i = 0; i < sizeof readers / sizeof readers[0]; i++)
        if (!strcmp(n->op_type, readers[i].op)) {
            if (n->n_output < 1 || out_value(x, node, 0) < 0)
                return ix_fail(x, node, DRT_STATUS_FORMAT, "has no (named) first output");
            return readers[i].read(x, node);
        }
    return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "op not supported (supported: %s)", SUPPORTED_OPS);
}
