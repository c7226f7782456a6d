/* What int8 activations cost, and what an asymmetric (u8, zero point) code would: the CPU fp32 engine with
 * every tensor the int8 engine stores in int8 rounded in place as it runs (fake quantization; weights and the
 * rest stay fp32), against the fp32 engine's own detections:
 *   fp32          nothing rounded (the truth: detections at 0.25);
 *   s8 sym        --int8-activations sym (the int8 engine's default until session 18): step max|x| / 127 over
 *                 the calibration images, +-127;
 *   s8 channels   symmetric, a step per channel (max|x| of the channel / 127): per-channel activation ranges;
 *   u8 asym       step (max - min) / 255 and a zero point: a leaky conv's output spans [-0.1 M, M], where the
 *                 symmetric code leaves half its levels unused;
 *   int8 engine   the real int8 build (default keep list, bias correction; u8 with a zero point where it can,
 *                 the default since session 18) for comparison.
 * Per mode: mAP@0.5 of the detections ranked down to 0.005 (the protocol of bench/int8-models.sh and of
 * --min-map) and the heads' mean relative RMS error, over the images given; min and max from the calibration
 * folder's images.
 *   int8-fakequant CFG WEIGHTS CALIB_DIR IMAGE...      (bench/int8-fakequant.sh builds and runs it) */
#include "backend/cpu/cpu.h"
#include "darkrt.h"
#include "graph/model.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FP32, SYM, CHAN, ASYM };

typedef struct fq {
    const cpu_state *q; /* the int8 engine: which tensors it stores in int8 */
    float *lo, *hi;     /* each tensor's min and max over the calibration images */
    float **cmax;       /* each tensor's max |x| per channel */
    int measuring, mode;
} fq;

static void observe(cpu_state *st, int t, const cpu_view *v, void *ctx)
{
    (void)st;
    fq *f = ctx;
    size_t hw = (size_t)v->h * v->w;
    float *p = (float *)v->p;
    if (t == 0) return; /* the input: u8 in the int8 engine, exact for 8-bit images */
    if (f->measuring) {
        if (!f->cmax[t]) f->cmax[t] = calloc((size_t)v->c, sizeof(float));
        for (size_t px = 0; px < hw; px++)
            for (int k = 0; k < v->c; k++) {
                float x = p[px * v->cs + k];
                f->lo[t] = fminf(f->lo[t], x), f->hi[t] = fmaxf(f->hi[t], x), f->cmax[t][k] = fmaxf(f->cmax[t][k], fabsf(x));
            }
        return;
    }
    int r = f->q->g->root[t];
    /* stored in int8 by the int8 engine: s8, or u8 with a zero point (the CPU default since session 18) */
    if (f->mode == FP32 || (f->q->dt[r] != CPU_S8 && f->q->dt[r] != CPU_U8) || f->hi[t] <= f->lo[t]) return;
    int asym = f->mode == ASYM;
    float a = fmaxf(-f->lo[t], f->hi[t]), s = asym ? (f->hi[t] - f->lo[t]) / 255 : a / 127;
    float z = asym ? nearbyintf(-f->lo[t] / s) : 0, qmin = asym ? 0 : -127, qmax = asym ? 255 : 127;
    for (size_t px = 0; px < hw; px++)
        for (int k = 0; k < v->c; k++) {
            float *x = &p[px * v->cs + k], sc = f->mode == CHAN && f->cmax[t][k] > 0 ? f->cmax[t][k] / 127 : s;
            *x = (fminf(qmax, fmaxf(qmin, nearbyintf(*x / sc) + z)) - z) * sc;
        }
}

static drt_image *load(const char *path)
{
    drt_image *img = NULL;
    return drt_image_load(path, &img) == DRT_OK ? img : NULL;
}

