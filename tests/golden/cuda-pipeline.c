/* The pipeline on a CUDA engine (skips without a CUDA device): yolo-fastest-1.1 (real weights) fp16,
 * batch 4, Darknet's seven sample photos three times over (21 files: five full batches and a partial
 * one), pre, decode and NMS on the GPU, thresholds 0.25 and 0.01:
 * - JPEG decode on the CPU (frames pinned by the workers, uploaded from there, two batches in
 *   flight): every box equal to drt_image_load + drt_detect_batch with host stages;
 * - JPEG decode on the GPU (nvJPEG; skipped with the reason when the machine has none): its pixels
 *   differ slightly from libjpeg's, so boxes are matched (same class, IoU >= 0.5): at least 90% of
 *   each side's boxes matched, mean IoU >= 0.95; and the three copies of each photo, decoded in
 *   different batches, get every box the same (a decode that races the last batch's letterbox, or
 *   varies, does not); again with DRT_NVJPEG_PREFETCH=1 (each batch decoded ahead on a thread of its own);
 * - both again with DRT_PIPELINE_CONTEXTS=1 (every other batch staged, run and decoded on a context of
 *   its own: its stream, input, heads and stage buffers; nvJPEG's one decoder shared by the two streams),
 *   CPU decode every box equal, GPU decode (and with DRT_NVJPEG_PREFETCH=1) matched, copies the same; and each
 *   of those pipelines ran every other batch from the fourth on its context (its profile's count; without the
 *   switch none), so a context that was not made (no room, or its making failed) fails them;
 * - from the engine's plan (drt_pipeline_create_plan: the workers decode while the batch thread loads
 *   it), JPEG decode on the CPU: every box equal to drt_detect_batch on the plan loaded alone; JPEG
 *   decode MIXED (nvJPEG and the workers at once), and GPU (and with DRT_NVJPEG_NO_WAIT=1,
 *   DRT_NVJPEG_PREFETCH=1, DRT_CUDA_PINNED_SLABS=1: the workers decode until nvJPEG, opened during the load, is
 *   open): matched as nvJPEG's are; CPU decode with DRT_CUDA_PINNED_SLABS=1, and with DRT_PIPELINE_CONTEXTS=1: exact
 *   (and the batches on the context counted as above);
 * - MIXED on the engine with one worker and the photos 40 times over (280 files), so that the JPEG
 *   thread (nvJPEG on a stream of its own, to host memory) takes part of them once its decoder is
 *   open: matched as nvJPEG's are, and some boxes differ from the CPU decode's (it decoded some;
 *   21 files from a plan are all decoded by the workers during the load). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "darkrt.h"
#include "pipeline/pipeline-internal.h"
#include "same-results.h"
#include "test-models.h"

#define N_NAMES 7
#define ROUNDS 3
#define N (N_NAMES * ROUNDS)
static const char *const names[N_NAMES] = {"dog", "person", "horses", "eagle", "giraffe", "kite", "scream"};
static int failures;

/* Closes p, takes its results in order (up to cap detections kept in got; a failed item counts as a
 * failure), frees it. Returns how many results came; its batches and those run on its context (its profile's
 * counts, written before the last result was handed out) are kept for on_context. */
static long long last_batches, last_context_batches;

static int drain(drt_pipeline *p, drt_detections **got, int cap)
{
    drt_pipeline_close(p);
    drt_pipeline_result *r;
    int n = 0;
    while (drt_pipeline_next(p, &r) == DRT_OK && r) {
        if (r->status != DRT_OK) printf("FAIL %s: %s\n", r->source, r->error), failures++;
        if (n < cap) got[n++] = r->dets;
        r->dets = NULL;
        drt_pipeline_result_free(r);
    }
    last_batches = p->prof.batches, last_context_batches = p->prof.context_batches;
    drt_pipeline_free(p);
    return n;
}

/* The last pipeline's batches on its context: with DRT_PIPELINE_CONTEXTS=1 every other one from the fourth (batches
 * 3, 5, ...: the first slot-1 batch runs on the engine's own), else none. Fails where the context was not made. */
static void on_context(const char *what, float thresh, int ctx)
{
    long long want = ctx ? last_batches / 2 - 1 : 0;
    int good = (!ctx || last_batches >= 4) && last_context_batches == want;
    failures += !good;
    printf("%s %s: thresh %.2f: %lld of %lld batches on the pipeline's context (want %lld)\n", good ? "ok  " : "FAIL", what,
           thresh, last_context_batches, last_batches, want);
}

/* The pipeline's detections of paths[0..N) in order (got[i]), on e or (e NULL) from the plan; 0 when
 * it could not run. */
static const char *plan_path;

