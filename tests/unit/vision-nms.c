/* IoU and per-class NMS against answers worked out by hand (Darknet's do_nms_sort semantics:
 * greedy by score within a class, suppress when IoU > threshold, classes independent). */
#include "darkrt.h"
#include "vision/vision.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

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
    drt_nms_per_class(&c, .45f);
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
    drt_nms_per_class(&c, .4f);
    CHECK(c.count == 2 && has(&c, .9f, 3) && has(&c, .7f, 3), "chain: kept %zu", c.count);
}

/* The threshold is strict: IoU equal to nms is not suppressed. */
static void test_strict(void)
{
    drt_candidate items[] = {box(0, 0, 10, 10, .9f, 0), box(0, 0, 10, 5, .8f, 0)}; /* IoU exactly .5 */
    drt_candidates c = {.items = items, .count = 2, .cap = 2};
    drt_nms_per_class(&c, .5f);
    CHECK(c.count == 2, "IoU == nms suppressed");
    drt_candidates none = {0};
    drt_nms_per_class(&none, .45f);
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
        drt_nms_per_class(&cs, .45f);
        CHECK(cs.count == 2 && cs.items[0].class_id == 1 && cs.items[1].id == 3,
              "ties, order %d: kept %zu, first class %d, second id %u", order, cs.count, cs.items[0].class_id,
              cs.items[1].id);
    }
}

int main(void)
{
    test_iou();
    test_nms();
    test_chain();
    test_strict();
    test_ties();
    printf(failures ? "%d failure(s)\n" : "all checks passed\n", failures);
    return failures ? 1 : 0;
}
