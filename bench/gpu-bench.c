/* darkrt's side of bench/gpu.sh: one model, precision and batch on the CUDA engine. Prints one
 * result line (key=value): GPU latency of the forward graph (device events, median and p99),
 * throughput, the engine run with copies (wall clock), end to end with letterbox + decode + NMS
 * with those stages on the host and on the GPU (drt_detect_batch), and device memory (the engine's allocations, and cudaMemGetInfo's delta incl. cuDNN's own).
 * Built by bench/gpu.sh against build-cuda/libdarkrt.a. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cuda_runtime_api.h>

#include "darkrt.h"
#include "engine/engine.h"
#include "backend/cuda/cuda-internal.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    double k = p / 100.0 * (n - 1);
    int lo = (int)floor(k), hi = lo + 1 < n ? lo + 1 : lo;
    return v[lo] + (v[hi] - v[lo]) * (k - lo);
}

static int die(const char *what)
{
    fprintf(stderr, "gpu-bench: %s: %s\n", what, drt_last_error());
    return 1;
}

/* Where pre- and postprocessing run: the host (RESULT's e2e_median_ms, pre_ms, post_ms), then the
 * GPU letterbox with host decode + NMS, GPU decode with host NMS, and everything on the GPU. */
typedef struct stage_place {
    const char *key, *pre, *post;
} stage_place;
static const stage_place places[] = {
    {"host", "cpu", "cpu"}, {"gpupre", "gpu", "cpu"}, {"gpudec", "gpu", "gpu-decode"}, {"gpuall", "gpu", "gpu"}};
#define N_PLACES (int)(sizeof places / sizeof *places)

typedef struct stage_result {
    double e2e, pre, post; /* medians over the runs, ms per batch */
    int dets;
} stage_result;

/* drt_detect_batch on `batch` copies of the image, `runs` times after two warm-ups. */
static int end_to_end(drt_engine *e, const drt_image *im, int batch, drt_resize resize, float thresh,
                      const stage_place *where, int runs, stage_result *out)
{
    drt_detect_opts o = drt_detect_opts_default();
    o.thresh = thresh;
    o.resize = resize;
    drt_detect_parse_pre(where->pre, &o);
    drt_detect_parse_post(where->post, &o);
    const drt_image **ims = calloc((size_t)batch, sizeof *ims);
    drt_detections **dets = calloc((size_t)batch, sizeof *dets);
    drt_stage_times *t = calloc((size_t)batch, sizeof *t);
    double *e2e = calloc((size_t)runs, sizeof(double)), *pre = calloc((size_t)runs, sizeof(double)),
           *post = calloc((size_t)runs, sizeof(double));
    int rc = 0;
    for (int b = 0; b < batch; b++) ims[b] = im;
    for (int r = -2; r < runs && rc == 0; r++) {
        double a = now_ms();
        if (drt_detect_batch(e, ims, batch, &o, dets, t) != DRT_OK) {
            fprintf(stderr, "gpu-bench: detect (pre %s, post %s): %s\n", where->pre, where->post, drt_last_error());
            rc = 1;
            break;
        }
        double wall = now_ms() - a;
        out->dets = 0;
        for (int b = 0; b < batch; b++) {
            out->dets += dets[b]->count;
            drt_detections_free(dets[b]);
        }
        if (r < 0) continue;
        e2e[r] = wall;
        for (int b = 0; b < batch; b++) pre[r] += t[b].preprocess_ms, post[r] += t[b].postprocess_ms;
    }
    if (rc == 0) {
        out->e2e = pct(e2e, runs, 50);
        out->pre = pct(pre, runs, 50);
        out->post = pct(post, runs, 50);
    }
    free(ims);
    free(dets);
    free(t);
    free(e2e);
    free(pre);
    free(post);
    return rc;
}

