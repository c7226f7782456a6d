/* COCOeval.evaluate() and accumulate() for boxes: per image and category, greedy matching at
 * ten IoU thresholds over four area ranges; then 101-point interpolated precision. */
#include "eval/coco.h"
#include "core/error.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

enum { FLAG_IGNORED = 0, FLAG_TP = 1, FLAG_FP = 2 };
static const int MAX_DETS[DRT_COCO_M] = {1, 10, 100};
static const double AREA_LO[DRT_COCO_A] = {0, 0, 32 * 32, 96 * 96};
static const double AREA_HI[DRT_COCO_A] = {1e10, 32 * 32, 96 * 96, 1e10};

/* One (category, image) with ground truth or detections: what accumulate() needs of it. */
typedef struct cell {
    int k, i, nd;          /* detections kept: the best 100 by score */
    double *scores;        /* [nd], highest first (ties keep file order) */
    int npig[DRT_COCO_A];  /* ground truth not ignored, per area range */
    unsigned char *flags;  /* [A][T][nd]: FLAG_* */
} cell;

/* Boxes ordered by category, image, then file order; detections by score within a cell. */
static int by_cell(const void *pa, const void *pb)
{
    const drt_coco_box *a = *(const drt_coco_box *const *)pa, *b = *(const drt_coco_box *const *)pb;
    if (a->category != b->category) return a->category < b->category ? -1 : 1;
    if (a->image != b->image) return a->image < b->image ? -1 : 1;
    return (a > b) - (a < b);
}

static int by_cell_score(const void *pa, const void *pb)
{
    const drt_coco_box *a = *(const drt_coco_box *const *)pa, *b = *(const drt_coco_box *const *)pb;
    if (a->category != b->category || a->image != b->image) return by_cell(pa, pb);
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return (a > b) - (a < b);
}

/* maskUtils.iou for boxes: a crowd ground truth divides by the detection's area only. */
static double box_iou(const drt_coco_box *d, const drt_coco_box *g)
{
    const double *D = d->bbox, *G = g->bbox;
    double w = (D[2] + D[0] < G[2] + G[0] ? D[2] + D[0] : G[2] + G[0]) - (D[0] > G[0] ? D[0] : G[0]);
    if (w <= 0) return 0;
    double h = (D[3] + D[1] < G[3] + G[1] ? D[3] + D[1] : G[3] + G[1]) - (D[1] > G[1] ? D[1] : G[1]);
    if (h <= 0) return 0;
    double inter = w * h, da = D[2] * D[3], ga = G[2] * G[3];
    return inter / (g->iscrowd ? da : da + ga - inter);
}

/* evaluateImg for one area range: gt reordered with ignored last, greedy match per threshold. */
static void match_area(cell *c, const drt_coco_box *const *gt, int ng, const drt_coco_box *const *dt,
                       const double *ious, int a, int *order, char *ig, double *gtm)
{
    int n = 0;
    for (int g = 0; g < ng; g++) {
        ig[g] = gt[g]->iscrowd || gt[g]->area < AREA_LO[a] || gt[g]->area > AREA_HI[a];
        if (!ig[g]) order[n++] = g;
    }
    c->npig[a] = n;
    for (int g = 0; g < ng; g++)
        if (ig[g]) order[n++] = g;
    for (int t = 0; t < DRT_COCO_T; t++) {
        unsigned char *flags = c->flags + ((size_t)a * DRT_COCO_T + (size_t)t) * (size_t)c->nd;
        for (int g = 0; g < ng; g++) gtm[g] = 0;
        for (int d = 0; d < c->nd; d++) {
            double thr = drt_coco_iou_thr(t), iou = thr < 1 - 1e-10 ? thr : 1 - 1e-10;
            int m = -1;
            for (int j = 0; j < ng; j++) {
                int g = order[j];
                if (gtm[j] > 0 && !gt[g]->iscrowd) continue;
                if (m > -1 && !ig[order[m]] && ig[g]) break;
                if (ious[(size_t)d * (size_t)ng + (size_t)g] < iou) continue;
                iou = ious[(size_t)d * (size_t)ng + (size_t)g];
                m = j;
            }
            int dt_ignored = m >= 0 && ig[order[m]];
            double dtm = m >= 0 ? gt[order[m]]->id : 0;
            if (m >= 0) gtm[m] = dt[d]->id;
            if (dtm == 0 && (dt[d]->area < AREA_LO[a] || dt[d]->area > AREA_HI[a])) dt_ignored = 1;
            flags[d] = dt_ignored ? FLAG_IGNORED : dtm != 0 ? FLAG_TP : FLAG_FP;
        }
    }
}

