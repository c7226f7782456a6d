/* Contexts of one CUDA engine in parallel (skips without a CUDA device). yolo-fastest-1.1 (real
 * weights) at max batch 4: an fp16 engine built, the same loaded from its plan file, and fp32.
 * THREADS threads each create a context of the one engine (at the same time) and run RUNS inputs
 * of batches 1..4 while the main thread runs the engine's own context; every head must equal, bit
 * for bit, the engine's own serial run of the same input and batch. Reports what a context costs
 * next to the engine: creation time, and device memory (cudaMemGetInfo, through libcudart when it
 * can be loaded; the mean of 4). DRT_CUDA_GRAPH=0 runs the same with eager launches (cuDNN plans executed from
 * every thread at once). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "darkrt.h"
#include "engine-heads.h"
#include "test-models.h"

#define MAX_BATCH 4
#define THREADS 4
#define RUNS 3
#define N_INPUTS (THREADS * RUNS)

static int failures;
static int (*mem_info)(size_t *free_b, size_t *total_b); /* cudaMemGetInfo, if libcudart loads */
static int (*dev_sync)(void);                              /* cudaDeviceSynchronize */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double used_mib(void)
{
    size_t f = 0, t = 0;
    if (dev_sync) dev_sync(); /* frees the driver completes late land before, not inside, a measurement */
    if (!mem_info || mem_info(&f, &t) != 0) return -1;
    return (double)(t - f) / 1048576.0;
}

static void load_mem_info(void)
{
    const char *names[] = {"libcudart.so.13", "libcudart.so.12", "libcudart.so"};
    for (int i = 0; i < 3 && !mem_info; i++) {
        void *h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (h) *(void **)&mem_info = dlsym(h, "cudaMemGetInfo");
        if (h) *(void **)&dev_sync = dlsym(h, "cudaDeviceSynchronize");
    }
}

typedef struct suite {
    drt_engine *e;
    const float *inputs;       /* N_INPUTS inputs of MAX_BATCH items */
    size_t item_in, item_out;  /* floats per item: input, all heads */
    float *want[N_INPUTS];     /* serial results: batch_of(k) items, heads concatenated per item */
} suite;

static int batch_of(int k) { return 1 + k % MAX_BATCH; }

/* Runs input k through c (the engine's own context when NULL); 1 when its heads differ from want. */
static int run_and_compare(suite *s, drt_context *c, int k, float *scratch, int *errors)
{
    int n = batch_of(k);
    const float *in = s->inputs + (size_t)k * MAX_BATCH * s->item_in;
    drt_status st = c ? drt_context_run(c, in, n) : drt_engine_run(s->e, in, n);
    if (st != DRT_OK) {
        printf("FAIL run of input %d (batch %d): %s\n", k, n, drt_last_error());
        (*errors)++;
        return 0;
    }
    take_heads(s->e, c, n, scratch);
    return memcmp(scratch, s->want[k], (size_t)n * s->item_out * sizeof(float)) != 0;
}

typedef struct job {
    suite *s;
    int thread, mismatches, errors;
} job;

static void *worker(void *arg)
{
    job *j = arg;
    drt_context *c = NULL;
    if (drt_context_create(j->s->e, &c) != DRT_OK) {
        printf("FAIL thread %d: context: %s\n", j->thread, drt_last_error());
        j->errors++;
        return NULL;
    }
    float *scratch = malloc(MAX_BATCH * j->s->item_out * sizeof(float));
    for (int r = 0; scratch && r < RUNS; r++) /* threads take the inputs at different times */
        j->mismatches += run_and_compare(j->s, c, (j->thread * RUNS + r * 5) % N_INPUTS, scratch, &j->errors);
    free(scratch);
    drt_context_free(c);
    return NULL;
}

