/* int8 bias correction (on unless opts.no_bias_correct; src/backend/cpu/cpu-bias.c) on cases with a known answer.
 * A 1x1 conv (the head, int8 with every conv in int8: int8_keep "none") with weights 0.5, 0.0059, 0 per
 * filter: per-channel quantization (step 0.5 / 127) makes 0.0059 one step, 0.003937, so int8 computes
 * x1 * 0.001963 less than fp32 wherever channel 1 is x1. Calibrated on two flat grey images (128 and
 * 64 of 255, exact in the engine's u8 input):
 * - without correction the head's mean difference fp32 - int8 over the two images is that offset at
 *   the mean x1 (within 1e-6);
 * - with it the mean difference is 0 (within 1e-6), each image's the offset at its x1 less the mean's;
 * - a second conv after it (3x3 of weights 1, zero padding: its s8 input's rounding too), the head: the mean
 *   difference with correction is smaller than without, and at most a tenth of it;
 * - the plan keeps the corrections: loaded with no calibration images, the same heads bit for bit;
 * - with batchnorm (scale 4: y = conv(x) x ~4) and the fold-bn pass off (--passes-off fold-bn): the int8
 *   engine folds batchnorm anyway (int8 quantizes the conv's whole epilogue), so both steps' corrections are
 *   in output units, never divided by the multiplier. The fp32 engine, with fold-bn off, applies batchnorm
 *   after the conv. The first conv alone: without correction the mean offset is the multiplier times the
 *   first case's, with it 0 within 1e-6 per unit of multiplier. A chain (1x1 leaky, then the 3x3 head, both
 *   with batchnorm), where step 2 takes up the s8 rounding left at the head: with correction 0 within the
 *   same bound (1.5e-7 measured); step 2's delta divided by the multiplier leaves 1.3e-5;
 * - step 2 keeps each image's run state between convs where they fit max_activation_bytes, else runs the image
 *   from its input for each conv: the two convs with no budget, with room for two, one and none (2, 1 and 0 kept,
 *   as its verbose log says), give the same heads bit for bit. */
#include "darkrt.h"
#include "graph/model.h"
#include "test-models.h"
#include "unit/check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S 16

static const char one_conv[] =
    "[net]\nwidth=16\nheight=16\nchannels=3\n"
    "[convolutional]\nsize=1\nstride=1\npad=0\nfilters=18\nactivation=linear\n"
    "[yolo]\nmask=0,1,2\nanchors=10,14, 23,27, 37,58\nclasses=1\nnum=3\n";
static const char two_convs[] =
    "[net]\nwidth=16\nheight=16\nchannels=3\n"
    "[convolutional]\nsize=1\nstride=1\npad=0\nfilters=3\nactivation=linear\n"
    "[convolutional]\nsize=3\nstride=1\npad=1\nfilters=18\nactivation=linear\n"
    "[yolo]\nmask=0,1,2\nanchors=10,14, 23,27, 37,58\nclasses=1\nnum=3\n";

static const char residual[] = /* conv 2 adds layer 0's output in place, in its epilogue */
    "[net]\nwidth=16\nheight=16\nchannels=3\n"
    "[convolutional]\nsize=1\nstride=1\npad=0\nfilters=3\nactivation=linear\n"
    "[convolutional]\nsize=1\nstride=1\npad=0\nfilters=3\nactivation=leaky\n"
    "[convolutional]\nsize=3\nstride=1\npad=1\nfilters=3\nactivation=linear\n"
    "[shortcut]\nfrom=-3\nactivation=linear\n"
    "[convolutional]\nsize=1\nstride=1\npad=0\nfilters=18\nactivation=linear\n"
    "[yolo]\nmask=0,1,2\nanchors=10,14, 23,27, 37,58\nclasses=1\nnum=3\n";
static const char bn_conv[] =
    "[net]\nwidth=16\nheight=16\nchannels=3\n"
    "[convolutional]\nbatch_normalize=1\nsize=1\nstride=1\npad=0\nfilters=18\nactivation=linear\n"
    "[yolo]\nmask=0,1,2\nanchors=10,14, 23,27, 37,58\nclasses=1\nnum=3\n";
