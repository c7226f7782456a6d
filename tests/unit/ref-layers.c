/* Known answers for the reference pass's other layers: maxpool with Darknet's padding
 * (stride 1 keeps the size; outside counts as -FLT_MAX), upsample, route with groups, dropout,
 * shortcut with mismatched channels and sizes, and the engine's heads over a batch. */
#include "ref-util.h"
#include "engine/engine.h"

static drt_layer *add_maxpool(drt_model *m, int i, int src, int size, int stride, int padding)
{
    drt_layer *l = add_layer(m, i, DRT_LAYER_MAXPOOL, src);
    l->size = size;
    l->stride = stride;
    l->padding = padding;
    return l;
}

static void test_maxpool(void)
{
    float x[18] = {3, 1, 4, 1, 5, 9, 2, 6, 5, /* and negated */ -3, -1, -4, -1, -5, -9, -2, -6, -5};
    drt_model *m = new_model(2, 3, 3, 3);
    add_maxpool(m, 0, -1, 2, 1, 1); /* yolov3-tiny's size=2 stride=1: offset 0, keeps 3x3 */
    add_maxpool(m, 1, -1, 3, 1, 2); /* SPP-style: offset -1 */
    add_maxpool(m, 2, -1, 2, 2, 1); /* stride 2 on an odd size: 2x2 */
    finish_model(m);
    CHECK(m->layers[0].out.h == 3 && m->layers[1].out.w == 3 && m->layers[2].out.w == 2, "maxpool shapes");
    float **o = run_all(m, x);
    double w0[18] = {5, 9, 9, 6, 9, 9, 6, 6, 5, /* negative: windows cut by the border keep their max */
                     -1, -1, -4, -1, -5, -5, -2, -5, -5};
    expect("maxpool 2/1 (Darknet padding 1, offset 0)", o[0], w0, 18);
    double w1[18] = {5, 9, 9, 6, 9, 9, 6, 9, 9, -1, -1, -1, -1, -1, -1, -1, -1, -5};
    expect("maxpool 3/1 (padding 2, offset -1)", o[1], w1, 18);
    double w2[8] = {5, 9, 6, 5, -1, -4, -2, -5};
    expect("maxpool 2/2 on 3x3", o[2], w2, 8);
    free_run(m, o);
}

static void test_upsample_route_dropout(void)
{
    /* input: 4 channels of 1x2: channel c holds {10c, 10c+1} */
    float x[8] = {0, 1, 10, 11, 20, 21, 30, 31};
    drt_model *m = new_model(4, 1, 2, 5);
    add_layer(m, 0, DRT_LAYER_UPSAMPLE, -1)->stride = 2;
    drt_layer *r = add_layer(m, 1, DRT_LAYER_ROUTE, -1); /* second half of the channels */
    r->route_groups = 2;
    r->route_group_id = 1;
    r = add_layer(m, 2, DRT_LAYER_ROUTE, 1); /* concat: layer 1, the input's first half */
    r->n_inputs = 2;
    r->inputs[1] = -1;
    r->route_groups = 2;
    add_layer(m, 3, DRT_LAYER_ROUTE, 1)->inputs[0] = 2; /* layer 2 whole */
    add_layer(m, 4, DRT_LAYER_DROPOUT, 3);
    finish_model(m);
    CHECK(m->layers[2].out.c == 3, "route groups channels %d", m->layers[2].out.c);
    float **o = run_all(m, x);
    double up[32];
    for (int c = 0; c < 4; c++)
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 4; j++) up[c * 8 + i * 4 + j] = 10 * c + j / 2;
    expect("upsample x2 nearest", o[0], up, 32);
    double r1[4] = {20, 21, 30, 31};
    expect("route groups=2 group_id=1", o[1], r1, 4);
    double r2[6] = {20, 21, 0, 1, 10, 11};
    expect("route of two inputs, groups=2 group_id=0", o[2], r2, 6);
    expect("dropout is identity", o[4], r2, 6);
    free_run(m, o);
}

static drt_layer *add_shortcut(drt_model *m, int i, int prev, int from, drt_act act)
{
    drt_layer *l = add_layer(m, i, DRT_LAYER_SHORTCUT, prev);
    l->n_inputs = 2;
    l->inputs[1] = from;
    l->act = act;
    return l;
}

