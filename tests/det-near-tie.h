/* Detections of a lower-precision engine against a reference's, where only a near-tie may explain a difference.
 *
 * fp16 (or bf16, int8) scores differ from fp32 ones by a little, and a little is enough to flip a greedy NMS
 * choice between two overlapping boxes of one class with near-equal scores, or to move a box across the score
 * threshold. Such a difference is excused, and counted, only when one of these explains it (margin: the score
 * tolerance of the comparison):
 * - threshold: the box's score is within margin of thresh;
 * - tie: the other side has a box of the same class that overlaps it with IoU > the NMS threshold (a
 *   necessary condition of suppression for IoU and DIoU NMS alike) and whose score is within margin of its own:
 *   the two swapped which one survived;
 * - cascade: the other side has a box of the same class that overlaps it with IoU > the NMS threshold, scores
 *   at least its score - margin (so it may suppress it there) and is itself unmatched and excused (it exists on
 *   that side only because of a near-tie).
 * Every other unmatched box is a failure. The engine runs at thresh - margin so that a box the reference keeps
 * just above thresh still matches; its unmatched boxes below thresh are not counted. Every unmatched box is
 * printed with its verdict. */
#ifndef TESTS_DET_NEAR_TIE_H
#define TESTS_DET_NEAR_TIE_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "darkrt.h"
#include "darkrt/eval.h"

typedef struct near_tie_rule {
    float thresh;     /* the reference's score threshold */
    float nms;        /* the NMS threshold both sides used */
    float margin;     /* the score tolerance: matched boxes differ by at most this, near-ties are within it */
    double match_iou; /* a pair matches at this IoU or more (same class) */
} near_tie_rule;

typedef struct near_tie_result {
    int matched, missing, extra;                        /* missing: reference boxes unmatched; extra: engine
                                                           boxes at thresh or above unmatched */
    int excused_thresh, excused_tie, excused_cascade;   /* of missing + extra */
    int unexcused;                                      /* missing + extra - the excused */
    double max_score_delta, mean_iou;                   /* over the matched pairs */
} near_tie_result;

enum { NEAR_TIE_NONE, NEAR_TIE_THRESH, NEAR_TIE_TIE, NEAR_TIE_CASCADE };

/* The excuse of box a (this side) against the other side's boxes (their unmatched flags and excuses so far). */
static inline int near_tie_excuse(const drt_detection *a, const drt_detections *other, const int *other_unmatched,
                                  const int *other_excuse, const near_tie_rule *r, int *by_out)
{
    *by_out = -1;
    if (fabsf(a->score - r->thresh) <= r->margin) return NEAR_TIE_THRESH;
    int cascade = -1;
    for (int k = 0; k < other->count; k++) {
        const drt_detection *b = &other->items[k];
        if (b->class_id != a->class_id || !(drt_eval_iou(a, b) > r->nms)) continue;
        if (fabsf(b->score - a->score) <= r->margin) {
            *by_out = k;
            return NEAR_TIE_TIE;
        }
        if (cascade < 0 && other_unmatched[k] && other_excuse[k] != NEAR_TIE_NONE && b->score >= a->score - r->margin)
            cascade = k;
    }
    *by_out = cascade;
    return cascade >= 0 ? NEAR_TIE_CASCADE : NEAR_TIE_NONE;
}

static inline void near_tie_print(FILE *log, const char *tag, const char *what, const drt_detection *a, int excuse,
                                  const drt_detection *by)
{
    static const char *const names[] = {"NOT excused", "excused: score within margin of thresh",
                                        "excused: NMS near-tie with", "excused: NMS cascade, suppressed by"};
    fprintf(log, "    %s %s class %d score %.4f box (%.1f, %.1f)-(%.1f, %.1f): %s", tag, what, a->class_id, a->score,
            a->x1, a->y1, a->x2, a->y2, names[excuse]);
    if (by)
        fprintf(log, " class %d score %.4f box (%.1f, %.1f)-(%.1f, %.1f), IoU %.3f", by->class_id, by->score, by->x1,
                by->y1, by->x2, by->y2, drt_eval_iou(a, by));
    fprintf(log, "\n");
}

