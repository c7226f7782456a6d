/* ONNX export: each Darknet layer becomes the ONNX nodes that compute exactly what Darknet does. */
#include "onnx/onnx-decode.h"
#include "onnx/onnx-meta.h"
#include "onnx/onnx-write.h"
#include "core/error.h"
#include "core/opts.h"
#include "core/fileio.h"
#include "graph/model.h"
#include "graph/xnor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_OPSET 9
#define MAX_OPSET 18

typedef struct exporter {
    ox_graph g;
    const drt_model *m;
    const drt_onnx_opts *o;
    const char **out;  /* each layer's output tensor name */
    int *head_of;      /* head index a layer's output is, or -1 */
    const char *roi;   /* the empty Resize roi, made once */
} exporter;

drt_onnx_opts drt_onnx_opts_default(void)
{
    return (drt_onnx_opts){.size = sizeof(drt_onnx_opts), .opset = 13, .batch = 1, .decode_thresh = 0.25f,
                           .decode_nms = 0.45f};
}

/* The lowest IR version each opset needs (onnx/helper.py's VERSION_TABLE): runtimes refuse
 * IR versions newer than they know, so never write a higher one than the opset requires. */
static int ir_version_for(int opset)
{
    if (opset <= 9) return 4;
    if (opset == 10) return 5;
    if (opset == 11) return 6;
    if (opset <= 14) return 7;
    return 8;
}

static drt_status layer_fail(const exporter *x, int i, drt_status s, const char *rule)
{
    const drt_layer *l = &x->m->layers[i];
    const char *src = x->m->source ? x->m->source : "model";
    if (l->line > 0)
        return drt_error(s, "%s:%d [%s] (layer %d): %s", src, l->line, drt_layer_type_name(l->type), i, rule);
    return drt_error(s, "%s: layer %d (%s): %s", src, i, drt_layer_type_name(l->type), rule);
}

static const char *in_name(const exporter *x, int src) { return src < 0 ? DRT_ONNX_INPUT_NAME : x->out[src]; }

static drt_shape shape_of(const exporter *x, int src)
{
    const drt_model *m = x->m;
    return src < 0 ? (drt_shape){m->channels, m->height, m->width} : m->layers[src].out;
}

/* Clip(in, lo, hi) into out: bounds as inputs from opset 11, attributes before. */
static void emit_clip(exporter *x, int i, const char *in, const float *lo_hi, const char *out)
{
    ox_graph *g = &x->g;
    if (g->opset < 11) {
        Onnx__NodeProto *n = ox_node(g, "Clip", ox_printf(g, "l%d.clip", i), (const char *[]){in, NULL}, (const char *[]){out, NULL});
        ox_attr_float(g, n, "min", lo_hi[0]);
        ox_attr_float(g, n, "max", lo_hi[1]);
        return;
    }
    const char *lo = ox_init_floats(g, ox_printf(g, "l%d.clip.min", i), 0, NULL, &lo_hi[0]);
    const char *hi = ox_init_floats(g, ox_printf(g, "l%d.clip.max", i), 0, NULL, &lo_hi[1]);
    ox_node(g, "Clip", ox_printf(g, "l%d.clip", i), (const char *[]){in, lo, hi, NULL}, (const char *[]){out, NULL});
}

/* Writes the activation nodes that turn x into out (nothing for linear: caller names x out).
 * Darknet activations with no ONNX operator of the same formula are refused. */
static drt_status emit_act(exporter *x, int i, const char *in, drt_act act, const char *out)
{
    static const float relu6[2] = {0, 6}, hardtan[2] = {-1, 1};
    ox_graph *g = &x->g;
    Onnx__NodeProto *n;
    const char *t1, *t2;
    switch (act) {
    case DRT_ACT_LEAKY:
        n = ox_node(g, "LeakyRelu", ox_printf(g, "l%d.leaky", i), (const char *[]){in, NULL}, (const char *[]){out, NULL});
        ox_attr_float(g, n, "alpha", 0.1f);
        break;
    case DRT_ACT_RELU:
        ox_node(g, "Relu", ox_printf(g, "l%d.relu", i), (const char *[]){in, NULL}, (const char *[]){out, NULL});
        break;
    case DRT_ACT_LOGISTIC:
        ox_node(g, "Sigmoid", ox_printf(g, "l%d.logistic", i), (const char *[]){in, NULL}, (const char *[]){out, NULL});
        break;
    case DRT_ACT_SWISH: /* x * sigmoid(x) */
        t1 = ox_printf(g, "l%d.sigmoid", i);
        ox_node(g, "Sigmoid", t1, (const char *[]){in, NULL}, (const char *[]){t1, NULL});
        ox_node(g, "Mul", ox_printf(g, "l%d.swish", i), (const char *[]){in, t1, NULL}, (const char *[]){out, NULL});
        break;
    case DRT_ACT_MISH: /* x * tanh(softplus(x)): the Mish op needs opset 18 */
        t1 = ox_printf(g, "l%d.softplus", i);
        t2 = ox_printf(g, "l%d.tanh", i);
        ox_node(g, "Softplus", t1, (const char *[]){in, NULL}, (const char *[]){t1, NULL});
        ox_node(g, "Tanh", t2, (const char *[]){t1, NULL}, (const char *[]){t2, NULL});
        ox_node(g, "Mul", ox_printf(g, "l%d.mish", i), (const char *[]){in, t2, NULL}, (const char *[]){out, NULL});
        break;
    case DRT_ACT_RELIE:
        n = ox_node(g, "LeakyRelu", ox_printf(g, "l%d.relie", i), (const char *[]){in, NULL}, (const char *[]){out, NULL});
        ox_attr_float(g, n, "alpha", 0.01f);
        break;
    case DRT_ACT_RELU6: emit_clip(x, i, in, relu6, out); break;
    case DRT_ACT_HARDTAN: emit_clip(x, i, in, hardtan, out); break;
    case DRT_ACT_ELU:
        n = ox_node(g, "Elu", ox_printf(g, "l%d.elu", i), (const char *[]){in, NULL}, (const char *[]){out, NULL});
        ox_attr_float(g, n, "alpha", 1.f);
        break;
    case DRT_ACT_SELU: /* Darknet's constants, not ONNX's defaults */
        n = ox_node(g, "Selu", ox_printf(g, "l%d.selu", i), (const char *[]){in, NULL}, (const char *[]){out, NULL});
        ox_attr_float(g, n, "alpha", 1.6732f);
        ox_attr_float(g, n, "gamma", 1.0507f);
        break;
    case DRT_ACT_TANH:
        ox_node(g, "Tanh", ox_printf(g, "l%d.tanh", i), (const char *[]){in, NULL}, (const char *[]){out, NULL});
        break;
    case DRT_ACT_LINEAR: break;
    default:
        return layer_fail(x, i, DRT_STATUS_UNSUPPORTED, ox_printf(g, "activation %s: no ONNX operator computes it "
                          "(ONNX export has linear, leaky, relu, logistic, mish, swish, relie, relu6, hardtan, elu, "
                          "selu, tanh)", drt_act_name(act)));
    }
    return DRT_OK;
}

