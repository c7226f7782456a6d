/* tests/det-near-tie.h (how cuda-vs-ref excuses fp16 detections): hand-worked cases, then darkrt's own NMS on
 * random clusters with scores moved by at most margin / 2 (every difference must be excused, and ties and
 * cascades must occur) and by up to 5 x margin (unexcused differences must occur). */
#include "darkrt.h"
#include "eval-check.h"
#include "vision/vision.h"
#include "../det-near-tie.h"

static const near_tie_rule rule = {.thresh = .25f, .nms = .45f, .margin = .02f, .match_iou = .9};

static near_tie_result cmp(drt_detection *r, int nr, drt_detection *e, int ne)
{
    drt_detections ref = {nr, r}, eng = {ne, e};
    near_tie_result res;
    int unexcused = near_tie_compare(&ref, &eng, &rule, stdout, "case", &res); /* res is filled by the call */
    CHECK(unexcused == res.unexcused);
    return res;
}

static void hand_cases(void)
{
    /* dog.jpg's two cats (yolo-fastest-1.1): IoU 60977 / 77778 = 0.784, scores 0.0017 apart: a tie. */
    drt_detection a = det(15, .2812f, 108, 227, 369, 525), b = det(15, .2795f, 113, 243, 330, 524);
    near_tie_result s = cmp(&a, 1, &b, 1);
    CHECK(s.matched == 0 && s.missing == 1 && s.extra == 1 && s.excused_tie == 2 && s.unexcused == 0);
    /* 0.07 apart, both 0.03+ above thresh: nothing explains either. */
    drt_detection b2 = b;
    b2.score = .35f;
    s = cmp(&a, 1, &b2, 1);
    CHECK(s.unexcused == 2 && s.excused_tie + s.excused_thresh + s.excused_cascade == 0);
    /* IoU below the NMS threshold, or another class: neither could have suppressed the other. */
    drt_detection b3 = det(15, .2795f, 250, 227, 511, 525), b4 = b;
    b4.class_id = 16;
    CHECK(drt_eval_iou(&a, &b3) < rule.nms);
    s = cmp(&a, 1, &b3, 1);
    CHECK(s.unexcused == 2);
    s = cmp(&a, 1, &b4, 1);
    CHECK(s.unexcused == 2);
    /* Alone near the threshold: excused within margin, not beyond; an engine box under thresh is not counted. */
    drt_detection t1 = det(2, .26f, 10, 10, 50, 50), t2 = det(2, .30f, 10, 10, 50, 50), t3 = det(2, .24f, 10, 10, 50, 50);
    s = cmp(NULL, 0, &t1, 1);
    CHECK(s.extra == 1 && s.excused_thresh == 1 && s.unexcused == 0);
    s = cmp(&t1, 1, NULL, 0);
    CHECK(s.missing == 1 && s.excused_thresh == 1 && s.unexcused == 0);
    s = cmp(NULL, 0, &t2, 1);
    CHECK(s.extra == 1 && s.unexcused == 1);
    s = cmp(NULL, 0, &t3, 1);
    CHECK(s.extra == 0 && s.unexcused == 0);
    /* Matched boxes: no verdicts; the score change is reported. */
    drt_detection a2 = a;
    a2.score = .29f;
    s = cmp(&a, 1, &a2, 1);
    CHECK(s.matched == 1 && s.missing + s.extra == 0);
    CHECK_NEAR(s.max_score_delta, .29 - .2812, 1e-6);
    /* A cascade: x-shifted 100 px squares, IoU(p, q) = IoU(q, u) = 70 / 130, IoU(p, u) = 40 / 160. The reference
     * keeps p (0.50) over q (0.49) and so u (0.30); the engine scores q 0.505: q suppresses p and u. */
    drt_detection p = det(0, .50f, 0, 0, 100, 100), q = det(0, .505f, 30, 0, 130, 100), u = det(0, .30f, 60, 0, 160, 100);
    drt_detection ref2[] = {p, u};
    s = cmp(ref2, 2, &q, 1);
    CHECK(s.missing == 2 && s.extra == 1 && s.excused_tie == 2 && s.excused_cascade == 1 && s.unexcused == 0);
    /* ... but not when q's own difference is no tie (0.60 against 0.50): then u's loss is unexplained too. */
    q.score = .60f;
    s = cmp(ref2, 2, &q, 1);
    CHECK(s.unexcused == 3 && s.excused_cascade == 0);
}

