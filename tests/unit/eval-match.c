/* Agreement of detections on constructed cases whose answers are worked out by hand. */
#include "darkrt.h"
#include "eval-check.h"

static drt_eval_agreement run(drt_detection *r, int nr, drt_detection *e, int ne, int *match)
{
    drt_detections ref = {nr, r}, eng = {ne, e};
    drt_eval_agreement acc = {0};
    CHECK(drt_eval_match(&ref, &eng, 0.5, match, &acc) == DRT_OK);
    return acc;
}

int main(void)
{
    drt_detection a = det(16, 0.9f, 100, 100, 200, 300), b = det(1, 0.6f, 10, 20, 110, 80);
    drt_detection c = det(16, 0.4f, 300, 50, 360, 120);

    /* Identical outputs: everything matched, IoU 1, no score change. */
    drt_detection ref3[] = {a, b, c}, eng3[] = {a, b, c};
    drt_eval_agreement s = run(ref3, 3, eng3, 3, NULL);
    CHECK(s.matched == 3 && s.missing == 0 && s.extra == 0);
    CHECK_NEAR(drt_eval_agreement_mean_iou(&s), 1.0, 1e-12);
    CHECK_NEAR(s.max_score_delta, 0.0, 0);

    /* IoU by hand: a 10x10 box shifted by 2 px: intersection 80, union 120 -> 2/3;
     * shifted by (1,1): 81 / 119. */
    drt_detection box = det(0, 0.5f, 0, 0, 10, 10), sx = det(0, 0.5f, 2, 0, 12, 10), sxy = det(0, 0.5f, 1, 1, 11, 11);
    CHECK_NEAR(drt_eval_iou(&box, &sx), 2.0 / 3.0, 1e-9);
    CHECK_NEAR(drt_eval_iou(&box, &sxy), 81.0 / 119.0, 1e-9);
    CHECK_NEAR(drt_eval_iou(&box, &box), 1.0, 0);
    drt_detection far = det(0, 0.5f, 20, 20, 30, 30), empty = det(0, 0.5f, 5, 5, 5, 9);
    CHECK(drt_eval_iou(&box, &far) == 0 && drt_eval_iou(&box, &empty) == 0);
    s = run(&box, 1, &sx, 1, NULL);
    CHECK(s.matched == 1);
    CHECK_NEAR(drt_eval_agreement_mean_iou(&s), 2.0 / 3.0, 1e-9);
    /* Shifted by 5 px: IoU 1/3 is below the 0.5 threshold: one missing, one extra. */
    drt_detection s5 = det(0, 0.5f, 5, 0, 15, 10);
    s = run(&box, 1, &s5, 1, NULL);
    CHECK(s.matched == 0 && s.missing == 1 && s.extra == 1);

    /* A missing detection; the score change of the others is the largest |delta|. */
    drt_detection a2 = a, c2 = c;
    a2.score = 0.8f;
    c2.score = 0.55f;
    drt_detection eng2[] = {a2, c2};
    int match[2];
    s = run(ref3, 3, eng2, 2, match);
    CHECK(s.matched == 2 && s.missing == 1 && s.extra == 0 && s.ref_count == 3 && s.eng_count == 2);
    CHECK(match[0] == 0 && match[1] == 2);
    CHECK_NEAR(s.max_score_delta, 0.15, 1e-6);

    /* Class mismatch: the same box under another class is not matched. */
    drt_detection cat = a;
    cat.class_id = 15;
    s = run(&a, 1, &cat, 1, match);
    CHECK(s.matched == 0 && s.missing == 1 && s.extra == 1 && match[0] == -1);

    /* Greedy by score: the higher-scoring engine box takes the reference box even with a lower
     * IoU; the second one is extra. */
    drt_detection hi = det(0, 0.9f, 2, 0, 12, 10), lo = det(0, 0.3f, 0, 0, 10, 10);
    drt_detection two[] = {lo, hi};
    s = run(&box, 1, two, 2, match);
    CHECK(s.matched == 1 && s.extra == 1 && match[1] == 0 && match[0] == -1);
    CHECK_NEAR(drt_eval_agreement_mean_iou(&s), 2.0 / 3.0, 1e-9);

    /* Accumulation over images and the empty case. */
    drt_eval_agreement acc = {0};
    drt_detections none = {0, NULL}, one = {1, &box}, one_s = {1, &sx};
    CHECK(drt_eval_match(&none, &none, 0.5, NULL, &acc) == DRT_OK);
    CHECK_NEAR(drt_eval_agreement_mean_iou(&acc), 1.0, 0);
    CHECK(drt_eval_match(&one, &one, 0.5, NULL, &acc) == DRT_OK);
    CHECK(drt_eval_match(&one, &one_s, 0.5, NULL, &acc) == DRT_OK);
    CHECK(acc.matched == 2 && acc.ref_count == 2);
    CHECK_NEAR(drt_eval_agreement_mean_iou(&acc), (1.0 + 2.0 / 3.0) / 2, 1e-9);
    drt_eval_agreement lost = {0};
    CHECK(drt_eval_match(&one, &none, 0.5, NULL, &lost) == DRT_OK);
    CHECK(lost.missing == 1 && drt_eval_agreement_mean_iou(&lost) == 0.0);

    /* Bad threshold. */
    CHECK(drt_eval_match(&one, &one, 0.0, NULL, &acc) == DRT_STATUS_INVALID_ARG);
    CHECK(drt_eval_match(&one, &one, 1.5, NULL, &acc) == DRT_STATUS_INVALID_ARG);
    return DONE();
}
