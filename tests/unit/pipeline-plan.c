/* A pipeline made from a plan (drt_pipeline_create_plan: workers decode while the batch thread loads
 * the engine) on a yolo-fastest-1.1 CPU plan and Darknet's sample images: every box bit for bit the
 * same as drt_detect_batch on an engine loaded from the same plan, one image a run, in input order,
 * with an unreadable file in the middle reported on its own; options resolved once loaded; a plan
 * that fails to load (checksum, or options the engine refuses) gives its one error through submit,
 * next and drt_pipeline_engine, never a result; a missing or truncated plan fails at create. */
#include "darkrt.h"
#include "same-results.h"
#include "test-models.h"
#include "unit/check.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N_IN 8

static const char *const names[] = {"dog", "eagle", "giraffe", "horses", "bad", "kite", "person", "scream"};

/* The reference: each image alone through drt_detect_batch on the plan's engine (NULL: fails). */
static void reference(const char *plan, char **paths, const drt_detect_opts *o, drt_detections **ref)
{
    drt_engine *e = NULL;
    CHECK(drt_engine_load_plan(plan, NULL, &e) == DRT_OK, "load %s: %s", plan, drt_last_error());
    for (int i = 0; e && i < N_IN; i++) {
        drt_image *im = NULL;
        ref[i] = NULL;
        if (drt_image_load(paths[i], &im) != DRT_OK) continue;
        CHECK(drt_detect_batch(e, (const drt_image *const *)&im, 1, o, &ref[i], NULL) == DRT_OK, "detect %s: %s",
              paths[i], drt_last_error());
        drt_image_free(im);
    }
    drt_engine_free(e);
}

typedef struct feed {
    drt_pipeline *p;
    char **paths;
    int bad_submits;
} feed;

/* The producer: every path, then close (submit blocks at max_in_flight until this thread's caller
 * takes results). */
static void *submit_all(void *arg)
{
    feed *f = arg;
    for (int i = 0; i < N_IN; i++) f->bad_submits += drt_pipeline_submit_file(f->p, f->paths[i], (void *)(intptr_t)i) != DRT_OK;
    drt_pipeline_close(f->p);
    return NULL;
}

/* Every item through a pipeline from the plan, submitted from another thread. */
static void check_same(const char *plan, int workers, int batch, char **paths, drt_detections **ref)
{
    drt_pipeline_opts o = drt_pipeline_opts_default();
    o.workers = workers, o.batch = batch;
    drt_engine_opts eo = drt_engine_opts_default();
    eo.max_batch = batch;
    eo.threads = 2;
    drt_pipeline *p = NULL;
    drt_engine *e = NULL;
    if (drt_pipeline_create_plan(plan, &eo, &o, &p) != DRT_OK) {
        CHECK(0, "create_plan: %s", drt_last_error());
        return;
    }
    feed f = {p, paths, 0};
    pthread_t th;
    pthread_create(&th, NULL, submit_all, &f); /* decoding starts while the engine loads */
    CHECK(drt_pipeline_engine(p, &e) == DRT_OK && e && drt_engine_device(e) == DRT_DEVICE_CPU, "engine: %s", drt_last_error());
    CHECK(drt_pipeline_get_opts(p, &o) == DRT_OK && o.workers == workers && o.batch == batch && o.max_in_flight >= 2 * batch,
          "options: workers %d, batch %d, max_in_flight %d", o.workers, o.batch, o.max_in_flight);
    drt_pipeline_result *r;
    int got = 0;
    while (drt_pipeline_next(p, &r) == DRT_OK && r) {
        int i = (int)(intptr_t)r->tag;
        CHECK(i == got && r->index == got, "workers %d batch %d: result %d came back as item %d", workers, batch, got, i);
        if (ref[i]) CHECK(r->status == DRT_OK && same_dets(r->dets, ref[i]), "workers %d batch %d: %s: boxes differ (%s)",
                          workers, batch, paths[i], r->error);
        else CHECK(r->status != DRT_OK && !r->dets && strstr(r->error, paths[i]), "%s: should fail naming the file (%s)",
                   paths[i], r->error);
        drt_pipeline_result_free(r);
        got++;
    }
    pthread_join(th, NULL);
    CHECK(got == N_IN && !f.bad_submits, "workers %d batch %d: %d results for %d items, %d submits failed", workers,
          batch, got, N_IN, f.bad_submits);
    drt_pipeline_free(p);
}

/* A pipeline whose engine does not load: the error through engine, next and submit; no result. */
static void check_load_fails(const char *what, const char *plan, const drt_pipeline_opts *o, const char *want, char **paths)
{
    drt_pipeline *p = NULL;
    drt_engine *e = NULL;
    drt_pipeline_result *r = NULL;
    if (drt_pipeline_create_plan(plan, NULL, o, &p) != DRT_OK) {
        CHECK(0, "%s: create_plan should defer the load: %s", what, drt_last_error());
        return;
    }
    drt_status s = drt_pipeline_submit_file(p, paths[0], NULL); /* may go in before the load ends */
    CHECK(drt_pipeline_engine(p, &e) != DRT_OK && !e && strstr(drt_last_error(), want), "%s: engine: %s", what,
          drt_last_error());
    CHECK(drt_pipeline_next(p, &r) != DRT_OK && !r && strstr(drt_last_error(), want), "%s: next: %s", what, drt_last_error());
    s = drt_pipeline_submit_file(p, paths[1], NULL);
    CHECK(s != DRT_OK && strstr(drt_last_error(), want), "%s: submit after the failed load: %s", what, drt_last_error());
    drt_pipeline_opts got;
    CHECK(drt_pipeline_get_opts(p, &got) != DRT_OK, "%s: get_opts after the failed load", what);
    drt_pipeline_free(p);
}