static drt_status eval_cell(cell *c, const drt_coco_box *const *gt, int ng, const drt_coco_box *const *dt, int nd)
{
    c->nd = nd < MAX_DETS[DRT_COCO_M - 1] ? nd : MAX_DETS[DRT_COCO_M - 1];
    c->scores = malloc(((size_t)c->nd + 1) * sizeof *c->scores);
    c->flags = malloc((size_t)DRT_COCO_A * DRT_COCO_T * (size_t)c->nd + 1);
    double *ious = malloc(((size_t)c->nd * (size_t)ng + 1) * sizeof *ious), *gtm = malloc(((size_t)ng + 1) * sizeof *gtm);
    int *order = malloc(((size_t)ng + 1) * sizeof *order);
    char *ig = malloc((size_t)ng + 1);
    drt_status s = DRT_OK;
    if (!c->scores || !c->flags || !ious || !gtm || !order || !ig) {
        s = drt_error(DRT_STATUS_OOM, "eval: out of memory matching %d x %d boxes", nd, ng);
        goto done;
    }
    for (int d = 0; d < c->nd; d++) {
        c->scores[d] = dt[d]->score;
        for (int g = 0; g < ng; g++) ious[(size_t)d * (size_t)ng + (size_t)g] = box_iou(dt[d], gt[g]);
    }
    for (int a = 0; a < DRT_COCO_A; a++) match_area(c, gt, ng, dt, ious, a, order, ig, gtm);
done:
    free(ious);
    free(gtm);
    free(order);
    free(ig);
    return s;
}

/* Pointers to the boxes, sorted into cells. */
static drt_status sorted_refs(const drt_coco_box *items, size_t n, int by_score, const drt_coco_box ***out)
{
    const drt_coco_box **refs = malloc((n + 1) * sizeof *refs);
    if (!refs) return drt_error(DRT_STATUS_OOM, "eval: out of memory for %zu boxes", n);
    for (size_t i = 0; i < n; i++) refs[i] = &items[i];
    qsort(refs, n, sizeof *refs, by_score ? by_cell_score : by_cell);
    *out = refs;
    return DRT_OK;
}

static int cell_before(const drt_coco_box *a, const drt_coco_box *b)
{
    return a->category != b->category ? a->category < b->category : a->image < b->image;
}

/* Walks ground truth and detections together, one cell per (category, image) that has either. */
static drt_status make_cells(const drt_coco_set *set, const drt_coco_dets *dets, cell **cells_out, size_t *n_out)
{
    const drt_coco_box **gt = NULL, **dt = NULL;
    cell *cells = calloc(set->n_gt + dets->count + 1, sizeof *cells);
    drt_status s = cells ? sorted_refs(set->gt, set->n_gt, 0, &gt) : drt_error(DRT_STATUS_OOM, "eval: out of memory");
    if (s == DRT_OK) s = sorted_refs(dets->items, dets->count, 1, &dt);
    size_t ig = 0, id = 0, n = 0;
    while (s == DRT_OK && (ig < set->n_gt || id < dets->count)) {
        const drt_coco_box *head = ig == set->n_gt ? dt[id] : id == dets->count ? gt[ig] :
                                   cell_before(dt[id], gt[ig]) ? dt[id] : gt[ig];
        size_t g0 = ig, d0 = id;
        while (ig < set->n_gt && gt[ig]->category == head->category && gt[ig]->image == head->image) ig++;
        while (id < dets->count && dt[id]->category == head->category && dt[id]->image == head->image) id++;
        cells[n] = (cell){.k = head->category, .i = head->image};
        s = eval_cell(&cells[n++], gt + g0, (int)(ig - g0), dt + d0, (int)(id - d0));
    }
    free(gt);
    free(dt);
    *cells_out = cells;
    *n_out = n;
    return s;
}

/* A kept detection of one category in accumulate(): its score and place in the concatenation. */
typedef struct ranked {
    double score;
    size_t pos;
    const unsigned char *flags; /* this detection's flag at t = 0; + t * nd for the others */
    int stride;
} ranked;

static int by_rank(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return (a->pos > b->pos) - (a->pos < b->pos);
}

