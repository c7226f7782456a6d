/* mAP of engine detections against reference detections used as ground truth (VOC all-point AP). */
#include "darkrt.h"
#include "core/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct scored {
    int image, class_id;
    float score;
    int order; /* insertion order: ties keep it */
    drt_detection box;
} scored;

struct drt_eval_map {
    double iou_thresh;
    int n_images;
    scored *gt, *det;
    size_t n_gt, cap_gt, n_det, cap_det;
};

drt_status drt_eval_map_create(double iou_thresh, drt_eval_map **out)
{
    DRT_ARG(out, "map_out");
    *out = NULL;
    if (!(iou_thresh > 0 && iou_thresh <= 1))
        return drt_error(DRT_STATUS_INVALID_ARG, "eval: IoU threshold %g: must be in (0, 1]", iou_thresh);
    drt_eval_map *m = calloc(1, sizeof *m);
    if (!m) return drt_error(DRT_STATUS_OOM, "eval: out of memory");
    m->iou_thresh = iou_thresh;
    *out = m;
    return DRT_OK;
}

static drt_status append(scored **v, size_t *n, size_t *cap, const drt_detections *d, int image)
{
    int count = d ? d->count : 0;
    if (*n + (size_t)count > *cap) {
        size_t want = (*cap ? *cap * 2 : 64) + (size_t)count;
        scored *grown = realloc(*v, want * sizeof *grown);
        if (!grown) return drt_error(DRT_STATUS_OOM, "eval: out of memory for %zu detections", want);
        *v = grown;
        *cap = want;
    }
    for (int i = 0; i < count; i++) {
        const drt_detection *x = &d->items[i];
        (*v)[*n] = (scored){image, x->class_id, isnan(x->score) ? -INFINITY : x->score, (int)*n, *x};
        (*n)++;
    }
    return DRT_OK;
}

drt_status drt_eval_map_add(drt_eval_map *m, const drt_detections *ref, const drt_detections *eng)
{
    DRT_ARG(m, "map");
    DRT_TRY(append(&m->gt, &m->n_gt, &m->cap_gt, ref, m->n_images));
    DRT_TRY(append(&m->det, &m->n_det, &m->cap_det, eng, m->n_images));
    m->n_images++;
    return DRT_OK;
}

static int by_score_desc(const void *pa, const void *pb)
{
    const scored *a = *(const scored *const *)pa, *b = *(const scored *const *)pb;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return (a->order > b->order) - (a->order < b->order);
}

static int by_int(const void *pa, const void *pb)
{
    int a = *(const int *)pa, b = *(const int *)pb;
    return (a > b) - (a < b);
}

/* AP of one class: -1 without ground truth, -2 when out of memory. */
static double class_ap(const drt_eval_map *m, int cls)
{
    size_t npos = 0, nd = 0;
    for (size_t i = 0; i < m->n_gt; i++) npos += m->gt[i].class_id == cls;
    if (npos == 0) return -1;
    for (size_t i = 0; i < m->n_det; i++) nd += m->det[i].class_id == cls;
    const scored **dets = malloc((nd + 1) * sizeof *dets);
    size_t *gts = malloc((npos + 1) * sizeof *gts); /* the class's truth, in order: each detection scans these only */
    char *used = calloc(m->n_gt + 1, 1);
    double *prec = malloc((nd + 2) * sizeof *prec), *rec = malloc((nd + 2) * sizeof *rec);
    double ap = -2;
    if (!dets || !gts || !used || !prec || !rec) goto done;
    npos = 0;
    for (size_t g = 0; g < m->n_gt; g++)
        if (m->gt[g].class_id == cls) gts[npos++] = g;
    nd = 0;
    for (size_t i = 0; i < m->n_det; i++)
        if (m->det[i].class_id == cls) dets[nd++] = &m->det[i];
    qsort(dets, nd, sizeof *dets, by_score_desc);
    size_t tp = 0, fp = 0;
    for (size_t k = 0; k < nd; k++) {
        double best = -1;
        size_t best_g = 0;
        for (size_t j = 0; j < npos; j++) {
            size_t g = gts[j];
            if (m->gt[g].image != dets[k]->image) continue;
            double iou = drt_eval_iou(&dets[k]->box, &m->gt[g].box);
            if (iou > best) {
                best = iou;
                best_g = g;
            }
        }
        if (best >= m->iou_thresh && !used[best_g]) {
            used[best_g] = 1;
            tp++;
        } else {
            fp++;
        }
        rec[k + 1] = (double)tp / (double)npos;
        prec[k + 1] = (double)tp / (double)(tp + fp);
    }
    /* All-point interpolation: precision made monotone from the right, summed over recall steps. */
    rec[0] = 0;
    prec[0] = 0;
    rec[nd + 1] = 1;
    prec[nd + 1] = 0;
    for (size_t i = nd + 1; i-- > 0;)
        if (prec[i + 1] > prec[i]) prec[i] = prec[i + 1];
    ap = 0;
    for (size_t i = 0; i <= nd; i++)
        if (rec[i + 1] != rec[i]) ap += (rec[i + 1] - rec[i]) * prec[i + 1];
done:
    free(dets);
    free(gts);
    free(used);
    free(prec);
    free(rec);
    return ap;
}

double drt_eval_map_class_ap(const drt_eval_map *m, int class_id)
{
    DRT_ARG_OR(m, "map", -1);
    double ap = class_ap(m, class_id);
    return ap < -1.5 ? -1 : ap;
}

drt_status drt_eval_map_compute(const drt_eval_map *m, double *map_out, int *n_classes_out)
{
    DRT_ARG(m, "map");
    DRT_ARG(map_out, "map_out");
    *map_out = 0;
    if (n_classes_out) *n_classes_out = 0;
    if (m->n_gt == 0) {
        *map_out = m->n_det == 0 ? 1.0 : 0.0;
        return DRT_OK;
    }
    /* The classes the reference holds, each once: ids come from files (2147483647 is one class, not a
     * loop over two billion). */
    int *ids = malloc(m->n_gt * sizeof *ids);
    if (!ids) return drt_error(DRT_STATUS_OOM, "eval: out of memory computing AP");
    for (size_t i = 0; i < m->n_gt; i++) ids[i] = m->gt[i].class_id;
    qsort(ids, m->n_gt, sizeof *ids, by_int);
    double sum = 0;
    int n = 0;
    for (size_t i = 0; i < m->n_gt; i++) {
        if (i && ids[i] == ids[i - 1]) continue;
        double ap = class_ap(m, ids[i]);
        if (ap < -1.5) {
            free(ids);
            return drt_error(DRT_STATUS_OOM, "eval: out of memory computing AP");
        }
        sum += ap;
        n++;
    }
    free(ids);
    *map_out = n ? sum / n : 0;
    if (n_classes_out) *n_classes_out = n;
    return DRT_OK;
}

void drt_eval_map_free(drt_eval_map *m)
{
    if (!m) return;
    free(m->gt);
    free(m->det);
    free(m);
}
