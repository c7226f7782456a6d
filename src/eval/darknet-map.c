/* validate_detector_map's scoring, transcribed: each detection takes the label of its class with
 * the highest IoU above the threshold; ranks by probability; precision and recall per class at
 * every rank; AP by area under the curve or at 11 / 101 recall points; mAP over all classes. */
#include "eval/darknet-map.h"
#include "core/error.h"

#include <stdlib.h>
#include <string.h>

typedef struct ranked_det {
    float prob;
    int class_id, truth_index; /* -1: no label matched */
    size_t order;
} ranked_det;

struct drt_dn_map {
    int classes;
    float iou_thresh, conf_thresh;
    ranked_det *dets;
    size_t n_dets, cap;
    int n_truth;      /* unique_truth_count */
    int *truth_count; /* per class */
    int *tp, *fp;     /* at conf_thresh, per class */
    float iou_sum;    /* of the TPs' IoUs at conf_thresh (Darknet's avg_iou) */
};

drt_status drt_dn_map_create(int classes, float iou_thresh, float conf_thresh, drt_dn_map **out)
{
    *out = NULL;
    if (classes < 1 || classes > 100000) return drt_error(DRT_STATUS_INVALID_ARG, "map: %d classes", classes);
    drt_dn_map *m = calloc(1, sizeof *m);
    if (m) {
        m->truth_count = calloc((size_t)classes, sizeof *m->truth_count);
        m->tp = calloc((size_t)classes, sizeof *m->tp);
        m->fp = calloc((size_t)classes, sizeof *m->fp);
    }
    if (!m || !m->truth_count || !m->tp || !m->fp) {
        drt_dn_map_free(m);
        return drt_error(DRT_STATUS_OOM, "map: out of memory");
    }
    m->classes = classes;
    m->iou_thresh = iou_thresh;
    m->conf_thresh = conf_thresh;
    *out = m;
    return DRT_OK;
}

static float overlap(float x1, float w1, float x2, float w2)
{
    float l1 = x1 - w1 / 2, l2 = x2 - w2 / 2, r1 = x1 + w1 / 2, r2 = x2 + w2 / 2;
    return (r1 < r2 ? r1 : r2) - (l1 > l2 ? l1 : l2);
}

float drt_dn_box_iou(const drt_dn_box *a, const drt_dn_box *b)
{
    float w = overlap(a->x, a->w, b->x, b->w), h = overlap(a->y, a->h, b->y, b->h);
    float inter = w < 0 || h < 0 ? 0 : w * h;
    float uni = a->w * a->h + b->w * b->h - inter;
    return inter == 0 || uni == 0 ? 0 : inter / uni;
}

/* The counts at conf_thresh: a TP when it matched a label no earlier detection of this image took. */
static void count_at_thresh(drt_dn_map *m, size_t first, const drt_dn_box *d, int truth_index, float iou)
{
    if (!(d->prob > m->conf_thresh)) return;
    int found = 0;
    for (size_t z = first; z + 1 < m->n_dets && !found; z++) found = m->dets[z].truth_index == truth_index;
    if (truth_index > -1 && !found) {
        m->iou_sum += iou;
        m->tp[d->class_id]++;
    } else {
        m->fp[d->class_id]++;
    }
}

drt_status drt_dn_map_add(drt_dn_map *m, const drt_dn_box *truth, int n_truth, const drt_dn_box *dets, int n_dets,
                          const char *label_path)
{
    for (int j = 0; j < n_truth; j++)
        if (truth[j].class_id < 0 || truth[j].class_id >= m->classes)
            return drt_error(DRT_STATUS_FORMAT, "%s: label %d: class %d is outside 0..%d", label_path, j + 1,
                             truth[j].class_id, m->classes - 1);
    if (m->n_dets + (size_t)n_dets > m->cap) {
        size_t want = (m->cap ? m->cap * 2 : 1024) + (size_t)n_dets;
        ranked_det *grown = realloc(m->dets, want * sizeof *grown);
        if (!grown) return drt_error(DRT_STATUS_OOM, "map: out of memory for %zu detections", want);
        m->dets = grown;
        m->cap = want;
    }
    for (int j = 0; j < n_truth; j++) m->truth_count[truth[j].class_id]++;
    size_t first = m->n_dets;
    for (int i = 0; i < n_dets; i++) {
        const drt_dn_box *d = &dets[i];
        if (!(d->prob > 0) || d->class_id < 0 || d->class_id >= m->classes) continue;
        int truth_index = -1;
        float max_iou = 0;
        for (int j = 0; j < n_truth; j++) {
            float iou = drt_dn_box_iou(d, &truth[j]);
            if (iou > m->iou_thresh && d->class_id == truth[j].class_id && iou > max_iou) {
                max_iou = iou;
                truth_index = m->n_truth + j;
            }
        }
        m->dets[m->n_dets] = (ranked_det){d->prob, d->class_id, truth_index, m->n_dets};
        m->n_dets++;
        count_at_thresh(m, first, d, truth_index, max_iou);
    }
    m->n_truth += n_truth;
    return DRT_OK;
}

/* By probability, highest first; equal ones keep their order (Darknet's qsort leaves it open). */
static int by_prob(const void *pa, const void *pb)
{
    const ranked_det *a = pa, *b = pb;
    if (a->prob != b->prob) return a->prob > b->prob ? -1 : 1;
    return (a->order > b->order) - (a->order < b->order);
}

