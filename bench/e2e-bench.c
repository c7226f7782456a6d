/* darkrt's side of bench/e2e-gpu.sh: a folder of images to detections through the public pipeline
 * (include/darkrt/pipeline.h), the way an application would use the library, from a plan.
 *   e2e-bench PLAN DIR [--workers N] [--batch N] [--pre cpu|gpu] [--post cpu|gpu] [--decode cpu|gpu|auto|fast|mixed] [-t THRESH]
 *             [--engine-first 1] [--in-flight N]
 * Makes the pipeline from the plan (drt_pipeline_create_plan: the workers decode while the engine
 * loads; --engine-first 1: the engine loaded first, then the pipeline on it, as before), submits
 * every file of DIR (sorted) from one thread and takes the results in order on another, printing
 * "path: N objects" per image. --in-flight N: the pipeline's max_in_flight (0: its default). The last line is one
 * RESULT (key=value): images, failures, wall seconds of the process (from DRT_T0, the epoch the caller
 * set just before starting it, else this program's start), img/s, the plan's load time, the time to
 * the first detection printed, and the mean per-image stage times the pipeline reports.
 * --boxes 1 prints every box (class, score, corners as %.9g: exact) under its image; --no-pipeline 1
 * takes today's path instead (drt_image_load, then drt_detect_batch per batch, on this thread): the
 * two outputs must be equal line for line (bench/e2e-gpu.sh diffs them).
 * Built against libdarkrt.a like bench/gpu-bench.c (see bench/e2e-gpu.sh). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "darkrt.h"
#include "engine/engine.h" /* the plan's max batch */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct feed {
    drt_pipeline *p;
    char **paths;
    int n;
} feed;

static void *producer(void *arg)
{
    feed *f = arg;
    for (int i = 0; i < f->n; i++)
        if (drt_pipeline_submit_file(f->p, f->paths[i], NULL) != DRT_OK) fprintf(stderr, "submit: %s\n", drt_last_error());
    drt_pipeline_close(f->p);
    return NULL;
}

static int boxes;

static void print_dets(const char *path, const drt_detections *d)
{
    printf("%s: %d objects\n", path, d->count);
    for (int i = 0; boxes && i < d->count; i++)
        printf("  %d %.9g %.9g %.9g %.9g %.9g\n", d->items[i].class_id, d->items[i].score, d->items[i].x1,
               d->items[i].y1, d->items[i].x2, d->items[i].y2);
}

/* Today's path: decode to floats, drt_detect_batch per batch; returns the images done. */
static int without_pipeline(drt_engine *e, char **paths, int n, int batch, const drt_detect_opts *o, double t0,
                            double *first)
{
    drt_image **ims = calloc((size_t)batch, sizeof *ims);
    drt_detections **dets = calloc((size_t)batch, sizeof *dets);
    for (int i = 0; i < n; i += batch) {
        int k = n - i < batch ? n - i : batch;
        for (int j = 0; j < k; j++)
            if (drt_image_load(paths[i + j], &ims[j]) != DRT_OK) {
                fprintf(stderr, "e2e-bench: %s\n", drt_last_error());
                return i;
            }
        if (drt_detect_batch(e, (const drt_image *const *)ims, k, o, dets, NULL) != DRT_OK) {
            fprintf(stderr, "e2e-bench: %s\n", drt_last_error());
            return i;
        }
        for (int j = 0; j < k; j++) {
            print_dets(paths[i + j], dets[j]);
            drt_detections_free(dets[j]);
            drt_image_free(ims[j]);
        }
        if (*first < 0) {
            fflush(stdout);
            *first = now_s() - t0;
        }
    }
    free(ims);
    free(dets);
    return n;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static char **list_dir(const char *dir, int *n_out)
{
    DIR *d = opendir(dir);
    char **v = NULL;
    int n = 0, cap = 0;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        if (n == cap) v = realloc(v, (size_t)(cap = cap ? 2 * cap : 1024) * sizeof *v);
        if (asprintf(&v[n], "%s/%s", dir, de->d_name) < 0) break;
        n++;
    }
    if (d) closedir(d);
    if (n) qsort(v, (size_t)n, sizeof *v, by_name);
    *n_out = n;
    return v;
}

