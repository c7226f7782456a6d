/* int8 post-training calibration, for every backend: runs the calibrating backend's fp32 engine
 * (the registry's DRT_BACKEND_CALIBRATES row: the CPU's) over calibration images, gathers
 * |x| histograms of every stored tensor (its run_observed), and picks each clipping threshold by entropy (the
 * KL-divergence search TensorRT uses), the 99.999th percentile, or the maximum (default). Without a directory,
 * the real photos at hand (Debian darknet's samples), else 8 synthetic letterboxed images; it says which. */
#include "engine/calib.h"
#include "backend/registry.h"
#include "core/error.h"
#include "core/log.h"

#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BINS DRT_CALIB_BINS
#define QBINS 128
#define MAX_IMAGES_DEFAULT 16

typedef struct calib {
    int pass; /* 0: max |x|; 1: histograms */
    float *amax;
    uint32_t *hist; /* nt x BINS */
    const drt_model *m;
    float *cmax;    /* each channel's max |x| (drt_calib_channel_offset) */
    float *range;   /* each tensor's smallest and largest value (drt_calib.range) */
} calib;

size_t drt_calib_channel_offset(const drt_model *m, int t)
{
    size_t at = 0;
    for (int i = 0; i < t; i++) at += (size_t)drt_calib_tensor_channels(m, i);
    return at;
}

/* Maxima by comparison, not fmaxf (a libm call a value: half of a calibration pass's time): the same
 * maxima, a NaN compares false and is skipped as fmaxf skips it. */
static inline float max_of(float a, float b) { return a > b ? a : b; }

static void observe(void *ctx, int t, const drt_tensor_view *v)
{
    calib *c = ctx;
    const float *p = v->p;
    size_t hw = (size_t)v->h * v->w;
    if (c->pass == 0) {
        float m = c->amax[t], lo = c->range[2 * t], hi = c->range[2 * t + 1];
        for (size_t px = 0; px < hw; px++) /* signed ranges (asym activations); comparisons skip a NaN */
            for (int k = 0; k < v->c; k++) {
                float x = p[px * v->cs + k];
                lo = x < lo ? x : lo;
                hi = x > hi ? x : hi;
            }
        c->range[2 * t] = lo;
        c->range[2 * t + 1] = hi;
        if (v->c == drt_calib_tensor_channels(c->m, t)) { /* each channel's, then the tensor's from them */
            float *cm = c->cmax + drt_calib_channel_offset(c->m, t);
            for (size_t px = 0; px < hw; px++)
                for (int k = 0; k < v->c; k++) cm[k] = max_of(fabsf(p[px * v->cs + k]), cm[k]);
            for (int k = 0; k < v->c; k++) m = max_of(cm[k], m);
        } else
            for (size_t px = 0; px < hw; px++)
                for (int k = 0; k < v->c; k++) m = max_of(fabsf(p[px * v->cs + k]), m);
        c->amax[t] = m;
        return;
    }
    if (c->amax[t] <= 0) return;
    uint32_t *h = c->hist + (size_t)t * BINS;
    float scale = BINS / c->amax[t];
    for (size_t px = 0; px < hw; px++)
        for (int k = 0; k < v->c; k++) {
            int b = (int)(fabsf(p[px * v->cs + k]) * scale);
            h[b >= BINS ? BINS - 1 : b]++;
        }
}

/* KL(P || Q) of the clipped distribution and its 128-level quantization, for threshold bin i. */
static double kl_at(const uint32_t *h, int i, double *p, double *q)
{
    double outliers = 0;
    for (int j = i; j < BINS; j++) outliers += h[j];
    for (int j = 0; j < i; j++) p[j] = h[j];
    p[i - 1] += outliers;
    double per = (double)i / QBINS;
    for (int g = 0; g < QBINS; g++) {
        int lo = (int)(g * per), hi = g == QBINS - 1 ? i : (int)((g + 1) * per);
        double sum = 0;
        int nz = 0;
        for (int j = lo; j < hi; j++) { sum += h[j]; nz += h[j] != 0; }
        for (int j = lo; j < hi; j++) q[j] = h[j] && nz ? sum / nz : 0;
    }
    double ps = 0, qs = 0, kl = 0;
    for (int j = 0; j < i; j++) { ps += p[j]; qs += q[j]; }
    if (ps <= 0 || qs <= 0) return INFINITY;
    for (int j = 0; j < i; j++) {
        if (p[j] <= 0) continue;
        double pj = p[j] / ps, qj = q[j] / qs;
        kl += qj > 0 ? pj * log(pj / qj) : pj * 20; /* an emptied bin: a large finite penalty */
    }
    return kl;
}

