/* YOLO decoding on hand-made head tensors, against boxes worked out by hand from Darknet's
 * formulas: logistic x/y/objectness/classes, exp(w) * anchor / net, scale_x_y, new_coords,
 * letterbox and stretch mapping to image pixels, and the objectness/class thresholds right at
 * their edges (the logit fast path must not change what passes). */
#include "darkrt.h"
#include "vision/vision.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); failures++; } } while (0)

enum { GW = 2, GH = 2, NA = 2, NC = 3, STRIDE = GW * GH, CH = NA * (5 + NC) };

static float head[CH * STRIDE];

static void clear_head(float v)
{
    for (int i = 0; i < CH * STRIDE; i++) head[i] = v;
}

/* Sets entry e (0 x, 1 y, 2 w, 3 h, 4 obj, 5+ classes) of anchor a at (col, row). */
static void set(int a, int e, int col, int row, float v) { head[(a * (5 + NC) + e) * STRIDE + row * GW + col] = v; }

static drt_yolo_head make_head(int new_coords, float scale_x_y)
{
    drt_yolo_head h = {.data = head, .w = GW, .h = GH, .n = NA, .classes = NC, .scale_x_y = scale_x_y,
                       .new_coords = new_coords};
    h.anchors[0] = 4, h.anchors[1] = 4, h.anchors[2] = 16, h.anchors[3] = 8;
    return h;
}

static drt_candidates decode(drt_yolo_head h, int img_w, int img_h, drt_resize r, float thresh)
{
    drt_candidates c = {0};
    if (drt_yolo_decode_head(&h, 64, 64, img_w, img_h, r, thresh, &c) != DRT_OK) {
        printf("FAIL decode: %s\n", drt_last_error());
        failures++;
    }
    return c;
}

static const drt_candidate *find(const drt_candidates *c, int cls)
{
    for (size_t i = 0; i < c->count; i++)
        if (c->items[i].class_id == cls) return &c->items[i];
    return NULL;
}

static int near(float a, double b) { return fabs(a - b) < 1e-3; }

static double sig(double x) { return 1 / (1 + exp(-x)); }

/* One cell: anchor 1 (16x8) at col 1, row 0; x logit 0, y logit ln 3, w logit ln 2, h logit 0. */
static void one_cell(void)
{
    clear_head(-10);
    set(1, 0, 1, 0, 0), set(1, 1, 1, 0, logf(3)), set(1, 2, 1, 0, logf(2)), set(1, 3, 1, 0, 0);
    set(1, 4, 1, 0, 2), set(1, 5 + 2, 1, 0, 3), set(1, 5 + 0, 1, 0, 0);
}

static void test_letterbox(void)
{
    one_cell();
    /* Net box: x .75, y .375, w 2*16/64 = .5, h 8/64 = .125. Image 128x64 in a 64x64 net:
     * new 64x32, y offset .25, y scale .5 -> y .25, h .25 -> pixels (64, 8)-(128, 24). */
    drt_candidates c = decode(make_head(0, 1), 128, 64, DRT_RESIZE_LETTERBOX, .25f);
    CHECK(c.count == 2, "letterbox: %zu candidates, expected 2 (classes 0 and 2)", c.count);
    const drt_candidate *k = find(&c, 2), *k0 = find(&c, 0);
    CHECK(k && near(k->score, sig(2) * sig(3)), "class 2 score");
    CHECK(k0 && near(k0->score, sig(2) * .5), "class 0 score");
    CHECK(k && near(k->x1, 64) && near(k->y1, 8) && near(k->x2, 128) && near(k->y2, 24),
          "letterbox box (%g,%g)-(%g,%g), expected (64,8)-(128,24)", k ? k->x1 : 0, k ? k->y1 : 0, k ? k->x2 : 0,
          k ? k->y2 : 0);
    free(c.items);
}