/* Compares eng (run at thresh - margin) with ref (run at thresh); prints every unmatched box to log with its
 * verdict, prefixed by tag. Returns the number of unexcused boxes (-1: out of memory). */
static inline int near_tie_compare(const drt_detections *ref, const drt_detections *eng, const near_tie_rule *r,
                                   FILE *log, const char *tag, near_tie_result *res)
{
    int nr = ref ? ref->count : 0, ne = eng ? eng->count : 0;
    drt_detections empty = {0, NULL};
    if (!ref) ref = &empty;
    if (!eng) eng = &empty;
    int *match = calloc((size_t)ne + 1, sizeof(int)), *r_un = calloc((size_t)nr + 1, sizeof(int));
    int *e_un = calloc((size_t)ne + 1, sizeof(int)), *r_ex = calloc((size_t)nr + 1, sizeof(int));
    int *e_ex = calloc((size_t)ne + 1, sizeof(int)), *r_by = calloc((size_t)nr + 1, sizeof(int));
    int *e_by = calloc((size_t)ne + 1, sizeof(int));
    drt_eval_agreement ag = {0};
    *res = (near_tie_result){0};
    if (!match || !r_un || !e_un || !r_ex || !e_ex || !r_by || !e_by ||
        drt_eval_match(ref, eng, r->match_iou, match, &ag) != DRT_OK) {
        res->unexcused = -1;
        goto done;
    }
    for (int i = 0; i < nr; i++) r_un[i] = 1;
    for (int k = 0; k < ne; k++) {
        if (match[k] >= 0) r_un[match[k]] = 0;
        else e_un[k] = eng->items[k].score >= r->thresh; /* below thresh: only there to match the reference's */
    }
    /* excuses to a fixed point: a cascade rests on an excuse found in an earlier round */
    for (int changed = 1; changed;) {
        changed = 0;
        for (int i = 0; i < nr; i++)
            if (r_un[i] && r_ex[i] == NEAR_TIE_NONE &&
                (r_ex[i] = near_tie_excuse(&ref->items[i], eng, e_un, e_ex, r, &r_by[i])) != NEAR_TIE_NONE)
                changed = 1;
        for (int k = 0; k < ne; k++)
            if (e_un[k] && e_ex[k] == NEAR_TIE_NONE &&
                (e_ex[k] = near_tie_excuse(&eng->items[k], ref, r_un, r_ex, r, &e_by[k])) != NEAR_TIE_NONE)
                changed = 1;
    }
    res->matched = ag.matched;
    res->max_score_delta = ag.max_score_delta;
    res->mean_iou = drt_eval_agreement_mean_iou(&ag);
    for (int side = 0; side < 2; side++) {
        int n = side ? ne : nr, *un = side ? e_un : r_un, *ex = side ? e_ex : r_ex, *by = side ? e_by : r_by;
        const drt_detections *mine = side ? eng : ref, *other = side ? ref : eng;
        for (int i = 0; i < n; i++) {
            if (!un[i]) continue;
            *(side ? &res->extra : &res->missing) += 1;
            res->excused_thresh += ex[i] == NEAR_TIE_THRESH;
            res->excused_tie += ex[i] == NEAR_TIE_TIE;
            res->excused_cascade += ex[i] == NEAR_TIE_CASCADE;
            res->unexcused += ex[i] == NEAR_TIE_NONE;
            if (log)
                near_tie_print(log, tag, side ? "extra  " : "missing", &mine->items[i], ex[i],
                               by[i] >= 0 ? &other->items[by[i]] : NULL);
        }
    }
done:
    free(match);
    free(r_un);
    free(e_un);
    free(r_ex);
    free(e_ex);
    free(r_by);
    free(e_by);
    return res->unexcused;
}

#endif
