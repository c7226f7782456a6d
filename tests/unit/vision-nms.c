/* IoU and per-class NMS against answers worked out by hand (Darknet's do_nms_sort semantics:
 * greedy by score within a class, suppress when IoU > threshold, classes independent). */
#include "darkrt.h"
#include "vision/vision.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); failures++; } } while (0)

static void test_iou(void)
{
    /* Two 10x10 squares overlapping by 5 in x: inter 50, union 150. */
    CHECK(fabsf(drt_box_iou(0, 0, 10, 10, 5, 0, 15, 10) - 1.f / 3) < 1e-6f, "iou 1/3");
    CHECK(drt_box_iou(0, 0, 10, 10, 0, 0, 10, 10) == 1.f, "identical");
    CHECK(drt_box_iou(0, 0, 10, 10, 10, 0, 20, 10) == 0.f, "touching edges");
    CHECK(drt_box_iou(0, 0, 10, 10, 20, 20, 30, 30) == 0.f, "apart");
    /* Contained: 4x4 inside 8x8 -> 16 / 64. */
    CHECK(fabsf(drt_box_iou(0, 0, 8, 8, 2, 2, 6, 6) - .25f) < 1e-6f, "contained");
    CHECK(drt_box_iou(0, 0, 0, 0, 0, 0, 0, 0) == 0.f, "empty boxes");
}

static unsigned next_id;
static drt_candidate box(float x, float y, float w, float h, float score, int cls)
{
    return (drt_candidate){x, y, x + w, y + h, score, cls, next_id++};
}

static int has(const drt_candidates *c, float score, int cls)
{
    for (size_t i = 0; i < c->count; i++)
        if (c->items[i].score == score && c->items[i].class_id == cls) return 1;
    return 0;
}

static void test_nms(void)
{
    drt_candidate items[] = {
        box(0, 0, 10, 10, .6f, 0),  /* kept: suppresses .9? no: .9 is higher */
        box(1, 0, 10, 10, .9f, 0),  /* best of class 0 */
        box(0, 0, 10, 10, .8f, 1),  /* other class: never suppressed by class 0 */
        box(5, 0, 10, 10, .5f, 0),  /* IoU with .9 box: 6/14 = 0.4286 -> kept at nms .45 */
        box(100, 100, 5, 5, .3f, 0), /* far away: kept */
        box(1, 0, 10, 10, .7f, 1),  /* IoU .818 with the .8 box of class 1: dropped */
    };
    drt_candidates c = {.items = items, .count = 6, .cap = 6};
    drt_nms_per_class(&c, &(drt_nms_rule){DRT_NMS_IOU, .45f, .6f, 100, 100});
    CHECK(c.count == 4, "kept %zu, expected 4", c.count);
    CHECK(has(&c, .9f, 0) && has(&c, .8f, 1) && has(&c, .5f, 0) && has(&c, .3f, 0), "wrong survivors");
    CHECK(!has(&c, .6f, 0) && !has(&c, .7f, 1), "a suppressed box survived");
    for (size_t i = 1; i < c.count; i++) CHECK(c.items[i - 1].score >= c.items[i].score, "not sorted by score");
}

/* A suppressed box does not suppress others (Darknet skips boxes whose prob became 0). */
static void test_chain(void)
{
    drt_candidate items[] = {box(0, 0, 10, 10, .9f, 3), box(4, 0, 10, 10, .8f, 3), box(8, 0, 10, 10, .7f, 3)};
    drt_candidates c = {.items = items, .count = 3, .cap = 3};
    /* IoU(a,b) = 6*10/(140) = .4286 > .4 -> b dropped; IoU(a,c) = 2*10/180 = .111 -> c kept. */
    drt_nms_per_class(&c, &(drt_nms_rule){DRT_NMS_IOU, .4f, .6f, 100, 100});
    CHECK(c.count == 2 && has(&c, .9f, 3) && has(&c, .7f, 3), "chain: kept %zu", c.count);
}

/* The threshold is strict: IoU equal to nms is not suppressed. */
static void test_strict(void)
{
    drt_candidate items[] = {box(0, 0, 10, 10, .9f, 0), box(0, 0, 10, 5, .8f, 0)}; /* IoU exactly .5 */
    drt_candidates c = {.items = items, .count = 2, .cap = 2};
    drt_nms_per_class(&c, &(drt_nms_rule){DRT_NMS_IOU, .5f, .6f, 100, 100});
    CHECK(c.count == 2, "IoU == nms suppressed");
    drt_candidates none = {0};
    drt_nms_per_class(&none, &(drt_nms_rule){DRT_NMS_IOU, .45f, .6f, 100, 100});
    CHECK(none.count == 0, "empty input");
}

/* Equal scores go by id, whatever order the candidates come in (the GPU appends in any order):
 * of two overlapping boxes with one score the lower id is kept, and equal scores of two classes
 * come out by class. */
