/* A grouped route (yolov4-tiny's `groups=2 group_id=1`: a channel slice of one tensor) in an int8 CPU engine is a
 * copy of its source's bytes at its source's step: its values are the source's, rounded once. Before, the slice
 * took its own calibrated step and requantized the source's int8 values onto it: a second rounding (yolov4-tiny's
 * slices: relative RMS error against fp32 0.044 where their source's was 0.034; the heads' mean error 2-3% lower
 * without it). A tiny CSP block (conv, slice, conv, concat of the two) with every conv in int8 and the slice given a
 * step 0.6x its source's (as a calibration of the slice alone gives it: the source's other half is larger): the
 * slice's step is its source's and its bytes are channels 8..15 of the source's, pixel by pixel; and the heads
 * agree with the fp32 engine's (within int8's error: 5% of their largest value). */
#include "backend/cpu/cpu.h"
#include "darkrt.h"
#include "test-models.h"
#include "unit/check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { S = 32 };

static const char cfg_text[] =
    "[net]\nwidth=32\nheight=32\nchannels=3\n"
    "[convolutional]\nbatch_normalize=1\nfilters=16\nsize=3\nstride=1\npad=1\nactivation=leaky\n" /* 0 */
    "[route]\nlayers=-1\ngroups=2\ngroup_id=1\n"                                                /* 1: channels 8..15 of 0 */
    "[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\nstride=1\npad=1\nactivation=leaky\n"  /* 2 */
    "[route]\nlayers=-1,-2\n"                                                                   /* 3 */
    "[convolutional]\nsize=1\nstride=1\npad=1\nfilters=18\nactivation=linear\n"                  /* 4 */
    "[yolo]\nmask=0,1,2\nanchors=10,14, 23,27, 37,58\nclasses=1\nnum=3\n";                       /* 5 */

static void observe_max(cpu_state *st, int t, const cpu_view *v, void *ctx)
{
    (void)st;
    float *amax = ctx;
    for (size_t px = 0; px < (size_t)v->h * v->w; px++)
        for (int k = 0; k < v->c; k++) amax[t] = fmaxf(amax[t], fabsf(((const float *)v->p)[px * v->cs + k]));
}

/* The fp32 engine's head values on in (its own heads after one run), and every tensor's max |x| / 127 in steps. */
static cpu_state *fp32_state(const drt_model *m, const float *in, float *steps)
{
    drt_engine_opts o = drt_engine_opts_default();
    o.no_tune = 1;
    cpu_state *st = NULL;
    if (drt_cpu_state_create(m, &o, NULL, NULL, NULL, NULL, NULL, NULL, &st) != DRT_OK) return NULL;
    st->observe = observe_max;
    st->observe_ctx = steps;
    drt_status s = drt_cpu_run_image(st, &st->own, NULL, NULL, in, 0);
    st->observe = NULL;
    for (int t = 0; t <= m->n_layers; t++) steps[t] = steps[t] > 0 ? steps[t] / 127.f : 1.f;
    if (s != DRT_OK) drt_cpu_state_free(st), st = NULL;
    return st;
}

/* Largest |a - b| of the head conv's output (layer 4, fp32 in both), relative to the largest |a|. */
static double head_diff(cpu_state *a, cpu_state *b)
{
    cpu_view va = drt_cpu_view(a, DRT_XT(4)), vb = drt_cpu_view(b, DRT_XT(4));
    double d = 0, ref = 0;
    for (size_t k = 0, n = (size_t)va.c * va.h * va.w; k < n; k++) {
        d = fmax(d, fabs((double)((float *)va.p)[k] - ((float *)vb.p)[k]));
        ref = fmax(ref, fabs((double)((float *)va.p)[k]));
    }
    return ref > 0 ? d / ref : d;
}

int main(void)
{
    char dir[] = "/tmp/drt-route-slice-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    drt_model *m = load_cfg_text(dir, "s.cfg", cfg_text, 5);
    CHECK(m != NULL, "model: %s", drt_last_error());
    float *in = malloc(sizeof(float) * 3 * S * S), *steps = m ? calloc((size_t)m->n_layers + 1, sizeof *steps) : NULL;
    for (int k = 0; in && k < 3 * S * S; k++) in[k] = (float)((k * 2654435761u >> 9) & 255) / 255.f;
    cpu_state *f = m && in && steps ? fp32_state(m, in, steps) : NULL, *q = NULL;
    CHECK(f != NULL, "fp32 engine: %s", drt_last_error());
    if (f) {
        steps[DRT_XT(1)] = 0.6f * steps[DRT_XT(0)];
        drt_engine_opts o = drt_engine_opts_default();
        o.no_tune = 1;
        o.precision = DRT_PREC_INT8;
        o.int8_keep = "none";
        CHECK(drt_cpu_state_create(m, &o, NULL, steps, NULL, NULL, NULL, NULL, &q) == DRT_OK, "int8 engine: %s", drt_last_error());
    }
    if (q && drt_cpu_run_image(q, &q->own, NULL, NULL, in, 0) == DRT_OK) {
        double d = head_diff(f, q);
        CHECK(d < 0.05, "int8 heads differ from fp32's by %.3g of their largest value", d);
        /* again through the slice only: later layers reuse the source's memory (memplan) */
        CHECK(drt_cpu_run_image_until(q, &q->own, NULL, NULL, in, 0, 1) == DRT_OK, "run to the slice: %s", drt_last_error());
        cpu_view src = drt_cpu_view(q, DRT_XT(0)), slice = drt_cpu_view(q, DRT_XT(1));
        CHECK(src.dt == CPU_S8 && slice.dt == CPU_S8, "int8 buffers: source %s, slice %s", cpu_dtype_name(src.dt),
              cpu_dtype_name(slice.dt));
        CHECK(slice.step == src.step, "the slice's step %g, its source's %g", slice.step, src.step);
        int differ = 0;
        for (size_t px = 0; src.dt == CPU_S8 && slice.dt == CPU_S8 && px < (size_t)S * S; px++)
            differ += memcmp(slice.p + px * slice.cs, src.p + px * src.cs + 8, 8) != 0;
        CHECK(differ == 0, "the slice's bytes differ from channels 8..15 of its source's at %d of %d pixels", differ, S * S);
        if (!failures) printf("slice: its source's step and bytes at all %d pixels; heads within %.3f of fp32's\n", S * S, d);
    }
    drt_cpu_state_free(q);
    drt_cpu_state_free(f);
    drt_model_free(m);
    free(in);
    free(steps);
    remove_cfg_dir(dir, "s.cfg");
    return DONE();
}
