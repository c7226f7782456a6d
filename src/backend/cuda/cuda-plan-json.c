/* A plan's fused execution plans rebuilt from their stored JSON on several threads at load (cuDNN's
 * finalize from JSON: ~13 ms a plan, 26 for yolov3-416, one after another otherwise). cuDNN allows
 * threads that do not share a handle: each thread finalizes on a handle of its own, kept as long as
 * the engine (g->json_dnn: the plans were made on them). The engine's own run executes them.
 * DRT_CUDA_PLAN_THREADS=N (a debug switch, default 1: none of this; the sequential path in
 * choose_algos) sets how many threads. */
#include "backend/cuda/cuda-internal.h"
#include "core/timeline.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 16

typedef struct json_job {
    const cu_engine *g;
    const int *todo; /* convs with a stored plan */
    int n_todo;
    size_t ws_bytes;
    cudnnBackendDescriptor_t *made; /* per conv */
    int64_t *need;                  /* per conv: its workspace */
    cudnnHandle_t dnn[MAX_THREADS];
    atomic_int next;
} json_job;

typedef struct json_worker { json_job *job; int t; } json_worker;

static void *worker(void *arg)
{
    json_worker *w = arg;
    json_job *j = w->job;
    const cu_engine *g = j->g;
    /* a new thread starts on device 0: the engine's first */
    if (cudaSetDevice(g->dev) != cudaSuccess || cudnnCreate(&j->dnn[w->t]) != CUDNN_STATUS_SUCCESS) {
        cudaGetLastError();
        j->dnn[w->t] = NULL;
        return NULL; /* its convs stay for the others, then for the sequential path */
    }
    for (int k; (k = atomic_fetch_add(&j->next, 1)) < j->n_todo;) {
        int i = j->todo[k];
        const cu_conv *cv = &g->convs[i];
        j->made[i] = drt_cuda_plan_from_json(j->dnn[w->t], cv->json, cv->json_len, j->ws_bytes, &j->need[i]);
    }
    return NULL;
}

int drt_cuda_plan_threads(void)
{
    const char *env = getenv("DRT_CUDA_PLAN_THREADS");
    int n = env ? atoi(env) : 1;
    return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : n;
}

drt_status drt_cuda_plans_from_json(cu_engine *g, size_t ws_bytes, cudnnBackendDescriptor_t **made_out, int64_t **need_out)
{
    *made_out = NULL;
    *need_out = NULL;
    int threads = drt_cuda_plan_threads(), n = g->n_convs ? g->n_convs : 1;
    int stored = 0;
    for (int i = 0; i < g->n_convs; i++) stored += g->convs[i].algo_max >= CU_ALGO_FUSED && g->convs[i].json;
    if (threads < 2 || stored < 2 || g->json_dnn) return DRT_OK; /* a build, or once per engine */
    json_job j = {.g = g, .ws_bytes = ws_bytes};
    int *todo = malloc(sizeof(int) * (size_t)n);
    j.made = calloc((size_t)n, sizeof *j.made);
    j.need = calloc((size_t)n, sizeof *j.need);
    g->json_dnn = calloc(MAX_THREADS, sizeof *g->json_dnn);
    if (!todo || !j.made || !j.need || !g->json_dnn) {
        free(todo), free(j.made), free(j.need), free(g->json_dnn);
        g->json_dnn = NULL;
        return drt_error(DRT_STATUS_OOM, "cuda: out of memory");
    }
    for (int i = 0; i < g->n_convs; i++)
        if (g->convs[i].algo_max >= CU_ALGO_FUSED && g->convs[i].json) todo[j.n_todo++] = i;
    j.todo = todo;
    if (threads > j.n_todo) threads = j.n_todo;
    pthread_t th[MAX_THREADS];
    json_worker w[MAX_THREADS];
    int started = 0;
    for (int t = 0; t < threads; t++) {
        w[t] = (json_worker){&j, t};
        if (pthread_create(&th[t], NULL, worker, &w[t]) != 0) break;
        started++;
    }
    for (int t = 0; t < started; t++) pthread_join(th[t], NULL);
    memcpy(g->json_dnn, j.dnn, sizeof j.dnn);
    g->n_json_dnn = MAX_THREADS;
    free(todo);
    drt_timeline("cuda: %d plans from JSON on %d threads", j.n_todo, started);
    *made_out = j.made;
    *need_out = j.need;
    return DRT_OK;
}

void drt_cuda_json_dnn_free(cu_engine *g)
{
    for (int t = 0; g->json_dnn && t < g->n_json_dnn; t++)
        if (g->json_dnn[t]) cudnnDestroy(g->json_dnn[t]);
    free(g->json_dnn);
    g->json_dnn = NULL;
    g->n_json_dnn = 0;
}
