/* The optimized CPU engine ("cpu"): the backend interface over the compiled state. */
#include "backend/cpu/cpu.h"
#include "backend/cpu/cpu-features.h"
#include "backend/cpu/cpu-parallel.h"
#include "engine/calib.h"
#include "core/error.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>

static drt_status check_model(const drt_model *m)
{
    for (int i = 0; i < m->n_layers; i++) {
        const drt_layer *l = &m->layers[i];
        for (int k = 0; k < l->n_inputs; k++)
            if (l->type != DRT_LAYER_YOLO && l->inputs[k] >= 0 && m->layers[l->inputs[k]].type == DRT_LAYER_YOLO)
                return drt_error(DRT_STATUS_UNSUPPORTED, "%s: layer %d reads the [yolo] layer %d: the cpu engine does not support that",
                                 m->source ? m->source : "model", i, l->inputs[k]);
        if ((unsigned)l->act >= DRT_ACT_COUNT || (unsigned)l->type >= DRT_LAYER_COUNT)
            return drt_error(DRT_STATUS_FORMAT, "%s: layer %d: unknown type or activation", m->source ? m->source : "model", i);
    }
    return DRT_OK;
}

static void log_summary(const cpu_state *st)
{
    char f[128], g[128];
    int n[DRT_PREC_COUNT] = {0};
    for (int i = 0; i < st->g->n; i++)
        if (st->conv[i]) n[st->conv[i]->prec]++;
    fprintf(st->log, "cpu engine: %s, convs fp32 %d / bf16 %d / int8 %d, threads %d, CPU features %s (implementations need %s)\n",
            drt_precision_name(st->opts.precision), n[DRT_PREC_FP32], n[DRT_PREC_BF16], n[DRT_PREC_INT8], st->opts.threads,
            drt_cpu_features_str(drt_cpu_features(), f, sizeof f), drt_cpu_features_str(st->features, g, sizeof g));
    fprintf(st->log, "cpu engine: own kernels: %s variant (run-time dispatch on cpuid + XCR0)\n", drt_cpu_kernels_name());
    fprintf(st->log, "cpu engine: activations %.2f MiB per image planned (naive %.2f MiB), scratchpad %.2f MiB\n",
            st->arena_bytes / 1048576.0, st->g->naive_bytes / 1048576.0, st->scratch_bytes / 1048576.0);
}

static drt_status build(drt_engine *e, const void *blob, size_t size, int threads)
{
    const drt_model *m = e->model;
    FILE *log = e->opts.verbose ? drt_log_file() : NULL;
    DRT_TRY(check_model(m));
    DRT_TRY(drt_xcaps_check(&drt_cpu_caps, m, e->opts.precision));
    cpu_choice *choices = NULL;
    float *steps = NULL, *channel_steps = NULL, *ranges = NULL, *bias_corr = NULL;
    drt_status s = DRT_OK;
    if (blob) s = drt_cpu_parse_blob(blob, size, m, &choices, &steps, &channel_steps, &ranges, &bias_corr, NULL);
    else if (e->opts.precision == DRT_PREC_INT8) { /* the caller's calibration, else one of its own; its images for both */
        drt_calib *own = NULL;
        const drt_calib *c = e->calib;
        if (!c) s = drt_calib_measure(m, &e->opts, log, &own), c = own;
        if (s == DRT_OK) s = drt_calib_steps(m, c, &steps, &channel_steps);
        if (s == DRT_OK && drt_int8_activations_of(&e->opts) == DRT_INT8_ACT_ASYM)
            s = drt_calibrate_ranges(m, c, steps, &ranges);
        if (s == DRT_OK && !e->opts.no_bias_correct)
            s = drt_cpu_bias_correction(m, &e->opts, steps, channel_steps, ranges, c, log, &bias_corr);
        drt_calib_free(own);
    }
    cpu_state *st = NULL;
    if (s == DRT_OK) s = drt_cpu_state_create(m, &e->opts, choices, steps, channel_steps, ranges, bias_corr, log, &st);
    if (s == DRT_OK) st->opts.threads = threads; /* fixed here, 0 resolved: what run_in uses */
    free(choices);
    free(steps);
    free(channel_steps);
    free(ranges);
    free(bias_corr);
    if (s != DRT_OK) return s;
    if (log) log_summary(st);
    e->impl = st;
    return DRT_OK;
}

/* Every build and run below is on drt_cpu_with_threads: the engine's thread count, the caller's after. The count
 * is fixed at the build (threads 0: the building thread's OpenMP count), so its runs, on whatever thread, use the
 * count oneDNN's primitives were created with (oneDNN does not promise correct work when the two differ). */