/* One engine: serial results, a context's cost, then THREADS contexts and the engine at once. */
static void check_engine(drt_engine *e, const char *label, double make_s, double engine_mib, const float *inputs,
                         size_t item_in)
{
    suite s = {.e = e, .inputs = inputs, .item_in = item_in, .item_out = heads_floats(e)};
    for (int k = 0; k < N_INPUTS; k++) {
        s.want[k] = malloc((size_t)batch_of(k) * s.item_out * sizeof(float));
        if (drt_engine_run(e, inputs + (size_t)k * MAX_BATCH * item_in, batch_of(k)) != DRT_OK) {
            printf("FAIL %s: serial run: %s\n", label, drt_last_error());
            failures++;
            return;
        }
        take_heads(e, NULL, batch_of(k), s.want[k]);
    }
    drt_context *few[THREADS] = {NULL}; /* the cost of a context: THREADS made one after another, averaged */
    double m0 = used_mib(), t0 = now_s();
    for (int i = 0; i < THREADS; i++)
        if (drt_context_create(e, &few[i]) != DRT_OK) {
            printf("FAIL %s: context: %s\n", label, drt_last_error());
            failures++;
            for (int k = 0; k < i; k++) drt_context_free(few[k]);
            return;
        }
    double create_ms = (now_s() - t0) * 1e3 / THREADS, ctx_mib = (used_mib() - m0) / THREADS;
    for (int i = 0; i < THREADS; i++) drt_context_free(few[i]);
    drt_engine_memory mem;
    drt_engine_memory_usage(e, &mem);
    pthread_t t[THREADS];
    job jobs[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (job){&s, i, 0, 0};
        pthread_create(&t[i], NULL, worker, &jobs[i]);
    }
    int mismatches = 0, errors = 0;
    float *scratch = malloc(MAX_BATCH * s.item_out * sizeof(float));
    for (int k = 0; scratch && k < N_INPUTS; k++) mismatches += run_and_compare(&s, NULL, k, scratch, &errors);
    free(scratch);
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        mismatches += jobs[i].mismatches;
        errors += jobs[i].errors;
    }
    int bad = mismatches || errors;
    failures += bad;
    printf("%s %s: %d threads x %d runs (batches 1..%d), one context each, with the engine's own context running: "
           "%d head mismatches against serial runs, %d errors\n", bad ? "FAIL" : "PASS", label, THREADS, RUNS, MAX_BATCH,
           mismatches, errors);
    printf("COST %s: engine %.3f s, %.1f MiB device (measured; weights %.1f MiB); context create %.1f ms, %.1f MiB device "
           "(measured; activations+workspace %.1f MiB accounted)\n", label, make_s, engine_mib, mem.device_weights / 1048576.0,
           create_ms, ctx_mib, (mem.device_activations + mem.device_workspace) / 1048576.0);
    for (int k = 0; k < N_INPUTS; k++) free(s.want[k]);
}

static void check_case(const drt_model *m, drt_precision p, const char *plan, const float *inputs, size_t item_in)
{
    drt_engine_opts o = drt_engine_opts_default();
    o.device = DRT_DEVICE_CUDA;
    o.precision = p;
    o.max_batch = MAX_BATCH;
    drt_engine *e = NULL, *loaded = NULL;
    double m0 = used_mib(), t0 = now_s();
    if (drt_engine_create(m, &o, &e) != DRT_OK) {
        printf("FAIL %s: build: %s\n", drt_precision_name(p), drt_last_error());
        failures++;
        return;
    }
    double built_s = now_s() - t0, built_mib = used_mib() - m0;
    char label[64];
    snprintf(label, sizeof label, "%s built", drt_precision_name(p));
    check_engine(e, label, built_s, m0 < 0 ? -1 : built_mib, inputs, item_in);
    if (plan) {
        if (drt_engine_save_plan(e, plan) != DRT_OK) {
            printf("FAIL %s: save: %s\n", drt_precision_name(p), drt_last_error());
            failures++;
        }
        drt_engine_free(e);
        e = NULL;
        m0 = used_mib();
        t0 = now_s();
        if (drt_engine_load_plan(plan, NULL, &loaded) != DRT_OK) {
            printf("FAIL %s: load: %s\n", drt_precision_name(p), drt_last_error());
            failures++;
            return;
        }
        snprintf(label, sizeof label, "%s plan", drt_precision_name(p));
        double load_s = now_s() - t0;
        check_engine(loaded, label, load_s, m0 < 0 ? -1 : used_mib() - m0, inputs, item_in);
        drt_engine_free(loaded);
    }
    drt_engine_free(e);
}

int main(void)
{
    char cfg[1200], w[1200];
    if (!yolo_fastest_paths(cfg, w, sizeof cfg)) { printf("skipped: yolo-fastest-1.1 missing\n"); return 77; }
    drt_model *m = load_yolo_fastest();
    if (!m) { printf("FAIL: %s\n", drt_last_error()); return 1; }
    int probe = cuda_probe(m); /* also makes the CUDA context, so the costs below leave it out */
    if (probe) return probe;
    load_mem_info();
    if (!mem_info) printf("note: libcudart not loaded here: device memory not measured (-1)\n");
    size_t item_in = (size_t)drt_model_channels(m) * drt_model_width(m) * drt_model_height(m);
    float *inputs = malloc((size_t)N_INPUTS * MAX_BATCH * item_in * sizeof(float));
    if (!inputs) { printf("FAIL: out of memory\n"); return 1; }
    srand(11);
    for (size_t i = 0; i < (size_t)N_INPUTS * MAX_BATCH * item_in; i++) inputs[i] = (float)rand() / RAND_MAX;
    char plan[] = "/tmp/drt-cuda-contexts-XXXXXX";
    int fd = mkstemp(plan);
    if (fd < 0) { printf("FAIL: mkstemp\n"); return 1; }
    close(fd);
    check_case(m, DRT_PREC_FP16, plan, inputs, item_in);
    check_case(m, DRT_PREC_FP32, NULL, inputs, item_in);
    unlink(plan);
    free(inputs);
    drt_model_free(m);
    printf(failures ? "%d check(s) failed\n" : "all checks passed\n", failures);
    return failures ? 1 : 0;
}
