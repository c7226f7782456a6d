/* Writing and reading the YOLO decode metadata darkrt keeps in ONNX metadata_props. */
#include "onnx/onnx-meta.h"
#include "core/error.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void meta_int(ox_graph *g, const char *key, int v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%d", v);
    ox_meta(g, key, buf);
}

static char *join_floats(ox_graph *g, const float *v, int n)
{
    size_t cap = (size_t)n * 24 + 1;
    char *s = ox_alloc(g, cap);
    if (!s) return NULL;
    size_t len = 0;
    for (int i = 0; i < n; i++) len += (size_t)snprintf(s + len, cap - len, "%s%.9g", i ? "," : "", v[i]);
    return s;
}

static char *join_ints(ox_graph *g, const int *v, int n)
{
    size_t cap = (size_t)n * 12 + 1;
    char *s = ox_alloc(g, cap);
    if (!s) return NULL;
    size_t len = 0;
    for (int i = 0; i < n; i++) len += (size_t)snprintf(s + len, cap - len, "%s%d", i ? "," : "", v[i]);
    return s;
}

static void write_head(ox_graph *g, const drt_model *m, int k, const drt_layer *l)
{
    char key[64];
#define KEY(name) (snprintf(key, sizeof key, "yolo.head%d." name, k), key)
    meta_int(g, KEY("layer"), (int)(l - m->layers));
    meta_int(g, KEY("classes"), l->classes);
    meta_int(g, KEY("num"), l->num);
    char *mask = join_ints(g, l->mask, l->n_mask), *anchors = join_floats(g, l->anchors, 2 * l->num);
    if (mask) ox_meta(g, KEY("mask"), mask);
    if (anchors) ox_meta(g, KEY("anchors"), anchors);
    char buf[32];
    snprintf(buf, sizeof buf, "%.9g", l->scale_x_y);
    ox_meta(g, KEY("scale_x_y"), buf);
    meta_int(g, KEY("new_coords"), l->new_coords);
    if (l->region) meta_int(g, KEY("region"), 1);
    if (l->gaussian) meta_int(g, KEY("gaussian"), 1);
    if (l->detection) { /* YOLOv1: side x side cells; the head is the [connected] output, c x 1 x 1 */
        meta_int(g, KEY("detection"), l->detection);
        meta_int(g, KEY("sqrt"), l->det_sqrt);
        meta_int(g, KEY("softmax"), l->det_softmax);
    }
    drt_shape in = drt_model_input_shape(m, (int)(l - m->layers));
    meta_int(g, KEY("stride"), in.w > 0 ? m->width / in.w : 0);
#undef KEY
}

void drt_onnx_meta_write(ox_graph *g, const drt_model *m, const int *head_layers, int n_heads, int folded)
{
    ox_meta(g, "darkrt.version", drt_version());
    ox_meta(g, "input.name", DRT_ONNX_INPUT_NAME);
    meta_int(g, "input.width", m->width);
    meta_int(g, "input.height", m->height);
    meta_int(g, "input.channels", m->channels);
    ox_meta(g, "input.layout", "NCHW");
    ox_meta(g, "input.color", "RGB");
    ox_meta(g, "input.scale", "0.00392156862745098");
    ox_meta(g, "input.resize", m->resize == DRT_RESIZE_STRETCH ? "stretch" : "letterbox");
    ox_meta(g, "input.pad_value", "0.5");
    float beta;
    drt_nms_kind nms = drt_detect_model_nms(m, &beta);
    char buf[32];
    snprintf(buf, sizeof buf, "%.9g", beta);
    ox_meta(g, "nms.kind", drt_nms_kind_name(nms));
    ox_meta(g, "nms.beta", buf);
    ox_meta(g, "bn.formula", m->bn == DRT_BN_PJREDDIE ? "pjreddie" : "alexeyab");
    ox_meta(g, "bn.folded", folded ? "1" : "0");
    size_t cap = (size_t)n_heads * 12 + 1;
    char *heads = ox_alloc(g, cap);
    for (int k = 0; heads && k < n_heads; k++)
        snprintf(heads + strlen(heads), cap - strlen(heads), "%shead%d", k ? "," : "", k);
    if (heads) ox_meta(g, "yolo.heads", heads);
    for (int k = 0; k < n_heads; k++) write_head(g, m, k, &m->layers[head_layers[k]]);
    if (m->n_names > 0) {
        size_t len = 1;
        for (int i = 0; i < m->n_names; i++) len += strlen(m->names[i]) + 1;
        char *names = ox_alloc(g, len);
        for (int i = 0; names && i < m->n_names; i++) {
            strcat(names, m->names[i]);
            if (i + 1 < m->n_names) strcat(names, "\n");
        }
        if (names) ox_meta(g, "class_names", names);
    }
}

const char *drt_onnx_meta_get(const Onnx__ModelProto *mp, const char *key)
{
    for (size_t i = 0; i < mp->n_metadata_props; i++) {
        const Onnx__StringStringEntryProto *e = mp->metadata_props[i];
        if (e && e->key && e->value && strcmp(e->key, key) == 0) return e->value;
    }
    return NULL;
}

