/* mAP@0.5 against reference detections, on cases whose AP is worked out by hand. */
#include "darkrt.h"
#include "eval-check.h"

static double map_of(drt_detections *refs, drt_detections *engs, int n_images, int *n_classes)
{
    drt_eval_map *m = NULL;
    CHECK(drt_eval_map_create(0.5, &m) == DRT_OK);
    for (int i = 0; i < n_images; i++) CHECK(drt_eval_map_add(m, &refs[i], &engs[i]) == DRT_OK);
    double v = -1;
    CHECK(drt_eval_map_compute(m, &v, n_classes) == DRT_OK);
    drt_eval_map_free(m);
    return v;
}

int main(void)
{
    drt_detection g1 = det(0, 0.9f, 0, 0, 10, 10), g2 = det(0, 0.8f, 20, 0, 30, 10);
    drt_detection g3 = det(0, 0.7f, 40, 0, 50, 10), cat = det(3, 0.6f, 0, 20, 10, 30);
    int nc = 0;

    /* Identical detections: mAP 1 over both classes. */
    drt_detection ref[] = {g1, g2, g3, cat};
    drt_detections r = {4, ref}, e = {4, ref};
    CHECK_NEAR(map_of(&r, &e, 1, &nc), 1.0, 1e-12);
    CHECK(nc == 2);

    /* One of two dogs missing: dog AP = 0.5 (recall stops at 1/2 with precision 1), cat AP 1. */
    drt_detection ref2[] = {g1, g2, cat}, eng2[] = {g1, cat};
    drt_detections r2 = {3, ref2}, e2 = {2, eng2};
    CHECK_NEAR(map_of(&r2, &e2, 1, &nc), (0.5 + 1.0) / 2, 1e-12);

    /* A false positive between two true positives, one of three missing:
     * precision 1, 1/2, 2/3 at recall 1/3, 1/3, 2/3; interpolated AP = 1/3 * 1 + 1/3 * 2/3 = 5/9. */
    drt_detection d1 = g1, fp = det(0, 0.8f, 100, 100, 110, 110), d3 = g2;
    d1.score = 0.9f;
    d3.score = 0.7f;
    drt_detection ref3[] = {g1, g2, g3}, eng3[] = {d3, fp, d1};
    drt_detections r3 = {3, ref3}, e3 = {3, eng3};
    drt_eval_map *m = NULL;
    CHECK(drt_eval_map_create(0.5, &m) == DRT_OK);
    CHECK(drt_eval_map_add(m, &r3, &e3) == DRT_OK);
    CHECK_NEAR(drt_eval_map_class_ap(m, 0), 5.0 / 9.0, 1e-12);
    CHECK(drt_eval_map_class_ap(m, 7) == -1);
    drt_eval_map_free(m);

    /* A duplicate of a matched box counts as a false positive: AP stays 1 only because the
     * duplicate ranks below every true positive (precision at full recall is 1). Ranked above
     * the second true positive it costs: precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1 -> 1/2 + 1/2 * 2/3. */
    drt_detection dup = g1;
    dup.score = 0.85f;
    drt_detection ref4[] = {g1, g2}, eng4[] = {g1, dup, g2};
    eng4[2].score = 0.5f;
    drt_detections r4 = {2, ref4}, e4 = {3, eng4};
    CHECK_NEAR(map_of(&r4, &e4, 1, &nc), 0.5 + 0.5 * 2.0 / 3.0, 1e-12);

    /* Class mismatch: the reference's dog found as a cat scores AP 0 for dog; cat is not scored. */
    drt_detection as_cat = g1;
    as_cat.class_id = 3;
    drt_detections r5 = {1, &g1}, e5 = {1, &as_cat};
    CHECK_NEAR(map_of(&r5, &e5, 1, &nc), 0.0, 0);
    CHECK(nc == 1);

    /* Over images: a box only matches ground truth in its own image. Image 0: g1 found;
     * image 1: g1 expected, the engine's box there is far away -> FP, and it ranks first (0.95).
     * Precision 0 then 1/2 at recall 0 then 1/2: AP = 1/2 * 1/2 = 0.25. */
    drt_detections refs[2] = {{1, &g1}, {1, &g1}};
    drt_detection moved = det(0, 0.95f, 60, 60, 70, 70);
    drt_detections engs[2] = {{1, &g1}, {1, &moved}};
    CHECK_NEAR(map_of(refs, engs, 2, &nc), 0.25, 1e-12);

    /* Nothing in the reference: 1 when the engine agrees, 0 when it reports something. */
    drt_detections none = {0, NULL};
    CHECK_NEAR(map_of(&none, &none, 1, &nc), 1.0, 0);
    CHECK(nc == 0);
    CHECK_NEAR(map_of(&none, &r5, 1, &nc), 0.0, 0);

    CHECK(drt_eval_map_create(0, &m) == DRT_STATUS_INVALID_ARG && m == NULL);
    return DONE();
}
