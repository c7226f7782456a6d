/* FLOPs as Darknet counts them, and the layer table of `darkrt inspect`. */
#include "darknet/darknet.h"
#include "core/error.h"

#include <stdio.h>
#include <string.h>

double drt_layer_flops(const drt_model *m, int i)
{
    const drt_layer *l = &m->layers[i];
    if (l->type != DRT_LAYER_CONV && l->type != DRT_LAYER_LOCAL) return 0;
    drt_shape in = drt_model_input_shape(m, i);
    /* Darknet's l.bflops: 2 * n * size^2 * c/groups * out_h * out_w ([local]: the same multiplies) */
    return 2.0 * l->filters * l->size * l->size * (double)(in.c / (l->groups > 0 ? l->groups : 1)) * l->out.h * l->out.w;
}

double drt_model_flops(const drt_model *m)
{
    double total = 0;
    for (int i = 0; m && i < m->n_layers; i++) total += drt_layer_flops(m, i);
    return total;
}

static void list_ints(char *buf, size_t cap, const int *v, int n)
{
    size_t len = strlen(buf);
    for (int k = 0; k < n && len < cap; k++) len += (size_t)snprintf(buf + len, cap - len, "%s%d", k ? "," : "", v[k]);
}

/* "/s", or "/sx x sy" when the strides differ (AlexeyAB's stride_x, stride_y). */
static const char *strides(const drt_layer *l, char *buf, size_t cap)
{
    if (l->stride_y && l->stride_y != l->stride) snprintf(buf, cap, "/%dx%d", l->stride, l->stride_y);
    else snprintf(buf, cap, "/%d", l->stride);
    return buf;
}

static void detail(const drt_layer *l, char *buf, size_t cap)
{
    char st[32];
    buf[0] = 0;
    switch (l->type) {
    case DRT_LAYER_CONV:
        if (l->fixed == DRT_FIXED_SUM) {
            snprintf(buf, cap, "downsample /%d, sum x %g", l->stride, l->fixed_scale); /* [upsample] stride < 0 */
            break;
        }
        if (l->fixed == DRT_FIXED_CROP) { /* [crop] */
            snprintf(buf, cap, "crop: centre, x %g %+g", l->fixed_scale, 1 - l->fixed_scale);
            break;
        }
        if (l->connected) {
            snprintf(buf, cap, "connected %d%s %s", l->filters, l->batch_normalize ? " bn" : "", drt_act_name(l->act));
            break;
        }
        if (l->fixed) {
            snprintf(buf, cap, "%d %dx%d%s dw antialiasing blur", l->filters, l->size, l->size,
                     strides(l, st, sizeof st));
            break;
        }
        snprintf(buf, cap, "%d %dx%d%s%s%s%s%s %s", l->filters, l->size, l->size, strides(l, st, sizeof st),
                 l->groups > 1 ? (l->groups == l->filters ? " dw" : " grouped") : "", l->dilation > 1 ? " dilated" : "",
                 l->xnor ? " xnor" : "", l->batch_normalize ? " bn" : "", drt_act_name(l->act));
        if (l->share) {
            size_t n = strlen(buf);
            snprintf(buf + n, cap - n, " (params of %d)", l->share - 1);
        }
        break;
    case DRT_LAYER_MAXPOOL:
        if (l->depth_channels) snprintf(buf, cap, "maxpool_depth: %d out channels", l->depth_channels);
        else snprintf(buf, cap, "%dx%d%s pad %d", l->size, l->size, strides(l, st, sizeof st), l->padding);
        break;
    case DRT_LAYER_ROUTE:
        list_ints(buf, cap, l->inputs, l->n_inputs);
        if (l->route_groups > 1) {
            size_t n = strlen(buf);
            snprintf(buf + n, cap - n, " group %d/%d", l->route_group_id, l->route_groups);
        }
        break;
    case DRT_LAYER_SHORTCUT:
        if (drt_shortcut_multi(l)) {
            static const char *const wt[] = {"", " per_feature", " per_channel"}, *const wn[] = {"", " relu", " softmax"};
            snprintf(buf, cap, "from ");
            list_ints(buf, cap, l->inputs + 1, l->n_inputs - 1);
            size_t n = strlen(buf);
            snprintf(buf + n, cap - n, "%s%s %s", wt[l->weights_type], wn[l->weights_norm], drt_act_name(l->act));
            break;
        }
        /* fall through */
    case DRT_LAYER_SCALE_CHANNELS:
    case DRT_LAYER_SAM: snprintf(buf, cap, "from %d %s", l->inputs[1], drt_act_name(l->act)); break;
    case DRT_LAYER_AVGPOOL: snprintf(buf, cap, "global mean"); break;
    case DRT_LAYER_ACTIVATION: snprintf(buf, cap, "%s", drt_act_name(l->act)); break;
    case DRT_LAYER_UPSAMPLE: snprintf(buf, cap, "x%d nearest", l->stride); break;
    case DRT_LAYER_LOCAL:
        snprintf(buf, cap, "%d %dx%d%s pad %d unshared %s", l->filters, l->size, l->size, strides(l, st, sizeof st), l->pad,
                 drt_act_name(l->act));
        break;
    case DRT_LAYER_YOLO:
        if (l->detection) {
            snprintf(buf, cap, "detection %dx%d, classes %d, %d boxes%s%s", l->detection, l->detection, l->classes, l->num,
                     l->det_sqrt ? " sqrt" : "", l->det_softmax ? " softmax" : "");
            break;
        }
        snprintf(buf, cap, "%sclasses %d, %d anchors", l->region ? "region, " : l->gaussian ? "gaussian, " : "", l->classes,
                 l->n_mask);
        break;
    case DRT_LAYER_REORG:
    case DRT_LAYER_REORG3D: snprintf(buf, cap, "stride %d", l->stride); break;
    case DRT_LAYER_DROPOUT: snprintf(buf, cap, l->training_only ? "training-only (contrastive)" : "identity"); break;
    case DRT_LAYER_LOCAL_AVGPOOL:
        snprintf(buf, cap, "%dx%d%s pad %d mean", l->size, l->size, strides(l, st, sizeof st), l->padding);
        break;
    case DRT_LAYER_BATCHNORM: snprintf(buf, cap, "per-channel bn"); break;
    case DRT_LAYER_IMPLICIT: snprintf(buf, cap, "learned %dx1x1", l->filters); break;
    case DRT_LAYER_STATE: snprintf(buf, cap, "last image's layer %d", l->state_from); break;
    default: break;
    }
}