/* The clip (a multiple of 8 bins from QBINS up) whose quantization of the histogram's bin centres
 * has the least squared error: rounded to steps of clip / 127 below it, clipped to it above. */
static float mse_threshold(const uint32_t *h, float amax)
{
    double width = amax / BINS, best_err = INFINITY;
    int best = BINS;
    for (int i = QBINS; i <= BINS; i += 8) {
        double clip = i * width, step = clip / 127, err = 0;
        for (int j = 0; j < BINS; j++) {
            if (!h[j]) continue;
            double c = (j + 0.5) * width, qc = c < clip ? nearbyint(c / step) * step : clip;
            err += h[j] * (c - qc) * (c - qc);
        }
        if (err < best_err) {
            best_err = err;
            best = i;
        }
    }
    return (float)(best * width);
}

static float threshold(const uint32_t *h, float amax, int method, double *p, double *q)
{
    double total = 0;
    for (int j = 0; j < BINS; j++) total += h[j];
    if (total <= 0) return amax;
    float width = amax / BINS;
    if (method == DRT_CALIB_MAX) return amax;
    if (method == DRT_CALIB_PERCENTILE) {
        double cum = 0, pct = 0.99999;
        for (int j = 0; j < BINS; j++) {
            cum += h[j];
            if (cum >= pct * total) return (j + 1) * width;
        }
        return amax;
    }
    if (method == DRT_CALIB_MSE) return mse_threshold(h, amax);
    int best = BINS;
    double best_kl = INFINITY;
    for (int i = QBINS; i <= BINS; i += 8) {
        double kl = kl_at(h, i, p, q);
        if (kl < best_kl) { best_kl = kl; best = i; }
    }
    return (best + 0.5f) * width;
}

float drt_calib_threshold(const uint32_t *hist, float amax, int method)
{
    double *p = malloc(sizeof(double) * BINS), *q = malloc(sizeof(double) * BINS);
    float t = p && q ? threshold(hist, amax, method, p, q) : amax; /* out of memory: no clipping */
    free(p);
    free(q);
    return t;
}