static int run_pipeline(drt_engine *e, char **paths, float thresh, drt_image_decode decode, drt_detections **got)
{
    drt_pipeline_opts o = drt_pipeline_opts_default();
    o.detect.thresh = thresh;
    o.detect.pre = o.detect.decode = o.detect.nms_place = DRT_STAGE_DEVICE;
    o.image_decode = decode;
    o.workers = 4;
    o.max_in_flight = N; /* every file submitted before the first result is taken */
    drt_pipeline *p;
    if ((e ? drt_pipeline_create(e, &o, &p) : drt_pipeline_create_plan(plan_path, NULL, &o, &p)) != DRT_OK) return 0;
    for (int i = 0; i < N; i++) drt_pipeline_submit_file(p, paths[i], NULL);
    return drain(p, got, N) == N;
}

/* got against want by matching (nvJPEG's pixels differ slightly from libjpeg's): each side's boxes
 * at least 90% matched, mean IoU >= 0.95. */
static void check_matched(const char *what, float thresh, drt_detections **want, drt_detections **got)
{
    drt_eval_agreement a = {0}, b = {0};
    for (int i = 0; i < N; i++) {
        drt_eval_match(want[i], got[i], 0.5, NULL, &a);
        drt_eval_match(got[i], want[i], 0.5, NULL, &b);
    }
    double share = a.ref_count ? (double)a.matched / a.ref_count : 1, share_eng = b.ref_count ? (double)b.matched / b.ref_count : 1;
    double iou = drt_eval_agreement_mean_iou(&a);
    int good = share >= 0.9 && share_eng >= 0.9 && iou >= 0.95;
    failures += !good;
    printf("%s %s against the cpu's: thresh %.2f: %d of %d reference boxes matched, %d of %d of its own, "
           "mean IoU %.4f\n", good ? "ok  " : "FAIL", what, thresh, a.matched, a.ref_count, b.matched, b.ref_count, iou);
}

/* The pipeline from the plan (decode on the CPU: exact; MIXED: matched) against the plan's engine. */
static void check_from_plan(drt_engine *plan_e, char **paths, drt_image **ims, float thresh)
{
    drt_detect_opts host = drt_detect_opts_default();
    host.thresh = thresh;
    drt_detections *want[N] = {0}, *got[N] = {0};
    int ok = 1;
    for (int i = 0; ok && i < N; i++)
        ok = drt_detect_batch(plan_e, (const drt_image *const *)&ims[i % N_NAMES], 1, &host, &want[i], NULL) == DRT_OK;
    /* DRT_CUDA_PINNED_SLABS=1 (read by each new engine), DRT_PIPELINE_CONTEXTS=1 (by each pipeline): debug switches */
    const char *const switches[] = {NULL, "DRT_CUDA_PINNED_SLABS", "DRT_PIPELINE_CONTEXTS"};
    for (int v = 0; v < 3; v++) {
        if (switches[v]) setenv(switches[v], "1", 1);
        int ran = ok && run_pipeline(NULL, paths, thresh, DRT_IMAGE_DECODE_CPU, got), same = ran;
        for (int i = 0; ran && i < N; i++) same &= same_dets(want[i], got[i]);
        failures += !same;
        printf("%s from the plan, cpu decode%s%s%s: thresh %.2f%s\n", same ? "ok  " : "FAIL", switches[v] ? ", " : "",
               switches[v] ? switches[v] : "", switches[v] ? "=1" : "", thresh,
               !ran ? drt_last_error() : same ? ": every box equal to the plan's engine alone" : ": boxes differ");
        if (ran && v == 2) on_context("from the plan, cpu decode, DRT_PIPELINE_CONTEXTS=1", thresh, 1);
        for (int i = 0; i < N; i++) drt_detections_free(got[i]), got[i] = NULL;
        if (switches[v]) unsetenv(switches[v]);
    }
    if (ok && run_pipeline(NULL, paths, thresh, DRT_IMAGE_DECODE_MIXED, got)) check_matched("from the plan, mixed decode", thresh, want, got);
    else printf("skip mixed decode: thresh %.2f: %s\n", thresh, drt_last_error());
    for (int i = 0; i < N; i++) drt_detections_free(got[i]), got[i] = NULL;
    /* GPU decode: the workers decode on the CPU until nvJPEG (opened during the load) is open, then leave it the
     * JPEGs; a decoder no engine took is closed with the pipeline */
    if (ok && run_pipeline(NULL, paths, thresh, DRT_IMAGE_DECODE_GPU, got)) check_matched("from the plan, gpu decode", thresh, want, got);
    else printf("skip gpu decode from the plan: thresh %.2f: %s\n", thresh, drt_last_error());
    for (int i = 0; i < N; i++) drt_detections_free(got[i]), got[i] = NULL;
    setenv("DRT_NVJPEG_NO_WAIT", "1", 1), setenv("DRT_NVJPEG_PREFETCH", "1", 1), setenv("DRT_CUDA_PINNED_SLABS", "1", 1);
    if (ok && run_pipeline(NULL, paths, thresh, DRT_IMAGE_DECODE_GPU, got))
        check_matched("from the plan, gpu decode, session 11's switches (NO_WAIT, PREFETCH, PINNED_SLABS)", thresh, want, got);
    else printf("skip gpu decode from the plan with the switches: thresh %.2f: %s\n", thresh, drt_last_error());
    unsetenv("DRT_NVJPEG_NO_WAIT"), unsetenv("DRT_NVJPEG_PREFETCH"), unsetenv("DRT_CUDA_PINNED_SLABS");
    for (int i = 0; i < N; i++) drt_detections_free(want[i]), drt_detections_free(got[i]);
}

