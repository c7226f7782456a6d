/* The CUDA backend: builds the engine (compile, weights, memory, algorithms, graph) and runs it. */
#include "backend/cuda/cuda-internal.h"
#include "core/env-switch.h"
#include "core/log.h"
#include "core/timeline.h"
#include "engine/calib.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

drt_status drt_cuda_fail_rt(cudaError_t e, const char *stmt, const char *file, int line)
{
    return drt_error(DRT_STATUS_CUDA, "cuda: %s failed: %s (%s) at %s:%d", stmt, cudaGetErrorString(e),
                     cudaGetErrorName(e), file, line);
}

drt_status drt_cuda_fail_dnn(cudnnStatus_t e, const char *stmt, const char *file, int line)
{
    return drt_error(DRT_STATUS_CUDA, "cuda: %s failed: %s at %s:%d", stmt, cudnnGetErrorString(e), file, line);
}

drt_status drt_cuda_identify(cu_engine *g, int device_index)
{
    int count = 0;
    cudaError_t ce = cudaGetDeviceCount(&count);
    if (ce != cudaSuccess || count == 0)
        return drt_error(DRT_STATUS_NO_DEVICE, "cuda: no CUDA device found (%s)",
                         ce != cudaSuccess ? cudaGetErrorString(ce) : "the driver reports 0 devices");
    if (device_index < 0 || device_index >= count)
        return drt_error(DRT_STATUS_NO_DEVICE, "cuda:%d: no such device (this machine has %d CUDA device%s: 0..%d)",
                         device_index, count, count == 1 ? "" : "s", count - 1);
    struct cudaDeviceProp prop;
    DRT_CUDA_TRY(cudaGetDeviceProperties(&prop, device_index));
    g->dev = device_index;
    snprintf(g->gpu_name, sizeof g->gpu_name, "%s", prop.name);
    g->cc_major = prop.major;
    g->cc_minor = prop.minor;
    g->sm_count = prop.multiProcessorCount;
    g->cudnn_version = cudnnGetVersion();
    DRT_CUDA_TRY(cudaRuntimeGetVersion(&g->cudart_version));
    return DRT_OK;
}

static void destroy_impl(drt_engine *e, cu_engine *g)
{
    if (!g) return;
    if (g->own.stream) cudaStreamSynchronize(g->own.stream);
    drt_cuda_stages_free(g);
    drt_cuda_run_free(e, g, &g->own);
    for (int i = 0; i < g->n_ctx; i++) drt_cuda_ctx_free(&g->ctx[i], g->n_convs);
    drt_cuda_plans_json_free(g); /* after the plans made on its handles */
    drt_timeline("cuda: free: run state and plans");
    for (int i = 0; g->convs && i < g->n_convs; i++)
        if (g->convs[i].wdesc) cudnnDestroyFilterDescriptor(g->convs[i].wdesc);
    cudaFree(g->weights);
    cudaFree(g->bn_dev);
    free(g->ops);
    free(g->bufs);
    free(g->convs);
    free(g->in_thr);
    free(g->in_range);
    free(g->plan_int8);
    drt_xgraph_free(g->xg);
    if (g->runs_lock) pthread_mutex_destroy(g->runs_lock);
    free(g->runs_lock);
    free(g);
    drt_timeline("cuda: free: engine freed");
}

/* The engine's own run state's buffers (its stream and handle exist: the compiler probed on them). */
static drt_status alloc_io(drt_engine *e, cu_engine *g)
{
    size_t limit = e->opts.max_activation_bytes;
    if (limit && g->arena_bytes > limit)
        return drt_error(DRT_STATUS_OOM, "cuda engine: the model needs %.1f MiB of activations at batch %d, above the limit of %.1f MiB",
                         g->arena_bytes / 1048576.0, g->max_batch, limit / 1048576.0);
    for (int h = 0; h < e->n_heads; h++) {
        drt_tensor_desc d = e->head_desc[h];
        g->head_item[h] = (size_t)d.c * d.h * d.w;
    }
    return drt_cuda_run_alloc(e, g, &g->own, e->heads);
}

static void print_ops(const cu_engine *g)
{
    fprintf(drt_log_file(), "cuda: %s, %d ops, %d buffers, activations %.1f MiB planned (%.1f MiB one buffer each), "
            "weights %.1f MiB, input channels %d\n", g->int8 ? "int8 (fp16 storage)" : g->half ? "fp16" : "fp32", g->n_ops, g->n_bufs,
            g->arena_bytes / 1048576.0, g->naive_bytes / 1048576.0, g->weight_bytes / 1048576.0, g->in_cs);
    for (int i = 0; i < g->n_ops; i++) {
        const cu_op *o = &g->ops[i];
        fprintf(drt_log_file(), "  %-28s out buf %d [%d+%d of %d] %dx%d%s%s\n", o->label, o->out.buf, o->out.coff, o->out.c,
                o->out.cs, o->out.w, o->out.h, o->scratch >= 0 ? " (via scratch)" : "",
                o->res.buf >= 0 ? " (+residual)" : "");
    }
}

