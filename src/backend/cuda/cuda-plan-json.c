/* A plan's fused execution plans rebuilt from their stored JSON on several threads at load (cuDNN's
 * finalize from JSON: ~13 ms a plan, 26 for yolov3-416, one after another otherwise). cuDNN allows
 * threads that do not share a handle: each thread finalizes on a handle of its own, kept as long as
 * the engine (the plans were made on them); the engine's own run executes them. The threads start as
 * soon as the plan's section is applied (build) and run while the build allocates buffers and uploads
 * weights; choose_algos takes their plans. 8 threads by default (at most the CPUs online): on the H200
 * (bench/results/device-2026-12-04-s10/callC-ttfd.txt) the rebuild took about 400 ms on 8 threads, hardly
 * faster than the 318 ms one after another (cuDNN and the driver serialize much of it), but beside the
 * buffers and weights it cut yolov3-416's first detection from 1.01 s to 0.84 s (medians of 5).
 * DRT_CUDA_PLAN_THREADS=N (a debug switch) sets how many; 1: none of this, the sequential path in choose_algos. */
#include "backend/cuda/cuda-internal.h"
#include "core/env-switch.h"
#include "core/timeline.h"

#include <pthread.h>
#include <unistd.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 16
#define DEFAULT_THREADS 8

typedef struct json_worker { struct cu_json_job *job; int t; } json_worker;

struct cu_json_job {
    const cu_engine *g;
    int *todo; /* convs with a stored plan */
    int n_todo;
    cudnnBackendDescriptor_t *made; /* per conv (NULL once taken) */
    int64_t *need;                  /* per conv: its workspace */
    cudnnHandle_t dnn[MAX_THREADS];
    pthread_t th[MAX_THREADS];
    json_worker w[MAX_THREADS];
    int started, joined;
    atomic_int next;
};

static void *worker(void *arg)
{
    json_worker *w = arg;
    struct cu_json_job *j = w->job;
    const cu_engine *g = j->g;
    /* a new thread starts on device 0: the engine's first */
    if (cudaSetDevice(g->dev) != cudaSuccess || cudnnCreate(&j->dnn[w->t]) != CUDNN_STATUS_SUCCESS) {
        cudaGetLastError();
        j->dnn[w->t] = NULL;
        return NULL; /* its convs stay for the others, then for the sequential path */
    }
    for (int k; (k = atomic_fetch_add(&j->next, 1)) < j->n_todo;) {
        int i = j->todo[k];
        const cu_conv *cv = &g->convs[i]; /* json and json_len: read-only while the build sets other fields */
        j->made[i] = drt_cuda_plan_from_json(j->dnn[w->t], cv->json, cv->json_len, SIZE_MAX, &j->need[i]);
    }
    return NULL;
}

static int plan_threads(const cu_engine *g)
{
    const char *env = getenv("DRT_CUDA_PLAN_THREADS");
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int n = env && *env ? atoi(env) : cpus < DEFAULT_THREADS ? (int)cpus : DEFAULT_THREADS;
    if (!g->half || drt_env_switch("DRT_CUDA_LEGACY", NULL) == 1) return 1; /* no fused plans are taken */
    return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : n;
}

void drt_cuda_plans_json_start(cu_engine *g)
{
    int threads = plan_threads(g), stored = 0, n = g->n_convs ? g->n_convs : 1;
    for (int i = 0; i < g->n_convs; i++) stored += g->convs[i].algo_max >= CU_ALGO_FUSED && g->convs[i].json;
    if (threads < 2 || stored < 2 || g->json_job) return; /* a build, or once per engine */
    struct cu_json_job *j = calloc(1, sizeof *j);
    if (j) {
        j->g = g;
        j->todo = malloc(sizeof(int) * (size_t)n);
        j->made = calloc((size_t)n, sizeof *j->made);
        j->need = calloc((size_t)n, sizeof *j->need);
    }
    if (!j || !j->todo || !j->made || !j->need) { /* the sequential path does it all */
        if (j) free(j->todo), free(j->made), free(j->need);
        free(j);
        return;
    }
    for (int i = 0; i < g->n_convs; i++)
        if (g->convs[i].algo_max >= CU_ALGO_FUSED && g->convs[i].json) j->todo[j->n_todo++] = i;
    if (threads > j->n_todo) threads = j->n_todo;
    for (int t = 0; t < threads; t++) {
        j->w[t] = (json_worker){j, t};
        if (pthread_create(&j->th[t], NULL, worker, &j->w[t]) != 0) break;
        j->started++;
    }
    g->json_job = j;
    drt_timeline("cuda: %d stored plans rebuilding on %d threads", j->n_todo, j->started);
}

static void join(struct cu_json_job *j)
{
    for (int t = 0; !j->joined && t < j->started; t++) pthread_join(j->th[t], NULL);
    j->joined = 1;
}

void drt_cuda_plans_json_take(cu_engine *g, size_t ws_bytes, cudnnBackendDescriptor_t **made_out, int64_t **need_out)
{
    *made_out = NULL;
    *need_out = NULL;
    struct cu_json_job *j = g->json_job;
    if (!j || !j->made) return;
    join(j);
    for (int i = 0; i < g->n_convs; i++) /* what does not fit the workspace goes the sequential way */
        if (j->made[i] && (j->need[i] < 0 || (size_t)j->need[i] > ws_bytes)) {
            cudnnBackendDestroyDescriptor(j->made[i]);
            j->made[i] = NULL;
        }
    *made_out = j->made;
    *need_out = j->need;
    j->made = NULL;
    j->need = NULL;
    drt_timeline("cuda: stored plans rebuilt on %d threads, taken", j->started);
}

void drt_cuda_plans_json_free(cu_engine *g)
{
    struct cu_json_job *j = g->json_job;
    if (!j) return;
    join(j); /* a build that failed before taking them */
    for (int i = 0; j->made && i < g->n_convs; i++)
        if (j->made[i]) cudnnBackendDestroyDescriptor(j->made[i]);
    for (int t = 0; t < MAX_THREADS; t++)
        if (j->dnn[t]) cudnnDestroy(j->dnn[t]);
    free(j->todo), free(j->made), free(j->need);
    free(j);
    g->json_job = NULL;
}
