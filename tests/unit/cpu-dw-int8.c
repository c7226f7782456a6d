/* darkrt's int8 depthwise kernel (src/backend/cpu/avx512/cpu-dw-int8-avx512.c) against the oneDNN path it
 * replaces, byte for byte. Small models (a depthwise conv; before it a 1x1 int8 conv writing s8 with a step
 * per channel, or the u8 network input; after it a 1x1 int8 conv reading s8, or a [yolo] head reading f32) with
 * synthesised weights and random bias corrections, steps from an fp32 run (0.7 x max |x| / 127: some values
 * saturate), built twice with every conv int8: darkrt's kernel, and oneDNN's (DRT_CPU_DW_INT8=0). For every
 * shape yolo-fastest uses (3x3 and 5x5, stride 1 and 2) and others (1x1, 7x7, even k, padding 0, odd sizes, 1 to
 * 224 channels, rows near the kernel's 96 KiB fit limit, leaky, relu, linear), the depthwise output is the same bytes: at 1 and 3 threads, and after
 * drt_cpu_conv_bias_add (bias correction's measuring engines). Skips (77) without AVX-512 VNNI. */
#include "backend/cpu/cpu.h"
#include "backend/cpu/cpu-parallel.h"
#include "engine/calib.h"
#include "graph/model.h"
#include "test-models.h"
#include "unit/check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct dw_case {
    int c, h, w, k, s;
    const char *act;
    int u8_in, f32_out; /* the dw conv reads the network input (u8) / feeds the [yolo] head (f32) */
    int pad0;           /* padding 0 (else darknet's pad=1: k/2) */
} dw_case;

static const dw_case cases[] = {
    {8, 17, 13, 3, 1, "leaky", 0, 0, 0},   {8, 16, 16, 3, 2, "leaky", 0, 0, 0},   {24, 9, 11, 3, 2, "leaky", 0, 0, 0},
    {24, 7, 21, 3, 1, "relu", 0, 0, 0},    {32, 10, 9, 3, 2, "leaky", 0, 0, 0},   {48, 6, 7, 3, 1, "leaky", 0, 0, 0},
    {1, 5, 7, 3, 1, "leaky", 1, 0, 0},     {3, 9, 9, 3, 2, "leaky", 1, 0, 0},     {17, 6, 5, 5, 1, "linear", 0, 0, 0},
    {33, 11, 13, 5, 2, "leaky", 0, 0, 0},  {96, 10, 10, 5, 1, "leaky", 0, 0, 0},  {136, 9, 21, 3, 1, "leaky", 0, 0, 0},
    {136, 10, 10, 3, 2, "leaky", 0, 0, 0}, {120, 8, 8, 5, 1, "leaky", 0, 0, 0},   {224, 5, 6, 3, 1, "leaky", 0, 0, 0},
    {64, 12, 12, 3, 1, "leaky", 0, 0, 0},  {16, 5, 5, 1, 1, "leaky", 0, 0, 0},    {8, 9, 9, 7, 1, "leaky", 0, 0, 0},
    {18, 9, 7, 3, 1, "leaky", 0, 1, 0},    {18, 8, 8, 3, 2, "linear", 0, 1, 0},   {18, 8, 8, 3, 1, "relu", 0, 1, 0},   {21, 7, 9, 5, 1, "relu", 1, 1, 0},
    /* even k (padding k/2: one more output than input), padding 0 */
    {8, 9, 11, 2, 1, "leaky", 0, 0, 0},    {16, 10, 9, 4, 2, "leaky", 0, 0, 0},   {12, 11, 10, 6, 1, "leaky", 0, 0, 0},
    {24, 11, 9, 3, 2, "leaky", 0, 0, 1}, {16, 9, 12, 5, 1, "leaky", 0, 0, 1},
    /* near the fit limit (DRT_CPU_DW8_STACK, 96 KiB): rows as wide as fit, where over-reads would leave the buffers */
    {96, 4, 56, 3, 1, "leaky", 0, 0, 0},   {96, 4, 56, 3, 1, "leaky", 0, 1, 0},   {8, 9, 362, 7, 1, "leaky", 0, 0, 0},
    {24, 7, 304, 5, 2, "leaky", 0, 0, 0},  {7, 9, 401, 7, 2, "leaky", 0, 0, 0},
};

static unsigned seed = 7;
static float frand(void) /* [0, 1) */
{
    seed = seed * 1103515245u + 12345u;
    return (float)((seed >> 8) & 0xffff) / 65536.f;
}