typedef struct build_call {
    drt_engine *e;
    const void *blob;
    size_t size;
    int threads;
} build_call;

static drt_status build_with(void *p)
{
    build_call *c = p;
    return build(c->e, c->blob, c->size, c->threads);
}

static drt_status create(drt_engine *e, const void *blob, size_t size)
{
    build_call c = {e, blob, size, e->opts.threads > 0 ? e->opts.threads : drt_cpu_thread_count()};
    return drt_cpu_with_threads(c.threads, build_with, &c);
}

typedef struct run_call {
    const drt_engine *e;
    cpu_exec *x;
    const float *input;
    int batch;
    float *const *heads;
} run_call;

static drt_status run_with(void *p)
{
    const run_call *c = p;
    size_t per = (size_t)c->e->model->channels * c->e->model->width * c->e->model->height;
    for (int b = 0; b < c->batch; b++) DRT_TRY(drt_cpu_run_image(c->e->impl, c->x, c->e, c->heads, c->input + per * b, b));
    return DRT_OK;
}

static drt_status run_in(const drt_engine *e, cpu_exec *x, const float *input, int batch, float *const *heads)
{
    run_call c = {e, x, input, batch, heads};
    return drt_cpu_with_threads(((const cpu_state *)e->impl)->opts.threads, run_with, &c);
}

static drt_status run(drt_engine *e, const float *input, int batch)
{
    cpu_state *st = e->impl;
    return run_in(e, &st->own, input, batch, e->heads);
}

/* The calibration hook (engine/calib.h): the engine's own run state, one image, its views as floats. */
typedef struct observer {
    drt_tensor_observer fn;
    void *ctx;
} observer;

static void observe_view(cpu_state *st, int t, const cpu_view *v, void *ctx)
{
    (void)st;
    const observer *o = ctx;
    drt_tensor_view f = {(const float *)v->p, v->c, v->h, v->w, v->cs};
    o->fn(o->ctx, t, &f);
}

static drt_status run_observed(drt_engine *e, const float *input, drt_tensor_observer fn, void *ctx)
{
    cpu_state *st = e->impl;
    if (e->opts.precision != DRT_PREC_FP32)
        return drt_error(DRT_STATUS_UNSUPPORTED, "cpu engine: observed runs are fp32 (this engine is %s)", drt_precision_name(e->opts.precision));
    observer o = {fn, ctx};
    st->observe = observe_view;
    st->observe_ctx = &o;
    drt_status s = run_in(e, &st->own, input, 1, NULL);
    st->observe = NULL;
    st->observe_ctx = NULL;
    return s;
}

static drt_status ctx_create(const drt_engine *e, float *const *heads, void **out)
{
    (void)heads; /* ctx_run gets them */
    *out = NULL;
    cpu_exec *x = calloc(1, sizeof *x);
    if (!x) return drt_error(DRT_STATUS_OOM, "cpu context: out of memory");
    drt_status s = drt_cpu_exec_init(e->impl, 0, x);
    if (s != DRT_OK) {
        drt_cpu_exec_release(x);
        free(x);
        return s;
    }
    *out = x;
    return DRT_OK;
}

static drt_status ctx_run(const drt_engine *e, void *x, const float *input, int batch, float *const *heads)
{
    return run_in(e, x, input, batch, heads);
}

static void ctx_free(const drt_engine *e, void *x)
{
    (void)e;
    drt_cpu_exec_release(x);
    free(x);
}

static void reset_state(const drt_engine *e, void *x)
{
    cpu_state *st = e->impl;
    drt_cpu_exec_reset_states(st, x ? x : &st->own);
}

static void destroy(drt_engine *e) { drt_cpu_state_free(e->impl); }

static drt_status serialize(const drt_engine *e, void **blob_out, size_t *size_out)
{
    return drt_cpu_serialize(e->impl, blob_out, size_out);
}

static void memory(const drt_engine *e, drt_engine_memory *out)
{
    const cpu_state *st = e->impl;
    for (int i = 0; i < st->g->n; i++)
        if (st->conv[i]) out->host_weights += st->conv[i]->weight_bytes + sizeof(float) * (size_t)st->m->layers[i].filters;
    out->host_activations = drt_cpu_activation_bytes(st);
    out->naive_activations = st->g->naive_bytes;
}

const drt_backend drt_backend_cpu = {
    .name = "cpu",
    .device = DRT_DEVICE_CPU,
    .create = create,
    .run = run,
    .destroy = destroy,
    .serialize = serialize,
    .check_plan = drt_cpu_check_plan,
    .memory = memory,
    .ctx_create = ctx_create,
    .ctx_run = ctx_run,
    .ctx_free = ctx_free,
    .run_observed = run_observed,
    .reset_state = reset_state,
};
