/* The decisive test of the reference pass: Debian's Darknet (libdarknet.so) and darkrt's ref
 * engine, on the same input, must agree on every tensor entering a [yolo] layer within
 * max |diff| <= 1e-4 x max |value|, with pjreddie's batchnorm (Darknet as is) and with
 * AlexeyAB's (Darknet's rolling variances rewritten so it computes sqrt(var + 1e-5)).
 * Models: yolo-fastest-1.1 (real weights; random input and dog.jpg), yolov3-tiny, yolov3-416
 * and yolov3-spp-416 (synthesised weights from $DRT_DATA, or made here when missing). */
#include "darknet.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "darkrt.h"
#include "darknet-compare.h"
#include "graph/model.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
/* Darknet frees only part of what it allocates: its allocations are not ours to report. */
#define DN_BEGIN() __lsan_disable()
#define DN_END() __lsan_enable()
#else
#define DN_BEGIN() ((void)0)
#define DN_END() ((void)0)
#endif

#define TOLERANCE 1e-4
#define MAX_HEADS 16

static int failures;
static char tmp_dir[] = "/tmp/darkrt-heads-XXXXXX";

typedef struct heads {
    int n;
    float *data[MAX_HEADS];
    int c[MAX_HEADS], h[MAX_HEADS], w[MAX_HEADS];
} heads;

static void heads_free(heads *hs)
{
    for (int i = 0; i < hs->n; i++) free(hs->data[i]);
    hs->n = 0;
}

/* Weights from $DRT_DATA (tests/prepare-data.sh), else synthesised here with seed 1. */
static int find_weights(const char *name, const char *cfg, char *path, size_t cap)
{
    const char *data = getenv("DRT_DATA");
    if (data) {
        snprintf(path, cap, "%s/%s.weights", data, name);
        if (access(path, R_OK) == 0) return 0;
    }
    snprintf(path, cap, "%s/%s.weights", tmp_dir, name);
    printf("%s: no $DRT_DATA/%s.weights: synthesising %s\n", name, name, path);
    drt_load_opts lo = drt_load_opts_default();
    lo.warn = 0;
    drt_model *m;
    drt_status s = drt_model_load_darknet(cfg, NULL, &lo, &m);
    if (s == DRT_OK) s = drt_model_synth_weights(m, 1);
    if (s == DRT_OK) s = drt_model_save_weights(m, path);
    if (s == DRT_OK) drt_model_free(m);
    if (s != DRT_OK) printf("synth failed: %s\n", drt_last_error());
    return s == DRT_OK ? 0 : -1;
}

/* Runs Darknet and copies out what enters each [yolo] layer (the previous layer's output). */
static void darknet_heads(network *net, float *input, heads *hs)
{
    double t = now_s();
    DN_BEGIN();
    network_predict(net, input);
    DN_END();
    hs->n = 0;
    for (int i = 1; i < net->n && hs->n < MAX_HEADS; i++) {
        if (net->layers[i].type != YOLO) continue;
        const layer *p = &net->layers[i - 1];
        int k = hs->n++;
        hs->c[k] = p->out_c;
        hs->h[k] = p->out_h;
        hs->w[k] = p->out_w;
        hs->data[k] = malloc(sizeof(float) * (size_t)p->outputs);
        memcpy(hs->data[k], p->output, sizeof(float) * (size_t)p->outputs);
    }
    printf("  darknet: %.2f s\n", now_s() - t);
}

/* Makes Darknet's sqrt(v) + 1e-6 equal AlexeyAB's sqrt(var + 1e-5). */
static void darknet_to_alexeyab(network *net)
{
    for (int i = 0; i < net->n; i++) {
        layer *l = &net->layers[i];
        if (l->type != CONVOLUTIONAL || !l->batch_normalize) continue;
        for (int f = 0; f < l->n; f++) {
            double d = sqrt((double)l->rolling_variance[f] + 1e-5) - 1e-6;
            l->rolling_variance[f] = (float)(d * d);
        }
    }
}

