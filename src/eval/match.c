/* Matching an engine's detections to a reference's: IoU, greedy by score, same class. */
#include "darkrt.h"
#include "core/error.h"

#include <math.h>
#include <stdlib.h>

double drt_eval_iou(const drt_detection *a, const drt_detection *b)
{
    DRT_ARG_OR(a, "a", NAN);
    DRT_ARG_OR(b, "b", NAN);
    double iw = fmin(a->x2, b->x2) - fmax(a->x1, b->x1);
    double ih = fmin(a->y2, b->y2) - fmax(a->y1, b->y1);
    double area_a = ((double)a->x2 - a->x1) * ((double)a->y2 - a->y1);
    double area_b = ((double)b->x2 - b->x1) * ((double)b->y2 - b->y1);
    if (!(iw > 0) || !(ih > 0) || !(area_a > 0) || !(area_b > 0)) return 0.0;
    double inter = iw * ih;
    return inter / (area_a + area_b - inter);
}

/* Engine detections in order of decreasing score (stable: equal scores keep input order). */
typedef struct ranked {
    float score;
    int index;
} ranked;

static int by_score_desc(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

drt_status drt_eval_match(const drt_detections *ref, const drt_detections *eng, double iou_thresh,
                          int *match_out, drt_eval_agreement *acc)
{
    DRT_ARG(acc, "acc");
    if (!(iou_thresh > 0 && iou_thresh <= 1))
        return drt_error(DRT_STATUS_INVALID_ARG, "eval: IoU threshold %g: must be in (0, 1]", iou_thresh);
    int nr = ref ? ref->count : 0, ne = eng ? eng->count : 0;
    ranked *order = malloc(sizeof *order * (size_t)(ne + 1));
    char *taken = calloc((size_t)nr + 1, 1);
    if (!order || !taken) {
        free(order);
        free(taken);
        return drt_error(DRT_STATUS_OOM, "eval: out of memory matching %d x %d detections", nr, ne);
    }
    for (int i = 0; i < ne; i++) order[i] = (ranked){isnan(eng->items[i].score) ? -INFINITY : eng->items[i].score, i};
    qsort(order, (size_t)ne, sizeof *order, by_score_desc);
    int matched = 0;
    for (int k = 0; k < ne; k++) {
        const drt_detection *e = &eng->items[order[k].index];
        int best = -1;
        double best_iou = 0;
        for (int r = 0; r < nr; r++) {
            if (taken[r] || ref->items[r].class_id != e->class_id) continue;
            double iou = drt_eval_iou(e, &ref->items[r]);
            if (iou >= iou_thresh && iou > best_iou) {
                best = r;
                best_iou = iou;
            }
        }
        if (match_out) match_out[order[k].index] = best;
        if (best < 0) continue;
        taken[best] = 1;
        matched++;
        acc->iou_sum += best_iou;
        double delta = fabs((double)e->score - ref->items[best].score);
        if (delta > acc->max_score_delta) acc->max_score_delta = delta;
    }
    acc->ref_count += nr;
    acc->eng_count += ne;
    acc->matched += matched;
    acc->missing += nr - matched;
    acc->extra += ne - matched;
    free(order);
    free(taken);
    return DRT_OK;
}

double drt_eval_agreement_mean_iou(const drt_eval_agreement *acc)
{
    DRT_ARG_OR(acc, "acc", NAN);
    if (acc->matched > 0) return acc->iou_sum / acc->matched;
    return acc->ref_count == 0 && acc->eng_count == 0 ? 1.0 : 0.0;
}