/* Verbose builds say where the time went (plan loads must take about a second); so does the
 * process timeline (DRT_TIMELINE=1). */
static void mark(const cu_engine *g, const char *what, double *t)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double now = ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
    if (g->verbose && *t > 0) fprintf(drt_log_file(), "cuda: build: %-28s %8.1f ms\n", what, now - *t);
    if (*t > 0) drt_timeline("cuda: build: %s", what);
    *t = now;
}

/* The driver's start and the device's primary context (hundreds of ms) made by a thread while the
 * host reads the plan (drt_backend.warm_up); build joins it before its own CUDA calls, which then find
 * both made. One at a time; the thread's CUDA errors stay its own (build reports what it finds). */
static pthread_mutex_t warm_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t warm_thread;
static int warm_running;

static void *warm_main(void *arg)
{
    int dev = (int)(intptr_t)arg;
    if (cudaSetDevice(dev) == cudaSuccess) cudaFree(NULL);
    cudaGetLastError();
    drt_timeline("cuda: warm-up: driver and device %d's context made", dev);
    return NULL;
}

static void warm_up(int device_index)
{
    pthread_mutex_lock(&warm_lock);
    if (!warm_running && device_index >= 0 &&
        pthread_create(&warm_thread, NULL, warm_main, (void *)(intptr_t)device_index) == 0)
        warm_running = 1;
    pthread_mutex_unlock(&warm_lock);
}

static void warm_wait(void)
{
    pthread_mutex_lock(&warm_lock);
    if (warm_running) pthread_join(warm_thread, NULL);
    warm_running = 0;
    pthread_mutex_unlock(&warm_lock);
}

static drt_status build(drt_engine *e, cu_engine *g, const void *blob, size_t blob_size)
{
    double t = 0;
    drt_precision p = e->opts.precision;
    DRT_TRY(drt_xcaps_check(&drt_cuda_caps, e->model, p));
    if (blob) DRT_TRY(drt_cuda_check_plan(blob, blob_size, "plan"));
    g->verbose = e->opts.verbose || drt_env_switch("DRT_CUDA_VERBOSE", NULL) == 1;
    warm_wait();
    mark(g, "", &t);
    DRT_TRY(drt_cuda_identify(g, e->opts.device_index));
    mark(g, "driver, device found", &t);
    DRT_CUDA_TRY(cudaSetDevice(g->dev));
    DRT_CUDA_TRY(cudaFree(NULL)); /* the context, timed on its own */
    g->half = p == DRT_PREC_FP16 || p == DRT_PREC_INT8;
    g->int8 = p == DRT_PREC_INT8;
    g->asym = g->int8 && drt_int8_activations_of(&e->opts) == DRT_INT8_ACT_ASYM;
    g->esize = g->half ? 2 : 4;
    g->max_batch = e->opts.max_batch;
    g->use_graph = drt_env_switch("DRT_CUDA_GRAPH", NULL) != 0;
    g->async_runs = drt_env_switch("DRT_CUDA_ASYNC", NULL) != 0; /* 0: every run waits for the device (comparisons) */
    mark(g, "CUDA context", &t);
    DRT_TRY(drt_cuda_run_open(g, &g->own));
    mark(g, "cuDNN handle", &t);
    if (blob && g->int8) DRT_TRY(drt_cuda_plan_int8_layers(blob, blob_size, e->model->n_layers, &g->plan_int8));
    DRT_TRY(drt_cuda_compile(e, g));
    if (g->verbose) print_ops(g);
    mark(g, "compile", &t);
    if (blob) DRT_TRY(drt_cuda_plan_apply(g, blob, blob_size)); /* algorithms and int8 steps */
    if (blob) drt_cuda_plans_json_start(g); /* rebuilt while the buffers and weights are made */
    DRT_TRY(alloc_io(e, g));
    int need_calib = 0;
    for (int i = 0; i < g->n_convs; i++) need_calib |= g->convs[i].int8 && !(g->convs[i].step > 0);
    if (need_calib) { /* int8 ranges measured by the calibrating backend's fp32 engine (engine/calib.h) on the calibration
                       * images: the caller's calibration (a --min-map search's), else one of its own */
        drt_calib *own = NULL;
        const drt_calib *c = e->calib;
        drt_status s = DRT_OK;
        if (!c) s = drt_calib_measure(e->model, &e->opts, g->verbose ? drt_log_file() : NULL, &own), c = own;
        if (s == DRT_OK) s = drt_calib_layer_thresholds(e->model, c, &g->in_thr);
        if (s == DRT_OK && g->asym) s = drt_calib_layer_ranges(e->model, c, g->in_thr, &g->in_range);
        drt_calib_free(own);
        DRT_TRY(s);
    }
    mark(g, "buffers", &t);
    DRT_TRY(drt_cuda_conv_setup(e, g));
    DRT_TRY(drt_cuda_bn_setup(e->model, g));
    mark(g, "weights", &t);
    int k;
    DRT_TRY(drt_cuda_ctx_get(e, g, g->max_batch, &k));
    const cu_ctx *c = &g->ctx[k];
    mark(g, blob ? "convs from the plan, graph" : "convs chosen, graph", &t); /* the two: drt_cuda_ctx_get's timeline */
    for (int i = 0; i < g->n_convs; i++) { /* what the plan stores */
        g->convs[i].algo_max = c->algo[i];
        g->convs[i].math_max = c->math[i];
        g->convs[i].json = NULL; /* pointed into the plan being loaded */
        g->convs[i].json_len = 0;
    }
    return DRT_OK;
}

