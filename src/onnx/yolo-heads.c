/* YOLO head parameters supplied by the user for models whose file carries none (third-party ONNX). */
#include "graph/model.h"
#include "onnx/onnx-meta.h"
#include "core/error.h"
#include "core/fileio.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HEADS 64

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = 0;
    return s;
}

/* Applies new head parameters, then re-checks the shapes; restores the old ones on failure. */
static drt_status apply(drt_model *m, const drt_layer *heads, int n)
{
    int idx[MAX_HEADS];
    int have = drt_model_heads(m, idx, MAX_HEADS);
    if (have != n)
        return drt_error(DRT_STATUS_INVALID_ARG, "%s: the model has %d heads but %d were given", m->source ? m->source : "model", have, n);
    drt_layer saved[MAX_HEADS];
    for (int k = 0; k < n; k++) {
        drt_layer *l = &m->layers[idx[k]];
        saved[k] = *l;
        l->classes = heads[k].classes;
        l->num = heads[k].num;
        l->n_mask = heads[k].n_mask;
        memcpy(l->mask, heads[k].mask, sizeof l->mask);
        memcpy(l->anchors, heads[k].anchors, sizeof l->anchors);
        l->scale_x_y = heads[k].scale_x_y;
        l->new_coords = heads[k].new_coords;
    }
    drt_status s = drt_model_infer_shapes(m);
    if (s != DRT_OK)
        for (int k = 0; k < n; k++) m->layers[idx[k]] = saved[k];
    return s;
}

static drt_status cfg_key(const char *path, int line, drt_layer *l, const char *key, const char *val)
{
    int n = 1;
    if (!strcmp(key, "anchors")) {
        n = drt_parse_float_list(val, l->anchors, 2 * DRT_MAX_ANCHORS);
        if (n < 2 || n % 2) n = -1;
    } else if (!strcmp(key, "mask")) {
        n = l->n_mask = drt_parse_int_list(val, l->mask, DRT_MAX_ANCHORS);
    } else if (!strcmp(key, "classes")) {
        n = drt_parse_int_list(val, &l->classes, 1);
    } else if (!strcmp(key, "num")) {
        n = drt_parse_int_list(val, &l->num, 1);
    } else if (!strcmp(key, "scale_x_y")) {
        n = drt_parse_float_list(val, &l->scale_x_y, 1);
    } else if (!strcmp(key, "new_coords")) {
        n = drt_parse_int_list(val, &l->new_coords, 1);
    }
    if (n < 1) return drt_error(DRT_STATUS_PARSE, "%s:%d [yolo] %s=%s: malformed value", path, line, key, val);
    return DRT_OK;
}

drt_status drt_model_set_yolo_heads_from_cfg(drt_model *m, const char *path)
{
    DRT_ARG(m, "model");
    DRT_ARG(path, "cfg_path");
    unsigned char *data;
    size_t size;
    DRT_TRY(drt_read_file(path, 16 << 20, &data, &size));
    drt_layer *heads = calloc(MAX_HEADS, sizeof *heads);
    if (!heads) { free(data); return drt_error(DRT_STATUS_OOM, "%s: out of memory", path); }
    drt_status s = DRT_OK;
    int n = 0, in_yolo = 0, line = 0;
    for (char *p = (char *)data, *next; s == DRT_OK && p && *p; p = next) {
        next = strchr(p, '\n');
        if (next) *next++ = 0;
        line++;
        char *t = trim(p);
        if (*t == '#' || *t == ';' || !*t) continue;
        if (*t == '[') {
            in_yolo = !strcmp(t, "[yolo]");
            if (in_yolo && n == MAX_HEADS) s = drt_error(DRT_STATUS_PARSE, "%s:%d: more than %d [yolo] sections", path, line, MAX_HEADS);
            else if (in_yolo) heads[n++] = (drt_layer){.classes = 20, .num = 1, .scale_x_y = 1};
            continue;
        }
        char *eq = strchr(t, '=');
        if (!in_yolo || !eq) continue;
        *eq = 0;
        s = cfg_key(path, line, &heads[n - 1], trim(t), trim(eq + 1));
    }
    for (int k = 0; s == DRT_OK && k < n; k++) {
        drt_layer *l = &heads[k];
        if (l->num < 1 || l->num > DRT_MAX_ANCHORS || l->anchors[2 * l->num - 1] == 0)
            s = drt_error(DRT_STATUS_PARSE, "%s: [yolo] section %d: needs num (1..%d) anchor pairs", path, k + 1, DRT_MAX_ANCHORS);
        if (l->n_mask == 0) { /* Darknet: no mask means all anchors */
            l->n_mask = l->num;
            for (int j = 0; j < l->num; j++) l->mask[j] = j;
        }
    }
    if (s == DRT_OK && n == 0) s = drt_error(DRT_STATUS_PARSE, "%s: no [yolo] section", path);
    if (s == DRT_OK) {
        s = apply(m, heads, n);
        if (s != DRT_OK) drt_error_prefix("%s", path);
    }
    free(heads);
    free(data);
    return s;
}