static int darkrt_heads(const drt_model *m, drt_bn_formula bn, const float *input, heads *hs)
{
    drt_model *copy = NULL;
    drt_engine *e = NULL;
    drt_engine_opts eo = drt_engine_opts_default();
    eo.device = DRT_DEVICE_REF;
    double t = now_s();
    drt_status s = drt_model_clone(m, &copy);
    if (s == DRT_OK) {
        copy->bn = bn;
        s = drt_engine_create(copy, &eo, &e);
    }
    if (s == DRT_OK) s = drt_engine_run(e, input, 1);
    hs->n = 0;
    for (int k = 0; s == DRT_OK && k < drt_engine_num_heads(e) && k < MAX_HEADS; k++) {
        const float *d;
        drt_tensor_desc td;
        drt_engine_head(e, k, &d, &td);
        size_t n = (size_t)td.c * td.h * td.w;
        hs->c[k] = td.c;
        hs->h[k] = td.h;
        hs->w[k] = td.w;
        hs->data[k] = malloc(n * sizeof(float));
        memcpy(hs->data[k], d, n * sizeof(float));
        hs->n = k + 1;
    }
    drt_engine_free(e);
    drt_model_free(copy);
    if (s != DRT_OK) printf("darkrt failed: %s\n", drt_last_error());
    else printf("  darkrt ref: %.2f s\n", now_s() - t);
    return s == DRT_OK ? 0 : -1;
}

static void compare(const char *what, const heads *dn, const heads *rt)
{
    if (dn->n != rt->n || dn->n == 0) {
        printf("FAIL %s: darknet has %d heads, darkrt %d\n", what, dn->n, rt->n);
        failures++;
        return;
    }
    for (int k = 0; k < dn->n; k++) {
        if (dn->c[k] != rt->c[k] || dn->h[k] != rt->h[k] || dn->w[k] != rt->w[k]) {
            printf("FAIL %s head %d: darknet %dx%dx%d, darkrt %dx%dx%d\n", what, k, dn->c[k], dn->h[k], dn->w[k],
                   rt->c[k], rt->h[k], rt->w[k]);
            failures++;
            continue;
        }
        size_t n = (size_t)dn->c[k] * dn->h[k] * dn->w[k];
        double max_diff = 0, max_abs = 0;
        for (size_t i = 0; i < n; i++) {
            double a = dn->data[k][i], b = rt->data[k][i];
            double d = fabs(a - b);
            if (!(d <= max_diff)) max_diff = d; /* NaN propagates */
            if (fabs(a) > max_abs) max_abs = fabs(a);
        }
        double ratio = max_abs > 0 ? max_diff / max_abs : max_diff;
        int ok = ratio <= TOLERANCE && max_abs > 0;
        printf("%s %s head %d (%dx%dx%d): max|diff| %.3g, max|value| %.4g, ratio %.3g\n", ok ? "ok  " : "FAIL", what,
               k, dn->c[k], dn->h[k], dn->w[k], max_diff, max_abs, ratio);
        if (!ok) failures++;
    }
}

typedef struct model_case {
    const char *name;
    const char *cfg;     /* the original cfg */
    const char *weights; /* NULL: $DRT_DATA/<name>.weights or synthesised */
    int size;            /* input width = height; 0 keeps the cfg's */
    int pjreddie;        /* also compare with pjreddie's batchnorm (Darknet as is) */
    const char *image;   /* also compare on this image, letterboxed by Darknet (AlexeyAB's bn) */
} model_case;

static void compare_on(network *net, const drt_model *m, drt_bn_formula bn, float *input, const char *what)
{
    heads dn = {0}, rt = {0};
    darknet_heads(net, input, &dn);
    if (darkrt_heads(m, bn, input, &rt) == 0) compare(what, &dn, &rt);
    else failures++;
    heads_free(&dn);
    heads_free(&rt);
}

static void compare_on_image(network *net, const drt_model *m, const model_case *mc)
{
    DN_BEGIN();
    image im = load_image_color((char *)mc->image, 0, 0);
    image boxed = letterbox_image(im, net->w, net->h);
    DN_END();
    char what[256];
    snprintf(what, sizeof what, "%s bn=alexeyab %s", mc->name, strrchr(mc->image, '/') + 1);
    compare_on(net, m, DRT_BN_ALEXEYAB, boxed.data, what);
    free_image(im);
    free_image(boxed);
}