/* Precision at the recall thresholds and final recall for one category, area and maxDets. */
static void accumulate_one(drt_coco_result *r, const cell *c, size_t nc, int k, int a, int m, ranked *buf,
                           double *pr, double *rc)
{
    size_t n = 0;
    int npig = 0;
    for (size_t j = 0; j < nc; j++) {
        int keep = c[j].nd < MAX_DETS[m] ? c[j].nd : MAX_DETS[m];
        npig += c[j].npig[a];
        for (int d = 0; d < keep; d++, n++)
            buf[n] = (ranked){c[j].scores[d], n, c[j].flags + (size_t)a * DRT_COCO_T * (size_t)c[j].nd + (size_t)d,
                              c[j].nd};
    }
    if (nc == 0 || npig == 0) return;
    qsort(buf, n, sizeof *buf, by_rank);
    for (int t = 0; t < DRT_COCO_T; t++) {
        double tp = 0, fp = 0;
        for (size_t j = 0; j < n; j++) {
            unsigned char f = buf[j].flags[(size_t)t * (size_t)buf[j].stride];
            tp += f == FLAG_TP;
            fp += f == FLAG_FP;
            rc[j] = tp / npig;
            pr[j] = tp / (fp + tp + DBL_EPSILON);
        }
        r->recall[((t * r->n_cats + k) * DRT_COCO_A + a) * DRT_COCO_M + m] = n ? rc[n - 1] : 0;
        for (size_t j = n; j-- > 1;)
            if (pr[j] > pr[j - 1]) pr[j - 1] = pr[j];
        size_t j = 0;
        for (int ri = 0; ri < DRT_COCO_R; ri++) {
            while (j < n && rc[j] < drt_coco_rec_thr(ri)) j++;
            size_t at = (((size_t)t * DRT_COCO_R + (size_t)ri) * (size_t)r->n_cats + (size_t)k) * DRT_COCO_A + (size_t)a;
            r->precision[at * DRT_COCO_M + (size_t)m] = j < n ? pr[j] : 0;
        }
    }
}

drt_status drt_coco_evaluate(const drt_coco_set *set, const drt_coco_dets *dets, drt_coco_result **out)
{
    *out = NULL;
    cell *cells = NULL;
    size_t nc = 0, kept = 0;
    ranked *buf = NULL;
    double *pr = NULL, *rc = NULL;
    drt_coco_result *r = calloc(1, sizeof *r);
    drt_status s = r ? make_cells(set, dets, &cells, &nc) : drt_error(DRT_STATUS_OOM, "eval: out of memory");
    for (size_t j = 0; j < nc; j++) kept += (size_t)cells[j].nd;
    size_t np = (size_t)DRT_COCO_T * DRT_COCO_R * (size_t)set->n_cats * DRT_COCO_A * DRT_COCO_M;
    size_t nr = (size_t)DRT_COCO_T * (size_t)set->n_cats * DRT_COCO_A * DRT_COCO_M;
    if (s == DRT_OK) {
        r->n_cats = set->n_cats;
        r->precision = malloc(np * sizeof *r->precision);
        r->recall = malloc(nr * sizeof *r->recall);
        buf = malloc((kept + 1) * sizeof *buf);
        pr = malloc((kept + 1) * sizeof *pr);
        rc = malloc((kept + 1) * sizeof *rc);
        if (!r->precision || !r->recall || !buf || !pr || !rc) s = drt_error(DRT_STATUS_OOM, "eval: out of memory");
    }
    if (s == DRT_OK) {
        for (size_t j = 0; j < np; j++) r->precision[j] = -1;
        for (size_t j = 0; j < nr; j++) r->recall[j] = -1;
        for (size_t j0 = 0, j1; j0 < nc; j0 = j1) {
            for (j1 = j0; j1 < nc && cells[j1].k == cells[j0].k; j1++) {}
            for (int a = 0; a < DRT_COCO_A; a++)
                for (int m = 0; m < DRT_COCO_M; m++) accumulate_one(r, cells + j0, j1 - j0, cells[j0].k, a, m, buf, pr, rc);
        }
        drt_coco_summarize(r);
    }
    for (size_t j = 0; j < nc; j++) {
        free(cells[j].scores);
        free(cells[j].flags);
    }
    free(cells);
    free(buf);
    free(pr);
    free(rc);
    if (s != DRT_OK) drt_coco_result_free(r);
    else *out = r;
    return s;
}

void drt_coco_result_free(drt_coco_result *r)
{
    if (!r) return;
    free(r->precision);
    free(r->recall);
    free(r);
}
