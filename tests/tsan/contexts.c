/* Contexts of one engine in parallel (built with -fsanitize=thread by tests/cli/tsan-contexts.sh):
 * THREADS threads, each with its own context of a shared engine, run RUNS inputs each; every head
 * must equal, bit for bit, the engine's own serial run of the same input; ThreadSanitizer reports
 * any data race. Usage: contexts CFG WEIGHTS (yolo-fastest-1.1 at 160x160); ref and cpu engines. */
#include "darkrt.h"
#include "../engine-heads.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 4
#define RUNS 3

typedef struct job {
    const drt_engine *e;
    const float *inputs;  /* THREADS * RUNS inputs */
    float **want;         /* per input: all heads, concatenated (serial results) */
    size_t per_input, head_floats;
    int thread, mismatches, errors;
} job;

static void *worker(void *arg)
{
    job *j = arg;
    drt_context *c = NULL;
    if (drt_context_create(j->e, &c) != DRT_OK) {
        printf("FAIL thread %d: context: %s\n", j->thread, drt_last_error());
        j->errors++;
        return NULL;
    }
    for (int r = 0; r < RUNS; r++) {
        int k = (j->thread + r) % (THREADS * RUNS); /* threads share inputs at different times */
        if (drt_context_run(c, j->inputs + j->per_input * k, 1) != DRT_OK) {
            printf("FAIL thread %d: run: %s\n", j->thread, drt_last_error());
            j->errors++;
            break;
        }
        size_t off = 0;
        for (int h = 0; h < drt_engine_num_heads(j->e); h++) {
            const float *p;
            drt_tensor_desc d;
            drt_context_head(c, h, &p, &d);
            size_t n = (size_t)d.c * d.h * d.w;
            if (memcmp(p, j->want[k] + off, n * sizeof *p)) j->mismatches++;
            off += n;
        }
    }
    drt_context_free(c);
    return NULL;
}

static int check_device(const drt_model *m, drt_device dev, const float *inputs, size_t per_input)
{
    drt_engine_opts o = drt_engine_opts_default();
    o.device = dev;
    o.threads = 1; /* OpenMP teams would hide their synchronization from ThreadSanitizer */
    drt_engine *e = NULL;
    if (drt_engine_create(m, &o, &e) != DRT_OK) {
        printf("FAIL %s engine: %s\n", drt_device_name(dev), drt_last_error());
        return 1;
    }
    size_t hf = heads_floats(e);
    float *want[THREADS * RUNS];
    for (int k = 0; k < THREADS * RUNS; k++) { /* serial, through the engine's own context */
        want[k] = malloc(hf * sizeof(float));
        drt_engine_run(e, inputs + per_input * k, 1);
        size_t off = 0;
        for (int h = 0; h < drt_engine_num_heads(e); h++) {
            const float *p;
            drt_tensor_desc d;
            drt_engine_head(e, h, &p, &d);
            memcpy(want[k] + off, p, (size_t)d.c * d.h * d.w * sizeof *p);
            off += (size_t)d.c * d.h * d.w;
        }
    }
    pthread_t t[THREADS];
    job jobs[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (job){e, inputs, want, per_input, hf, i, 0, 0};
        pthread_create(&t[i], NULL, worker, &jobs[i]);
    }
    int mismatches = 0, errors = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        mismatches += jobs[i].mismatches;
        errors += jobs[i].errors;
    }
    printf("%s %s: %d threads x %d runs, one context each: %d head mismatches against serial runs, %d errors\n",
           mismatches || errors ? "FAIL" : "ok  ", drt_device_name(dev), THREADS, RUNS, mismatches, errors);
    for (int k = 0; k < THREADS * RUNS; k++) free(want[k]);
    drt_engine_free(e);
    return mismatches || errors;
}

int main(int argc, char **argv)
{
    if (argc != 3) return 2;
    drt_load_opts lo = drt_load_opts_default();
    lo.width = lo.height = 160;
    lo.warn = 0;
    drt_model *m = NULL;
    if (drt_model_load_darknet(argv[1], argv[2], &lo, &m) != DRT_OK) {
        printf("FAIL load: %s\n", drt_last_error());
        return 1;
    }
    size_t per = (size_t)3 * 160 * 160;
    float *inputs = malloc(per * THREADS * RUNS * sizeof(float));
    unsigned r = 12345;
    for (size_t i = 0; i < per * THREADS * RUNS; i++) {
        r = r * 1664525u + 1013904223u;
        inputs[i] = (float)(r >> 8) / 16777216.f;
    }
    int fails = check_device(m, DRT_DEVICE_REF, inputs, per) + check_device(m, DRT_DEVICE_CPU, inputs, per);
    free(inputs);
    drt_model_free(m);
    printf(fails ? "%d check(s) failed\n" : "all checks passed\n", fails);
    return fails != 0;
}