#define MANY (N_NAMES * 40)

static void check_mixed_thread(drt_engine *e, char **paths, drt_image **ims, float thresh)
{
    drt_detect_opts host = drt_detect_opts_default();
    host.thresh = thresh;
    drt_detections *want[N_NAMES] = {0}, *got[MANY] = {0};
    int ok = 1, n, differ = 0;
    for (int i = 0; ok && i < N_NAMES; i++)
        ok = drt_detect_batch(e, (const drt_image *const *)&ims[i], 1, &host, &want[i], NULL) == DRT_OK;
    drt_pipeline_opts o = drt_pipeline_opts_default();
    o.detect.thresh = thresh;
    o.detect.pre = o.detect.decode = o.detect.nms_place = DRT_STAGE_DEVICE;
    o.image_decode = DRT_IMAGE_DECODE_GPU; /* nvJPEG there at all (else skipped, as gpu decode is) */
    o.workers = 1;
    o.max_in_flight = MANY;
    drt_pipeline *p = NULL;
    if (ok && (ok = drt_pipeline_create(e, &o, &p) == DRT_OK)) drt_pipeline_free(p), p = NULL;
    o.image_decode = DRT_IMAGE_DECODE_MIXED;
    if (!ok || drt_pipeline_create(e, &o, &p) != DRT_OK) {
        printf("skip mixed decode's JPEG thread: %s\n", drt_last_error());
        for (int i = 0; i < N_NAMES; i++) drt_detections_free(want[i]);
        return;
    }
    for (int i = 0; i < MANY; i++) drt_pipeline_submit_file(p, paths[i % N_NAMES], NULL);
    n = drain(p, got, MANY);
    drt_eval_agreement a = {0}, b = {0};
    for (int i = 0; i < n; i++) {
        drt_eval_match(want[i % N_NAMES], got[i], 0.5, NULL, &a);
        drt_eval_match(got[i], want[i % N_NAMES], 0.5, NULL, &b);
        differ += !same_dets(want[i % N_NAMES], got[i]);
    }
    double share = a.ref_count ? (double)a.matched / a.ref_count : 1, share_eng = b.ref_count ? (double)b.matched / b.ref_count : 1;
    double iou = drt_eval_agreement_mean_iou(&a);
    int good = n == MANY && share >= 0.9 && share_eng >= 0.9 && iou >= 0.95 && differ > 0;
    failures += !good;
    printf("%s mixed decode, 1 worker, %d of %d files: thresh %.2f: %d of %d reference boxes matched, %d of %d of its own, "
           "mean IoU %.4f; %d files' boxes differ from the cpu decode's (the JPEG thread's: want some)\n", good ? "ok  " : "FAIL",
           n, MANY, thresh, a.matched, a.ref_count, b.matched, b.ref_count, iou, differ);
    for (int i = 0; i < N_NAMES; i++) drt_detections_free(want[i]);
    for (int i = 0; i < n; i++) drt_detections_free(got[i]);
}

/* GPU decode on e: the three copies of each photo (decoded in different batches) get every box the
 * same, and the boxes match the cpu's (want). */
static void check_gpu_decode(drt_engine *e, char **paths, float thresh, const char *what, drt_detections **want, int ctx)
{
    drt_detections *got[N] = {0};
    if (!run_pipeline(e, paths, thresh, DRT_IMAGE_DECODE_GPU, got)) {
        printf("skip %s: thresh %.2f: %s\n", what, thresh, drt_last_error());
        return;
    }
    int copies_same = 1;
    for (int i = N_NAMES; i < N; i++)
        if (!same_dets(got[i % N_NAMES], got[i])) {
            printf("FAIL %s: thresh %.2f: %s, copy %d: boxes differ from its first copy's\n", what, thresh,
                   names[i % N_NAMES], i / N_NAMES + 1);
            copies_same = 0;
        }
    failures += !copies_same;
    check_matched(what, thresh, want, got);
    on_context(what, thresh, ctx);
    for (int i = 0; i < N; i++) drt_detections_free(got[i]);
}