/* Precision and recall of class c at every rank of the whole ranking, as Darknet's pr[c][rank]. */
static void class_curve(const drt_dn_map *m, const ranked_det *ranked, int c, char *truth_flags, double *prec,
                        double *rec)
{
    int tp = 0, fp = 0;
    for (size_t r = 0; r < m->n_dets; r++) {
        const ranked_det *d = &ranked[r];
        if (d->class_id == c) {
            if (d->truth_index >= 0 && !truth_flags[d->truth_index]) {
                truth_flags[d->truth_index] = 1;
                tp++;
            } else {
                fp++;
            }
        }
        int fn = m->truth_count[c] - tp;
        prec[r] = tp + fp > 0 ? (double)tp / (double)(tp + fp) : 0;
        rec[r] = tp + fn > 0 ? (double)tp / (double)(tp + fn) : 0;
    }
}

static double class_ap(size_t n, const double *prec, const double *rec, int points)
{
    if (n == 0) return 0;
    double ap = 0;
    if (points == 0) {
        double last_recall = rec[n - 1], last_precision = prec[n - 1];
        for (size_t r = n - 1; r-- > 0;) {
            double delta = last_recall - rec[r];
            last_recall = rec[r];
            if (prec[r] > last_precision) last_precision = prec[r];
            ap += delta * last_precision;
        }
        return ap + last_recall * last_precision;
    }
    /* Darknet's recall points as its Makefile and CMake build it (-Ofast): the loop-invariant division
     * becomes a multiplication by 1/(points-1), so point 6 of 11 is 0.6000000000000001 and a recall of
     * exactly 3/5 does not reach it (tests/cli/darknet-map-alexeyab.sh, -points 11 -iou_thresh 0.75). */
    const double step = 1.0 / (points - 1);
    for (int p = 0; p < points; p++) {
        double cur_recall = p * step, cur_precision = 0;
        for (size_t r = 0; r < n; r++)
            if (rec[r] >= cur_recall && prec[r] > cur_precision) cur_precision = prec[r];
        ap += cur_precision;
    }
    return ap / points;
}

static void thresh_summary(const drt_dn_map *m, drt_dn_map_result *out)
{
    for (int c = 0; c < m->classes; c++) {
        out->tp[c] = m->tp[c];
        out->fp[c] = m->fp[c];
        out->truths[c] = m->truth_count[c];
        out->tp_all += m->tp[c];
        out->fp_all += m->fp[c];
    }
    out->fn_all = m->n_truth - out->tp_all;
    out->precision = (float)out->tp_all / ((float)out->tp_all + (float)out->fp_all);
    out->recall = (float)out->tp_all / ((float)out->tp_all + (float)out->fn_all);
    out->f1 = 2.f * out->precision * out->recall / (out->precision + out->recall);
    out->avg_iou = out->tp_all + out->fp_all > 0 ? m->iou_sum / (float)(out->tp_all + out->fp_all) : 0;
}

drt_status drt_dn_map_compute(const drt_dn_map *m, int points, drt_dn_map_result *out)
{
    memset(out, 0, sizeof *out);
    if (points != 0 && points != 11 && points != 101)
        return drt_error(DRT_STATUS_INVALID_ARG, "map: --points %d: must be 0, 11 or 101", points);
    size_t n = m->n_dets;
    ranked_det *ranked = malloc((n + 1) * sizeof *ranked);
    double *prec = malloc((n + 1) * sizeof *prec), *rec = malloc((n + 1) * sizeof *rec);
    char *flags = malloc((size_t)m->n_truth + 1);
    out->ap = calloc((size_t)m->classes, sizeof *out->ap);
    out->tp = calloc((size_t)m->classes, sizeof *out->tp);
    out->fp = calloc((size_t)m->classes, sizeof *out->fp);
    out->truths = calloc((size_t)m->classes, sizeof *out->truths);
    out->curve_start = calloc((size_t)m->classes + 1, sizeof *out->curve_start);
    out->curve_recall = malloc((n + 1) * sizeof *out->curve_recall);
    out->curve_precision = malloc((n + 1) * sizeof *out->curve_precision);
    drt_status s = DRT_OK;
    if (!ranked || !prec || !rec || !flags || !out->ap || !out->tp || !out->fp || !out->truths || !out->curve_start ||
        !out->curve_recall || !out->curve_precision) {
        s = drt_error(DRT_STATUS_OOM, "map: out of memory for %zu detections", n);
        goto done;
    }
    out->classes = m->classes;
    out->points = points;
    memcpy(ranked, m->dets, n * sizeof *ranked);
    qsort(ranked, n, sizeof *ranked, by_prob);
    for (int c = 0; c < m->classes; c++) {
        memset(flags, 0, (size_t)m->n_truth + 1);
        class_curve(m, ranked, c, flags, prec, rec);
        out->ap[c] = class_ap(n, prec, rec, points);
        out->map += out->ap[c];
        size_t k = out->curve_start[c];
        for (size_t r = 0; r < n; r++)
            if (ranked[r].class_id == c) {
                out->curve_recall[k] = rec[r];
                out->curve_precision[k++] = prec[r];
            }
        out->curve_start[c + 1] = k;
    }
    out->map /= m->classes;
    thresh_summary(m, out);
done:
    free(ranked);
    free(prec);
    free(rec);
    free(flags);
    if (s != DRT_OK) drt_dn_map_result_clear(out);
    return s;
}

void drt_dn_map_result_clear(drt_dn_map_result *r)
{
    free(r->ap);
    free(r->tp);
    free(r->fp);
    free(r->truths);
    free(r->curve_start);
    free(r->curve_recall);
    free(r->curve_precision);
    memset(r, 0, sizeof *r);
}

void drt_dn_map_free(drt_dn_map *m)
{
    if (!m) return;
    free(m->dets);
    free(m->truth_count);
    free(m->tp);
    free(m->fp);
    free(m);
}