static void run_case(const model_case *mc)
{
    char cfg[512], weights[1024], what[256];
    printf("== %s\n", mc->name);
    snprintf(cfg, sizeof cfg, "%s/%s.cfg", tmp_dir, mc->name);
    if (write_cfg(mc->cfg, mc->size, cfg) != 0) { failures++; return; }
    if (mc->weights) snprintf(weights, sizeof weights, "%s", mc->weights);
    else if (find_weights(mc->name, cfg, weights, sizeof weights) != 0) { failures++; return; }
    drt_load_opts lo = drt_load_opts_default();
    lo.warn = 0;
    drt_model *m;
    if (drt_model_load_darknet(cfg, weights, &lo, &m) != DRT_OK) {
        printf("FAIL %s: darkrt cannot load it: %s\n", mc->name, drt_last_error());
        failures++;
        return;
    }
    DN_BEGIN();
    network *net = load_network(cfg, weights, 0);
    set_batch_network(net, 1);
    DN_END();
    size_t n = (size_t)net->w * net->h * net->c;
    float *x = malloc(n * sizeof *x);
    random_input(x, n, 1);
    if (mc->pjreddie) {
        snprintf(what, sizeof what, "%s bn=pjreddie random", mc->name);
        compare_on(net, m, DRT_BN_PJREDDIE, x, what);
    }
    darknet_to_alexeyab(net);
    snprintf(what, sizeof what, "%s bn=alexeyab random", mc->name);
    compare_on(net, m, DRT_BN_ALEXEYAB, x, what);
    if (mc->image) compare_on_image(net, m, mc);
    free(x);
    DN_BEGIN();
    free_network(net);
    DN_END();
    drt_model_free(m);
}

int main(void)
{
    if (access("/usr/share/darknet/cfg/yolov3.cfg", R_OK) != 0) {
        printf("Debian's darknet package (cfgs in /usr/share/darknet/cfg) is not installed\n");
        return 77;
    }
    if (!mkdtemp(tmp_dir)) { perror("mkdtemp"); return 1; }
    /* ../shared beside the repository ($DRT_ROOT, set by tests/run.sh), or $DRT_SHARED */
    char shared[512];
    const char *root = getenv("DRT_ROOT");
    if (getenv("DRT_SHARED")) snprintf(shared, sizeof shared, "%s", getenv("DRT_SHARED"));
    else snprintf(shared, sizeof shared, "%s/../shared", root ? root : ".");
    char fcfg[1024], fweights[1024];
    snprintf(fcfg, sizeof fcfg, "%s/models/yolo-fastest-1.1/yolo-fastest-1.1.cfg", shared);
    snprintf(fweights, sizeof fweights, "%s/models/yolo-fastest-1.1/yolo-fastest-1.1.weights", shared);
    const char *dog = "/usr/share/darknet/data/dog.jpg";
    const model_case cases[] = {
        {"yolo-fastest-1.1", fcfg, fweights, 0, 1, dog},
        {"yolov3-tiny", "/usr/share/darknet/cfg/yolov3-tiny.cfg", NULL, 0, 1, NULL},
        {"yolov3", "/usr/share/darknet/cfg/yolov3.cfg", NULL, 416, 1, NULL},
        {"yolov3-spp", "/usr/share/darknet/cfg/yolov3-spp.cfg", NULL, 416, 1, NULL},
    };
    const char *only = getenv("DRT_HEADS_ONLY"); /* debugging: one model */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (!only || !strcmp(only, cases[i].name)) run_case(&cases[i]);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    if (system(cmd) != 0) printf("could not remove %s\n", tmp_dir);
    if (failures) {
        printf("%d comparison(s) failed\n", failures);
        return 1;
    }
    printf("all heads agree within %g x max|value|\n", TOLERANCE);
    return 0;
}