/* Past a list item that ends at end: spaces, then a comma and spaces (an item or the end follows) or the
 * end; NULL when something else follows. */
static const char *list_next(const char *end)
{
    while (*end == ' ') end++;
    if (*end == ',') end++;
    else if (*end) return NULL;
    while (*end == ' ') end++;
    return end;
}

int drt_parse_float_list(const char *text, float *out, int max)
{
    int n = 0;
    for (const char *p = text; *p;) {
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno || !isfinite(v) || n >= max || !(p = list_next(end))) return -1;
        out[n++] = (float)v;
    }
    return n;
}

int drt_parse_int_list(const char *text, int *out, int max)
{
    int n = 0;
    for (const char *p = text; *p;) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < -1000000 || v > 1000000 || n >= max || !(p = list_next(end))) return -1;
        out[n++] = (int)v;
    }
    return n;
}

static drt_status need(const Onnx__ModelProto *mp, const char *path, const char *head, const char *field,
                       const char **out)
{
    char key[128];
    snprintf(key, sizeof key, "yolo.%s.%s", head, field);
    *out = drt_onnx_meta_get(mp, key);
    if (!*out) return drt_error(DRT_STATUS_FORMAT, "%s: metadata_props lacks %s (yolo.heads lists %s)", path, key, head);
    return DRT_OK;
}

/* The head's optional 0-or-1 key field into *out (absent: 0). */
static drt_status optional_flag(const Onnx__ModelProto *mp, const char *path, const char *head, const char *field,
                                int *out)
{
    char key[128];
    snprintf(key, sizeof key, "yolo.%s.%s", head, field);
    const char *text = drt_onnx_meta_get(mp, key);
    *out = 0;
    if (text && (drt_parse_int_list(text, out, 1) != 1 || (*out != 0 && *out != 1)))
        return drt_error(DRT_STATUS_FORMAT, "%s: metadata yolo.%s.%s=%s: must be 0 or 1", path, head, field,
                         text);
    return DRT_OK;
}

drt_status drt_onnx_meta_read_head(const Onnx__ModelProto *mp, const char *path, const char *head, drt_layer *l)
{
    const char *classes, *num, *mask, *anchors, *sxy = NULL, *det = NULL;
    DRT_TRY(need(mp, path, head, "classes", &classes));
    DRT_TRY(need(mp, path, head, "num", &num));
    DRT_TRY(need(mp, path, head, "mask", &mask));
    DRT_TRY(need(mp, path, head, "anchors", &anchors));
    (void)need(mp, path, head, "scale_x_y", &sxy);
    (void)need(mp, path, head, "detection", &det);
    drt_error_clear();
    l->type = DRT_LAYER_YOLO;
    l->scale_x_y = 1;
    if (drt_parse_int_list(classes, &l->classes, 1) != 1)
        return drt_error(DRT_STATUS_FORMAT, "%s: metadata yolo.%s.classes=%s: must be an integer", path, head, classes);
    if (drt_parse_int_list(num, &l->num, 1) != 1 || l->num < 1 || l->num > DRT_MAX_ANCHORS)
        return drt_error(DRT_STATUS_FORMAT, "%s: metadata yolo.%s.num=%s: must be 1..%d", path, head, num, DRT_MAX_ANCHORS);
    l->n_mask = drt_parse_int_list(mask, l->mask, DRT_MAX_ANCHORS);
    if (l->n_mask < 1)
        return drt_error(DRT_STATUS_FORMAT, "%s: metadata yolo.%s.mask=%s: must be 1..%d integers", path, head, mask, DRT_MAX_ANCHORS);
    if (drt_parse_float_list(anchors, l->anchors, 2 * DRT_MAX_ANCHORS) != 2 * l->num)
        return drt_error(DRT_STATUS_FORMAT, "%s: metadata yolo.%s.anchors: must be %d numbers (num=%d pairs)", path, head, 2 * l->num, l->num);
    if (sxy && (drt_parse_float_list(sxy, &l->scale_x_y, 1) != 1 || l->scale_x_y <= 0 || l->scale_x_y > 100))
        return drt_error(DRT_STATUS_FORMAT, "%s: metadata yolo.%s.scale_x_y=%s: must be a number in (0, 100]", path, head, sxy);
    DRT_TRY(optional_flag(mp, path, head, "new_coords", &l->new_coords));
    DRT_TRY(optional_flag(mp, path, head, "region", &l->region));
    DRT_TRY(optional_flag(mp, path, head, "gaussian", &l->gaussian));
    if (det && (drt_parse_int_list(det, &l->detection, 1) != 1 || l->detection < 1 || l->detection > 1024))
        return drt_error(DRT_STATUS_FORMAT, "%s: metadata yolo.%s.detection=%s: must be a side of 1..1024", path, head, det);
    DRT_TRY(optional_flag(mp, path, head, "sqrt", &l->det_sqrt));
    DRT_TRY(optional_flag(mp, path, head, "softmax", &l->det_softmax));
    return DRT_OK;
}
