/* ONNX export with --decode: the YOLO decode, the letterbox mapping back to image pixels and
 * per-class NonMaxSuppression appended to the graph, as darkrt detect computes them (Darknet's
 * get_yolo_box, correct_yolo_boxes, do_nms_sort; boxes clamped to the image after NMS). */
#include "onnx/onnx-decode.h"
#include "onnx/onnx-meta.h"
#include "core/error.h"

#include <math.h>
#include <stdio.h>

/* Names and small constants of the appended nodes. */
typedef struct dec {
    ox_graph *g;
    int next;
} dec;

static const char *fresh(dec *d) { return ox_printf(d->g, "decode.%d", d->next++); }

static const char *node(dec *d, const char *op, const char *const *inputs, Onnx__NodeProto **n_out)
{
    const char *out = fresh(d);
    Onnx__NodeProto *n = ox_node(d->g, op, out, inputs, (const char *[]){out, NULL});
    if (n_out) *n_out = n;
    return out;
}

static const char *op1(dec *d, const char *op, const char *a) { return node(d, op, (const char *[]){a, NULL}, NULL); }

static const char *op2(dec *d, const char *op, const char *a, const char *b)
{
    return node(d, op, (const char *[]){a, b, NULL}, NULL);
}

static const char *floats(dec *d, int n, const float *v)
{
    float *copy = ox_alloc(d->g, (size_t)n * sizeof *copy);
    if (!copy) return "";
    for (int i = 0; i < n; i++) copy[i] = v[i];
    return ox_init_floats(d->g, fresh(d), 1, (int64_t[]){n}, copy);
}

static const char *scalar(dec *d, float v) { return floats(d, 1, &v); }

static const char *ints(dec *d, int n, const int64_t *v) { return ox_init_ints(d->g, fresh(d), (size_t)n, v); }

static const char *reshape(dec *d, const char *x, int n, const int64_t *shape)
{
    return op2(d, "Reshape", x, ints(d, n, shape));
}

static const char *slice(dec *d, const char *x, int axis, int64_t start, int64_t end)
{
    return node(d, "Slice", (const char *[]){x, ints(d, 1, &start), ints(d, 1, &end), ints(d, 1, (int64_t[]){axis}), NULL},
                NULL);
}

static const char *transpose(dec *d, const char *x, int n, const int64_t *perm)
{
    Onnx__NodeProto *nd;
    const char *out = node(d, "Transpose", (const char *[]){x, NULL}, &nd);
    ox_attr_ints(d->g, nd, "perm", (size_t)n, perm);
    return out;
}

static const char *concat(dec *d, int axis, const char *const *inputs)
{
    Onnx__NodeProto *nd;
    const char *out = node(d, "Concat", inputs, &nd);
    ox_attr_int(d->g, nd, "axis", axis);
    return out;
}

/* Per-cell constants of one head, [1, A*H*W, 2]: (col, row) and (anchor w, anchor h). */
static void head_grids(dec *d, const drt_layer *l, int w, int h, const char **cells, const char **anchors)
{
    size_t m = (size_t)l->n_mask * (size_t)w * (size_t)h;
    float *c = ox_alloc(d->g, 2 * m * sizeof *c), *a = ox_alloc(d->g, 2 * m * sizeof *a);
    if (!c || !a) return;
    for (size_t i = 0; i < m; i++) {
        size_t cell = i % ((size_t)w * (size_t)h);
        int an = l->mask[i / ((size_t)w * (size_t)h)];
        c[2 * i] = (float)(cell % (size_t)w), c[2 * i + 1] = (float)(cell / (size_t)w);
        a[2 * i] = l->anchors[2 * an], a[2 * i + 1] = l->anchors[2 * an + 1];
    }
    int64_t dims[3] = {1, (int64_t)m, 2};
    *cells = ox_init_floats(d->g, fresh(d), 3, dims, c);
    *anchors = ox_init_floats(d->g, fresh(d), 3, dims, a);
}

