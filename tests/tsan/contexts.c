/* Contexts of one engine in parallel (built with -fsanitize=thread by tests/cli/tsan-contexts.sh):
 * THREADS threads, each with its own context of a shared engine, run RUNS inputs each; every head
 * must equal, bit for bit, the engine's own serial run of the same input; ThreadSanitizer reports
 * any data race. Usage: contexts CFG WEIGHTS (yolo-fastest-1.1 at 160x160); ref and cpu engines.
 * Then a pipeline whose 3 workers run the cpu engine's contexts themselves (worker_engines) on 9
 * frames, and the 3 sharing 2 contexts (an activation budget with room for 2): every box equal to
 * the same pipeline with one worker, results in order. */
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

/* The boxes of n frames through a pipeline of `workers` workers that run the engine (in order). */
static int pipeline_boxes(drt_engine *e, const drt_frame *frames, int n, int workers, drt_detections **out)
{
    drt_pipeline_opts o = drt_pipeline_opts_default();
    o.workers = workers;
    o.worker_engines = 1;
    o.max_in_flight = n; /* all submitted before any is taken */
    o.detect.thresh = 0.005f; /* boxes even from noise */
    drt_pipeline *p = NULL;
    drt_pipeline_result *r = NULL;
    int bad = drt_pipeline_create(e, &o, &p) != DRT_OK;
    for (int i = 0; !bad && i < n; i++) bad = drt_pipeline_submit_frame(p, &frames[i], NULL) != DRT_OK;
    drt_pipeline_close(p);
    for (int i = 0; !bad && i < n; i++) {
        bad = drt_pipeline_next(p, &r) != DRT_OK || !r || r->index != i || r->status != DRT_OK;
        if (!bad) out[i] = r->dets, r->dets = NULL;
        drt_pipeline_result_free(r);
    }
    if (bad) printf("FAIL pipeline, %d workers: %s\n", workers, drt_last_error());
    drt_pipeline_free(p);
    return bad;
}

static int check_pipeline(const drt_model *m)
{
    enum { N = 9, W = 200, H = 150 };
    drt_engine_opts eo = drt_engine_opts_default();
    eo.device = DRT_DEVICE_CPU;
    eo.threads = 1;
    drt_engine *e = NULL;
    if (drt_engine_create(m, &eo, &e) != DRT_OK) return printf("FAIL cpu engine: %s\n", drt_last_error()), 1;
    static unsigned char px[N][W * H * 3];
    drt_frame frames[N];
    unsigned r = 777;
    for (int i = 0; i < N; i++) {
        for (int k = 0; k < W * H * 3; k++) px[i][k] = (unsigned char)((r = r * 1664525u + 1013904223u) >> 24);
        frames[i] = (drt_frame){.w = W - 7 * i, .h = H, .format = DRT_PIXEL_RGB8, .data = px[i], .stride = W * 3};
    }
    /* and under an activation budget with room for the engine's own and 2 contexts: the 3 workers share them */
    drt_engine_memory mem;
    drt_engine_memory_usage(e, &mem);
    eo.max_activation_bytes = 3 * mem.host_activations;
    drt_engine *e2 = NULL;
    if (drt_engine_create(m, &eo, &e2) != DRT_OK) return printf("FAIL cpu engine: %s\n", drt_last_error()), 1;
    drt_detections *one[N] = {0}, *three[N] = {0}, *shared[N] = {0};
    int fails = pipeline_boxes(e, frames, N, 1, one) + pipeline_boxes(e, frames, N, 3, three) +
                pipeline_boxes(e2, frames, N, 3, shared), boxes = 0, diff = 0;
    for (int i = 0; !fails && i < N; i++) {
        boxes += one[i]->count;
        diff += one[i]->count != three[i]->count || one[i]->count != shared[i]->count ||
                memcmp(one[i]->items, three[i]->items, (size_t)one[i]->count * sizeof *one[i]->items) ||
                memcmp(one[i]->items, shared[i]->items, (size_t)one[i]->count * sizeof *one[i]->items);
    }
    for (int i = 0; i < N; i++) drt_detections_free(one[i]), drt_detections_free(three[i]), drt_detections_free(shared[i]);
    drt_engine_free(e);
    drt_engine_free(e2);
    printf("%s cpu pipeline, 3 workers running the engine (3 contexts, and 2 shared): %d frames, %d boxes, %d frames "
           "differ from 1 worker\n", fails || diff || !boxes ? "FAIL" : "ok  ", N, boxes, diff);
    return fails || diff || !boxes;
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
    int fails = check_device(m, DRT_DEVICE_REF, inputs, per) + check_device(m, DRT_DEVICE_CPU, inputs, per) +
                check_pipeline(m);
    free(inputs);
    drt_model_free(m);
    printf(fails ? "%d check(s) failed\n" : "all checks passed\n", fails);
    return fails != 0;
}