/* xnor=1 (graph/xnor.h): Greater(x, 0), Cast to float (the step), Conv with the integer weights 2 sign(w') and bias
 * -sum sign(w') (zero padding reads as -1), Mul by mean|w'|, Add b', then the activation. */
static drt_status emit_xnor(exporter *x, int i)
{
    ox_graph *g = &x->g;
    const drt_layer *l = &x->m->layers[i];
    int f = l->filters, k = l->size;
    int64_t cin = drt_model_input_shape(x->m, i).c, p = l->pad, per_f[3] = {f, 1, 1};
    float *w = ox_alloc(g, l->n_weights * sizeof *w), *cb = ox_alloc(g, (size_t)f * sizeof *cb);
    float *mul = ox_alloc(g, (size_t)f * sizeof *mul), *add = ox_alloc(g, (size_t)f * sizeof *add);
    static const float zero = 0;
    if (!w || !cb || !mul || !add) return drt_error(DRT_STATUS_OOM, "export: out of memory binarizing layer %d", i);
    drt_xnor_lower(x->m->bn, l, w, cb, mul, add);
    const char *gt = ox_printf(g, "l%d.xnor.gt", i), *step = ox_printf(g, "l%d.xnor.step", i);
    const char *conv = ox_printf(g, "l%d.conv", i), *scaled = ox_printf(g, "l%d.xnor.scaled", i);
    const char *sum = l->act == DRT_ACT_LINEAR ? x->out[i] : ox_printf(g, "l%d.xnor.out", i);
    ox_node(g, "Greater", gt, (const char *[]){in_name(x, l->inputs[0]), ox_init_floats(g, ox_printf(g, "l%d.xnor.zero", i), 0, NULL, &zero), NULL},
            (const char *[]){gt, NULL});
    Onnx__NodeProto *n = ox_node(g, "Cast", step, (const char *[]){gt, NULL}, (const char *[]){step, NULL});
    ox_attr_int(g, n, "to", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    n = ox_node(g, "Conv", conv,
                (const char *[]){step, ox_init_floats(g, ox_printf(g, "l%d.weight", i), 4, (int64_t[]){f, cin, k, k}, w),
                                 ox_init_floats(g, ox_printf(g, "l%d.bias", i), 1, (int64_t[]){f}, cb), NULL},
                (const char *[]){conv, NULL});
    ox_attr_ints(g, n, "kernel_shape", 2, (int64_t[]){k, k});
    ox_attr_ints(g, n, "strides", 2, (int64_t[]){l->stride_y, l->stride});
    ox_attr_ints(g, n, "pads", 4, (int64_t[]){p, p, p, p});
    ox_node(g, "Mul", scaled, (const char *[]){conv, ox_init_floats(g, ox_printf(g, "l%d.xnor.mean", i), 3, per_f, mul), NULL},
            (const char *[]){scaled, NULL});
    ox_node(g, "Add", ox_printf(g, "l%d.xnor.add", i),
            (const char *[]){scaled, ox_init_floats(g, ox_printf(g, "l%d.xnor.bias", i), 3, per_f, add), NULL},
            (const char *[]){sum, NULL});
    return emit_act(x, i, sum, l->act, x->out[i]);
}

static drt_status emit_conv(exporter *x, int i)
{
    ox_graph *g = &x->g;
    const drt_layer *l = &x->m->layers[i];
    drt_shape in = drt_model_input_shape(x->m, i);
    int cin = in.c / l->groups, f = l->filters, k = l->size;
    int bn_node = l->batch_normalize && !x->o->fold_bn;
    int has_act = l->act != DRT_ACT_LINEAR;
    const char *out = x->out[i];
    const char *conv_out = (bn_node || has_act) ? ox_printf(g, "l%d.conv", i) : out;
    const float *w = l->weights, *b = l->biases;
    if (l->batch_normalize && x->o->fold_bn) {
        /* y = (W x) * mul + add, per the model's batchnorm formula */
        size_t per = (size_t)cin * k * k;
        float *fw = ox_alloc(g, l->n_weights * sizeof *fw), *fb = ox_alloc(g, (size_t)f * sizeof *fb);
        if (!fw || !fb) return drt_error(DRT_STATUS_OOM, "export: out of memory folding layer %d", i);
        for (int o = 0; o < f; o++) {
            float mul, add;
            drt_bn_coeffs(x->m->bn, l->scales[o], l->rolling_mean[o], l->rolling_var[o], l->biases[o], &mul, &add);
            for (size_t j = 0; j < per; j++) fw[o * per + j] = l->weights[o * per + j] * mul;
            fb[o] = add;
        }
        w = fw;
        b = fb;
    }
    const char *wn = ox_init_floats(g, ox_printf(g, "l%d.weight", i), 4, (int64_t[]){f, cin, k, k}, w);
    const char *bn = bn_node ? NULL : ox_init_floats(g, ox_printf(g, "l%d.bias", i), 1, (int64_t[]){f}, b);
    Onnx__NodeProto *n = ox_node(g, "Conv", ox_printf(g, "l%d.conv", i),
                                 (const char *[]){in_name(x, l->inputs[0]), wn, bn, NULL}, (const char *[]){conv_out, NULL});
    ox_attr_ints(g, n, "kernel_shape", 2, (int64_t[]){k, k});
    ox_attr_ints(g, n, "strides", 2, (int64_t[]){l->stride_y, l->stride});
    int64_t d = l->dilation > 1 ? l->dilation : 1, p = l->pad * d; /* AlexeyAB pads pad x dilation */
    ox_attr_ints(g, n, "pads", 4, (int64_t[]){p, p, p, p});
    ox_attr_ints(g, n, "dilations", 2, (int64_t[]){d, d});
    ox_attr_int(g, n, "group", l->groups);
    const char *cur = conv_out;
    if (bn_node) {
        const char *bn_out = has_act ? ox_printf(g, "l%d.bn", i) : out;
        n = ox_node(g, "BatchNormalization", ox_printf(g, "l%d.bn", i),
                    (const char *[]){cur,
                                     ox_init_floats(g, ox_printf(g, "l%d.bn.scale", i), 1, (int64_t[]){f}, l->scales),
                                     ox_init_floats(g, ox_printf(g, "l%d.bn.bias", i), 1, (int64_t[]){f}, l->biases),
                                     ox_init_floats(g, ox_printf(g, "l%d.bn.mean", i), 1, (int64_t[]){f}, l->rolling_mean),
                                     ox_init_floats(g, ox_printf(g, "l%d.bn.var", i), 1, (int64_t[]){f}, l->rolling_var),
                                     NULL},
                    (const char *[]){bn_out, NULL});
        ox_attr_float(g, n, "epsilon", 1e-5f); /* AlexeyAB's sqrt(var + 1e-5) */
        cur = bn_out;
    }
    DRT_TRY(emit_act(x, i, cur, l->act, out));
    return DRT_OK;
}

/* Slice of `in` over the given axes; opset 9 has attributes and no steps. */
static const char *emit_slice(exporter *x, int i, const char *in, const char *out, int n_axes,
                              const int64_t *axes, const int64_t *starts, const int64_t *ends, const int64_t *steps)
{
    ox_graph *g = &x->g;
    if (x->g.opset < 10) {
        Onnx__NodeProto *n = ox_node(g, "Slice", out, (const char *[]){in, NULL}, (const char *[]){out, NULL});
        ox_attr_ints(g, n, "axes", (size_t)n_axes, axes);
        ox_attr_ints(g, n, "starts", (size_t)n_axes, starts);
        ox_attr_ints(g, n, "ends", (size_t)n_axes, ends);
        return out;
    }
    const char *s = ox_init_ints(g, ox_printf(g, "%s.starts", out), (size_t)n_axes, starts);
    const char *e = ox_init_ints(g, ox_printf(g, "%s.ends", out), (size_t)n_axes, ends);
    const char *a = ox_init_ints(g, ox_printf(g, "%s.axes", out), (size_t)n_axes, axes);
    const char *st = ox_init_ints(g, ox_printf(g, "%s.steps", out), (size_t)n_axes, steps);
    ox_node(g, "Slice", ox_printf(g, "l%d.slice.%s", i, out), (const char *[]){in, s, e, a, st, NULL},
            (const char *[]){out, NULL});
    return out;
}

static drt_status emit_route(exporter *x, int i)
{
    ox_graph *g = &x->g;
    const drt_layer *l = &x->m->layers[i];
    const char *parts[DRT_MAX_INPUTS + 1] = {0};
    for (int k = 0; k < l->n_inputs; k++) {
        if (l->inputs[k] >= 0 && x->m->layers[l->inputs[k]].type == DRT_LAYER_YOLO)
            return layer_fail(x, i, DRT_STATUS_UNSUPPORTED, "routes a [yolo] layer's output: not expressible in ONNX export");
        parts[k] = in_name(x, l->inputs[k]);
        if (l->route_groups > 1) {
            int64_t c = shape_of(x, l->inputs[k]).c / l->route_groups;
            const char *dst = l->n_inputs == 1 ? x->out[i] : ox_printf(g, "l%d.in%d", i, k);
            parts[k] = emit_slice(x, i, parts[k], dst, 1, (int64_t[]){1}, (int64_t[]){c * l->route_group_id},
                                  (int64_t[]){c * (l->route_group_id + 1)}, (int64_t[]){1});
        }
    }
    if (l->n_inputs == 1 && l->route_groups > 1) return DRT_OK;
    if (l->n_inputs == 1) { /* a copy: only reached when the output must carry a head name */
        ox_node(g, "Identity", ox_printf(g, "l%d.route", i), (const char *[]){parts[0], NULL}, (const char *[]){x->out[i], NULL});
        return DRT_OK;
    }
    Onnx__NodeProto *n = ox_node(g, "Concat", ox_printf(g, "l%d.route", i), parts, (const char *[]){x->out[i], NULL});
    ox_attr_int(g, n, "axis", 1);
    return DRT_OK;
}

/* Darknet's shortcut_cpu adds min(c) channels of `from`, subsampled by stride when it is larger;
 * the remaining channels of the previous layer pass through. */
/* A weighted or multi-input shortcut: Sum of each input (its first c channels, zero-padded to c when it has
 * fewer; times its normalized weights, a [1, c or 1, 1, 1] initializer), then the activation. */
static drt_status emit_shortcut_multi(exporter *x, int i)
{
    ox_graph *g = &x->g;
    const drt_layer *l = &x->m->layers[i];
    const char *terms[DRT_MAX_INPUTS + 1];
    int step = l->weights_type == 2 ? l->out.c : 1;
    for (int k = 0; k < l->n_inputs; k++) {
        drt_shape s = shape_of(x, l->inputs[k]);
        terms[k] = in_name(x, l->inputs[k]);
        if (s.c > l->out.c)
            terms[k] = emit_slice(x, i, terms[k], ox_printf(g, "l%d.in%d", i, k), 1, (int64_t[]){1}, (int64_t[]){0},
                                  (int64_t[]){l->out.c}, (int64_t[]){1});
        if (s.c < l->out.c) {
            const char *padded = ox_printf(g, "l%d.in%d.pad", i, k);
            int64_t pads[8] = {0, 0, 0, 0, 0, l->out.c - s.c, 0, 0};
            if (x->g.opset < 11) {
                Onnx__NodeProto *n = ox_node(g, "Pad", padded, (const char *[]){terms[k], NULL}, (const char *[]){padded, NULL});
                ox_attr_ints(g, n, "pads", 8, pads);
            } else {
                const char *p = ox_init_ints(g, ox_printf(g, "l%d.in%d.pads", i, k), 8, pads);
                ox_node(g, "Pad", padded, (const char *[]){terms[k], p, NULL}, (const char *[]){padded, NULL});
            }
            terms[k] = padded;
        }
        if (!l->weights_type) continue;
        float *w = ox_alloc(g, (size_t)step * sizeof *w);
        if (!w) return drt_error(DRT_STATUS_OOM, "export: out of memory");
        for (int c = 0; c < step; c++) w[c] = drt_shortcut_weight(l, k, c);
        const char *wn = ox_init_floats(g, ox_printf(g, "l%d.w%d", i, k), 4, (int64_t[]){1, step, 1, 1}, w);
        const char *p = ox_printf(g, "l%d.mul%d", i, k);
        ox_node(g, "Mul", p, (const char *[]){terms[k], wn, NULL}, (const char *[]){p, NULL});
        terms[k] = p;
    }
    terms[l->n_inputs] = NULL;
    const char *sum = l->act != DRT_ACT_LINEAR ? ox_printf(g, "l%d.sum", i) : x->out[i];
    ox_node(g, "Sum", ox_printf(g, "l%d.sum", i), terms, (const char *[]){sum, NULL});
    return emit_act(x, i, sum, l->act, x->out[i]);
}

static drt_status emit_shortcut(exporter *x, int i)
{
    ox_graph *g = &x->g;
    const drt_layer *l = &x->m->layers[i];
    if (drt_shortcut_multi(l)) return emit_shortcut_multi(x, i);
    drt_shape a = shape_of(x, l->inputs[0]), b = shape_of(x, l->inputs[1]);
    const char *from = in_name(x, l->inputs[1]);
    if (b.w < a.w)
        return layer_fail(x, i, DRT_STATUS_UNSUPPORTED,
                          "from= layer is smaller than the previous layer: Darknet's sparse upsampled add has no ONNX form");
    int stride = b.w / a.w;
    if (stride > 1 || b.c > a.c) {
        if (stride > 1 && x->g.opset < 10)
            return layer_fail(x, i, DRT_STATUS_UNSUPPORTED, "strided shortcut needs Slice steps: use --opset 10 or higher");
        from = emit_slice(x, i, from, ox_printf(g, "l%d.from", i), 3, (int64_t[]){1, 2, 3}, (int64_t[]){0, 0, 0},
                          (int64_t[]){b.c < a.c ? b.c : a.c, b.h, b.w}, (int64_t[]){1, stride, stride});
    }
    if (b.c < a.c) {
        const char *padded = ox_printf(g, "l%d.from.pad", i);
        int64_t pads[8] = {0, 0, 0, 0, 0, a.c - b.c, 0, 0};
        if (x->g.opset < 11) {
            Onnx__NodeProto *n = ox_node(g, "Pad", padded, (const char *[]){from, NULL}, (const char *[]){padded, NULL});
            ox_attr_ints(g, n, "pads", 8, pads);
        } else {
            const char *p = ox_init_ints(g, ox_printf(g, "l%d.pads", i), 8, pads);
            ox_node(g, "Pad", padded, (const char *[]){from, p, NULL}, (const char *[]){padded, NULL});
        }
        from = padded;
    }
    const char *sum = l->act != DRT_ACT_LINEAR ? ox_printf(g, "l%d.add", i) : x->out[i];
    ox_node(g, "Add", ox_printf(g, "l%d.add", i), (const char *[]){in_name(x, l->inputs[0]), from, NULL},
            (const char *[]){sum, NULL});
    return emit_act(x, i, sum, l->act, x->out[i]);
}

/* [scale_channels] (previous c x 1 x 1 broadcast over from) and [sam] (elementwise): Mul, then act. */
static drt_status emit_product(exporter *x, int i)
{
    ox_graph *g = &x->g;
    const drt_layer *l = &x->m->layers[i];
    const char *prod = l->act != DRT_ACT_LINEAR ? ox_printf(g, "l%d.mul", i) : x->out[i];
    ox_node(g, "Mul", ox_printf(g, "l%d.mul", i), (const char *[]){in_name(x, l->inputs[0]), in_name(x, l->inputs[1]), NULL},
            (const char *[]){prod, NULL});
    return emit_act(x, i, prod, l->act, x->out[i]);
}

/* AlexeyAB's maxpool_depth: out channel g is the max over channels g, g + n, ... (n out channels): Max over
 * the full n-channel slices, and the last, partial slice's channels maxed into the first ones. */
static drt_status emit_maxpool_depth(exporter *x, int i)
{
    ox_graph *g = &x->g;
    const drt_layer *l = &x->m->layers[i];
    drt_shape in = shape_of(x, l->inputs[0]);
    int64_t oc = l->out.c, full = in.c / oc, r = in.c % oc, one = 1, axis = 1;
    const char *src = in_name(x, l->inputs[0]), *parts[65] = {0};
    if (full > 64) return layer_fail(x, i, DRT_STATUS_UNSUPPORTED, "maxpool_depth over more than 64 groups of channels");
    for (int64_t j = 0; j < full; j++)
        parts[j] = emit_slice(x, i, src, ox_printf(g, "l%d.depth%lld", i, (long long)j), 1, &axis, (int64_t[]){j * oc},
                              (int64_t[]){(j + 1) * oc}, &one);
    const char *max = r ? ox_printf(g, "l%d.depth.max", i) : x->out[i];
    ox_node(g, "Max", ox_printf(g, "l%d.depth.max", i), parts, (const char *[]){max, NULL});
    if (!r) return DRT_OK;
    const char *tail = emit_slice(x, i, src, ox_printf(g, "l%d.depth.tail", i), 1, &axis, (int64_t[]){full * oc},
                                  (int64_t[]){in.c}, &one);
    const char *lo = emit_slice(x, i, max, ox_printf(g, "l%d.depth.lo", i), 1, &axis, (int64_t[]){0}, (int64_t[]){r}, &one);
    const char *hi = emit_slice(x, i, max, ox_printf(g, "l%d.depth.hi", i), 1, &axis, (int64_t[]){r}, (int64_t[]){oc}, &one);
    const char *lo_max = ox_printf(g, "l%d.depth.lomax", i);
    ox_node(g, "Max", lo_max, (const char *[]){lo, tail, NULL}, (const char *[]){lo_max, NULL});
    Onnx__NodeProto *n = ox_node(g, "Concat", ox_printf(g, "l%d.depth", i), (const char *[]){lo_max, hi, NULL},
                                 (const char *[]){x->out[i], NULL});
    ox_attr_int(g, n, "axis", 1);
    return DRT_OK;
}

/* Darknet pads padding/2 at the top/left and the rest at the bottom/right, and a padded cell
 * never wins (ONNX MaxPool ignores pads the same way). */
/* maxpool -> MaxPool; local_avgpool -> AveragePool without the padding in the count, as AlexeyAB's. */
static drt_status emit_maxpool(exporter *x, int i)
{
    ox_graph *g = &x->g;
    const drt_layer *l = &x->m->layers[i];
    int avg = l->type == DRT_LAYER_LOCAL_AVGPOOL;
    if (l->depth_channels) return emit_maxpool_depth(x, i);
    int64_t lo = l->padding / 2, hi = l->padding - l->padding / 2;
    if (lo >= l->size || hi >= l->size)
        return layer_fail(x, i, DRT_STATUS_UNSUPPORTED, "padding >= 2 x size: ONNX MaxPool pads must be smaller than the kernel");
    Onnx__NodeProto *n = ox_node(g, avg ? "AveragePool" : "MaxPool", ox_printf(g, avg ? "l%d.avgpool" : "l%d.maxpool", i),
                                 (const char *[]){in_name(x, l->inputs[0]), NULL}, (const char *[]){x->out[i], NULL});
    if (avg) ox_attr_int(g, n, "count_include_pad", 0);
    ox_attr_ints(g, n, "kernel_shape", 2, (int64_t[]){l->size, l->size});
    ox_attr_ints(g, n, "strides", 2, (int64_t[]){l->stride_y, l->stride});
    ox_attr_ints(g, n, "pads", 4, (int64_t[]){lo, lo, hi, hi});
    return DRT_OK;
}

static drt_status emit_upsample(exporter *x, int i)
{
    ox_graph *g = &x->g;
    const drt_layer *l = &x->m->layers[i];
    float s = (float)l->stride;
    float *scales = ox_alloc(g, 4 * sizeof *scales);
    if (!scales) return drt_error(DRT_STATUS_OOM, "export: out of memory");
    scales[0] = scales[1] = 1;
    scales[2] = scales[3] = s;
    const char *sc = ox_init_floats(g, ox_printf(g, "l%d.scales", i), 1, (int64_t[]){4}, scales);
    const char *in = in_name(x, l->inputs[0]);
    Onnx__NodeProto *n;
    if (g->opset < 10) {
        n = ox_node(g, "Upsample", ox_printf(g, "l%d.upsample", i), (const char *[]){in, sc, NULL}, (const char *[]){x->out[i], NULL});
    } else if (g->opset == 10) {
        n = ox_node(g, "Resize", ox_printf(g, "l%d.upsample", i), (const char *[]){in, sc, NULL}, (const char *[]){x->out[i], NULL});
    } else {
        if (!x->roi) x->roi = ox_init_floats(g, "resize.roi", 1, (int64_t[]){0}, scales);
        n = ox_node(g, "Resize", ox_printf(g, "l%d.upsample", i), (const char *[]){in, x->roi, sc, NULL},
                    (const char *[]){x->out[i], NULL});
        ox_attr_string(g, n, "coordinate_transformation_mode", "asymmetric");
        ox_attr_string(g, n, "nearest_mode", "floor");
    }
    ox_attr_string(g, n, "mode", "nearest");
    return DRT_OK;
}

/* YOLOv2's [reorg]: Darknet reads the c x h x w input as c/s^2 x h*s x w*s and writes out channel
 * (dy*s + dx)*c/s^2 + c2 = input (c2, j*s + dy, i*s + dx): Reshape, Transpose, Reshape. */
static drt_status emit_reorg(exporter *x, int i)
{
    ox_graph *g = &x->g;
    const drt_layer *l = &x->m->layers[i];
    drt_shape in = shape_of(x, l->inputs[0]);
    int64_t s = l->stride;
    const char *six = ox_init_ints(g, ox_printf(g, "l%d.shape6", i), 6, (int64_t[]){-1, in.c / (s * s), in.h, s, in.w, s});
    const char *four = ox_init_ints(g, ox_printf(g, "l%d.shape4", i), 4, (int64_t[]){-1, l->out.c, l->out.h, l->out.w});
    const char *a = ox_printf(g, "l%d.reorg.a", i), *b = ox_printf(g, "l%d.reorg.b", i);
    ox_node(g, "Reshape", a, (const char *[]){in_name(x, l->inputs[0]), six, NULL}, (const char *[]){a, NULL});
    Onnx__NodeProto *n = ox_node(g, "Transpose", b, (const char *[]){a, NULL}, (const char *[]){b, NULL});
    ox_attr_ints(g, n, "perm", 6, (int64_t[]){0, 3, 5, 1, 2, 4});
    ox_node(g, "Reshape", ox_printf(g, "l%d.reorg", i), (const char *[]){b, four, NULL}, (const char *[]){x->out[i], NULL});
    return DRT_OK;
}

/* YOLOv1's [local] (unshared weights) in plain ops: a grouped Conv with one-hot kernels gathers each pixel's
 * c x size x size taps in (c, ky, kx) order (im2col, padding included) -> [N, k, oh, ow]; Reshape [N, k, L],
 * Transpose [L, N, k], MatMul by the weights as [L, k, filters] -> [L, N, filters], Transpose [N, filters, L],
 * Add the biases [filters, L], Reshape [N, filters, oh, ow], then the activation. */
static drt_status emit_local(exporter *x, int i)
{
    ox_graph *g = &x->g;
    const drt_layer *l = &x->m->layers[i];
    drt_shape in = shape_of(x, l->inputs[0]);
    int64_t s = l->size, taps = s * s, k = in.c * taps, f = l->filters, oh = l->out.h, ow = l->out.w, L = oh * ow;
    if (k * taps >= ((int64_t)1 << 29)) /* 2 GiB of floats: past what one ONNX (protobuf) file holds */
        return drt_error(DRT_STATUS_UNSUPPORTED, "%s: [local] layer %d: its ONNX im2col kernel (channels x size^4 = %d x "
                         "%lld) would hold %lld floats: at most 2^29 (an ONNX file holds less than 2 GiB)",
                         x->m->source ? x->m->source : "model", i, in.c, (long long)(taps * taps), (long long)(k * taps));
    float *onehot = ox_alloc(g, (size_t)(k * taps) * sizeof *onehot), *w = ox_alloc(g, (size_t)(L * k * f) * sizeof *w);
    if (!onehot || !w) return drt_error(DRT_STATUS_OOM, "export: out of memory for layer %d", i);
    for (int64_t o = 0; o < k; o++)
        for (int64_t t = 0; t < taps; t++) onehot[o * taps + t] = t == o % taps ? 1.f : 0.f;
    for (int64_t j = 0; j < L; j++) /* Darknet's weights[j][filter][tap] -> [j][tap][filter] */
        for (int64_t o = 0; o < f; o++)
            for (int64_t t = 0; t < k; t++) w[(j * k + t) * f + o] = l->weights[(j * f + o) * k + t];
    const char *col = ox_printf(g, "l%d.im2col", i), *col3 = ox_printf(g, "l%d.cols", i), *colt = ox_printf(g, "l%d.colt", i);
    const char *mm = ox_printf(g, "l%d.matmul", i), *mmt = ox_printf(g, "l%d.matmult", i), *sum = ox_printf(g, "l%d.bias", i);
    const char *act_in = l->act != DRT_ACT_LINEAR ? ox_printf(g, "l%d.local", i) : x->out[i];
    Onnx__NodeProto *n = ox_node(g, "Conv", col, (const char *[]){in_name(x, l->inputs[0]),
                                 ox_init_floats(g, ox_printf(g, "l%d.onehot", i), 4, (int64_t[]){k, 1, s, s}, onehot), NULL},
                                 (const char *[]){col, NULL});
    ox_attr_ints(g, n, "kernel_shape", 2, (int64_t[]){s, s});
    ox_attr_ints(g, n, "strides", 2, (int64_t[]){l->stride, l->stride});
    ox_attr_ints(g, n, "pads", 4, (int64_t[]){l->pad, l->pad, l->pad, l->pad});
    ox_attr_int(g, n, "group", in.c);
    ox_node(g, "Reshape", col3, (const char *[]){col, ox_init_ints(g, ox_printf(g, "l%d.shape3", i), 3, (int64_t[]){0, k, L}), NULL},
            (const char *[]){col3, NULL});
    n = ox_node(g, "Transpose", colt, (const char *[]){col3, NULL}, (const char *[]){colt, NULL});
    ox_attr_ints(g, n, "perm", 3, (int64_t[]){2, 0, 1});
    ox_node(g, "MatMul", mm, (const char *[]){colt, ox_init_floats(g, ox_printf(g, "l%d.weight", i), 3, (int64_t[]){L, k, f}, w), NULL},
            (const char *[]){mm, NULL});
    n = ox_node(g, "Transpose", mmt, (const char *[]){mm, NULL}, (const char *[]){mmt, NULL});
    ox_attr_ints(g, n, "perm", 3, (int64_t[]){1, 2, 0});
    ox_node(g, "Add", sum, (const char *[]){mmt, ox_init_floats(g, ox_printf(g, "l%d.biases", i), 2, (int64_t[]){f, L}, l->biases), NULL},
            (const char *[]){sum, NULL});
    ox_node(g, "Reshape", ox_printf(g, "l%d.reshape", i),
            (const char *[]){sum, ox_init_ints(g, ox_printf(g, "l%d.shape4", i), 4, (int64_t[]){0, f, oh, ow}), NULL},
            (const char *[]){act_in, NULL});
    return emit_act(x, i, act_in, l->act, x->out[i]);
}

/* Layers that only pass a tensor on (dropout, a route of one whole layer) alias their input,
 * unless their output must carry a head name. */
static int is_alias(const drt_layer *l)
{
    return l->type == DRT_LAYER_DROPOUT || (l->type == DRT_LAYER_ROUTE && l->n_inputs == 1 && l->route_groups == 1);
}

static drt_status emit_layer(exporter *x, int i)
{
    const drt_layer *l = &x->m->layers[i];
    ox_graph *g = &x->g;
    if (is_alias(l) && x->head_of[i] < 0) {
        x->out[i] = in_name(x, l->inputs[0]);
        return DRT_OK;
    }
    switch (l->type) {
    case DRT_LAYER_CONV: return x->m->layers[i].xnor ? emit_xnor(x, i) : emit_conv(x, i);
    case DRT_LAYER_MAXPOOL:
    case DRT_LAYER_LOCAL_AVGPOOL: return emit_maxpool(x, i);
    case DRT_LAYER_IMPLICIT: /* its weights as a [1, c, 1, 1] initializer: readers broadcast it over the batch */
        ox_node(g, "Identity", ox_printf(g, "l%d.implicit", i),
                (const char *[]){ox_init_floats(g, ox_printf(g, "l%d.weights", i), 4, (int64_t[]){1, l->filters, 1, 1}, l->weights),
                                 NULL},
                (const char *[]){x->out[i], NULL});
        return DRT_OK;
    case DRT_LAYER_BATCHNORM: {
        int f = l->filters;
        Onnx__NodeProto *n = ox_node(
            g, "BatchNormalization", ox_printf(g, "l%d.bn", i),
            (const char *[]){in_name(x, l->inputs[0]), ox_init_floats(g, ox_printf(g, "l%d.bn.scale", i), 1, (int64_t[]){f}, l->scales),
                             ox_init_floats(g, ox_printf(g, "l%d.bn.bias", i), 1, (int64_t[]){f}, l->biases),
                             ox_init_floats(g, ox_printf(g, "l%d.bn.mean", i), 1, (int64_t[]){f}, l->rolling_mean),
                             ox_init_floats(g, ox_printf(g, "l%d.bn.var", i), 1, (int64_t[]){f}, l->rolling_var), NULL},
            (const char *[]){x->out[i], NULL});
        ox_attr_float(g, n, "epsilon", 1e-5f); /* AlexeyAB's sqrt(var + 1e-5) */
        return DRT_OK;
    }
    case DRT_LAYER_ROUTE: return emit_route(x, i);
    case DRT_LAYER_SHORTCUT: return emit_shortcut(x, i);
    case DRT_LAYER_UPSAMPLE: return emit_upsample(x, i);
    case DRT_LAYER_SCALE_CHANNELS:
    case DRT_LAYER_SAM: return emit_product(x, i);
    case DRT_LAYER_REORG: return emit_reorg(x, i);
    case DRT_LAYER_LOCAL: return emit_local(x, i);
    case DRT_LAYER_ACTIVATION:
        if (l->act == DRT_ACT_LINEAR)
            ox_node(g, "Identity", ox_printf(g, "l%d.activation", i), (const char *[]){in_name(x, l->inputs[0]), NULL},
                    (const char *[]){x->out[i], NULL});
        return emit_act(x, i, in_name(x, l->inputs[0]), l->act, x->out[i]);
    case DRT_LAYER_REORG3D: {
        Onnx__NodeProto *n = ox_node(g, "SpaceToDepth", ox_printf(g, "l%d.reorg3d", i),
                                     (const char *[]){in_name(x, l->inputs[0]), NULL}, (const char *[]){x->out[i], NULL});
        ox_attr_int(g, n, "blocksize", l->stride);
        return DRT_OK;
    }
    case DRT_LAYER_AVGPOOL:
        ox_node(g, "GlobalAveragePool", ox_printf(g, "l%d.avgpool", i), (const char *[]){in_name(x, l->inputs[0]), NULL},
                (const char *[]){x->out[i], NULL});
        return DRT_OK;
    case DRT_LAYER_DROPOUT:
        ox_node(g, "Identity", ox_printf(g, "l%d.dropout", i), (const char *[]){in_name(x, l->inputs[0]), NULL},
                (const char *[]){x->out[i], NULL});
        return DRT_OK;
    case DRT_LAYER_YOLO:
        /* Its head tensor is named by the layer that makes it, or copied here when that
         * tensor is the network input or already another head. */
        if (l->inputs[0] < 0 || x->head_of[l->inputs[0]] != x->head_of[i])
            ox_node(g, "Identity", ox_printf(g, "l%d.yolo", i), (const char *[]){in_name(x, l->inputs[0]), NULL},
                    (const char *[]){x->out[i], NULL});
        return DRT_OK;
    default:
        return layer_fail(x, i, DRT_STATUS_UNSUPPORTED, "layer type not supported by the ONNX exporter");
    }
}

/* Names every layer's output; a layer feeding a [yolo] layer gets "head<k>". */
static drt_status name_outputs(exporter *x, int *heads, int n_heads)
{
    const drt_model *m = x->m;
    for (int i = 0; i < m->n_layers; i++) {
        x->head_of[i] = -1;
        x->out[i] = ox_printf(&x->g, "l%d", i);
    }
    for (int k = 0; k < n_heads; k++) {
        int y = heads[k], src = m->layers[y].inputs[0];
        x->head_of[y] = k;
        x->out[y] = ox_printf(&x->g, "head%d", k);
        if (src >= 0 && x->head_of[src] < 0 && m->layers[src].type != DRT_LAYER_YOLO) {
            x->head_of[src] = k;
            x->out[src] = x->out[y];
        }
    }
    return x->g.failed ? drt_error(DRT_STATUS_OOM, "export: out of memory") : DRT_OK;
}

static drt_status check_export(const drt_model *m, const drt_onnx_opts *o, int n_heads)
{
    const char *src = m->source ? m->source : "model";
    if (o->opset < MIN_OPSET || o->opset > MAX_OPSET)
        return drt_error(DRT_STATUS_INVALID_ARG, "export: opset %d: must be %d..%d", o->opset, MIN_OPSET, MAX_OPSET);
    if (o->batch > 65536) return drt_error(DRT_STATUS_INVALID_ARG, "export: batch %d: must be 1..65536 or dynamic", o->batch);
    for (int i = 0; m->bn == DRT_BN_PJREDDIE && i < m->n_layers; i++) {
        if (m->layers[i].type == DRT_LAYER_CONV && m->layers[i].batch_normalize && !o->fold_bn)
            return drt_error(DRT_STATUS_UNSUPPORTED,
                             "%s: pjreddie batchnorm (x - mean) / (sqrt(var) + 1e-6) has no ONNX BatchNormalization form: fold it (--fold-bn)", src);
        if (m->layers[i].type == DRT_LAYER_BATCHNORM)
            return drt_error(DRT_STATUS_UNSUPPORTED, "%s: layer %d [batchnorm]: pjreddie batchnorm (x - mean) / (sqrt(var) + 1e-6) "
                             "has no ONNX BatchNormalization form (and no conv to fold it into)", src, i);
    }
    if (n_heads < 1) return drt_error(DRT_STATUS_UNSUPPORTED, "%s: no [yolo] layer: nothing to output", src);
    int state = drt_model_first_state(m); /* a graph maps one input to its outputs: a state would be an input and output */
    if (state >= 0)
        return drt_error(DRT_STATUS_UNSUPPORTED, "%s:%d [crnn]: not exported to ONNX (recurrent: its hidden state "
                         "carries from one image to the next; an ONNX graph keeps nothing between runs)", src,
                         m->layers[state].line);
    return DRT_OK;
}

static drt_status build_model(exporter *x, Onnx__ModelProto *mp, Onnx__GraphProto *gp, int *heads, int n_heads)
{
    const drt_model *m = x->m;
    ox_graph *g = &x->g;
    int batch = x->o->batch > 0 ? x->o->batch : 0;
    for (int i = 0; i < m->n_layers; i++) DRT_TRY(emit_layer(x, i));
    const char *head_names[DRT_MAX_ANCHORS * 4];
    for (int k = 0; k < n_heads; k++) {
        drt_shape s = drt_model_input_shape(m, heads[k]);
        head_names[k] = x->out[heads[k]];
        if (!x->o->decode) ox_output(g, ox_value_info(g, x->out[heads[k]], batch, s.c, s.h, s.w));
    }
    if (x->o->decode) DRT_TRY(drt_onnx_emit_decode(g, m, heads, n_heads, head_names, x->o));
    drt_onnx_meta_write(g, m, heads, n_heads, x->o->fold_bn);
    Onnx__ValueInfoProto **in = ox_alloc(g, 2 * sizeof *in);
    Onnx__OperatorSetIdProto *ops = ox_alloc(g, sizeof *ops), **opsl = ox_alloc(g, sizeof *opsl);
    if (g->failed || !in || !ops || !opsl) return drt_error(DRT_STATUS_OOM, "export: out of memory");
    in[0] = ox_value_info(g, DRT_ONNX_INPUT_NAME, batch, m->channels, m->height, m->width);
    onnx__operator_set_id_proto__init(ops);
    ops->domain = "";
    ops->has_version = 1;
    ops->version = g->opset;
    opsl[0] = ops;
    gp->name = "darkrt";
    gp->node = g->nodes;
    gp->n_node = g->n_nodes;
    gp->initializer = g->inits;
    gp->n_initializer = g->n_inits;
    if (x->o->decode) in[1] = drt_onnx_decode_input(g, batch);
    gp->input = in;
    gp->n_input = x->o->decode ? 2 : 1;
    gp->output = g->outputs;
    gp->n_output = g->n_outputs;
    mp->has_ir_version = 1;
    mp->ir_version = ir_version_for(g->opset);
    mp->opset_import = opsl;
    mp->n_opset_import = 1;
    mp->producer_name = "darkrt";
    mp->producer_version = (char *)drt_version();
    mp->doc_string = "Darknet YOLO model exported by darkrt. Outputs head0, head1, ... are the raw tensors entering "
                     "each [yolo] layer; metadata_props carries anchors, masks, classes and the preprocessing.";
    mp->graph = gp;
    mp->metadata_props = g->meta;
    mp->n_metadata_props = g->n_meta;
    return g->failed ? drt_error(DRT_STATUS_OOM, "export: out of memory") : DRT_OK;
}

drt_status drt_model_export_onnx(const drt_model *m, const char *path, const drt_onnx_opts *opts)
{
    DRT_ARG(m, "model");
    DRT_ARG(path, "onnx_path");
    drt_onnx_opts o = drt_onnx_opts_default();
    DRT_TRY(drt_opts_copy(&o, sizeof o, opts, "export: drt_onnx_opts"));
    int heads[DRT_MAX_ANCHORS * 4];
    int n_heads = drt_model_heads(m, heads, (int)(sizeof heads / sizeof heads[0]));
    if (n_heads > (int)(sizeof heads / sizeof heads[0]))
        return drt_error(DRT_STATUS_UNSUPPORTED, "export: %d [yolo] layers: at most %zu", n_heads, sizeof heads / sizeof heads[0]);
    DRT_TRY(check_export(m, &o, n_heads));
    exporter x = {.m = m, .o = &o};
    x.g.opset = o.opset;
    Onnx__ModelProto mp;
    Onnx__GraphProto gp;
    onnx__model_proto__init(&mp);
    onnx__graph_proto__init(&gp);
    drt_atomic_file af;
    int opened = 0;
    drt_status s = DRT_OK;
    x.out = ox_alloc(&x.g, (size_t)(m->n_layers + 1) * sizeof *x.out);
    x.head_of = ox_alloc(&x.g, (size_t)(m->n_layers + 1) * sizeof *x.head_of);
    if (!x.out || !x.head_of) { s = drt_error(DRT_STATUS_OOM, "export: out of memory"); goto done; }
    if ((s = name_outputs(&x, heads, n_heads)) != DRT_OK) goto done;
    if ((s = build_model(&x, &mp, &gp, heads, n_heads)) != DRT_OK) goto done;
    if ((s = drt_atomic_open(&af, path)) != DRT_OK) goto done;
    opened = 1;
    if ((s = ox_pack_to_file(&mp, af.fp, path)) != DRT_OK) goto done;
    s = drt_atomic_commit(&af);
    opened = 0;
done:
    if (opened) drt_atomic_abort(&af);
    ox_free(&x.g);
    return s;
}