static void test_ties(void)
{
    for (int order = 0; order < 2; order++) {
        drt_candidate a = box(0, 0, 10, 10, .5f, 2), b = box(1, 0, 10, 10, .5f, 2), c = box(50, 50, 5, 5, .5f, 1);
        a.id = 7;
        b.id = 3;
        c.id = 9;
        drt_candidate items[3];
        items[0] = order ? a : c;
        items[1] = order ? c : b;
        items[2] = order ? b : a;
        drt_candidates cs = {.items = items, .count = 3, .cap = 3};
        drt_nms_per_class(&cs, &(drt_nms_rule){DRT_NMS_IOU, .45f, .6f, 100, 100});
        CHECK(cs.count == 2 && cs.items[0].class_id == 1 && cs.items[1].id == 3,
              "ties, order %d: kept %zu, first class %d, second id %u", order, cs.count, cs.items[0].class_id,
              cs.items[1].id);
    }
}

/* Two boxes of one class kept or not by kind; the second is dropped when it overlaps. */
static size_t survivors(drt_candidate a, drt_candidate b, drt_nms_kind kind, float thresh, float beta, float img_w,
                        float img_h)
{
    drt_candidate items[] = {a, b};
    drt_candidates c = {items, 2, 2, 0};
    drt_nms_per_class(&c, &(drt_nms_rule){kind, thresh, beta, img_w, img_h});
    return c.count;
}

/* AlexeyAB's greedynms and diounms (box_diou, box_diounms): IoU - (d^2 / c^2)^beta, d the centre
 * distance, c the enclosing box's diagonal, on image-relative boxes. */
static void test_diou(void)
{
    /* 100x100 image, (0,0,10,10) and (2,0,12,10): IoU 80/120 = 0.6667; relative d^2 = 0.02^2 =
     * 0.0004, c^2 = 0.12^2 + 0.1^2 = 0.0244, d/c = 0.016393: greedynms 0.016393^0.6 = 0.08489 ->
     * 0.5818; diounms beta 2: 0.000269 -> 0.6664. At 0.6: IoU and diounms(2) drop, greedynms keeps. */
    drt_candidate a = box(0, 0, 10, 10, .9f, 0), b = box(2, 0, 10, 10, .8f, 0);
    CHECK(survivors(a, b, DRT_NMS_IOU, .6f, .6f, 100, 100) == 1, "IoU 0.667 > 0.6 keeps both");
    CHECK(survivors(a, b, DRT_NMS_GREEDY, .6f, 2.f, 100, 100) == 2, "greedynms DIoU 0.582 (beta ignored) dropped one");
    CHECK(survivors(a, b, DRT_NMS_DIOU, .6f, 2.f, 100, 100) == 1, "diounms beta 2: 0.666 > 0.6 keeps both");
    CHECK(survivors(a, b, DRT_NMS_DIOU, .6f, .6f, 100, 100) == 2, "diounms beta 0.6 = greedynms dropped one");
    CHECK(survivors(a, b, DRT_NMS_GREEDY, .58f, .6f, 100, 100) == 1, "greedynms DIoU 0.582 > 0.58 keeps both");
    /* (0,0,10,10) and (4,0,14,10) in a 1000x10 image: IoU 60/140 = 0.4286; relative d^2 = 0.004^2,
     * c^2 = 0.014^2 + 1^2: (1.6e-5 / 1.000196)^0.6 = 0.001327 -> DIoU 0.4273 > 0.3, dropped. In
     * pixels it would be (16 / 296)^0.6 = 0.1737 -> 0.2549, kept: the relative boxes decide. */
    a = box(0, 0, 10, 10, .9f, 0), b = box(4, 0, 10, 10, .8f, 0);
    CHECK(survivors(a, b, DRT_NMS_GREEDY, .3f, .6f, 1000, 10) == 1, "greedynms in relative coordinates");
    CHECK(survivors(a, b, DRT_NMS_GREEDY, .3f, .6f, 10, 10) == 2, "greedynms, square image: 0.255 < 0.3");
    /* Identical boxes: c > 0, d = 0, DIoU = IoU = 1. */
    CHECK(survivors(a, a, DRT_NMS_DIOU, .99f, .6f, 100, 100) == 1, "identical boxes: DIoU 1");
}

static void test_kind_names(void)
{
    CHECK(drt_nms_kind_parse("default") == DRT_NMS_IOU && drt_nms_kind_parse("iou") == DRT_NMS_IOU, "default/iou");
    CHECK(drt_nms_kind_parse("greedynms") == DRT_NMS_GREEDY && drt_nms_kind_parse("diounms") == DRT_NMS_DIOU, "kinds");
    CHECK(drt_nms_kind_parse("cornersnms") == -1 && drt_nms_kind_parse(NULL) == -1, "unknown kinds");
    CHECK(!strcmp(drt_nms_kind_name(DRT_NMS_GREEDY), "greedynms"), "name");
}

int main(void)
{
    test_diou();
    test_kind_names();
    test_iou();
    test_nms();
    test_chain();
    test_strict();
    test_ties();
    printf(failures ? "%d failure(s)\n" : "all checks passed\n", failures);
    return failures ? 1 : 0;
}