static void test_shortcut(void)
{
    /* input 3x4x4: x[c][y][x] = 100c + 4y + x */
    float x[48];
    for (int i = 0; i < 48; i++) x[i] = (float)(100 * (i / 16) + i % 16);
    drt_model *m = new_model(3, 4, 4, 8);
    add_layer(m, 0, DRT_LAYER_ROUTE, -1);                                       /* x, 3ch 4x4 */
    drt_layer *neg = add_conv(m, 1, 0, 2, 1, 1, 0, 1, 0, DRT_ACT_LINEAR);       /* -2x, channels 0-1 */
    add_shortcut(m, 2, 1, 0, DRT_ACT_LEAKY);   /* 2ch + 3ch: leaky(-2x + x) = -0.1x */
    add_shortcut(m, 3, 0, 1, DRT_ACT_LINEAR);  /* 3ch + 2ch: -x, -x, x */
    add_maxpool(m, 4, 0, 1, 2, 0);                                               /* x[c][2y][2x], 2x2 */
    add_shortcut(m, 5, 4, 0, DRT_ACT_LINEAR);  /* 2x2 + 4x4 (stride 2) */
    add_shortcut(m, 6, 0, 4, DRT_ACT_LINEAR);  /* 4x4 + 2x2 (sample 2) */
    add_layer(m, 7, DRT_LAYER_DROPOUT, 6);
    finish_model(m);
    neg->weights[0] = -2;
    neg->weights[4] = -2;
    float **o = run_all(m, x);
    double w2[32], w3[48], w5[12], w6[48];
    for (int i = 0; i < 32; i++) w2[i] = x[i] > 0 ? -0.1 * x[i] : 0;
    for (int i = 0; i < 48; i++) w3[i] = i < 32 ? -x[i] : x[i];
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < 2; y++)
            for (int xx = 0; xx < 2; xx++) w5[c * 4 + y * 2 + xx] = 2 * x[c * 16 + 2 * y * 4 + 2 * xx];
    for (int i = 0; i < 48; i++) {
        int y = i % 16 / 4, xx = i % 4;
        w6[i] = (y % 2 == 0 && xx % 2 == 0) ? 2 * x[i] : x[i];
    }
    expect("shortcut 2ch + 3ch, leaky", o[2], w2, 32);
    expect("shortcut 3ch + 2ch (extra channel passes)", o[3], w3, 48);
    expect("shortcut 2x2 + 4x4 (stride 2)", o[5], w5, 12);
    expect("shortcut 4x4 + 2x2 (sample 2)", o[6], w6, 48);
    free_run(m, o);
}

/* The engine on a model with two heads, batch 2: heads hold what enters each [yolo]. */
static void test_engine_heads_batch(void)
{
    drt_model *m = new_model(1, 2, 2, 5);
    drt_layer *a = add_conv(m, 0, -1, 6, 1, 1, 0, 1, 0, DRT_ACT_LINEAR);
    drt_layer *y = add_layer(m, 1, DRT_LAYER_YOLO, 0);
    y->classes = 1; y->num = 2; y->n_mask = 1; y->mask[0] = 0; y->scale_x_y = 1.f;
    add_maxpool(m, 2, 0, 2, 2, 0);
    add_layer(m, 3, DRT_LAYER_ROUTE, 2);
    drt_layer *y2 = add_layer(m, 4, DRT_LAYER_YOLO, 3);
    y2->classes = 1; y2->num = 2; y2->n_mask = 1; y2->mask[0] = 1; y2->scale_x_y = 1.f;
    finish_model(m);
    for (int f = 0; f < 6; f++) a->weights[f] = (float)(f + 1);
    drt_engine_opts opts = drt_engine_opts_default();
    opts.device = DRT_DEVICE_REF;
    opts.max_batch = 2;
    drt_engine *e;
    drt_status s = drt_engine_create(m, &opts, &e);
    CHECK(s == DRT_OK, "engine create: %s", drt_last_error());
    if (s != DRT_OK) { drt_model_free(m); return; }
    float x[8] = {1, 2, 3, 4, -1, -5, 7, 0};
    s = drt_engine_run(e, x, 2);
    CHECK(s == DRT_OK, "engine run: %s", drt_last_error());
    CHECK(drt_engine_num_heads(e) == 2, "heads %d", drt_engine_num_heads(e));
    const float *h0, *h1;
    drt_tensor_desc d0, d1;
    drt_engine_head(e, 0, &h0, &d0);
    drt_engine_head(e, 1, &h1, &d1);
    CHECK(d0.n == 2 && d0.c == 6 && d0.h == 2 && d0.w == 2, "head 0 %d %d %d %d", d0.n, d0.c, d0.h, d0.w);
    CHECK(d1.n == 2 && d1.c == 6 && d1.h == 1 && d1.w == 1, "head 1 %d %d %d %d", d1.n, d1.c, d1.h, d1.w);
    double w0[48], w1[12];
    for (int b = 0; b < 2; b++)
        for (int f = 0; f < 6; f++) {
            double mx = -1e30;
            for (int p = 0; p < 4; p++) {
                w0[b * 24 + f * 4 + p] = (f + 1) * x[b * 4 + p];
                mx = fmax(mx, (f + 1) * x[b * 4 + p]);
            }
            w1[b * 6 + f] = mx;
        }
    expect("engine head 0 over batch 2", h0, w0, 48);
    expect("engine head 1 over batch 2", h1, w1, 12);
    drt_engine_memory mem;
    drt_engine_memory_usage(e, &mem);
    CHECK(mem.host_weights == 12 * sizeof(float), "weights bytes %zu", mem.host_weights);
    CHECK(mem.naive_activations == (24 + 6 + 6) * sizeof(float), "naive bytes %zu", mem.naive_activations);
    drt_engine_free(e);

    opts.precision = DRT_PREC_FP16;
    s = drt_engine_create(m, &opts, &e);
    CHECK(s == DRT_STATUS_UNSUPPORTED && strstr(drt_last_error(), "fp32"), "fp16 ref engine: %d %s", s, drt_last_error());
    drt_model_free(m);
}

int main(void)
{
    test_maxpool();
    test_upsample_route_dropout();
    test_shortcut();
    test_engine_heads_batch();
    return DONE();
}
