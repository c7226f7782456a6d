/* Throughput of N contexts of one engine, each driven by its own thread through drt_context_run,
 * against the engine's own context from one thread (drt_engine_run), side by side in one process:
 *   contexts-bench PLAN [--batch B] [--contexts 1,2,4] [--seconds S]
 * For each count: creation time and device memory of each context (cudaMemGetInfo delta), the
 * first run's heads of every context checked bit for bit against the engine's, then S seconds of
 * runs after a warm-up. Prints RESULT lines (key=value). Built by scripts/device-bundle.sh. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cuda_runtime_api.h>

#include "darkrt.h"

#define MAX_CTX 16

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static double used_mib(void)
{
    size_t f = 0, t = 0;
    cudaDeviceSynchronize(); /* frees the driver completes late land before, not inside, a measurement */
    return cudaMemGetInfo(&f, &t) == cudaSuccess ? (double)(t - f) / 1048576.0 : -1;
}

typedef struct worker {
    drt_engine *e;       /* NULL: the context below */
    drt_context *c;
    const float *input;
    int batch, runs, failed;
    double stop_at;
    atomic_int *start;
    pthread_t t;
} worker;

static void *loop(void *arg)
{
    worker *w = arg;
    while (!atomic_load(w->start)) {}
    while (now_s() < w->stop_at) {
        drt_status s = w->c ? drt_context_run(w->c, w->input, w->batch) : drt_engine_run(w->e, w->input, w->batch);
        if (s != DRT_OK) {
            fprintf(stderr, "contexts-bench: run: %s\n", drt_last_error());
            w->failed = 1;
            break;
        }
        w->runs++;
    }
    return NULL;
}

/* Runs n workers for `seconds` after one warm-up run each; images per second, or -1. */
static double drive(worker *ws, int n, double seconds)
{
    atomic_int start = 0;
    for (int i = 0; i < n; i++) {
        drt_status s = ws[i].c ? drt_context_run(ws[i].c, ws[i].input, ws[i].batch)
                               : drt_engine_run(ws[i].e, ws[i].input, ws[i].batch);
        if (s != DRT_OK) return fprintf(stderr, "contexts-bench: warm-up: %s\n", drt_last_error()), -1;
    }
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        ws[i].start = &start;
        ws[i].stop_at = t0 + 0.05 + seconds;
        pthread_create(&ws[i].t, NULL, loop, &ws[i]);
    }
    while (now_s() < t0 + 0.05) {}
    double a = now_s();
    atomic_store(&start, 1);
    long images = 0;
    int failed = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(ws[i].t, NULL);
        images += (long)ws[i].runs * ws[i].batch;
        failed |= ws[i].failed;
    }
    double b = now_s();
    return failed ? -1 : images / (b - a);
}

/* 1 when every head of c equals the engine's (same input, same batch). */
static int same_heads(drt_engine *e, drt_context *c)
{
    for (int h = 0; h < drt_engine_num_heads(e); h++) {
        const float *p, *q;
        drt_tensor_desc d;
        drt_engine_head(e, h, &p, &d);
        drt_context_head(c, h, &q, NULL);
        if (memcmp(p, q, (size_t)d.n * d.c * d.h * d.w * sizeof(float))) return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) return fprintf(stderr, "usage: contexts-bench PLAN [--batch B] [--contexts 1,2,4] [--seconds S]\n"), 2;
    int batch = 8;
    double seconds = 3;
    const char *counts = "1,2,4";
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--batch")) batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--contexts")) counts = argv[i + 1];
        else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
        else return fprintf(stderr, "contexts-bench: unknown option %s\n", argv[i]), 2;
    }
    double m0 = used_mib(), t0 = now_s();
    drt_engine *e = NULL;
    if (drt_engine_load_plan(argv[1], NULL, &e) != DRT_OK)
        return fprintf(stderr, "contexts-bench: %s: %s\n", argv[1], drt_last_error()), 1;
    double load_s = now_s() - t0, engine_mib = used_mib() - m0;
    const drt_model *m = drt_engine_model(e);
    size_t item = (size_t)drt_model_channels(m) * drt_model_width(m) * drt_model_height(m);
    float *input = malloc((size_t)batch * item * sizeof(float));
    if (!input) return 1;
    srand(3);
    for (size_t i = 0; i < (size_t)batch * item; i++) input[i] = (float)rand() / RAND_MAX;
    drt_engine_memory mem;
    drt_engine_memory_usage(e, &mem);
    printf("RESULT engine plan=%s batch=%d load_s=%.3f device_mib=%.1f weights_mib=%.1f activations_mib=%.1f workspace_mib=%.1f\n",
           argv[1], batch, load_s, engine_mib, mem.device_weights / 1048576.0, mem.device_activations / 1048576.0,
           mem.device_workspace / 1048576.0);
    worker own = {.e = e, .input = input, .batch = batch};
    double own_ips = drive(&own, 1, seconds);
    printf("RESULT own_context threads=1 img_s=%.1f\n", own_ips);
    int rc = own_ips < 0;
    for (const char *p = counts; *p && !rc; p = strchr(p, ',') ? strchr(p, ',') + 1 : p + strlen(p)) {
        int n = atoi(p);
        if (n < 1 || n > MAX_CTX) continue;
        worker ws[MAX_CTX];
        memset(ws, 0, sizeof ws);
        double create_ms = 0, mem0 = used_mib();
        int same = 1;
        if (drt_engine_run(e, input, batch) != DRT_OK) rc = 1;
        for (int i = 0; i < n && !rc; i++) {
            double a = now_s();
            if (drt_context_create(e, &ws[i].c) != DRT_OK) {
                fprintf(stderr, "contexts-bench: context %d: %s\n", i, drt_last_error());
                rc = 1;
                break;
            }
            create_ms += (now_s() - a) * 1e3;
            ws[i].input = input;
            ws[i].batch = batch;
            if (drt_context_run(ws[i].c, input, batch) != DRT_OK) rc = 1;
            else same &= same_heads(e, ws[i].c);
        }
        double ctx_mib = (used_mib() - mem0) / n;
        double ips = rc ? -1 : drive(ws, n, seconds);
        printf("RESULT contexts=%d img_s=%.1f vs_own=%.2f create_ms_each=%.1f device_mib_each=%.1f heads_same=%d\n", n, ips,
               own_ips > 0 ? ips / own_ips : 0, create_ms / n, ctx_mib, same);
        for (int i = 0; i < n; i++) drt_context_free(ws[i].c);
        rc |= ips < 0 || !same;
    }
    free(input);
    drt_engine_free(e);
    return rc;
}