static uint64_t seed = 88172645463325252ull;
static float uniform(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return (float)(seed >> 40) / 16777216.f;
}

/* Darknet's thresholding and greedy per-class IoU NMS (darkrt's own) on a copy of the candidates. */
static drt_detections *detect(const drt_candidate *c, int n, float thresh)
{
    drt_candidates keep = {malloc(sizeof(drt_candidate) * (size_t)n), 0, (size_t)n, 0};
    for (int i = 0; i < n; i++)
        if (c[i].score >= thresh) keep.items[keep.count++] = c[i];
    drt_detect_opts o = drt_detect_opts_default();
    drt_nms_rule nr = drt_nms_rule_of(&o, 640, 480);
    nr.thresh = rule.nms;
    drt_nms_per_class(&keep, &nr);
    drt_detections *d = NULL;
    CHECK(drt_detections_from_candidates(&keep, 640, 480, 0, &d) == DRT_OK);
    free(keep.items);
    return d;
}

/* trials of random clusters; the engine's scores move by up to `move`. Counts what the comparisons found. */
static void random_cases(float move, int trials, near_tie_result *sum, int *trials_unexcused)
{
    enum { N = 24 };
    *sum = (near_tie_result){0};
    *trials_unexcused = 0;
    for (int t = 0; t < trials; t++) {
        drt_candidate ref[N], eng[N];
        for (int i = 0; i < N; i++) {
            /* 4 cluster centres, 2 classes; boxes jittered so that pairwise IoU spans the NMS threshold */
            int cl = i % 4;
            float cx = 100 + 140 * cl, cy = 240, w = 80 + 40 * uniform(), h = 80 + 40 * uniform();
            cx += 40 * (uniform() - .5f);
            cy += 40 * (uniform() - .5f);
            float score = .22f + .2f * uniform();
            ref[i] = (drt_candidate){cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, score, (i / 4) % 2, (unsigned)i};
            eng[i] = ref[i];
            eng[i].score = score + move * (2 * uniform() - 1);
        }
        drt_detections *dr = detect(ref, N, rule.thresh), *de = detect(eng, N, rule.thresh - rule.margin);
        near_tie_result r;
        CHECK(near_tie_compare(dr, de, &rule, NULL, "", &r) >= 0);
        sum->missing += r.missing;
        sum->extra += r.extra;
        sum->excused_thresh += r.excused_thresh;
        sum->excused_tie += r.excused_tie;
        sum->excused_cascade += r.excused_cascade;
        sum->unexcused += r.unexcused;
        *trials_unexcused += r.unexcused > 0;
        drt_detections_free(dr);
        drt_detections_free(de);
    }
}

int main(void)
{
    hand_cases();
    near_tie_result s;
    int bad;
    random_cases(rule.margin / 2, 2000, &s, &bad);
    printf("scores moved by <= margin/2, 2000 trials: missing %d, extra %d, excused thresh %d, tie %d, cascade %d, "
           "unexcused %d\n", s.missing, s.extra, s.excused_thresh, s.excused_tie, s.excused_cascade, s.unexcused);
    CHECK(s.unexcused == 0);
    CHECK(s.excused_tie > 0 && s.excused_cascade > 0 && s.excused_thresh > 0); /* each rule was needed */
    random_cases(5 * rule.margin, 200, &s, &bad);
    printf("scores moved by <= 5 x margin, 200 trials: %d trials with unexcused boxes (%d boxes)\n", bad, s.unexcused);
    CHECK(bad > 20);
    return DONE();
}