int main(int argc, char **argv)
{
    double t0 = getenv("DRT_T0") ? atof(getenv("DRT_T0")) : now_s();
    if (argc < 3) {
        fprintf(stderr, "usage: e2e-bench PLAN DIR [--workers N] [--batch N] [--pre cpu|gpu] [--post cpu|gpu] "
                        "[--decode cpu|gpu|auto|fast|mixed] [-t T] [--engine-first 1] [--in-flight N]\n");
        return 2;
    }
    drt_pipeline_opts po = drt_pipeline_opts_default();
    po.detect.pre = po.detect.decode = po.detect.nms_place = DRT_STAGE_DEVICE;
    int no_pipeline = 0, engine_first = 0;
    for (int i = 3; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--workers")) po.workers = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch")) po.batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--pre")) drt_detect_parse_pre(argv[i + 1], &po.detect);
        else if (!strcmp(argv[i], "--post")) drt_detect_parse_post(argv[i + 1], &po.detect);
        else if (!strcmp(argv[i], "-t")) po.detect.thresh = (float)atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--boxes")) boxes = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--no-pipeline")) no_pipeline = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--engine-first")) engine_first = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--in-flight")) po.max_in_flight = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--decode"))
            po.image_decode = !strcmp(argv[i + 1], "gpu") ? DRT_IMAGE_DECODE_GPU
                            : !strcmp(argv[i + 1], "auto") ? DRT_IMAGE_DECODE_AUTO
                            : !strcmp(argv[i + 1], "fast") ? DRT_IMAGE_DECODE_FAST
                            : !strcmp(argv[i + 1], "mixed") ? DRT_IMAGE_DECODE_MIXED : DRT_IMAGE_DECODE_CPU;
    }
    drt_engine *e = NULL;
    double tl = now_s(), load_s = 0;
    feed f = {.paths = list_dir(argv[2], &f.n)};
    if (no_pipeline || engine_first) {
        if (drt_engine_load_plan(argv[1], NULL, &e) != DRT_OK) {
            fprintf(stderr, "e2e-bench: %s\n", drt_last_error());
            return 1;
        }
        load_s = now_s() - tl;
    }
    if (no_pipeline) {
        double first = -1;
        int b = po.batch ? po.batch : e->opts.max_batch, done = without_pipeline(e, f.paths, f.n, b, &po.detect, t0, &first);
        double wall = now_s() - t0;
        printf("RESULT engine=darkrt-no-pipeline images=%d batch=%d wall_s=%.3f img_per_s=%.1f load_s=%.3f first_detection_s=%.3f\n",
               done, b, wall, done / wall, load_s, first);
        drt_engine_free(e);
        return done == f.n ? 0 : 1;
    }
    if ((e ? drt_pipeline_create(e, &po, &f.p) : drt_pipeline_create_plan(argv[1], NULL, &po, &f.p)) != DRT_OK) {
        fprintf(stderr, "e2e-bench: %s\n", drt_last_error());
        return 1;
    }
    pthread_t th;
    pthread_create(&th, NULL, producer, &f); /* decoding starts now, from a plan while its engine loads */
    drt_engine *pe;
    if (drt_pipeline_engine(f.p, &pe) != DRT_OK || drt_pipeline_get_opts(f.p, &po) != DRT_OK) {
        fprintf(stderr, "e2e-bench: %s\n", drt_last_error());
        return 1;
    }
    if (!e) load_s = now_s() - tl;
    drt_pipeline_result *r;
    int done = 0, bad = 0;
    double first = -1, st[4] = {0};
    for (;;) { /* a bad item is a result with its own status (next may return it too) */
        r = NULL;
        drt_status s = drt_pipeline_next(f.p, &r);
        if (!r) {
            if (s != DRT_OK) fprintf(stderr, "e2e-bench: %s\n", drt_last_error());
            break;
        }
        if (r->status == DRT_OK) {
            print_dets(r->source, r->dets);
            if (first < 0) {
                fflush(stdout);
                first = now_s() - t0;
            }
            st[0] += r->times.decode_ms, st[1] += r->times.preprocess_ms;
            st[2] += r->times.inference_ms, st[3] += r->times.postprocess_ms;
        } else {
            printf("%s: error: %s\n", r->source, r->error);
            bad++;
        }
        done++;
        drt_pipeline_result_free(r);
    }
    pthread_join(th, NULL);
    fflush(stdout); /* before the pipeline's profile line (DRT_TIMELINE=1) on stderr */
    drt_pipeline_free(f.p); /* a pipeline from the plan frees its engine */
    drt_engine_free(e);
    double wall = now_s() - t0;
    int ok = done - bad > 0 ? done - bad : 1;
    printf("RESULT engine=darkrt decode=%s load=%s in_flight_items=%d images=%d failures=%d batch=%d workers=%d wall_s=%.3f img_per_s=%.1f load_s=%.3f "
           "first_detection_s=%.3f after_first_img_per_s=%.1f decode_ms=%.3f preprocess_ms=%.3f inference_ms=%.3f postprocess_ms=%.3f\n",
           po.image_decode == DRT_IMAGE_DECODE_GPU ? "gpu" : po.image_decode == DRT_IMAGE_DECODE_FAST ? "fast"
           : po.image_decode == DRT_IMAGE_DECODE_MIXED ? "mixed" : "cpu",
           e ? "first" : "overlapped", po.max_in_flight, done, bad, po.batch, po.workers, wall, done / wall, load_s, first,
           first >= 0 && wall > first ? (done - 1) / (wall - first) : 0.0, st[0] / ok, st[1] / ok, st[2] / ok,
           st[3] / ok);
    for (int i = 0; i < f.n; i++) free(f.paths[i]);
    free(f.paths);
    return bad ? 1 : 0;
}