/* One head's boxes in network-relative units and its scores: xy, wh [N, M, 2]; obj x cls [N, M, C]. */
static void decode_head(dec *d, const drt_model *m, int layer, const char *head, const char *out[3])
{
    const drt_layer *l = &m->layers[layer];
    drt_shape s = drt_model_input_shape(m, layer);
    int64_t a = l->n_mask, k = 5 + l->classes, hw = (int64_t)s.h * s.w;
    const char *p = reshape(d, head, 4, (int64_t[]){-1, a, k, hw});
    p = reshape(d, transpose(d, p, 4, (int64_t[]){0, 1, 3, 2}), 3, (int64_t[]){-1, a * hw, k});
    const char *xy = slice(d, p, 2, 0, 2), *wh = slice(d, p, 2, 2, 4), *obj = slice(d, p, 2, 4, 5);
    const char *cls = slice(d, p, 2, 5, k), *cells = "", *anchors = "";
    head_grids(d, l, s.w, s.h, &cells, &anchors);
    if (!l->new_coords) {
        xy = op1(d, "Sigmoid", xy), obj = op1(d, "Sigmoid", obj), cls = op1(d, "Sigmoid", cls);
        wh = op1(d, "Exp", wh);
    } else {
        wh = op2(d, "Mul", op2(d, "Mul", wh, wh), scalar(d, 4));
    }
    if (l->scale_x_y != 1)
        xy = op2(d, "Add", op2(d, "Mul", xy, scalar(d, l->scale_x_y)), scalar(d, (float)(-0.5 * (l->scale_x_y - 1))));
    out[0] = op2(d, "Div", op2(d, "Add", xy, cells), floats(d, 2, (float[]){(float)s.w, (float)s.h}));
    out[1] = op2(d, "Div", op2(d, "Mul", wh, anchors), floats(d, 2, (float[]){(float)m->width, (float)m->height}));
    out[2] = op2(d, "Mul", obj, cls);
}

/* Darknet's letterbox size per image from image_size [N, 2] (w, h): [N, 2] new (w, h). */
static const char *letterbox_size(dec *d, const drt_model *m, const char *size)
{
    const char *net = floats(d, 2, (float[]){(float)m->width, (float)m->height});
    if (m->resize == DRT_RESIZE_STRETCH) return op2(d, "Mul", op2(d, "Div", size, size), net);
    const char *sw = slice(d, size, 1, 0, 1), *sh = slice(d, size, 1, 1, 2);
    const char *nw = scalar(d, (float)m->width), *nh = scalar(d, (float)m->height);
    const char *wide = op2(d, "Less", op2(d, "Div", nw, sw), op2(d, "Div", nh, sh));
    const char *alt_w = op1(d, "Floor", op2(d, "Div", op2(d, "Mul", sw, nh), sh));
    const char *alt_h = op1(d, "Floor", op2(d, "Div", op2(d, "Mul", sh, nw), sw));
    const char *new_w = node(d, "Where", (const char *[]){wide, nw, alt_w, NULL}, NULL);
    const char *new_h = node(d, "Where", (const char *[]){wide, alt_h, nh, NULL}, NULL);
    const char *nwh = concat(d, 1, (const char *[]){new_w, new_h, NULL});
    return op2(d, "Min", op2(d, "Max", nwh, scalar(d, 1)), net); /* at least one pixel, at most the net */
}

/* correct_yolo_boxes: network-relative xy, wh [N, M, 2] to corner boxes in pixels [N, M, 4]. */
static const char *to_pixels(dec *d, const drt_model *m, const char *xy, const char *wh, const char *size)
{
    const char *net = floats(d, 2, (float[]){(float)m->width, (float)m->height});
    const char *nwh = letterbox_size(d, m, size);
    const int64_t per_image[3] = {-1, 1, 2};
    const char *off = reshape(d, op2(d, "Div", op2(d, "Div", op2(d, "Sub", net, nwh), scalar(d, 2)), net), 3, per_image);
    const char *div = reshape(d, op2(d, "Div", nwh, net), 3, per_image);
    const char *mul = reshape(d, op2(d, "Div", net, nwh), 3, per_image);
    const char *px = reshape(d, size, 3, per_image);
    const char *b = op2(d, "Div", op2(d, "Sub", xy, off), div);
    const char *half = op2(d, "Div", op2(d, "Mul", wh, mul), scalar(d, 2));
    const char *lo = op2(d, "Mul", op2(d, "Sub", b, half), px), *hi = op2(d, "Mul", op2(d, "Add", b, half), px);
    return concat(d, 2, (const char *[]){lo, hi, NULL});
}

/* NonMaxSuppression on boxes [N, M, 4] and scores [N, C, M]; the named outputs from its [K, 3]
 * (image, class, box) triples, boxes clamped to their image. */
