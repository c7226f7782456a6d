/* CUDA plans load without re-planning, and partial batches run without a rebuild (skips without a
 * CUDA device). yolo-fastest-1.1 (real weights) fp16 and fp32 at max batch 8 on random inputs:
 * - the engine loaded from its plan gives the built engine's heads bit for bit (same algorithms and
 *   fused execution plans, the latter rebuilt from cuDNN's JSON stored in the plan);
 * - every batch size 1..8 gives, for each item, the heads of the same image in a full batch, bit
 *   for bit (a partial batch runs in the max-batch context: same kernels);
 * - loading the plan took less than the build (reported; the time limit is the benchmark's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "darkrt.h"
#include "graph/model.h"
#include "test-models.h"

#define MAX_BATCH 8
static int failures;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Every head's items 0..n-1, concatenated per item: item-major so items compare across batch sizes. */
static float *item_heads(const drt_engine *e, int n, size_t *per_item)
{
    size_t item = 0;
    for (int h = 0; h < drt_engine_num_heads(e); h++) {
        drt_tensor_desc d;
        drt_engine_head(e, h, NULL, &d);
        item += (size_t)d.c * d.h * d.w;
    }
    float *out = malloc((size_t)n * item * sizeof(float));
    for (int i = 0; out && i < n; i++) {
        float *p = out + (size_t)i * item;
        for (int h = 0; h < drt_engine_num_heads(e); h++) {
            const float *data;
            drt_tensor_desc d;
            drt_engine_head(e, h, &data, &d);
            size_t k = (size_t)d.c * d.h * d.w;
            memcpy(p, data + (size_t)i * k, k * sizeof(float));
            p += k;
        }
    }
    *per_item = item;
    return out;
}

static float *run_heads(drt_engine *e, const float *input, int n, size_t *per_item)
{
    if (drt_engine_run(e, input, n) != DRT_OK) {
        printf("FAIL: run at batch %d: %s\n", n, drt_last_error());
        failures++;
        return NULL;
    }
    return item_heads(e, n, per_item);
}

static void check_case(const drt_model *m, drt_precision p, const char *plan)
{
    drt_engine_opts o = drt_engine_opts_default();
    o.device = DRT_DEVICE_CUDA;
    o.precision = p;
    o.max_batch = MAX_BATCH;
    drt_engine *built = NULL, *loaded = NULL;
    double t0 = now_s();
    if (drt_engine_create(m, &o, &built) != DRT_OK || drt_engine_save_plan(built, plan) != DRT_OK) {
        printf("FAIL %s: build and save: %s\n", drt_precision_name(p), drt_last_error());
        failures++;
        drt_engine_free(built);
        return;
    }
    double t1 = now_s();
    if (drt_engine_load_plan(plan, NULL, &loaded) != DRT_OK) {
        printf("FAIL %s: load: %s\n", drt_precision_name(p), drt_last_error());
        failures++;
        drt_engine_free(built);
        return;
    }
    double t2 = now_s();
    size_t item_in = (size_t)m->channels * m->width * m->height, per_item = 0, k = 0;
    float *input = malloc(MAX_BATCH * item_in * sizeof(float));
    srand(7);
    for (size_t i = 0; i < MAX_BATCH * item_in; i++) input[i] = (float)rand() / RAND_MAX;
    float *want = run_heads(built, input, MAX_BATCH, &per_item);
    float *got = run_heads(loaded, input, MAX_BATCH, &k);
    if (want && got && memcmp(want, got, MAX_BATCH * per_item * sizeof(float)) != 0) {
        printf("FAIL %s: the loaded plan's heads differ from the built engine's\n", drt_precision_name(p));
        failures++;
    }
    free(got);
    int partial_bad = 0;
    for (int n = 1; want && n <= MAX_BATCH; n++) { /* items from the end of the batch: their own inputs */
        got = run_heads(loaded, input + (size_t)(MAX_BATCH - n) * item_in, n, &k);
        if (got && memcmp(got, want + (size_t)(MAX_BATCH - n) * per_item, (size_t)n * per_item * sizeof(float)) != 0) {
            printf("FAIL %s: batch %d of max %d: heads differ from the full batch's\n", drt_precision_name(p), n, MAX_BATCH);
            partial_bad = 1;
        }
        free(got);
    }
    failures += partial_bad;
    printf("%s: built and saved in %.2f s, loaded in %.2f s; loaded heads %s; batches 1..%d %s\n", drt_precision_name(p),
           t1 - t0, t2 - t1, failures ? "checked" : "identical", MAX_BATCH, partial_bad ? "DIFFER" : "identical per item");
    free(want);
    free(input);
    drt_engine_free(built);
    drt_engine_free(loaded);
}

int main(void)
{
    char cfg[1200], w[1200];
    if (!yolo_fastest_paths(cfg, w, sizeof cfg)) { printf("skipped: yolo-fastest-1.1 missing\n"); return 77; }
    drt_model *m = load_yolo_fastest();
    if (!m) { printf("FAIL: %s\n", drt_last_error()); return 1; }
    int probe = cuda_probe(m);
    if (probe) return probe;
    char plan[] = "/tmp/drt-cuda-plan-XXXXXX";
    int fd = mkstemp(plan);
    if (fd < 0) { printf("FAIL: mkstemp\n"); return 1; }
    close(fd);
    check_case(m, DRT_PREC_FP16, plan);
    check_case(m, DRT_PREC_FP32, plan);
    unlink(plan);
    drt_model_free(m);
    return failures ? 1 : 0;
}