static const char bn_convs[] =
    "[net]\nwidth=16\nheight=16\nchannels=3\n"
    "[convolutional]\nbatch_normalize=1\nsize=1\nstride=1\npad=0\nfilters=3\nactivation=leaky\n"
    "[convolutional]\nbatch_normalize=1\nsize=3\nstride=1\npad=1\nfilters=18\nactivation=linear\n"
    "[yolo]\nmask=0,1,2\nanchors=10,14, 23,27, 37,58\nclasses=1\nnum=3\n";

static const int greys[2] = {128, 64};

static drt_model *load(const char *dir, const char *text)
{
    drt_model *m = load_cfg_text(dir, "m.cfg", text, 1);
    if (!m) return NULL;
    /* first conv: 0.5, 0.0059, 0 per filter (per input channel for 1x1); later convs: all 1; biases 0 */
    for (int i = 0; i < m->n_layers; i++) {
        drt_layer *l = &m->layers[i];
        if (l->type != DRT_LAYER_CONV) continue;
        int per = (int)(l->n_weights / l->filters);
        for (int f = 0; f < l->filters; f++) {
            l->biases[f] = 0;
            if (l->batch_normalize) { /* mul = 4 / sqrt(1 + 1e-5), add = 0 */
                l->scales[f] = 4;
                l->rolling_mean[f] = 0;
                l->rolling_var[f] = 1;
            }
            for (int j = 0; j < per; j++) l->weights[f * per + j] = i ? 1.f : j == 0 ? 0.5f : j == 1 ? 0.0059f : 0.f;
        }
    }
    return m;
}

/* The mean over the head of fp32 - int8 for the flat image of grey g. */
static double head_diff(drt_engine *fp, drt_engine *q, int g)
{
    float *in = malloc(sizeof(float) * 3 * S * S);
    for (int k = 0; k < 3 * S * S; k++) in[k] = (float)g / 255.f;
    double d = 0;
    const float *a, *b;
    drt_tensor_desc da, db;
    if (drt_engine_run(fp, in, 1) != DRT_OK || drt_engine_run(q, in, 1) != DRT_OK) d = NAN;
    drt_engine_head(fp, 0, &a, &da);
    drt_engine_head(q, 0, &b, &db);
    size_t n = (size_t)da.c * da.h * da.w;
    for (size_t k = 0; k < n && !isnan(d); k++) d += (double)a[k] - b[k];
    free(in);
    return d / (double)n;
}

/* The count of images whose run states bias correction's step 2 kept, from its verbose log (-1: not said). */
static int resident = -1;
static void keep_resident(drt_log_level level, const char *message, void *user)
{
    (void)level, (void)user;
    const char *at = strstr(message, "step 2 kept the run states of ");
    if (at) resident = atoi(at + strlen("step 2 kept the run states of "));
}

static drt_engine *engine_passes(const drt_model *m, const char *calib, int precision, int correct, unsigned passes_off)
{
    drt_engine_opts o = drt_engine_opts_default();
    o.passes_off = passes_off;
    o.precision = precision;
    o.calib_dir = calib;
    o.int8_keep = "none";
    o.threads = 1;
    o.no_bias_correct = !correct;
    drt_engine *e = NULL;
    CHECK(drt_engine_create(m, &o, &e) == DRT_OK, "engine (%s, correction %d): %s", drt_precision_name(precision), correct,
          drt_last_error());
    return e;
}

static drt_engine *engine(const drt_model *m, const char *calib, int precision, int correct)
{
    return engine_passes(m, calib, precision, correct, 0);
}

/* The cfg's mean head offset fp32 - int8 over the two greys, without (*raw) and with (*cor) correction,
 * every engine with passes_off; 0: the model or an engine failed (checked). */