static void print_heads(const drt_model *m, FILE *out)
{
    for (int i = 0, h = 0; i < m->n_layers; i++) {
        const drt_layer *l = &m->layers[i];
        if (l->type != DRT_LAYER_YOLO) continue;
        if (l->detection) { /* YOLOv1: no anchors, boxes relative to the cell and the image */
            fprintf(out, "head %d: layer %d, YOLOv1 detection %dx%d cells x %d boxes, classes %d\n", h++, i, l->detection,
                    l->detection, l->num, l->classes);
            continue;
        }
        fprintf(out, "head %d: layer %d, %dx%dx%d, classes %d, scale_x_y %g%s, anchors", h++, i, l->out.w,
                l->out.h, l->out.c, l->classes, l->scale_x_y, l->new_coords ? ", new_coords" : "");
        for (int k = 0; k < l->n_mask; k++)
            fprintf(out, " %gx%g", l->anchors[2 * l->mask[k]], l->anchors[2 * l->mask[k] + 1]);
        fputc('\n', out);
    }
}

drt_status drt_model_print(const drt_model *m, FILE *out)
{
    DRT_ARG(m, "model");
    DRT_ARG(out, "out");
    fprintf(out, "model: %s\n", m->source ? m->source : "(unnamed)");
    fprintf(out, "input: %dx%dx%d (batch in file %d), resize %s, batchnorm %s\n", m->width, m->height, m->channels,
            m->batch, m->resize == DRT_RESIZE_STRETCH ? "stretch" : "letterbox",
            m->bn == DRT_BN_PJREDDIE ? "pjreddie: sqrt(var) + 1e-6" : "alexeyab: sqrt(var + 1e-5)");
    float beta;
    drt_nms_kind nms = drt_detect_model_nms(m, &beta);
    fprintf(out, "detect: NMS %s", nms == DRT_NMS_IOU ? "IoU (default)" : nms == DRT_NMS_GREEDY ? "DIoU (greedynms)" : "DIoU (diounms)");
    if (nms == DRT_NMS_DIOU) fprintf(out, " beta_nms %g", beta);
    fprintf(out, " (%s)\n", m->bn == DRT_BN_PJREDDIE ? "pjreddie's Darknet" : "as AlexeyAB's Darknet runs the cfg");
    fprintf(out, "weights: %s; class names: %d\n", m->has_weights ? "loaded" : "none (all zero)", m->n_names);
    if (drt_model_stateful(m)) /* its images are a sequence */
        fprintf(out, "stateful: yes, [crnn] hidden state carried from each image to the next (run in order; ref, cpu)\n");
    print_heads(m, out);
    fprintf(out, "\n%5s  %-13s %-26s %16s    %-16s %10s %10s\n", "layer", "type", "detail", "input", "output",
            "params", "BFLOPs");
    size_t params = 0;
    for (int i = 0; i < m->n_layers; i++) {
        const drt_layer *l = &m->layers[i];
        char det[96], in[32], o[32];
        drt_shape s = drt_model_input_shape(m, i);
        detail(l, det, sizeof det);
        snprintf(in, sizeof in, "%dx%dx%d", s.w, s.h, s.c);
        snprintf(o, sizeof o, "%dx%dx%d", l->out.w, l->out.h, l->out.c);
        size_t p = drt_layer_param_count(m, l);
        params += p;
        const char *type = drt_layer_type_name(l->type);
        if (drt_layer_in_crnn(m, i)) /* one [crnn] section: its input, self and output convs, state and sum */
            type = l->type == DRT_LAYER_STATE ? "crnn state" : l->type == DRT_LAYER_SHORTCUT ? "crnn sum" : "crnn conv";
        fprintf(out, "%5d  %-13s %-26s %16s -> %-16s %10zu %10.3f\n", i, type, det, in, o, p, drt_layer_flops(m, i) / 1e9);
    }
    double flops = drt_model_flops(m);
    fprintf(out, "\ntotal: %d layers, %zu parameters (%.2f MB), %.0f FLOPs = %.3f BFLOPs\n", m->n_layers, params,
            params * 4.0 / 1e6, flops, flops / 1e9);
    return ferror(out) ? drt_error(DRT_STATUS_IO, "print: write failed") : DRT_OK;
}