static int image_name(const char *n)
{
    static const char *const ext[] = {".jpg", ".jpeg", ".png", ".bmp", ".ppm"};
    size_t len = strlen(n);
    for (int i = 0; i < 5; i++) {
        size_t k = strlen(ext[i]);
        if (len > k && !strcasecmp(n + len - k, ext[i])) return 1;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Up to max image paths from dir, sorted; half 1 or 2: of those, the 1st, 3rd... or the 2nd, 4th... only. */
static drt_status list_images(const char *dir, int max, int half, char ***paths_out, int *n_out)
{
    *paths_out = NULL;
    *n_out = 0;
    DIR *d = opendir(dir);
    if (!d) return drt_error_errno(DRT_STATUS_IO, "%s: cannot open the calibration directory", dir);
    char **paths = NULL;
    int n = 0, cap = 0;
    drt_status s = DRT_OK;
    for (struct dirent *de; (de = readdir(d));) {
        if (!image_name(de->d_name)) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **np = realloc(paths, sizeof *np * (size_t)cap);
            if (!np) { s = drt_error(DRT_STATUS_OOM, "calibration: out of memory"); break; }
            paths = np;
        }
        size_t len = strlen(dir) + strlen(de->d_name) + 2;
        if (!(paths[n] = malloc(len))) { s = drt_error(DRT_STATUS_OOM, "calibration: out of memory"); break; }
        snprintf(paths[n++], len, "%s/%s", dir, de->d_name);
    }
    closedir(d);
    if (s == DRT_OK && n == 0) s = drt_error(DRT_STATUS_INVALID_ARG, "%s: no calibration images (.jpg .jpeg .png .bmp .ppm)", dir);
    if (s != DRT_OK) {
        for (int i = 0; i < n; i++) free(paths[i]);
        free(paths);
        return s;
    }
    qsort(paths, (size_t)n, sizeof *paths, cmp_str);
    int kept = 0;
    for (int i = 0; i < n; i++) {
        if (i < max && (half == 0 || i % 2 == half - 1)) paths[kept++] = paths[i];
        else free(paths[i]);
    }
    if (kept == 0) { /* one image and the second half of it */
        free(paths);
        return drt_error(DRT_STATUS_INVALID_ARG, "%s: no calibration images in half %d of %d", dir, half, n < max ? n : max);
    }
    *paths_out = paths;
    *n_out = kept;
    return DRT_OK;
}

/* The fallback: deterministic synthetic scenes (gradients, boxes, noise) of varied aspect,
 * preprocessed like real images (letterbox bars included). */
static drt_status synth_input(const drt_model *m, int k, float *out)
{
    static const int dims[8][2] = {{640, 480}, {480, 640}, {768, 576}, {500, 375}, {416, 416}, {1024, 576}, {576, 768}, {800, 600}};
    drt_image *img;
    DRT_TRY(drt_image_create(dims[k % 8][0], dims[k % 8][1], 3, &img));
    uint64_t r = 0x9e3779b97f4a7c15ull * (uint64_t)(k + 1);
#define RND() (r ^= r << 13, r ^= r >> 7, r ^= r << 17, (float)(r >> 40) / 16777216.f)
    size_t hw = (size_t)img->w * img->h;
    float g[3][3];
    for (int c = 0; c < 3; c++) for (int j = 0; j < 3; j++) g[c][j] = RND();
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < img->h; y++)
            for (int x = 0; x < img->w; x++)
                img->data[c * hw + (size_t)y * img->w + x] = g[c][0] * 0.5f + g[c][1] * 0.5f * x / img->w + g[c][2] * 0.3f * y / img->h;
    for (int b = 0; b < 12; b++) {
        int x0 = (int)(RND() * img->w), y0 = (int)(RND() * img->h), bw = (int)(RND() * img->w / 2), bh = (int)(RND() * img->h / 2);
        float col[3];
        for (int c = 0; c < 3; c++) col[c] = RND(); /* one at a time: an initializer list is unsequenced */
        for (int c = 0; c < 3; c++)
            for (int y = y0; y < y0 + bh && y < img->h; y++)
                for (int x = x0; x < x0 + bw && x < img->w; x++) img->data[c * hw + (size_t)y * img->w + x] = col[c];
    }
    for (size_t i = 0; i < 3 * hw; i++) img->data[i] = fminf(1.f, fmaxf(0.f, img->data[i] + (RND() - 0.5f) * 0.1f));
#undef RND
    drt_status s = drt_image_preprocess(img, m->resize, m->width, m->height, out);
    drt_image_free(img);
    return s;
}

/* Real photos found on the machine when no --calib is given: Debian's darknet package's samples. */
static const char *const IMAGES_AT_HAND = "/usr/share/darknet/data";

static const char *method_name(int method)
{
    return method == DRT_CALIB_PERCENTILE ? "percentile 99.999" : method == DRT_CALIB_ENTROPY ? "entropy"
           : method == DRT_CALIB_MSE ? "mse" : "max";
}

/* The calibration images: --calib DIR; else the real images at hand; else the synthetic fallback.
 * Says which in the log (drt_log_file), with the count and the method. */