static int mean_offsets(const char *dir, const char *cfg, const char *calib, unsigned passes_off, double *raw, double *cor)
{
    drt_model *m = load(dir, cfg);
    CHECK(m, "%s", drt_last_error());
    drt_engine *fp = m ? engine_passes(m, NULL, DRT_PREC_FP32, 0, passes_off) : NULL;
    drt_engine *r = m ? engine_passes(m, calib, DRT_PREC_INT8, 0, passes_off) : NULL;
    drt_engine *c = m ? engine_passes(m, calib, DRT_PREC_INT8, 1, passes_off) : NULL;
    int ok = fp && r && c;
    if (ok) {
        *raw = (head_diff(fp, r, greys[0]) + head_diff(fp, r, greys[1])) / 2;
        *cor = (head_diff(fp, c, greys[0]) + head_diff(fp, c, greys[1])) / 2;
    }
    drt_engine_free(fp);
    drt_engine_free(r);
    drt_engine_free(c);
    drt_model_free(m);
    return ok;
}

/* Both engines' heads for the grey g, bit for bit. */
static int same_heads(drt_engine *a, drt_engine *b, int g)
{
    float *in = malloc(sizeof(float) * 3 * S * S);
    for (int k = 0; k < 3 * S * S; k++) in[k] = (float)g / 255.f;
    const float *ha, *hb;
    drt_tensor_desc da, db;
    int same = drt_engine_run(a, in, 1) == DRT_OK && drt_engine_head(a, 0, &ha, &da) == DRT_OK;
    float *copy = same ? malloc(sizeof(float) * (size_t)da.c * da.h * da.w) : NULL; /* before b runs */
    if (copy) memcpy(copy, ha, sizeof(float) * (size_t)da.c * da.h * da.w);
    same = copy && drt_engine_run(b, in, 1) == DRT_OK && drt_engine_head(b, 0, &hb, &db) == DRT_OK &&
           !memcmp(copy, hb, sizeof(float) * (size_t)da.c * da.h * da.w);
    free(copy);
    free(in);
    return same;
}

