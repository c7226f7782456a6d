/* Helpers of the vision tests that run Debian's libdarknet as the reference: model paths,
 * loading a network that computes darkrt's default (AlexeyAB) batchnorm, image conversion,
 * and Darknet's (box, class) pairs in image pixels. */
#ifndef DRT_TESTS_DARKNET_VISION_UTIL_H
#define DRT_TESTS_DARKNET_VISION_UTIL_H

#include <darknet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SKIP 77

/* Darknet 2018 leaks a little while loading a network (option lists); not ours to fix. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libdarknet.so\n"; }

/* ../shared/models/yolo-fastest-1.1 relative to the repository root, or $DRT_SHARED/models/... */
static inline int fastest_paths(char *cfg, char *weights, size_t n)
{
    const char *shared = getenv("DRT_SHARED");
    const char *root = getenv("DRT_ROOT");
    char base[4096];
    if (shared) snprintf(base, sizeof base, "%s/models/yolo-fastest-1.1", shared);
    else snprintf(base, sizeof base, "%s/../shared/models/yolo-fastest-1.1", root ? root : ".");
    snprintf(cfg, n, "%s/yolo-fastest-1.1.cfg", base);
    snprintf(weights, n, "%s/yolo-fastest-1.1.weights", base);
    return access(cfg, R_OK) == 0 && access(weights, R_OK) == 0;
}

/* Darknet at batch 1, its batchnorm made AlexeyAB's: var' = (sqrt(var + 1e-5) - 1e-6)^2, so
 * that sqrt(var') + 1e-6 = sqrt(var + 1e-5). */
static inline network *load_darknet_alexeyab(char *cfg, char *weights)
{
    network *net = load_network(cfg, weights, 0);
    set_batch_network(net, 1);
    for (int i = 0; i < net->n; i++) {
        layer *l = &net->layers[i];
        if (l->type != CONVOLUTIONAL || !l->batch_normalize) continue;
        for (int k = 0; k < l->n; k++) {
            double s = sqrt((double)l->rolling_variance[k] + 1e-5) - 1e-6;
            l->rolling_variance[k] = (float)(s * s);
        }
    }
    return net;
}

/* One (box, class) of Darknet's result, in image pixels clamped to the image like darkrt's. */
typedef struct dn_pair {
    int class_id;
    float score, x1, y1, x2, y2;
    int matched;
} dn_pair;

static inline float clamp_to(float v, float hi) { return v < 0 ? 0 : v > hi ? hi : v; }

/* Darknet's detections above thresh as pairs (what `darknet detect` prints and draws). */
static inline int darknet_pairs(detection *dets, int n, int classes, float thresh, int w, int h, dn_pair *out, int max)
{
    int k = 0;
    for (int i = 0; i < n; i++) {
        box b = dets[i].bbox;
        for (int j = 0; j < classes && k < max; j++) {
            if (!(dets[i].prob[j] > thresh)) continue;
            out[k++] = (dn_pair){j, dets[i].prob[j], clamp_to((b.x - b.w / 2) * w, w), clamp_to((b.y - b.h / 2) * h, h),
                                 clamp_to((b.x + b.w / 2) * w, w), clamp_to((b.y + b.h / 2) * h, h), 0};
        }
    }
    return k;
}

static inline float pair_iou(float ax1, float ay1, float ax2, float ay2, float bx1, float by1, float bx2, float by2)
{
    float iw = fminf(ax2, bx2) - fmaxf(ax1, bx1), ih = fminf(ay2, by2) - fmaxf(ay1, by1);
    if (iw <= 0 || ih <= 0) return 0;
    float inter = iw * ih;
    return inter / ((ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter);
}

typedef struct match_stats {
    int darknet, darkrt, matched, bad;
    float max_score_diff, min_iou;
} match_stats;

/* Matches darkrt's detections to Darknet's pairs: same class, best IoU; requires score within
 * 0.01 and IoU >= 0.95, and no unmatched box on either side above thresh + 0.02. */
static inline match_stats match_detections(const char *name, dn_pair *dn, int n_dn, const drt_detections *d, float thresh)
{
    match_stats st = {n_dn, d->count, 0, 0, 0, 1};
    int *used = calloc((size_t)d->count + 1, sizeof *used);
    for (int i = 0; i < n_dn; i++) {
        int best = -1;
        float best_iou = 0;
        for (int j = 0; j < d->count; j++) {
            const drt_detection *x = &d->items[j];
            if (used[j] || x->class_id != dn[i].class_id) continue;
            float iou = pair_iou(dn[i].x1, dn[i].y1, dn[i].x2, dn[i].y2, x->x1, x->y1, x->x2, x->y2);
            if (iou > best_iou) best_iou = iou, best = j;
        }
        if (best < 0 || best_iou < 0.5f) {
            if (dn[i].score > thresh + 0.02f) {
                printf("FAIL %s: Darknet's class %d %.3f (%.0f,%.0f)-(%.0f,%.0f) has no darkrt match\n", name,
                       dn[i].class_id, dn[i].score, dn[i].x1, dn[i].y1, dn[i].x2, dn[i].y2);
                st.bad++;
            }
            continue;
        }
        used[best] = 1;
        dn[i].matched = 1;
        st.matched++;
        float diff = fabsf(d->items[best].score - dn[i].score);
        if (diff > st.max_score_diff) st.max_score_diff = diff;
        if (best_iou < st.min_iou) st.min_iou = best_iou;
        if (diff > 0.01f || best_iou < 0.95f) {
            printf("FAIL %s: class %d: Darknet %.4f, darkrt %.4f, IoU %.4f\n", name, dn[i].class_id, dn[i].score,
                   d->items[best].score, best_iou);
            st.bad++;
        }
    }
    for (int j = 0; j < d->count; j++)
        if (!used[j] && d->items[j].score > thresh + 0.02f) {
            printf("FAIL %s: darkrt's class %d %.3f has no Darknet match\n", name, d->items[j].class_id,
                   d->items[j].score);
            st.bad++;
        }
    free(used);
    return st;
}

#endif