drt_status drt_calib_inputs(const drt_model *m, const char *dir, int method, int max_images, int half, FILE *log, float **inputs_out,
                            int *n_out)
{
    if (m->channels != 3) return drt_error(DRT_STATUS_UNSUPPORTED, "%s: int8 calibration needs 3-channel input", m->source ? m->source : "model");
    int max = max_images > 0 ? max_images : MAX_IMAGES_DEFAULT, n = 8;
    char **paths = NULL;
    if (half < 0 || half > 2) return drt_error(DRT_STATUS_INVALID_ARG, "calib_half %d: must be 0, 1 or 2", half);
    if (dir) DRT_TRY(list_images(dir, max, half, &paths, &n));
    else if (list_images(IMAGES_AT_HAND, max, half, &paths, &n) != DRT_OK) n = 8; /* paths stays NULL */
    static _Atomic int said = -1; /* once per count: a --min-map search builds many engines, its
                                   * candidates calibrated on part of the images the plan is */
    int key = paths ? 4 * n + half : -2 - n, say = said != key; /* --min-map's two halves: each said */
    said = key;
    if (paths && say)
        fprintf(drt_log_file(), "darkrt: int8 calibration: %d real image%s%s from %s%s (method %s)\n", n, n == 1 ? "" : "s",
                half == 1 ? " (the 1st, 3rd... by name)" : half == 2 ? " (the 2nd, 4th... by name)" : "", dir ? dir : IMAGES_AT_HAND,
                dir ? "" : ", found on this machine (no --calib given)", method_name(method));
    else if (!paths && say)
        drt_warn("int8 calibration: no --calib and no real images at hand (%s): 8 synthetic letterboxed images "
                 "(method %s); give --calib DIR of real images for accuracy", IMAGES_AT_HAND, method_name(method));
    size_t per = (size_t)m->channels * m->width * m->height;
    float *in = malloc(sizeof(float) * per * (size_t)n);
    drt_status s = in ? DRT_OK : drt_error(DRT_STATUS_OOM, "calibration: out of memory");
    for (int k = 0; s == DRT_OK && k < n; k++) {
        if (!paths) { s = synth_input(m, k, in + per * k); continue; }
        drt_image *img;
        s = drt_image_load(paths[k], &img);
        if (s == DRT_OK) {
            s = drt_image_preprocess(img, m->resize, m->width, m->height, in + per * k);
            drt_image_free(img);
        }
        if (s == DRT_OK && log) fprintf(log, "calibration image %d: %s\n", k, paths[k]);
    }
    for (int k = 0; paths && k < n; k++) free(paths[k]);
    free(paths);
    if (s != DRT_OK) { free(in); return s; }
    *inputs_out = in;
    *n_out = n;
    return DRT_OK;
}

/* The calibrating engine, not created yet (e->backend->create, run_observed, destroy): the registry's calibrating
 * backend's, with opts' other fields. */
static drt_status calib_engine_init(const drt_model *m, const drt_engine_opts *opts, drt_engine *e)
{
    drt_device dev;
    const drt_backend *b;
    DRT_TRY(drt_backend_calibrator(&dev, &b));
    /* fp32, batchnorm folded and activations fused (as the int8 engines store tensors), quiet, on the
     * caller's model (no copy: it lives only as long as the caller's measurement) */
    *e = (drt_engine){.backend = b, .model = (drt_model *)m, .opts = *opts};
    e->opts.precision = DRT_PREC_FP32;
    e->opts.device = dev;
    e->opts.device_index = 0;
    e->opts.max_batch = 1;
    e->opts.verbose = 0;
    e->opts.calib_dir = NULL;
    e->opts.int8_keep = NULL;
    e->opts.passes_off &= ~(unsigned)(DRT_PASS_FOLD_BN | DRT_PASS_FUSE_ACT);
    return DRT_OK;
}

/* Each tensor's clipping threshold (0: never stored, as identities and in-place concats), each channel's (its
 * max |x|, at most its tensor's threshold; 0: never stored) and each tensor's smallest and largest value. */
