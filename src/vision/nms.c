/* Per-class non-maximum suppression with the semantics of Darknet's do_nms_sort: within each
 * class, boxes in order of falling score; a box is dropped when its IoU with a kept one that
 * scores higher is above the threshold. One sort, no allocation. */
#include "vision/vision.h"

#include <stdlib.h>

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

static int overlaps(const drt_candidate *a, const drt_candidate *b, float nms)
{
    return drt_box_iou(a->x1, a->y1, a->x2, a->y2, b->x1, b->y1, b->x2, b->y2) > nms;
}

void drt_nms_per_class(drt_candidates *c, float nms)
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
            for (size_t k = group; k < kept && !drop; k++) drop = overlaps(&it[k], &it[i], nms);
            if (!drop) it[kept++] = it[i];
        }
        start = end;
    }
    c->count = kept;
    qsort(it, kept, sizeof *it, by_score);
}