static drt_status create(drt_engine *e, const void *blob, size_t blob_size)
{
    cu_engine *g = calloc(1, sizeof *g);
    if (g && (g->runs_lock = malloc(sizeof *g->runs_lock)) && pthread_mutex_init(g->runs_lock, NULL) != 0) {
        free(g->runs_lock);
        g->runs_lock = NULL;
    }
    if (!g || !g->runs_lock) {
        if (g) free(g);
        return drt_error(DRT_STATUS_OOM, "cuda: out of memory");
    }
    drt_status s = build(e, g, blob, blob_size);
    if (s != DRT_OK) {
        destroy_impl(e, g);
        return s;
    }
    e->impl = g;
    return DRT_OK;
}

/* One run through run state r and g->ctx[k]: input in, heads out, waited for. */
static drt_status run_on(const drt_engine *e, const cu_engine *g, cu_run *r, int k, const float *input, int batch)
{
    const drt_model *m = e->model;
    DRT_CUDA_TRY(cudaSetDevice(g->dev));
    if (k < 0) return drt_error(DRT_STATUS_INVALID_ARG, "cuda: batch %d: must be 1..%d", batch, g->max_batch);
    memcpy(r->h_in, input, (size_t)batch * m->channels * m->height * m->width * sizeof(float));
    DRT_TRY(drt_cuda_forward(e, g, r, k, batch, CU_COPY_ALL));
    DRT_CUDA_TRY(cudaStreamSynchronize(r->stream));
    return DRT_OK;
}

static drt_status run(drt_engine *e, const float *input, int batch)
{
    cu_engine *g = e->impl;
    return run_on(e, g, &g->own, drt_cuda_ctx_for(g, batch), input, batch);
}

/* drt_context: a run state of its own over the engine's compiled state; always the max_batch
 * choices (ctx[0], fixed once the engine is built: the bench hooks add others, on the engine's
 * run state only). */
static drt_status ctx_create(const drt_engine *e, float *const *heads, void **state_out)
{
    const cu_engine *g = e->impl;
    DRT_CUDA_TRY(cudaSetDevice(g->dev));
    cu_run *r;
    pthread_mutex_lock(g->runs_lock);
    drt_status s = drt_cuda_run_create(e, g, heads, &r);
    pthread_mutex_unlock(g->runs_lock);
    if (s == DRT_OK) *state_out = r;
    /* a failed allocation (cudaMalloc's out of memory) is also the thread's last CUDA error, which the next
     * kernel launch on this thread would report as its own (every wrapper returns cudaGetLastError): the caller
     * goes on without a context (the pipeline on the engine's own run state), so it is cleared; sticky errors stay */
    else cudaGetLastError();
    return s;
}

static drt_status ctx_run(const drt_engine *e, void *state, const float *input, int batch, float *const *heads)
{
    (void)heads; /* the same as at ctx_create: the run state registered and captured them */
    const cu_engine *g = e->impl;
    return run_on(e, g, state, drt_cuda_ctx_for_run(g, state, batch), input, batch);
}

static void ctx_free(const drt_engine *e, void *state)
{
    const cu_engine *g = e->impl;
    cudaSetDevice(g->dev);
    pthread_mutex_lock(g->runs_lock);
    drt_cuda_run_free(e, g, state);
    pthread_mutex_unlock(g->runs_lock);
    free(state);
}

static void destroy(drt_engine *e)
{
    destroy_impl(e, e->impl);
    e->impl = NULL;
}

static void memory(const drt_engine *e, drt_engine_memory *out)
{
    const cu_engine *g = e->impl;
    const drt_model *m = e->model;
    size_t in_bytes = (size_t)g->max_batch * m->channels * m->height * m->width * sizeof(float), heads = 0;
    for (int h = 0; h < e->n_heads; h++) heads += g->head_item[h] * g->max_batch * sizeof(float);
    out->device_weights = g->weight_bytes;
    out->device_activations = g->arena_bytes + in_bytes + heads + drt_cuda_stages_bytes(g);
    out->device_workspace = g->ws_bytes; /* each context adds its own workspace and activations (arena, input, heads) */
    out->naive_activations = g->naive_bytes;
    out->host_activations = in_bytes;
}

const drt_backend drt_backend_cuda = {
    .name = "cuda",
    .device = DRT_DEVICE_CUDA,
    .create = create,
    .run = run,
    .destroy = destroy,
    .serialize = drt_cuda_serialize,
    .check_plan = drt_cuda_check_plan,
    .memory = memory,
    .stages = &drt_cuda_stages,
    .ctx_create = ctx_create,
    .ctx_run = ctx_run,
    .ctx_free = ctx_free,
    .warm_up = warm_up,
};
