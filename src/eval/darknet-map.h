/* Darknet's `detector map` (AlexeyAB's validate_detector_map) on labels and detections. */
#ifndef DRT_EVAL_DARKNET_MAP_H
#define DRT_EVAL_DARKNET_MAP_H

#include <stdio.h>
#include "darkrt.h"

/* A box as Darknet keeps it: centre x, y and w, h relative to the image, in float. prob is
 * the detection's class probability (unused for labels). */
typedef struct drt_dn_box {
    int class_id;
    float x, y, w, h;
    float prob;
} drt_dn_box;

typedef struct drt_dn_map drt_dn_map;

/* classes: the model's; iou_thresh: -iou_thresh (a detection matches a label of its class with
 * IoU strictly above it); conf_thresh: the TP/FP/precision/recall line (Darknet's 0.25). */
drt_status drt_dn_map_create(int classes, float iou_thresh, float conf_thresh, drt_dn_map **out);
/* One image: its labels and detections (one per box and class, in Darknet's order). Labels of
 * a class outside [0, classes) are refused. */
drt_status drt_dn_map_add(drt_dn_map *m, const drt_dn_box *truth, int n_truth, const drt_dn_box *dets, int n_dets,
                          const char *label_path);

typedef struct drt_dn_map_result {
    int classes, points;
    double map;
    double *ap;            /* [classes] */
    int *tp, *fp;          /* [classes], at conf_thresh */
    int *truths;           /* [classes] */
    int tp_all, fp_all, fn_all;
    float precision, recall, f1, avg_iou; /* at conf_thresh */
    /* Each class's precision-recall points at its own detections, by rank (Darknet's pr[c][rank]):
     * class c's are [curve_start[c], curve_start[c + 1]) of curve_recall and curve_precision. */
    size_t *curve_start;                    /* [classes + 1] */
    double *curve_recall, *curve_precision; /* [detections] */
} drt_dn_map_result;

/* points: 0 (area under the curve at every recall), 11 (VOC 2007) or 101 (COCO-style). */
drt_status drt_dn_map_compute(const drt_dn_map *m, int points, drt_dn_map_result *out);
void drt_dn_map_result_clear(drt_dn_map_result *r);
void drt_dn_map_free(drt_dn_map *m);

/* Darknet's float box IoU (0 when they do not overlap). */
float drt_dn_box_iou(const drt_dn_box *a, const drt_dn_box *b);

/* Prints Darknet's lines: per class AP, TP/FP at the threshold, mAP. names (may be NULL) has r->classes entries. */
void drt_dn_map_print(FILE *out, const drt_dn_map_result *r, float iou_thresh, float conf_thresh,
                      char *const *names);
void drt_dn_map_write_json(FILE *out, const drt_dn_map_result *r, float iou_thresh, char *const *names);

#endif