static drt_model *load(const char *dir, const dw_case *t)
{
    char text[1200];
    int n = snprintf(text, sizeof text, "[net]\nwidth=%d\nheight=%d\nchannels=%d\n", t->w, t->h, t->u8_in ? t->c : 3);
    if (!t->u8_in)
        n += snprintf(text + n, sizeof text - n, "[convolutional]\nsize=1\nstride=1\npad=0\nfilters=%d\nbatch_normalize=1\nactivation=leaky\n", t->c);
    n += snprintf(text + n, sizeof text - n,
                  "[convolutional]\ngroups=%d\nfilters=%d\nsize=%d\nstride=%d\npad=%d\nbatch_normalize=1\nactivation=%s\n", t->c,
                  t->c, t->k, t->s, !t->pad0, t->act);
    if (!t->f32_out) n += snprintf(text + n, sizeof text - n, "[convolutional]\nsize=1\nstride=1\npad=0\nfilters=18\nactivation=linear\n");
    snprintf(text + n, sizeof text - n, "[yolo]\nmask=0,1,2\nanchors=10,14, 23,27, 37,58\nclasses=%d\nnum=3\n", t->f32_out ? t->c / 3 - 5 : 1);
    return load_cfg_text(dir, "dw.cfg", text, seed);
}

static void observe_max(cpu_state *st, int t, const cpu_view *v, void *ctx)
{
    (void)st;
    float *amax = ctx;
    for (size_t i = 0, n = (size_t)v->c * v->h * v->w; i < n; i++) {
        float a = fabsf(((const float *)v->p)[i]);
        if (a > amax[t]) amax[t] = a;
    }
}

/* Steps from the fp32 engine's outputs on the input (0.7 x max |x| / 127), steps per channel around them,
 * and bias corrections of up to 2 output steps. */
static int steps_of(const drt_model *m, const float *in, float **steps, float **csteps, float **corr)
{
    drt_engine_opts o = drt_engine_opts_default();
    o.no_tune = 1;
    cpu_state *st = NULL;
    size_t nt = (size_t)m->n_layers + 1, nc = drt_calib_channel_offset(m, m->n_layers + 1);
    *steps = calloc(nt, sizeof **steps);
    *csteps = malloc(nc * sizeof **csteps);
    *corr = malloc(nc * sizeof **corr);
    if (!*steps || !*csteps || !*corr || drt_cpu_state_create(m, &o, NULL, NULL, NULL, NULL, NULL, NULL, &st) != DRT_OK) return -1;
    st->observe = observe_max;
    st->observe_ctx = *steps;
    drt_status s = drt_cpu_run_image(st, &st->own, NULL, NULL, in, 0);
    drt_cpu_state_free(st);
    for (size_t t = 0; t < nt; t++) {
        (*steps)[t] = (*steps)[t] > 0 ? 0.7f * (*steps)[t] / 127.f : 1.f;
        for (int k = 0; k < drt_calib_tensor_channels(m, (int)t); k++) {
            size_t at = drt_calib_channel_offset(m, (int)t) + (size_t)k;
            (*csteps)[at] = (*steps)[t] * (0.2f + 0.8f * frand());
            (*corr)[at] = (*steps)[t] * (4.f * frand() - 2.f);
        }
    }
    return s == DRT_OK ? 0 : -1;
}

typedef struct until_call {
    cpu_state *st;
    int dw;
    const float *in;
} until_call;

static drt_status run_until(void *p)
{
    const until_call *c = p;
    return drt_cpu_run_image_until(c->st, &c->st->own, NULL, NULL, c->in, 0, c->dw);
}

/* Runs st to layer dw on in with `threads` threads; its output bytes. */
static const char *dw_out(cpu_state *st, int dw, const float *in, int threads, size_t *bytes)
{
    until_call c = {st, dw, in};
    if (drt_cpu_with_threads(threads, run_until, &c) != DRT_OK) return NULL;
    cpu_view v = drt_cpu_view(st, drt_cpu_stored_tensor(st, dw));
    *bytes = (size_t)v.c * v.h * v.w * cpu_dtype_size(v.dt);
    return v.p;
}

static int distinct_bytes(const char *p, size_t n)
{
    int seen[256] = {0}, d = 0;
    for (size_t i = 0; i < n; i++) d += !seen[(unsigned char)p[i]]++;
    return d;
}