static drt_status tensor_thresholds(const drt_model *m, const drt_engine_opts *opts, const float *inputs, int n, FILE *log,
                                    float **thr_out, float **cthr_out, float **range_out, int *nt_out)
{
    *thr_out = NULL;
    *cthr_out = NULL;
    *range_out = NULL;
    drt_engine e;
    DRT_TRY(calib_engine_init(m, opts, &e));
    const drt_backend *b = e.backend;
    int created = 0;
    float *thr = NULL;
    calib c = {.m = m};
    int nt = m->n_layers + 1;
    double *p = malloc(sizeof(double) * BINS), *q = malloc(sizeof(double) * BINS);
    drt_status s = p && q ? DRT_OK : drt_error(DRT_STATUS_OOM, "calibration: out of memory");
    if (s == DRT_OK) created = (s = b->create(&e, NULL, 0)) == DRT_OK;
    if (s == DRT_OK) {
        c.amax = calloc((size_t)nt, sizeof *c.amax);
        c.hist = calloc((size_t)nt * BINS, sizeof *c.hist);
        thr = calloc((size_t)nt, sizeof *thr);
        c.cmax = calloc(drt_calib_channel_offset(m, nt) + 1, sizeof *c.cmax);
        c.range = malloc(sizeof(float) * 2 * (size_t)nt);
        if (!c.amax || !c.hist || !thr || !c.cmax || !c.range) s = drt_error(DRT_STATUS_OOM, "calibration: out of memory");
        for (int t = 0; s == DRT_OK && t < nt; t++) c.range[2 * t] = INFINITY, c.range[2 * t + 1] = -INFINITY;
    }
    size_t per = (size_t)m->channels * m->width * m->height;
    int passes = opts->calib_method == DRT_CALIB_MAX ? 1 : 2; /* the maximum needs no histograms */
    for (c.pass = 0; s == DRT_OK && c.pass < passes; c.pass++)
        for (int k = 0; s == DRT_OK && k < n; k++) s = b->run_observed(&e, inputs + per * k, observe, &c);
    for (int t = 0; s == DRT_OK && t < nt; t++) {
        thr[t] = c.amax[t] > 0 ? threshold(c.hist + (size_t)t * BINS, c.amax[t], opts->calib_method, p, q) : 0;
        if (log && c.amax[t] > 0)
            fprintf(log, "calibration: tensor %3d (layer %3d) max|x| %9.4f -> threshold %9.4f (%s)\n", t, t - 1, c.amax[t], thr[t],
                    method_name(opts->calib_method));
    }
    for (int t = 0; s == DRT_OK && t < nt; t++) {
        float *cm = c.cmax + drt_calib_channel_offset(m, t);
        for (int k = 0; k < drt_calib_tensor_channels(m, t); k++) cm[k] = fminf(cm[k], thr[t]);
    }
    if (created) b->destroy(&e);
    if (s != DRT_OK) free(c.cmax), free(c.range);
    else *cthr_out = c.cmax, *range_out = c.range;
    free(c.amax);
    free(c.hist);
    free(p);
    free(q);
    if (s != DRT_OK) { free(thr); return s; }
    *thr_out = thr;
    *nt_out = nt;
    return DRT_OK;
}

/* An int8 build says which activation code it uses, beside its calibration images (once per code: a --min-map search
 * builds many engines). */
static void say_int8_activations(const drt_engine_opts *o)
{
    static _Atomic int said = -1;
    int code = drt_int8_activations_of(o), asym = code == DRT_INT8_ACT_ASYM;
    if (said == code) return;
    said = code;
    char why[160] = "";
    if (o->int8_activations == DRT_INT8_ACT_AUTO)
        snprintf(why, sizeof why, asym ? "; the %s engine's default, --int8-activations sym: s8 throughout"
                                       : o->device == DRT_DEVICE_CUDA ? "; the %s engine's default, --int8-activations asym: zero points"
                                                                      : "; the %s engine's default: it takes no zero points",
                 drt_device_name(o->device));
    const char *what = o->device == DRT_DEVICE_CUDA ? "asym (s8 with a zero point on the inputs of int8 convs that pad nothing"
                                                    : "asym (u8 with a zero point where only convs, maxpools, routes and "
                                                      "upsamples touch a tensor, s8 elsewhere";
    fprintf(drt_log_file(), "darkrt: int8 activations: %s%s)\n", asym ? what : "sym (s8, step max|x|/127", why);
}

drt_status drt_calib_measure(const drt_model *m, const drt_engine_opts *opts, FILE *log, drt_calib **out)
{
    *out = NULL;
    drt_calib *c = calloc(1, sizeof *c);
    if (!c) return drt_error(DRT_STATUS_OOM, "calibration: out of memory");
    int nt;
    drt_status s = (c->bias = calloc(1, sizeof *c->bias)) ? DRT_OK : drt_error(DRT_STATUS_OOM, "calibration: out of memory");
    if (s == DRT_OK) s = drt_calib_inputs(m, opts->calib_dir, opts->calib_method, opts->calib_max_images, opts->calib_half, log,
                                    &c->inputs, &c->n);
    if (s == DRT_OK) say_int8_activations(opts);
    if (s == DRT_OK) s = tensor_thresholds(m, opts, c->inputs, c->n, log, &c->thr, &c->cthr, &c->range, &nt);
    if (s != DRT_OK) {
        drt_calib_free(c);
        return s;
    }
    *out = c;
    return DRT_OK;
}

void drt_calib_free(drt_calib *c)
{
    if (!c) return;
    if (c->bias && c->bias->p) c->bias->drop(c->bias->p);
    free(c->bias);
    free(c->inputs);
    free(c->thr);
    free(c->cthr);
    free(c->range);
    free(c);
}