static void check_threshold(drt_engine *e, char **paths, drt_image **ims, float thresh)
{
    drt_detect_opts host = drt_detect_opts_default();
    host.thresh = thresh;
    drt_detections *want[N] = {0}, *got[N] = {0};
    int boxes = 0, ok = 1;
    for (int i = 0; ok && i < N; i++) {
        ok = drt_detect_batch(e, (const drt_image *const *)&ims[i % N_NAMES], 1, &host, &want[i], NULL) == DRT_OK;
        boxes += ok ? want[i]->count : 0;
    }
    for (int ctx = 0; ctx < 2; ctx++) { /* DRT_PIPELINE_CONTEXTS=1: the debug switch, every other batch on a context */
        const char *sw = ctx ? ", DRT_PIPELINE_CONTEXTS=1" : "";
        char what[160];
        if (ctx) setenv("DRT_PIPELINE_CONTEXTS", "1", 1);
        int ran = ok && run_pipeline(e, paths, thresh, DRT_IMAGE_DECODE_CPU, got), same = ran;
        for (int i = 0; ran && i < N; i++) same &= same_dets(want[i], got[i]);
        failures += !same;
        printf("%s cpu decode, pinned, 2 in flight%s: thresh %.2f, %d images, %d boxes%s\n", same ? "ok  " : "FAIL", sw, thresh,
               N, boxes, !ran ? drt_last_error() : same ? ", every box equal to the host path" : ", boxes differ");
        snprintf(what, sizeof what, "cpu decode%s", sw);
        if (ran) on_context(what, thresh, ctx);
        for (int i = 0; i < N; i++) drt_detections_free(got[i]), got[i] = NULL;
        snprintf(what, sizeof what, "gpu decode (nvJPEG)%s", sw);
        check_gpu_decode(e, paths, thresh, what, want, ctx);
        setenv("DRT_NVJPEG_PREFETCH", "1", 1); /* the debug switch: each batch decoded ahead on a thread of its own */
        snprintf(what, sizeof what, "gpu decode (nvJPEG), DRT_NVJPEG_PREFETCH=1%s", sw);
        check_gpu_decode(e, paths, thresh, what, want, ctx);
        unsetenv("DRT_NVJPEG_PREFETCH");
        unsetenv("DRT_PIPELINE_CONTEXTS");
    }
    for (int i = 0; i < N; i++) drt_detections_free(want[i]);
}

int main(void)
{
    char *paths[N];
    const char *data = sample_dir();
    drt_model *m = load_yolo_fastest();
    if (!m) {
        printf("%s\nskipped: yolo-fastest-1.1 missing\n", drt_last_error());
        return 77;
    }
    drt_engine_opts o = drt_engine_opts_default();
    o.device = DRT_DEVICE_CUDA;
    o.precision = DRT_PREC_FP16;
    o.max_batch = 4;
    drt_engine *e;
    drt_status s = drt_engine_create(m, &o, &e);
    drt_model_free(m);
    if (s == DRT_STATUS_NO_DEVICE || s == DRT_STATUS_UNSUPPORTED) {
        printf("skipped: no CUDA device\n");
        return 77;
    }
    if (s != DRT_OK) {
        printf("FAIL cuda engine: %s\n", drt_last_error());
        return 1;
    }
    drt_image *ims[N_NAMES];
    for (int i = 0; i < N; i++) {
        if (asprintf(&paths[i], "%s/%s.jpg", data, names[i % N_NAMES]) < 0) return 1;
        if (i < N_NAMES && drt_image_load(paths[i], &ims[i]) != DRT_OK) {
            printf("FAIL %s\n", drt_last_error());
            return 1;
        }
    }
    check_threshold(e, paths, ims, 0.25f);
    check_threshold(e, paths, ims, 0.01f);
    check_mixed_thread(e, paths, ims, 0.25f);
    char plan[] = "/tmp/cuda-pipeline-XXXXXX.plan";
    int fd = mkstemps(plan, 5);
    drt_engine *plan_e = NULL;
    if (fd < 0 || (close(fd), drt_engine_save_plan(e, plan)) != DRT_OK || drt_engine_load_plan(plan, NULL, &plan_e) != DRT_OK) {
        printf("FAIL plan: %s\n", drt_last_error());
        failures++;
    } else {
        plan_path = plan;
        check_from_plan(plan_e, paths, ims, 0.25f);
        check_from_plan(plan_e, paths, ims, 0.01f);
    }
    drt_engine_free(plan_e);
    if (fd >= 0) unlink(plan);
    for (int i = 0; i < N; i++) free(paths[i]);
    for (int i = 0; i < N_NAMES; i++) drt_image_free(ims[i]);
    drt_engine_free(e);
    return failures ? 1 : 0;
}