static void one_case(const char *dir, const dw_case *t)
{
    drt_model *m = load(dir, t);
    CHECK(m != NULL, "c=%d %dx%d k=%d s=%d: model: %s", t->c, t->w, t->h, t->k, t->s, drt_last_error());
    if (!m) return;
    int dw = t->u8_in ? 0 : 1;
    size_t n = (size_t)m->channels * t->w * t->h;
    float *in = malloc(n * sizeof *in), *steps = NULL, *csteps = NULL, *corr = NULL;
    for (size_t i = 0; i < n; i++) in[i] = frand();
    cpu_state *ours = NULL, *onednn = NULL;
    drt_engine_opts o = drt_engine_opts_default();
    o.no_tune = 1;
    o.precision = DRT_PREC_INT8;
    o.int8_keep = "none";
    int ok = steps_of(m, in, &steps, &csteps, &corr) == 0 &&
             drt_cpu_state_create(m, &o, NULL, steps, csteps, NULL, corr, NULL, &ours) == DRT_OK;
    setenv("DRT_CPU_DW_INT8", "0", 1);
    ok = ok && drt_cpu_state_create(m, &o, NULL, steps, csteps, NULL, corr, NULL, &onednn) == DRT_OK;
    unsetenv("DRT_CPU_DW_INT8");
    CHECK(ok, "c=%d k=%d s=%d: engines: %s", t->c, t->k, t->s, drt_last_error());
    if (ok) {
        const cpu_conv *a = ours->conv[dw], *b = onednn->conv[dw];
        cpu_dtype want_in = t->u8_in ? CPU_U8 : CPU_S8, want_out = t->f32_out ? CPU_F32 : CPU_S8;
        CHECK(a->dw8 && !b->dw8 && b->prim, "c=%d k=%d s=%d: implementations %s and %s", t->c, t->k, t->s, a->impl, b->impl);
        CHECK(a->in_dt == want_in && a->out_dt == want_out && !a->in_temp && !a->out_temp, "c=%d k=%d s=%d: %s -> %s",
              t->c, t->k, t->s, cpu_dtype_name(a->in_dt), cpu_dtype_name(a->out_dt));
        CHECK(t->u8_in || ours->channel_steps[DRT_XT(m->layers[dw].inputs[0])], "c=%d: the input has no steps per channel", t->c);
        float *delta = malloc(sizeof(float) * (size_t)t->c);
        for (int f = 0; f < t->c; f++) delta[f] = steps[dw + 1] * (2.f * frand() - 1.f);
        for (int round = 0; round < 3 && a->dw8; round++) { /* 1 thread, 3 threads, 1 thread after a bias change */
            if (round == 2) {
                drt_cpu_conv_bias_add(ours, dw, delta);
                drt_cpu_conv_bias_add(onednn, dw, delta);
            }
            size_t na = 0, nb = 0;
            const char *pa = dw_out(ours, dw, in, round == 1 ? 3 : 1, &na), *pb = dw_out(onednn, dw, in, 1, &nb);
            size_t at = 0;
            while (pa && pb && na == nb && at < na && pa[at] == pb[at]) at++;
            CHECK(pa && pb && na == nb && at == na, "c=%d %dx%d k=%d s=%d %s %s->%s round %d: byte %zu of %zu differs", t->c, t->w,
                  t->h, t->k, t->s, t->act, cpu_dtype_name(want_in), cpu_dtype_name(want_out), round, at, na);
            /* the comparison means something: many output values, some saturated */
            int d = pa ? distinct_bytes(pa, na) : 0;
            CHECK(d >= (na > 2000 ? 50 : 10), "c=%d k=%d s=%d: only %d distinct output bytes", t->c, t->k, t->s, d);
        }
        free(delta);
        printf("ok   c=%3d %2dx%-2d k=%d s=%d pad %d %-6s %s->%s: %s = %s\n", t->c, t->w, t->h, t->k, t->s, t->pad0 ? 0 : t->k / 2,
               t->act, cpu_dtype_name(want_in),
               cpu_dtype_name(want_out), a->impl, b->impl);
    }
    drt_cpu_state_free(ours);
    drt_cpu_state_free(onednn);
    free(in);
    free(steps);
    free(csteps);
    free(corr);
    drt_model_free(m);
}

int main(void)
{
    if (!drt_cpu_dw8_allowed()) {
        printf("skip: no AVX-512 VNNI here (or DRT_CPU_ISA caps it): darkrt's int8 depthwise kernel is not used\n");
        return 77;
    }
    char dir[] = "/tmp/drt-dw-int8-XXXXXX";
    if (!mkdtemp(dir)) {
        printf("FAIL: mkdtemp\n");
        return 1;
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) one_case(dir, &cases[i]);
    char cfg[300];
    snprintf(cfg, sizeof cfg, "%s/dw.cfg", dir);
    unlink(cfg);
    rmdir(dir);
    return DONE();
}