static void test_stretch(void)
{
    one_cell();
    /* No correction: x .75 +- .25 -> 64..128; y .375 +- .0625 -> 20..28 (image height 64). */
    drt_candidates c = decode(make_head(0, 1), 128, 64, DRT_RESIZE_STRETCH, .25f);
    const drt_candidate *k = find(&c, 2);
    CHECK(k && near(k->x1, 64) && near(k->y1, 20) && near(k->x2, 128) && near(k->y2, 28), "stretch box");
    /* A higher threshold keeps class 2 (.839) and drops class 0 (.440). */
    free(c.items);
    c = decode(make_head(0, 1), 128, 64, DRT_RESIZE_STRETCH, .5f);
    CHECK(c.count == 1 && c.items[0].class_id == 2, "thresh .5: %zu candidates", c.count);
    free(c.items);
}

static void test_scale_x_y(void)
{
    one_cell();
    /* scale_x_y 2: y' = .75 * 2 - .5 = 1 -> y = (0 + 1) / 2 = .5; x' = .5 * 2 - .5 = .5. */
    drt_candidates c = decode(make_head(0, 2), 64, 64, DRT_RESIZE_STRETCH, .25f);
    const drt_candidate *k = find(&c, 2);
    CHECK(k && near((k->y1 + k->y2) / 2, .5 * 64) && near((k->x1 + k->x2) / 2, .75 * 64), "scale_x_y centre");
    free(c.items);
}

static void test_new_coords(void)
{
    clear_head(0);
    /* Raw values: x .5, y .75, w .5 -> (2 * .5)^2 * 16 / 64 = .25, h 1 -> 4 * 8 / 64 = .5; obj .9, class 1 .9. */
    set(1, 0, 1, 0, .5f), set(1, 1, 1, 0, .75f), set(1, 2, 1, 0, .5f), set(1, 3, 1, 0, 1);
    set(1, 4, 1, 0, .9f), set(1, 5 + 1, 1, 0, .9f);
    drt_candidates c = decode(make_head(1, 1), 64, 64, DRT_RESIZE_STRETCH, .25f);
    CHECK(c.count == 1, "new_coords: %zu candidates", c.count);
    const drt_candidate *k = find(&c, 1);
    CHECK(k && near(k->score, .81), "new_coords score");
    CHECK(k && near(k->x1, (.75 - .125) * 64) && near(k->x2, (.75 + .125) * 64) && near(k->y1, (.375 - .25) * 64) &&
              near(k->y2, (.375 + .25) * 64), "new_coords box");
    free(c.items);
}

/* Objectness and class probabilities right around the threshold. */
static void test_edges(void)
{
    float t = .25f;
    clear_head(-20);
    set(0, 4, 0, 0, -1.09f), set(0, 5, 0, 0, 20);  /* obj .2517 > .25, class ~1: passes */
    set(0, 4, 1, 0, -1.10f), set(0, 5, 1, 0, 20);  /* obj .2497: out */
    set(0, 4, 0, 1, 0), set(0, 6, 0, 1, -0.0001f); /* obj .5, class .499975: score .2499875: out */
    set(0, 4, 1, 1, 0), set(0, 7, 1, 1, 0.0001f);  /* score .2500125: in */
    drt_candidates c = decode(make_head(0, 1), 64, 64, DRT_RESIZE_STRETCH, t);
    CHECK(c.count == 2 && find(&c, 0) && find(&c, 2) && !find(&c, 1), "edges: %zu candidates", c.count);
    free(c.items);
    c = decode(make_head(0, 1), 64, 64, DRT_RESIZE_STRETCH, 1);
    CHECK(c.count == 0, "thresh 1 keeps nothing");
    free(c.items);
    c = decode(make_head(0, 1), 64, 64, DRT_RESIZE_STRETCH, 0);
    CHECK(c.count == (size_t)NA * STRIDE * NC, "thresh 0 keeps every class of every cell: %zu", c.count);
    free(c.items);
}

int main(void)
{
    test_letterbox();
    test_stretch();
    test_scale_x_y();
    test_new_coords();
    test_edges();
    printf(failures ? "%d failure(s)\n" : "all checks passed\n", failures);
    return failures ? 1 : 0;
}