/* The heads of e's last run, copied (all heads back to back). */
static float *heads_copy(drt_engine *e, size_t *n_out)
{
    size_t n = 0;
    float *h = NULL;
    for (int k = 0; k < drt_engine_num_heads(e); k++) {
        const float *p;
        drt_tensor_desc d;
        drt_engine_head(e, k, &p, &d);
        size_t m = (size_t)d.c * d.h * d.w;
        h = realloc(h, (n + m) * sizeof *h);
        memcpy(h + n, p, m * sizeof *h);
        n += m;
    }
    *n_out = n;
    return h;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: int8-fakequant CFG WEIGHTS CALIB_DIR IMAGE...\n");
        return 2;
    }
    drt_load_opts lo = drt_load_opts_default();
    lo.warn = 0;
    drt_model *m = NULL;
    drt_engine *f = NULL, *q = NULL, *q8 = NULL;
    drt_engine_opts o = drt_engine_opts_default();
    o.no_tune = 1;
    if (drt_model_load_darknet(argv[1], argv[2], &lo, &m) != DRT_OK || drt_engine_create(m, &o, &f) != DRT_OK) goto fail;
    o.precision = DRT_PREC_INT8;
    o.calib_dir = argv[3];
    o.calib_max_images = 64;
    if (drt_engine_create(m, &o, &q8) != DRT_OK) goto fail; /* the real int8 engine (bias correction) */
    o.no_bias_correct = 1;
    if (drt_engine_create(m, &o, &q) != DRT_OK) goto fail; /* the same dtypes, built quickly */
    int nt = m->n_layers + 1;
    fq c = {.q = q->impl, .lo = calloc((size_t)nt, sizeof(float)), .hi = calloc((size_t)nt, sizeof(float)),
            .cmax = calloc((size_t)nt, sizeof(float *)), .measuring = 1};
    cpu_state *sf = f->impl;
    sf->observe = observe;
    sf->observe_ctx = &c;
    drt_detect_opts dopt = drt_detect_opts_default();
    dopt.resize = drt_detect_model_resize(m);
    DIR *d = opendir(argv[3]);
    for (struct dirent *de; d && (de = readdir(d));) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", argv[3], de->d_name);
        drt_image *img = de->d_name[0] != '.' ? load(p) : NULL;
        drt_detections *dets = NULL;
        if (img && drt_detect_image(f, img, &dopt, &dets, NULL) == DRT_OK) drt_detections_free(dets);
        drt_image_free(img);
    }
    if (d) closedir(d);
    c.measuring = 0;
    static const char *const names[] = {"fp32", "s8 sym (--int8-activations sym)", "s8 sym, a step per channel", "u8 asym (zero point)",
                                        "int8 engine (default build)"};
    for (int mode = FP32; mode <= ASYM + 1; mode++) {
        drt_eval_map *em = NULL;
        double rel = 0;
        int n = 0;
        drt_eval_map_create(0.5, &em);
        for (int a = 4; a < argc; a++) {
            drt_image *img = load(argv[a]);
            if (!img) continue;
            drt_detections *truth = NULL, *dets = NULL;
            size_t nh, nq;
            c.mode = FP32;
            drt_detect_opts at = dopt;
            drt_detect_image(f, img, &at, &truth, NULL);
            float *ref = heads_copy(f, &nh);
            c.mode = mode;
            at.thresh = 0.005f;
            drt_engine *e = mode > ASYM ? q8 : f;
            drt_detect_image(e, img, &at, &dets, NULL);
            if (dets->count > 300) dets->count = 300; /* the CLI's max-det */
            float *got = heads_copy(e, &nq);
            double e2 = 0, s2 = 0;
            for (size_t k = 0; k < nh && k < nq; k++) e2 += (got[k] - ref[k]) * (double)(got[k] - ref[k]), s2 += ref[k] * (double)ref[k];
            rel += s2 > 0 ? sqrt(e2 / s2) : 0;
            n++;
            drt_eval_map_add(em, truth, dets);
            drt_detections_free(truth);
            drt_detections_free(dets);
            free(ref);
            free(got);
            drt_image_free(img);
        }
        double map = 0;
        drt_eval_map_compute(em, &map, NULL);
        drt_eval_map_free(em);
        printf("%-32s ranked mAP@0.5 %.4f  heads' relative RMS %.4f  (%d images)\n", names[mode], map, n ? rel / n : 0, n);
    }
    for (int t = 0; t < nt; t++) free(c.cmax[t]);
    free(c.cmax);
    free(c.lo);
    free(c.hi);
    drt_engine_free(f);
    drt_engine_free(q);
    drt_engine_free(q8);
    drt_model_free(m);
    return 0;
fail:
    fprintf(stderr, "int8-fakequant: %s\n", drt_last_error());
    drt_engine_free(f);
    drt_engine_free(q);
    drt_engine_free(q8);
    drt_model_free(m);
    return 1;
}
