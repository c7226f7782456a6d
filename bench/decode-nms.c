/* Benchmark: YOLO decode + per-class NMS of yolov3-608 heads (19x19, 38x38, 76x76; 3 anchors,
 * 80 classes) on one core, as drt_detect_decode runs them. The heads are synthetic with the
 * statistics of a trained model: background objectness logits around -9 (sigmoid ~1e-4),
 * class logits around -6, and objects (3%..80% of the input) whose 3x3 neighbouring cells
 * on every scale predict the object's box with noise, objectness highest at the centre cell
 * and the best-fitting anchor, one strong class and a runner-up: NMS has real work.
 * usage: decode-nms [iterations] [thresh] [objects]                  (not a test) */
#include "darkrt.h"
#include "vision/vision.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { CLASSES = 80, ANCHORS = 3, NET = 608, HEADS = 3 };
static const int grids[HEADS] = {19, 38, 76};
static const float anchors[HEADS][6] = {{116, 90, 156, 198, 373, 326}, {30, 61, 62, 45, 59, 119}, {10, 13, 16, 30, 33, 23}};

static uint64_t rng = 88172645463325252ull;
static double uniform(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (rng >> 11) * (1.0 / 9007199254740992.0);
}
static float normal(double mean, double sd)
{
    double u = uniform() + 1e-12, v = uniform();
    return (float)(mean + sd * sqrt(-2 * log(u)) * cos(6.283185307179586 * v));
}

typedef struct object {
    double x, y, w, h; /* centre and size, fractions of the network input */
    int cls, other;
} object;

static float logit(double p)
{
    p = p < .02 ? .02 : p > .98 ? .98 : p;
    return (float)log(p / (1 - p));
}

/* Background everywhere; around each object, the 3x3 cells of every anchor predict that
 * object's box (with noise), with objectness that falls off with distance and anchor misfit. */
static float *make_head(int k, const object *objs, int n_obj)
{
    int g = grids[k];
    size_t plane = (size_t)g * g, n = plane * ANCHORS * (5 + CLASSES);
    float *h = malloc(n * sizeof *h);
    for (int a = 0; a < ANCHORS; a++) {
        float *b = h + (size_t)a * (5 + CLASSES) * plane;
        for (size_t i = 0; i < 4 * plane; i++) b[i] = normal(0, 1);
        for (size_t i = 0; i < plane; i++) b[4 * plane + i] = normal(-9, 1.5);
        for (size_t i = 5 * plane; i < (5 + CLASSES) * plane; i++) b[i] = normal(-6, 1.5);
    }
    for (int o = 0; o < n_obj; o++) {
        const object *ob = &objs[o];
        int cx = (int)(ob->x * g), cy = (int)(ob->y * g);
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++) {
                int x = cx + dx, y = cy + dy;
                if (x < 0 || y < 0 || x >= g || y >= g) continue;
                for (int a = 0; a < ANCHORS; a++) {
                    float *b = h + (size_t)a * (5 + CLASSES) * plane + (size_t)y * g + x;
                    double fit = fabs(log(ob->w * NET / anchors[k][2 * a])) + fabs(log(ob->h * NET / anchors[k][2 * a + 1]));
                    b[0] = logit(ob->x * g - x + normal(0, .05));
                    b[plane] = logit(ob->y * g - y + normal(0, .05));
                    b[2 * plane] = (float)log(ob->w * NET / anchors[k][2 * a]) + normal(0, .1);
                    b[3 * plane] = (float)log(ob->h * NET / anchors[k][2 * a + 1]) + normal(0, .1);
                    b[4 * plane] = normal((dx || dy ? 0 : 4) - 2.5 * fit, 1);
                    b[(5 + ob->cls) * plane] = normal(3, 1);
                    b[(5 + ob->other) * plane] = normal(-1, 1);
                }
            }
    }
    return h;
}

static void make_objects(object *objs, int n)
{
    for (int o = 0; o < n; o++) {
        double size = exp(log(.03) + uniform() * log(.8 / .03)); /* 3% .. 80% of the input */
        objs[o] = (object){uniform(), uniform(), size * (.6 + .8 * uniform()), size * (.6 + .8 * uniform()),
                           (int)(uniform() * CLASSES), 0};
        objs[o].other = (objs[o].cls + 1 + (int)(uniform() * (CLASSES - 1))) % CLASSES;
    }
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One decode + NMS of all heads for a 768x576 image, as drt_detect_decode does it. */
static int decode_once(float *heads[HEADS], float thresh, drt_candidates *c, int *kept)
{
    c->count = 0;
    for (int k = 0; k < HEADS; k++) {
        drt_yolo_head h = {.data = heads[k], .w = grids[k], .h = grids[k], .n = ANCHORS, .classes = CLASSES,
                           .scale_x_y = 1};
        memcpy(h.anchors, anchors[k], sizeof anchors[k]);
        if (drt_yolo_decode_head(&h, NET, NET, 768, 576, DRT_RESIZE_LETTERBOX, thresh, c) != DRT_OK) return 1;
    }
    size_t before = c->count;
    drt_nms_per_class(c, &(drt_nms_rule){DRT_NMS_IOU, .45f, .6f, 640, 480});
    drt_detections *d;
    if (drt_detections_from_candidates(c, 768, 576, 0, &d) != DRT_OK) return 1;
    *kept = d->count;
    drt_detections_free(d);
    return (int)before < 0;
}

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : 1000, objects = argc > 3 ? atoi(argv[3]) : 20;
    float thresh = argc > 2 ? (float)atof(argv[2]) : .25f;
    if (iters < 1 || objects < 0) return fprintf(stderr, "usage: decode-nms [iterations] [thresh] [objects]\n"), 2;
    float *heads[HEADS];
    object *objs = malloc(sizeof *objs * (size_t)(objects + 1));
    make_objects(objs, objects);
    for (int k = 0; k < HEADS; k++) heads[k] = make_head(k, objs, objects);
    free(objs);
    drt_candidates c = {0};
    int kept = 0;
    for (int i = 0; i < 10; i++) decode_once(heads, thresh, &c, &kept); /* warm-up */
    size_t candidates = 0;
    double *t = malloc(sizeof *t * (size_t)iters);
    for (int i = 0; i < iters; i++) {
        double t0 = now_ms();
        decode_once(heads, thresh, &c, &kept);
        t[i] = now_ms() - t0;
    }
    c.count = 0;
    for (int k = 0; k < HEADS; k++) {
        drt_yolo_head h = {.data = heads[k], .w = grids[k], .h = grids[k], .n = ANCHORS, .classes = CLASSES, .scale_x_y = 1};
        memcpy(h.anchors, anchors[k], sizeof anchors[k]);
        drt_yolo_decode_head(&h, NET, NET, 768, 576, DRT_RESIZE_LETTERBOX, thresh, &c);
    }
    candidates = c.count;
    double sum = 0;
    for (int i = 0; i < iters; i++) sum += t[i];
    qsort(t, (size_t)iters, sizeof *t, cmp_double);
    printf("yolov3-608 heads (22743 cell-anchors x 80 classes), %d objects, thresh %g, nms 0.45: "
           "%zu candidates -> %d boxes\n", objects, thresh, candidates, kept);
    printf("decode+NMS over %d runs: min %.3f ms, median %.3f ms, mean %.3f ms, max %.3f ms\n", iters, t[0],
           t[iters / 2], sum / iters, t[iters - 1]);
    free(t);
    free(c.items);
    for (int k = 0; k < HEADS; k++) free(heads[k]);
    return 0;
}
