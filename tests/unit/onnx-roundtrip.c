/* ONNX export -> import on a model built in C (every layer type): the imported graph has the same
 * layers, parameters and YOLO metadata; folding, the pjreddie refusal, user-given heads (cfg and
 * text) and atomic output. Numerics against onnxruntime are in tests/py/test_onnx_*.py. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "darkrt.h"
#include "graph/model.h"

static int failures;
#define CHECK(cond) do { if (!(cond)) { printf("FAIL %s:%d: %s (%s)\n", __FILE__, __LINE__, #cond, drt_last_error()); failures++; } } while (0)

static drt_layer conv(int in, int f, int k, int s, int groups, int bn, drt_act act)
{
    return (drt_layer){.type = DRT_LAYER_CONV, .n_inputs = 1, .inputs = {in}, .filters = f, .size = k, .stride = s,
                       .pad = k / 2, .groups = groups, .batch_normalize = bn, .act = act};
}

static drt_layer yolo(int in, int m0)
{
    drt_layer l = {.type = DRT_LAYER_YOLO, .n_inputs = 1, .inputs = {in}, .classes = 2, .num = 6, .n_mask = 3,
                   .mask = {m0, m0 + 1, m0 + 2}, .scale_x_y = 1.05f, .new_coords = 0};
    float a[12] = {10, 14, 23, 27, 37, 58, 81, 82, 135, 169, 344, 319};
    memcpy(l.anchors, a, sizeof a);
    return l;
}

static drt_model *build(void)
{
    drt_model *m;
    if (drt_model_alloc(13, &m) != DRT_OK) return NULL;
    m->width = m->height = 32;
    m->source = strdup("built-in-c");
    drt_layer *L = m->layers;
    L[0] = conv(-1, 8, 3, 1, 1, 1, DRT_ACT_LEAKY);
    L[1] = (drt_layer){.type = DRT_LAYER_MAXPOOL, .n_inputs = 1, .inputs = {0}, .size = 2, .stride = 2, .padding = 1};
    L[2] = conv(1, 8, 3, 1, 8, 1, DRT_ACT_MISH);
    L[3] = (drt_layer){.type = DRT_LAYER_ROUTE, .n_inputs = 1, .inputs = {2}, .route_groups = 2, .route_group_id = 1};
    L[4] = conv(3, 8, 1, 1, 1, 0, DRT_ACT_SWISH);
    L[5] = (drt_layer){.type = DRT_LAYER_SHORTCUT, .n_inputs = 2, .inputs = {4, 2}, .act = DRT_ACT_LOGISTIC};
    L[6] = (drt_layer){.type = DRT_LAYER_DROPOUT, .n_inputs = 1, .inputs = {5}};
    L[7] = (drt_layer){.type = DRT_LAYER_UPSAMPLE, .n_inputs = 1, .inputs = {6}, .stride = 2};
    L[8] = (drt_layer){.type = DRT_LAYER_ROUTE, .n_inputs = 2, .inputs = {7, 0}, .route_groups = 1};
    L[9] = conv(8, 21, 1, 1, 1, 0, DRT_ACT_LINEAR);
    L[10] = yolo(9, 0);
    L[11] = conv(5, 21, 3, 1, 1, 1, DRT_ACT_RELU);
    L[12] = yolo(11, 3);
    if (drt_model_infer_shapes(m) != DRT_OK || drt_model_alloc_params(m) != DRT_OK) {
        printf("FAIL: building the model: %s\n", drt_last_error());
        drt_model_free(m);
        return NULL;
    }
    srand(7);
    for (size_t i = 0; i < m->n_params; i++) m->params[i] = (float)rand() / RAND_MAX - 0.5f;
    for (int i = 0; i < m->n_layers; i++)
        if (L[i].type == DRT_LAYER_CONV && L[i].batch_normalize)
            for (int o = 0; o < L[i].filters; o++) L[i].rolling_var[o] = 0.1f + (float)o / 10;
    m->has_weights = 1;
    return m;
}

/* The conv layers of both models in order, with identical parameters (a's are taken from b's
 * file order); and the same yolo heads. */
static void compare_models(const drt_model *a, const drt_model *b, int same_bn)
{
    CHECK(a->width == b->width && a->height == b->height && a->channels == b->channels);
    int ia = 0, ib = 0, convs = 0;
    for (;; ia++, ib++) {
        while (ia < a->n_layers && a->layers[ia].type != DRT_LAYER_CONV) ia++;
        while (ib < b->n_layers && b->layers[ib].type != DRT_LAYER_CONV) ib++;
        if (ia >= a->n_layers || ib >= b->n_layers) break;
        const drt_layer *la = &a->layers[ia], *lb = &b->layers[ib];
        CHECK(la->filters == lb->filters && la->size == lb->size && la->stride == lb->stride && la->pad == lb->pad &&
              la->groups == lb->groups && la->act == lb->act);
        CHECK(la->out.c == lb->out.c && la->out.h == lb->out.h && la->out.w == lb->out.w);
        if (same_bn) {
            CHECK(la->batch_normalize == lb->batch_normalize);
            size_t n = drt_layer_param_count(a, la);
            CHECK(n == drt_layer_param_count(b, lb) && memcmp(la->biases, lb->biases, n * sizeof(float)) == 0);
        } else {
            CHECK(!lb->batch_normalize);
        }
        convs++;
    }
    CHECK(ia >= a->n_layers && ib >= b->n_layers && convs == 5);
    int ha[4], hb[4];
    CHECK(drt_model_heads(a, ha, 4) == 2 && drt_model_heads(b, hb, 4) == 2);
    for (int k = 0; k < 2; k++) {
        const drt_layer *ya = &a->layers[ha[k]], *yb = &b->layers[hb[k]];
        CHECK(ya->classes == yb->classes && ya->num == yb->num && ya->n_mask == yb->n_mask);
        CHECK(memcmp(ya->mask, yb->mask, sizeof ya->mask) == 0 && memcmp(ya->anchors, yb->anchors, sizeof ya->anchors) == 0);
        CHECK(ya->scale_x_y == yb->scale_x_y && ya->new_coords == yb->new_coords);
    }
}