static void select_outputs(dec *d, const char *boxes, const char *scores, int64_t m, const drt_onnx_opts *o,
                           const char *size)
{
    ox_graph *g = d->g;
    const char *sel = node(d, "NonMaxSuppression", (const char *[]){boxes, scores, ints(d, 1, &m),
                           scalar(d, o->decode_nms), scalar(d, o->decode_thresh), NULL}, NULL);
    const char *img = slice(d, sel, 1, 0, 1), *cls = slice(d, sel, 1, 1, 2), *box = slice(d, sel, 1, 2, 3);
    const char *picked = op2(d, "GatherND", boxes, concat(d, 1, (const char *[]){img, box, NULL}));
    Onnx__NodeProto *nd;
    const char *img_flat = reshape(d, img, 1, (int64_t[]){-1});
    const char *wh = node(d, "Gather", (const char *[]){size, img_flat, NULL}, &nd);
    ox_attr_int(g, nd, "axis", 0);
    const char *limit = concat(d, 1, (const char *[]){wh, wh, NULL});
    const char *clamped = op2(d, "Min", op2(d, "Max", picked, scalar(d, 0)), limit);
    ox_node(g, "Identity", "decode.out.boxes", (const char *[]){clamped, NULL}, (const char *[]){"boxes", NULL});
    ox_node(g, "GatherND", "decode.out.scores", (const char *[]){scores, sel, NULL}, (const char *[]){"scores", NULL});
    ox_node(g, "Reshape", "decode.out.class_ids", (const char *[]){cls, ints(d, 1, (int64_t[]){-1}), NULL},
            (const char *[]){"class_ids", NULL});
    ox_node(g, "Identity", "decode.out.image_index", (const char *[]){img_flat, NULL}, (const char *[]){"image_index", NULL});
    const char *const k[2] = {"detections", "detections"};
    ox_output(g, ox_tensor_info(g, "boxes", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, (int64_t[]){0, 4}, k));
    ox_output(g, ox_tensor_info(g, "scores", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1, (int64_t[]){0}, k));
    ox_output(g, ox_tensor_info(g, "class_ids", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 1, (int64_t[]){0}, k));
    ox_output(g, ox_tensor_info(g, "image_index", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 1, (int64_t[]){0}, k));
}

Onnx__ValueInfoProto *drt_onnx_decode_input(ox_graph *g, int batch)
{
    return ox_tensor_info(g, DRT_ONNX_DECODE_SIZE_NAME, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, (int64_t[]){batch, 2},
                          (const char *const[]){"batch", ""});
}

drt_status drt_onnx_emit_decode(ox_graph *g, const drt_model *m, const int *heads, int n_heads,
                                const char *const *head_names, const drt_onnx_opts *o)
{
    const char *src = m->source ? m->source : "model";
    if (o->opset < 11)
        return drt_error(DRT_STATUS_INVALID_ARG, "export --decode: opset %d: NonMaxSuppression and GatherND need 11 or more", o->opset);
    if (!(o->decode_thresh >= 0 && o->decode_thresh < 1) || !(o->decode_nms > 0 && o->decode_nms <= 1))
        return drt_error(DRT_STATUS_INVALID_ARG, "export --decode: thresh %g, nms %g: must be in [0, 1) and (0, 1]",
                         o->decode_thresh, o->decode_nms);
    for (int k = 0; k < n_heads; k++) {
        const drt_layer *l = &m->layers[heads[k]];
        if (l->region || l->gaussian || l->detection)
            return drt_error(DRT_STATUS_UNSUPPORTED, "%s: [%s] layer %d: --decode writes [yolo] heads only (darkrt detect "
                             "decodes this one)", src, l->detection ? "detection" : l->region ? "region" : "Gaussian_yolo",
                             heads[k]);
    }
    drt_nms_kind kind = drt_detect_model_nms(m, NULL);
    if (kind != DRT_NMS_IOU) /* ONNX has no DIoU suppression */
        drt_warn("%s: export --decode: the graph's NonMaxSuppression is IoU NMS; the cfg asks for nms_kind=%s "
                 "(DIoU): a box or two may differ from darkrt detect's", src, drt_nms_kind_name(kind));
    dec d = {.g = g};
    const char *xy[DRT_MAX_ANCHORS * 4 + 1] = {0}, *wh[DRT_MAX_ANCHORS * 4 + 1] = {0}, *sc[DRT_MAX_ANCHORS * 4 + 1] = {0};
    int64_t total = 0;
    for (int k = 0; k < n_heads; k++) {
        const drt_layer *l = &m->layers[heads[k]];
        if (l->classes != m->layers[heads[0]].classes || l->n_mask < 1)
            return drt_error(DRT_STATUS_UNSUPPORTED, "%s: [yolo] layer %d: --decode needs every head to have anchors "
                             "and the same classes (%d, not %d)", src, heads[k], m->layers[heads[0]].classes, l->classes);
        const char *out[3];
        decode_head(&d, m, heads[k], head_names[k], out);
        xy[k] = out[0], wh[k] = out[1], sc[k] = out[2];
        drt_shape s = drt_model_input_shape(m, heads[k]);
        total += (int64_t)l->n_mask * s.h * s.w;
    }
    const char *boxes = to_pixels(&d, m, concat(&d, 1, xy), concat(&d, 1, wh), DRT_ONNX_DECODE_SIZE_NAME);
    const char *scores = transpose(&d, concat(&d, 1, sc), 3, (int64_t[]){0, 2, 1});
    select_outputs(&d, boxes, scores, total, o, DRT_ONNX_DECODE_SIZE_NAME);
    return g->failed ? drt_error(DRT_STATUS_OOM, "export: out of memory") : DRT_OK;
}