drt_status drt_calib_steps(const drt_model *m, const drt_calib *c, float **steps_out, float **channel_steps_out)
{
    int nt = m->n_layers + 1;
    size_t nc = drt_calib_channel_offset(m, nt);
    *steps_out = NULL;
    if (channel_steps_out) *channel_steps_out = NULL;
    float *steps = malloc(sizeof(float) * (size_t)nt), *cs = channel_steps_out ? malloc(sizeof(float) * (nc + 1)) : NULL;
    if (!steps || (channel_steps_out && !cs)) {
        free(steps);
        free(cs);
        return drt_error(DRT_STATUS_OOM, "calibration: out of memory");
    }
    for (int t = 0; cs && t < nt; t++) { /* a channel never seen: its tensor's */
        const float *ct = c->cthr + drt_calib_channel_offset(m, t);
        float *st = cs + drt_calib_channel_offset(m, t);
        for (int k = 0; k < drt_calib_tensor_channels(m, t); k++)
            st[k] = ct[k] > 0 ? ct[k] / 127.f : c->thr[t] > 0 ? c->thr[t] / 127.f : 1.f;
    }
    for (int t = 0; t < nt; t++) steps[t] = c->thr[t] > 0 ? c->thr[t] / 127.f : 1.f;
    *steps_out = steps;
    if (channel_steps_out) *channel_steps_out = cs;
    return DRT_OK;
}

drt_status drt_calibrate_tensor_steps(const drt_model *m, const drt_engine_opts *opts, const char *calib_dir, FILE *log,
                                      float **steps_out)
{
    drt_engine_opts o = *opts;
    drt_calib *c;
    *steps_out = NULL;
    o.calib_dir = calib_dir;
    DRT_TRY(drt_calib_measure(m, &o, log, &c));
    drt_status s = drt_calib_steps(m, c, steps_out, NULL);
    drt_calib_free(c);
    return s;
}

void drt_calib_fill_gaps(const drt_model *m, float *iv)
{
    /* What the CPU engine never stored: a conv's output written by the shortcut that absorbed it
     * shows up as the shortcut's; in-place concats and identities are their inputs' union. */
#define DRT_STORED(t) (iv[2 * (t)] <= iv[2 * (t) + 1])
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i].type == DRT_LAYER_SHORTCUT) {
            int j = m->layers[i].inputs[0];
            if (j >= 0 && !DRT_STORED(j + 1)) memcpy(iv + 2 * (j + 1), iv + 2 * (i + 1), 2 * sizeof(float));
        }
    for (int i = 0; i < m->n_layers; i++) {
        const drt_layer *l = &m->layers[i];
        float *o = iv + 2 * (i + 1);
        if (DRT_STORED(i + 1) || (l->type != DRT_LAYER_ROUTE && l->type != DRT_LAYER_DROPOUT && l->type != DRT_LAYER_BATCHNORM))
            continue;
        for (int j = 0; j < l->n_inputs; j++) {
            int t = l->inputs[j] + 1;
            if (l->inputs[j] >= i || !DRT_STORED(t)) continue;
            if (iv[2 * t] < o[0]) o[0] = iv[2 * t];
            if (iv[2 * t + 1] > o[1]) o[1] = iv[2 * t + 1];
        }
    }
#undef DRT_STORED
}

drt_status drt_calib_layer_thresholds(const drt_model *m, const drt_calib *c, float **thr_out)
{
    *thr_out = NULL;
    int nt = m->n_layers + 1;
    float *thr = malloc(sizeof(float) * (size_t)nt), *iv = malloc(sizeof(float) * 2 * (size_t)nt);
    if (!thr || !iv) {
        free(thr);
        free(iv);
        return drt_error(DRT_STATUS_OOM, "calibration: out of memory");
    }
    memcpy(thr, c->thr, sizeof(float) * (size_t)nt);
    for (int t = 0; t < nt; t++) { /* a threshold is the interval [-thr, thr]; 0: never stored */
        iv[2 * t] = thr[t] > 0 ? -thr[t] : INFINITY;
        iv[2 * t + 1] = thr[t] > 0 ? thr[t] : -INFINITY;
    }
    drt_calib_fill_gaps(m, iv);
    for (int t = 0; t < nt; t++)
        if (iv[2 * t] <= iv[2 * t + 1]) thr[t] = iv[2 * t + 1];
    free(iv);
    *thr_out = thr;
    return DRT_OK;
}