static int copy_file(const char *from, const char *to, long flip_at, long truncate_to)
{
    FILE *f = fopen(from, "rb"), *g = fopen(to, "wb");
    int c, ok = f && g;
    for (long i = 0; ok && (c = getc(f)) != EOF && (truncate_to < 0 || i < truncate_to); i++)
        putc(i == flip_at ? c ^ 0x55 : c, g);
    if (f) fclose(f);
    if (g) fclose(g);
    return ok;
}

int main(void)
{
    char cfg[1200], w[1200], dir[] = "/tmp/drt-pipeline-plan-XXXXXX", plan[1300], bad_plan[1300], short_plan[1300];
    if (!yolo_fastest_paths(cfg, w, sizeof cfg)) {
        printf("skip: yolo-fastest-1.1 not found (DRT_SHARED)\n");
        return 77;
    }
    drt_model *m = load_yolo_fastest();
    CHECK(m && mkdtemp(dir), "model or temporary directory: %s", drt_last_error());
    if (!m) return DONE();
    snprintf(plan, sizeof plan, "%s/f.plan", dir);
    snprintf(bad_plan, sizeof bad_plan, "%s/bad.plan", dir);
    snprintf(short_plan, sizeof short_plan, "%s/short.plan", dir);
    drt_engine_opts eo = drt_engine_opts_default();
    eo.no_tune = 1;
    eo.threads = 2;
    drt_engine *e = NULL;
    CHECK(drt_engine_create(m, &eo, &e) == DRT_OK && drt_engine_save_plan(e, plan) == DRT_OK, "plan: %s", drt_last_error());
    drt_engine_free(e);
    drt_model_free(m);

    char *paths[N_IN], bad[1300];
    snprintf(bad, sizeof bad, "%s/bad.jpg", dir);
    FILE *f = fopen(bad, "wb");
    if (f) fputs("not an image", f), fclose(f);
    for (int i = 0; i < N_IN; i++) {
        char p[1300];
        if (!strcmp(names[i], "bad")) snprintf(p, sizeof p, "%s", bad);
        else snprintf(p, sizeof p, "%s/%s.jpg", sample_dir(), names[i]);
        paths[i] = strdup(p);
    }
    drt_detections *ref[N_IN] = {0};
    drt_detect_opts dopts = drt_detect_opts_default();
    reference(plan, paths, &dopts, ref);
    int boxes = 0;
    for (int i = 0; i < N_IN; i++) boxes += ref[i] ? ref[i]->count : 0;
    CHECK(boxes >= 20 && !ref[4], "reference: %d boxes, the bad file %s", boxes, ref[4] ? "decoded" : "failed");
    check_same(plan, 1, 1, paths, ref);
    check_same(plan, 3, 4, paths, ref);
    check_same(plan, 2, 16, paths, ref); /* batch larger than the input */

    /* a byte changed past the header: the checksum fails in the batch thread's load */
    CHECK(copy_file(plan, bad_plan, 5000, -1), "copy %s", plan);
    drt_pipeline_opts o = drt_pipeline_opts_default();
    check_load_fails("corrupt plan", bad_plan, &o, "checksum mismatch", paths);
    o.image_decode = DRT_IMAGE_DECODE_GPU; /* a CPU engine decodes no JPEGs: known once loaded */
    check_load_fails("GPU decode, CPU plan", plan, &o, "GPU image decode needs", paths);
    drt_pipeline *p = NULL;
    o = drt_pipeline_opts_default();
    CHECK(copy_file(plan, short_plan, -1, 100), "copy %s", plan);
    CHECK(drt_pipeline_create_plan(short_plan, NULL, &o, &p) != DRT_OK && !p && strstr(drt_last_error(), short_plan),
          "truncated plan: %s", drt_last_error());
    CHECK(drt_pipeline_create_plan(cfg, NULL, &o, &p) != DRT_OK && !p && strstr(drt_last_error(), "not a darkrt plan"),
          "a cfg as a plan: %s", drt_last_error());
    /* an option out of range: one error naming it alone, its value and its range */
    static const struct { int field, value; const char *want; } bad_opts[] = {
        {0, 5000, "pipeline: batch 5000: must be 0..1 (0: the engine's max batch)"},
        {1, 999, "pipeline: workers 999: must be 0..64"},
        {2, -1, "pipeline: max_in_flight -1: must be >= 0"},
        {3, -2, "pipeline: max_det -2: must be >= 0"},
    };
    static const char *const fields[] = {"batch", "workers", "max_in_flight", "max_det"};
    for (int i = 0; i < 4; i++) {
        o = drt_pipeline_opts_default();
        int *field[] = {&o.batch, &o.workers, &o.max_in_flight, &o.max_det};
        *field[bad_opts[i].field] = bad_opts[i].value;
        int named = 0; /* how many of the four options the error names */
        drt_status s = drt_pipeline_create_plan(plan, NULL, &o, &p);
        for (int k = 0; k < 4; k++) named += strstr(drt_last_error(), fields[k]) != NULL;
        CHECK(s == DRT_STATUS_INVALID_ARG && !p && strstr(drt_last_error(), bad_opts[i].want) && named == 1,
              "%s %d: %s", fields[bad_opts[i].field], bad_opts[i].value, drt_last_error());
    }

    for (int i = 0; i < N_IN; i++) {
        drt_detections_free(ref[i]);
        free(paths[i]);
    }
    unlink(plan), unlink(bad_plan), unlink(short_plan), unlink(bad), rmdir(dir);
    return DONE();
}