int main(int argc, char **argv)
{
    const char *cfg = NULL, *weights = NULL, *image = NULL, *label = "model", *calib = NULL;
    int size = 0, batch = 1, iters = 200, profile = 0, acts = DRT_INT8_ACT_AUTO;
    drt_precision prec = DRT_PREC_FP16;
    float thresh = .25f;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--profile")) { profile = 1; continue; }
        if (!v) { fprintf(stderr, "gpu-bench: %s needs a value\n", a); return 2; }
        i++;
        if (!strcmp(a, "--cfg")) cfg = v;
        else if (!strcmp(a, "--weights")) weights = v;
        else if (!strcmp(a, "--image")) image = v;
        else if (!strcmp(a, "--label")) label = v;
        else if (!strcmp(a, "--calib")) calib = v;
        else if (!strcmp(a, "--size")) size = atoi(v);
        else if (!strcmp(a, "--batch")) batch = atoi(v);
        else if (!strcmp(a, "--iters")) iters = atoi(v);
        else if (!strcmp(a, "--thresh")) thresh = (float)atof(v);
        else if (!strcmp(a, "--precision")) prec = (drt_precision)drt_precision_parse(v);
        else if (!strcmp(a, "--int8-activations") && (!strcmp(v, "sym") || !strcmp(v, "asym")))
            acts = !strcmp(v, "sym") ? DRT_INT8_ACT_SYM : DRT_INT8_ACT_ASYM;
        else { fprintf(stderr, "gpu-bench: unknown option %s\n", a); return 2; }
    }
    if (!cfg || !weights || batch < 1 || iters < 1 || (int)prec < 0) {
        fprintf(stderr, "usage: gpu-bench --cfg CFG --weights W [--size N] [--precision fp16] [--batch B] "
                        "[--iters N] [--image JPG] [--thresh T] [--label NAME] [--calib DIR] [--int8-activations sym|asym] "
                        "[--profile]\n");
        return 2;
    }
    drt_load_opts lo = drt_load_opts_default();
    lo.warn = 0;
    lo.width = lo.height = size;
    drt_model *m;
    if (drt_model_load_darknet(cfg, weights, &lo, &m) != DRT_OK) return die("load");
    size_t free0, free1, total;
    cudaFree(0);
    cudaMemGetInfo(&free0, &total);
    double t0 = now_ms();
    drt_engine_opts o = drt_engine_opts_default();
    o.device = DRT_DEVICE_CUDA;
    o.precision = prec;
    o.calib_dir = calib;
    o.int8_activations = acts;
    o.max_batch = batch;
    drt_engine *e;
    if (drt_engine_create(m, &o, &e) != DRT_OK) return die("engine");
    double build_ms = now_ms() - t0;

    float *ms = calloc((size_t)iters, sizeof(float));
    if (drt_cuda_time_forward(e, batch, iters, ms) != DRT_OK) return die("time");
    double *d = calloc((size_t)iters, sizeof(double));
    for (int i = 0; i < iters; i++) d[i] = ms[i];
    double med = pct(d, iters, 50), p99 = pct(d, iters, 99);

    /* the engine run: input upload, graph, heads download (host wall clock) */
    size_t in_n = (size_t)batch * drt_model_channels(m) * drt_model_height(m) * drt_model_width(m);
    float *in = calloc(in_n, sizeof(float));
    for (size_t i = 0; i < in_n; i++) in[i] = (float)((i * 2654435761u) % 1000) / 1000.f;
    int runs = iters < 50 ? iters : 50;
    for (int i = 0; i < runs; i++) {
        double a = now_ms();
        if (drt_engine_run(e, in, batch) != DRT_OK) return die("run");
        d[i] = now_ms() - a;
    }
    double run_med = pct(d, runs, 50);
    cudaMemGetInfo(&free1, &total);

    /* end to end on `batch` copies of the image: stages on the host, then on the GPU */
    stage_result st[N_PLACES];
    memset(st, 0, sizeof st);
    for (int v = 0; v < N_PLACES; v++) st[v].e2e = st[v].pre = st[v].post = -1, st[v].dets = -1;
    if (image) {
        drt_image *im;
        if (drt_image_load(image, &im) != DRT_OK) return die("image");
        for (int v = 0; v < N_PLACES; v++)
            if (end_to_end(e, im, batch, drt_detect_model_resize(m), thresh, &places[v], runs, &st[v]) != 0) break;
        drt_image_free(im);
    }
    drt_engine_memory mem;
    drt_engine_memory_usage(e, &mem);
    double engine_mib = (mem.device_weights + mem.device_activations + mem.device_workspace) / 1048576.0;
    printf("RESULT engine=darkrt label=%s precision=%s batch=%d gpu_median_ms=%.4f gpu_p99_ms=%.4f "
           "throughput_ips=%.1f run_median_ms=%.3f e2e_median_ms=%.3f pre_ms=%.3f post_ms=%.3f dets=%d ",
           label, drt_precision_name(prec), batch, med, p99, batch * 1000.0 / med, run_med, st[0].e2e, st[0].pre,
           st[0].post, st[0].dets);
    for (int v = 1; v < N_PLACES; v++)
        printf("e2e_%s_ms=%.3f pre_%s_ms=%.3f post_%s_ms=%.3f dets_%s=%d ", places[v].key, st[v].e2e, places[v].key,
               st[v].pre, places[v].key, st[v].post, places[v].key, st[v].dets);
    printf("dev_alloc_mib=%.1f weights_mib=%.1f act_mib=%.1f ws_mib=%.1f dev_used_delta_mib=%.1f build_ms=%.0f\n",
           engine_mib, mem.device_weights / 1048576.0, mem.device_activations / 1048576.0,
           mem.device_workspace / 1048576.0, ((double)free0 - (double)free1) / 1048576.0, build_ms);
    if (profile && drt_cuda_profile(e, batch, 20, stdout) != DRT_OK) return die("profile");
    drt_engine_free(e);
    drt_model_free(m);
    free(ms);
    free(d);
    free(in);
    return 0;
}
