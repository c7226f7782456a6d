/* A new backend is one folder plus one registration line (src/backend/registry.h). Here the "folder"
 * is this file: the reference backend re-registered as "toy", with nothing else changed. Through
 * the public API it must act as a device of its own and give the reference engine's results:
 * - drt_device_parse("toy") finds it and drt_device_name names it; "toy:1" is refused (not indexed);
 * - yolo-fastest-1.1 (real weights) on Darknet's sample images: drt_detect_batch's detections equal
 *   the ref engine's bit for bit, and compare's matching (drt_eval_match) pairs every box at IoU 1;
 * - the streaming pipeline (what `darkrt detect` runs) on the toy engine gives the same boxes;
 * - contexts (the ref backend's ctx_* slots) work under the new name. */
#include "darkrt.h"
#include "backend/registry.h"
#include "same-results.h"
#include "unit/check.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static drt_backend toy; /* the ref backend under another name */
static const drt_backend_entry toy_entry = {.name = "toy", .builtin = &toy, .precisions = 1u << DRT_PREC_FP32,
                                            .flags = DRT_BACKEND_ONE_THREAD};

static const char *const images[] = {"dog.jpg", "person.jpg", "horses.jpg", "eagle.jpg"};
#define N_IMAGES 4

static drt_engine *engine_on(const drt_model *m, drt_device dev)
{
    drt_engine_opts o = drt_engine_opts_default();
    o.device = dev;
    o.max_batch = N_IMAGES;
    drt_engine *e = NULL;
    CHECK(drt_engine_create(m, &o, &e) == DRT_OK, "%s engine: %s", drt_device_name(dev), drt_last_error());
    return e;
}

static void detect_all(drt_engine *e, const drt_model *m, drt_image **im, drt_detections **dets)
{
    drt_detect_opts o = drt_detect_opts_for_model(m);
    CHECK(drt_detect_batch(e, (const drt_image *const *)im, N_IMAGES, &o, dets, NULL) == DRT_OK, "detect: %s", drt_last_error());
}

/* compare's matching: every toy box pairs with a reference box at IoU 1, nothing left over. */
static void check_agreement(drt_detections **ref, drt_detections **got)
{
    drt_eval_agreement acc = {0};
    for (int i = 0; i < N_IMAGES; i++)
        CHECK(drt_eval_match(ref[i], got[i], 0.5, NULL, &acc) == DRT_OK, "match: %s", drt_last_error());
    CHECK(acc.ref_count > 0 && acc.matched == acc.ref_count && !acc.missing && !acc.extra &&
              drt_eval_agreement_mean_iou(&acc) == 1.0 && acc.max_score_delta == 0,
          "agreement: %d of %d matched, %d extra, mean IoU %g", acc.matched, acc.ref_count, acc.extra,
          drt_eval_agreement_mean_iou(&acc));
}

/* The pipeline (darkrt detect's path) on the toy engine gives drt_detect_batch's boxes. */
static void check_pipeline(drt_engine *e, const drt_model *m, char paths[][1024], drt_detections **ref)
{
    drt_pipeline_opts o = drt_pipeline_opts_default();
    o.detect = drt_detect_opts_for_model(m);
    o.workers = 2;
    drt_pipeline *p = NULL;
    CHECK(drt_pipeline_create(e, &o, &p) == DRT_OK, "pipeline: %s", drt_last_error());
    if (!p) return;
    for (int i = 0; i < N_IMAGES; i++) CHECK(drt_pipeline_submit_file(p, paths[i], NULL) == DRT_OK, "submit: %s", drt_last_error());
    drt_pipeline_close(p);
    drt_pipeline_result *r;
    for (int i = 0; drt_pipeline_next(p, &r) == DRT_OK && r; i++) {
        CHECK(r->status == DRT_OK && same_dets(r->dets, ref[i]), "pipeline %s: %s", paths[i], r->error);
        drt_pipeline_result_free(r);
    }
    drt_pipeline_free(p);
}

int main(void)
{
    const char *shared = getenv("DRT_SHARED"), *root = getenv("DRT_ROOT");
    char cfg[1024], weights[1024], paths[N_IMAGES][1024];
    snprintf(cfg, sizeof cfg, "%s%s/models/yolo-fastest-1.1/yolo-fastest-1.1.cfg", shared ? shared : root ? root : ".",
             shared ? "" : "/../shared");
    snprintf(weights, sizeof weights, "%.*s.weights", (int)strlen(cfg) - 4, cfg);

    toy = drt_backend_ref; /* the registration: a table entry, here added at run time */
    toy.name = "toy";
    drt_device dev;
    CHECK(drt_backend_register(&toy_entry, &dev) == DRT_OK, "register: %s", drt_last_error());
    const drt_backend *none;
    drt_device unknown[] = {(drt_device)(dev + 1), (drt_device)-1, (drt_device)(INT_MIN + 1), (drt_device)INT_MAX};
    for (size_t k = 0; k < sizeof unknown / sizeof *unknown; k++)
        CHECK(drt_backend_get(unknown[k], &none) == DRT_STATUS_INVALID_ARG && !none && strstr(drt_last_error(), "unknown device"),
              "device %d: %s", (int)unknown[k], drt_last_error());
    int index = -1;
    CHECK(drt_device_parse("toy", &index) == (int)dev && index == 0 && !strcmp(drt_device_name(dev), "toy"),
          "parse/name: device %d, %s", (int)dev, drt_device_name(dev));
    CHECK(drt_device_parse("toy:1", NULL) == -1, "toy:1 refused (the toy is not indexed)");

    drt_model *m = NULL;
    if (drt_model_load_darknet(cfg, weights, NULL, &m) != DRT_OK) {
        printf("%s\nskipped: yolo-fastest-1.1 not found\n", drt_last_error());
        return 77;
    }
    drt_image *im[N_IMAGES] = {0};
    for (int i = 0; i < N_IMAGES; i++) {
        snprintf(paths[i], sizeof paths[i], "/usr/share/darknet/data/%s", images[i]);
        CHECK(drt_image_load(paths[i], &im[i]) == DRT_OK, "%s: %s", paths[i], drt_last_error());
    }
    drt_engine *ref = engine_on(m, DRT_DEVICE_REF), *t = engine_on(m, dev);
    drt_detections *dref[N_IMAGES] = {0}, *dtoy[N_IMAGES] = {0};
    if (ref && t && !failures) {
        CHECK(drt_engine_device(t) == dev, "the toy engine reports its device");
        detect_all(ref, m, im, dref);
        detect_all(t, m, im, dtoy);
        for (int i = 0; i < N_IMAGES; i++)
            CHECK(same_dets(dref[i], dtoy[i]), "%s: toy detections differ from ref", images[i]);
        check_agreement(dref, dtoy);
        drt_context *c = NULL;
        CHECK(drt_context_create(t, &c) == DRT_OK, "toy context: %s", drt_last_error());
        drt_context_free(c);
        check_pipeline(t, m, paths, dref);
    }
    for (int i = 0; i < N_IMAGES; i++) {
        drt_detections_free(dref[i]);
        drt_detections_free(dtoy[i]);
        drt_image_free(im[i]);
    }
    drt_engine_free(ref);
    drt_engine_free(t);
    drt_model_free(m);
    return DONE();
}
