/* Per-class non-maximum suppression with the semantics of Darknet's do_nms_sort and AlexeyAB's
 * diounms_sort: within each class, boxes in order of falling score; a box is dropped when its
 * overlap (IoU, or DIoU for AlexeyAB's greedynms/diounms) with a kept one that scores higher is
 * above the threshold. One sort, no allocation. */
#include "vision/vision.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[DRT_NMS_COUNT] = {"default", "greedynms", "diounms"};

int drt_nms_kind_parse(const char *word)
{
    if (!word) return -1;
    if (!strcmp(word, "iou")) return DRT_NMS_IOU;
    for (int k = 0; k < DRT_NMS_COUNT; k++)
        if (!strcmp(word, kind_names[k])) return k;
    return -1;
}

const char *drt_nms_kind_name(drt_nms_kind kind)
{
    return (unsigned)kind < DRT_NMS_COUNT ? kind_names[kind] : "?";
}

float drt_box_iou(float ax1, float ay1, float ax2, float ay2, float bx1, float by1, float bx2, float by2)
{
    float iw = (ax2 < bx2 ? ax2 : bx2) - (ax1 > bx1 ? ax1 : bx1);
    float ih = (ay2 < by2 ? ay2 : by2) - (ay1 > by1 ? ay1 : by1);
    if (iw <= 0 || ih <= 0) return 0;
    float inter = iw * ih;
    float uni = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter;
    return uni > 0 ? inter / uni : 0;
}

static int by_class_then_score(const void *pa, const void *pb)
{
    const drt_candidate *a = pa, *b = pb;
    if (a->class_id != b->class_id) return a->class_id < b->class_id ? -1 : 1;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

static int by_score(const void *pa, const void *pb)
{
    const drt_candidate *a = pa, *b = pb;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    if (a->class_id != b->class_id) return a->class_id < b->class_id ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* AlexeyAB's box_diou / box_diounms (box.c) on image-relative boxes, as Darknet holds them: the
 * centre distance term is not invariant to scaling x and y differently, so pixels won't do. */
static float diou(const drt_candidate *a, const drt_candidate *b, const drt_nms_rule *r)
{
    float sx = 1.f / r->img_w, sy = 1.f / r->img_h;
    float ax1 = a->x1 * sx, ay1 = a->y1 * sy, ax2 = a->x2 * sx, ay2 = a->y2 * sy;
    float bx1 = b->x1 * sx, by1 = b->y1 * sy, bx2 = b->x2 * sx, by2 = b->y2 * sy;
    float iou = drt_box_iou(ax1, ay1, ax2, ay2, bx1, by1, bx2, by2);
    float w = fmaxf(ax2, bx2) - fminf(ax1, bx1), h = fmaxf(ay2, by2) - fminf(ay1, by1);
    float c = w * w + h * h;
    if (c == 0) return iou;
    float dx = (ax1 + ax2) * .5f - (bx1 + bx2) * .5f, dy = (ay1 + ay2) * .5f - (by1 + by2) * .5f;
    float beta = r->kind == DRT_NMS_GREEDY ? .6f : r->beta;
    return iou - (float)pow((dx * dx + dy * dy) / c, beta);
}

static int overlaps(const drt_candidate *a, const drt_candidate *b, const drt_nms_rule *r)
{
    if (r->kind == DRT_NMS_IOU) return drt_box_iou(a->x1, a->y1, a->x2, a->y2, b->x1, b->y1, b->x2, b->y2) > r->thresh;
    return diou(a, b, r) > r->thresh;
}

drt_nms_rule drt_nms_rule_of(const drt_detect_opts *o, int img_w, int img_h)
{
    return (drt_nms_rule){.kind = (unsigned)o->nms_kind < DRT_NMS_COUNT ? o->nms_kind : DRT_NMS_IOU,
                          .thresh = o->nms, .beta = o->beta_nms, .img_w = (float)img_w, .img_h = (float)img_h};
}

void drt_nms_per_class(drt_candidates *c, const drt_nms_rule *r)
{
    drt_candidate *it = c->items;
    size_t n = c->count, kept = 0;
    if (n == 0) return;
    qsort(it, n, sizeof *it, by_class_then_score);
    /* Survivors are compacted to the front: each class's kept boxes are it[group..kept). */
    for (size_t start = 0; start < n;) {
        size_t end = start;
        while (end < n && it[end].class_id == it[start].class_id) end++;
        size_t group = kept;
        for (size_t i = start; i < end; i++) {
            int drop = 0;
            for (size_t k = group; k < kept && !drop; k++) drop = overlaps(&it[k], &it[i], r);
            if (!drop) it[kept++] = it[i];
        }
        start = end;
    }
    c->count = kept;
    qsort(it, kept, sizeof *it, by_score);
}