int main(void)
{
    char dir[] = "/tmp/cpu-int8-bias-XXXXXX", calib[300], plan[300];
    if (!mkdtemp(dir)) return 1;
    snprintf(calib, sizeof calib, "%s/calib", dir);
    snprintf(plan, sizeof plan, "%s/q.plan", dir);
    if (mkdir(calib, 0700) != 0) return 1;
    for (int i = 0; i < 2; i++) { /* flat grey P6 images, the network's size: no resampling */
        char p[400];
        snprintf(p, sizeof p, "%s/grey%d.ppm", calib, i);
        FILE *f = fopen(p, "wb");
        if (!f) return 1;
        fprintf(f, "P6\n%d %d\n255\n", S, S);
        for (int k = 0; k < 3 * S * S; k++) fputc(greys[i], f);
        fclose(f);
    }
    double x[2] = {128 / 255., 64 / 255.}, err1 = 0.0059 - 0.5 / 127; /* fp32 - int8 per unit of x1 */
    double want = err1 * (x[0] + x[1]) / 2;

    drt_model *m = load(dir, one_conv);
    CHECK(m, "one conv: %s", drt_last_error());
    drt_engine *fp = m ? engine(m, NULL, DRT_PREC_FP32, 0) : NULL, *raw = m ? engine(m, calib, DRT_PREC_INT8, 0) : NULL;
    drt_engine *cor = m ? engine(m, calib, DRT_PREC_INT8, 1) : NULL;
    if (fp && raw && cor) {
        double r0 = head_diff(fp, raw, greys[0]), r1 = head_diff(fp, raw, greys[1]);
        double c0 = head_diff(fp, cor, greys[0]), c1 = head_diff(fp, cor, greys[1]);
        CHECK(fabs((r0 + r1) / 2 - want) < 1e-6, "without correction: mean offset %.7f, want %.7f", (r0 + r1) / 2, want);
        CHECK(fabs((c0 + c1) / 2) < 1e-6, "with correction: mean offset %.7f, want 0", (c0 + c1) / 2);
        CHECK(fabs(c0 - (err1 * x[0] - want)) < 1e-6 && fabs(c1 - (err1 * x[1] - want)) < 1e-6,
              "with correction: per image %.7f, %.7f, want %.7f, %.7f", c0, c1, err1 * x[0] - want, err1 * x[1] - want);
        CHECK(drt_engine_save_plan(cor, plan) == DRT_OK, "save: %s", drt_last_error());
        drt_engine *loaded = NULL;
        CHECK(drt_engine_load_plan(plan, NULL, &loaded) == DRT_OK, "load: %s", drt_last_error());
        if (loaded) {
            double l0 = head_diff(fp, loaded, greys[0]), l1 = head_diff(fp, loaded, greys[1]);
            CHECK(l0 == c0 && l1 == c1, "the plan's engine: %.9f, %.9f; built: %.9f, %.9f", l0, l1, c0, c1);
        }
        drt_engine_free(loaded);
        remove(plan);
    }
    drt_engine_free(fp);
    drt_engine_free(raw);
    drt_engine_free(cor);
    drt_model_free(m);

    double r, c, mul = 4 / sqrt(1 + 1e-5);
    if (mean_offsets(dir, two_convs, calib, 0, &r, &c))
        CHECK(fabs(r) > 1e-4 && fabs(c) <= 0.1 * fabs(r), "two convs: mean offset %.7f without correction, %.7f with", r, c);
    if (mean_offsets(dir, bn_conv, calib, DRT_PASS_FOLD_BN, &r, &c)) {
        CHECK(fabs(r - want * mul) < 1e-6 * mul, "batchnorm, fold-bn off, without correction: mean offset %.7f, want %.7f", r,
              want * mul);
        CHECK(fabs(c) < 1e-6 * mul, "batchnorm, fold-bn off, with correction: mean offset %.7f, want 0 (without: %.7f)", c, r);
    }
    m = load(dir, residual);
    CHECK(m, "residual: %s", drt_last_error());
    drt_engine *kept = m ? engine(m, calib, DRT_PREC_INT8, 1) : NULL;
    drt_engine *fp32 = m ? engine(m, NULL, DRT_PREC_FP32, 0) : NULL;
    drt_engine_memory mem = {0}, fmem = {0};
    if (kept) drt_engine_memory_usage(kept, &mem);
    if (fp32) drt_engine_memory_usage(fp32, &fmem);
    drt_engine_free(fp32);
    drt_set_log_callback(keep_resident, NULL);
    /* the build holds the fp32 engine's activations, the int8 engine's and a snapshot of its arena (here all of
     * them), and room run states more */
    for (int room = 2; kept && room >= 0; room--) {
        drt_engine_opts o = drt_engine_opts_default();
        o.verbose = 1; /* its log says how many images' run states were kept */
        o.precision = DRT_PREC_INT8;
        o.calib_dir = calib;
        o.int8_keep = "none";
        o.threads = 1;
        o.max_activation_bytes = fmem.host_activations + mem.host_activations * (size_t)(2 + room) + mem.host_activations / 2;
        drt_engine *e = NULL;
        resident = -1;
        CHECK(drt_engine_create(m, &o, &e) == DRT_OK, "residual within %zu bytes: %s", o.max_activation_bytes, drt_last_error());
        CHECK(resident == room, "residual: room for %d image run state(s): %d kept", room, resident);
        CHECK(e && same_heads(kept, e, greys[0]) && same_heads(kept, e, greys[1]),
              "residual: step 2 with room for %d image run state(s): heads differ from keeping both", room);
        drt_engine_free(e);
    }
    drt_set_log_callback(NULL, NULL);
    drt_engine_free(kept);
    drt_model_free(m);
    if (mean_offsets(dir, bn_convs, calib, DRT_PASS_FOLD_BN, &r, &c))
        CHECK(fabs(r) > 1e-3 && fabs(c) < 1e-6 * mul, "batchnorm chain, fold-bn off: mean offset %.9f without correction, "
              "%.9f with (want 0 within %.1e)", r, c, 1e-6 * mul);
    char p[400];
    for (int i = 0; i < 2; i++) {
        snprintf(p, sizeof p, "%s/grey%d.ppm", calib, i);
        remove(p);
    }
    snprintf(p, sizeof p, "%s/m.cfg", dir);
    remove(p);
    rmdir(calib);
    rmdir(dir);
    return DONE();
}