drt_status drt_model_set_yolo_heads(drt_model *m, const char *anchors, const char *masks)
{
    DRT_ARG(m, "model");
    DRT_ARG(anchors, "anchors");
    DRT_ARG(masks, "masks");
    float a[2 * DRT_MAX_ANCHORS];
    int na = drt_parse_float_list(anchors, a, 2 * DRT_MAX_ANCHORS);
    if (na < 2 || na % 2)
        return drt_error(DRT_STATUS_INVALID_ARG, "anchors '%s': must be 1..%d w,h pairs", anchors, DRT_MAX_ANCHORS);
    int idx[MAX_HEADS], n = drt_model_heads(m, idx, MAX_HEADS);
    if (n > MAX_HEADS) return drt_error(DRT_STATUS_UNSUPPORTED, "model has more than %d heads", MAX_HEADS);
    drt_layer heads[MAX_HEADS];
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", masks);
    int k = 0;
    for (char *grp = buf, *next; grp; grp = next, k++) {
        next = strchr(grp, ';');
        if (next) *next++ = 0;
        if (k >= n) return drt_error(DRT_STATUS_INVALID_ARG, "masks '%s': %d groups or more for %d heads", masks, k + 1, n);
        drt_layer *l = &heads[k];
        *l = (drt_layer){.num = na / 2, .scale_x_y = 1};
        memcpy(l->anchors, a, sizeof(float) * (size_t)na);
        l->n_mask = drt_parse_int_list(trim(grp), l->mask, DRT_MAX_ANCHORS);
        if (l->n_mask < 1) return drt_error(DRT_STATUS_INVALID_ARG, "masks '%s': group %d must list anchor indices", masks, k + 1);
        int c = drt_model_input_shape(m, idx[k]).c;
        if (c % l->n_mask || c / l->n_mask <= 5)
            return drt_error(DRT_STATUS_INVALID_ARG, "masks '%s': head %d has %d channels: not %d x (classes + 5)", masks, k, c, l->n_mask);
        l->classes = c / l->n_mask - 5;
    }
    return apply(m, heads, k);
}

int drt_model_has_yolo_anchors(const drt_model *m)
{
    DRT_ARG_OR(m, "model", 0);
    int idx[MAX_HEADS], n = drt_model_heads(m, idx, MAX_HEADS);
    if (n == 0 || n > MAX_HEADS) return 0;
    for (int k = 0; k < n; k++) {
        const drt_layer *l = &m->layers[idx[k]];
        for (int j = 0; j < l->n_mask; j++)
            if (l->mask[j] < 0 || l->mask[j] >= l->num || l->anchors[2 * l->mask[j]] <= 0) return 0;
    }
    return 1;
}