static void heads_from_user(drt_model *m, const char *dir)
{
    char cfg[600];
    snprintf(cfg, sizeof cfg, "%s/heads.cfg", dir);
    FILE *f = fopen(cfg, "w");
    fputs("[net]\nwidth=32\n[yolo]\nmask = 3,4,5\nanchors = 1,2, 3,4, 5,6, 7,8, 9,10, 11,12\nclasses=2\nnum=6\n"
          "[yolo]\nmask=0,1,2\nanchors=1,2,3,4,5,6,7,8,9,10,11,12\nclasses=2\nnum=6\nscale_x_y=1.2\n", f);
    fclose(f);
    int h[4];
    CHECK(drt_model_set_yolo_heads_from_cfg(m, cfg) == DRT_OK);
    drt_model_heads(m, h, 4);
    CHECK(m->layers[h[0]].mask[0] == 3 && m->layers[h[0]].anchors[11] == 12 && m->layers[h[1]].scale_x_y == 1.2f);
    CHECK(drt_model_has_yolo_anchors(m));
    CHECK(drt_model_set_yolo_heads(m, "10,20, 30,40, 50,60", "0,1,2;0,1,2") == DRT_OK);
    CHECK(m->layers[h[1]].anchors[5] == 60 && m->layers[h[1]].classes == 2 && m->layers[h[1]].num == 3);
    /* wrong channel counts and head counts are refused, and leave the heads as they were */
    CHECK(drt_model_set_yolo_heads(m, "10,20, 30,40", "0,1") != DRT_OK);
    CHECK(drt_model_set_yolo_heads(m, "10,20, 30,40, 50,60", "0,1,2") != DRT_OK);
    CHECK(m->layers[h[1]].anchors[5] == 60);
    f = fopen(cfg, "w");
    fputs("[yolo]\nmask=0,1,2\nanchors=1,2,3,4,5,6\nclasses=80\nnum=3\n[yolo]\nmask=0,1,2\nanchors=1,2,3,4,5,6\nclasses=80\nnum=3\n", f);
    fclose(f);
    CHECK(drt_model_set_yolo_heads_from_cfg(m, cfg) != DRT_OK && strstr(drt_last_error(), "classes + 5"));
    unlink(cfg);
}

int main(void)
{
    char dir[] = "/tmp/drt-onnx-rt-XXXXXX", path[600], folded[600];
    if (!mkdtemp(dir)) return 1;
    snprintf(path, sizeof path, "%s/m.onnx", dir);
    snprintf(folded, sizeof folded, "%s/folded.onnx", dir);
    drt_model *m = build(), *back = NULL, *back2 = NULL;
    if (!m) return 1;
    drt_onnx_opts o = drt_onnx_opts_default();
    CHECK(o.opset == 13 && o.batch == 1 && !o.fold_bn);
    CHECK(drt_model_export_onnx(m, path, &o) == DRT_OK);
    CHECK(drt_model_load_onnx(path, NULL, &back) == DRT_OK);
    if (back) {
        compare_models(m, back, 1);
        CHECK(back->bn == DRT_BN_ALEXEYAB && back->batch == 1);
        heads_from_user(back, dir);
    }
    o.fold_bn = 1;
    o.opset = 11;
    o.batch = 0;
    CHECK(drt_model_export_onnx(m, folded, &o) == DRT_OK);
    CHECK(drt_model_load_onnx(folded, NULL, &back2) == DRT_OK);
    if (back2) compare_models(m, back2, 0);
    /* pjreddie's batchnorm has no ONNX op: refused unless folded */
    m->bn = DRT_BN_PJREDDIE;
    o.fold_bn = 0;
    CHECK(drt_model_export_onnx(m, path, &o) == DRT_STATUS_UNSUPPORTED && strstr(drt_last_error(), "--fold-bn"));
    o.opset = 8;
    CHECK(drt_model_export_onnx(m, path, &o) == DRT_STATUS_INVALID_ARG);
    /* an unwritable path: an error, and nothing left behind */
    char bad[700];
    snprintf(bad, sizeof bad, "%s/no-such-dir/m.onnx", dir);
    o = drt_onnx_opts_default();
    m->bn = DRT_BN_ALEXEYAB;
    CHECK(drt_model_export_onnx(m, bad, &o) == DRT_STATUS_IO);
    CHECK(access(bad, F_OK) != 0);
    drt_model *none = (drt_model *)1;
    CHECK(drt_model_load_onnx(bad, NULL, &none) == DRT_STATUS_IO && none == NULL);
    drt_model_free(m);
    drt_model_free(back);
    drt_model_free(back2);
    unlink(path);
    unlink(folded);
    rmdir(dir);
    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("all checks passed\n");
    return 0;
}
