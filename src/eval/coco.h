/* COCO box evaluation with pycocotools' COCOeval semantics (iouType "bbox", default params). */
#ifndef DRT_EVAL_COCO_H
#define DRT_EVAL_COCO_H

#include <stddef.h>
#include <stdio.h>
#include "darkrt.h"

#define DRT_COCO_T 10 /* IoU thresholds .50:.05:.95 */
#define DRT_COCO_R 101 /* recall thresholds 0:.01:1 */
#define DRT_COCO_A 4  /* area ranges: all, small, medium, large */
#define DRT_COCO_M 3  /* maxDets 1, 10, 100 */

/* One box: ground truth (id, area, iscrowd from the file) or a detection (id = 1-based place
 * in the results, area = w*h, score). image and category are indices into the set's sorted ids. */
typedef struct drt_coco_box {
    int image, category;
    double bbox[4]; /* x, y, w, h */
    double area, id, score;
    int iscrowd;
} drt_coco_box;

/* An annotations file: images, categories and ground truth. */
typedef struct drt_coco_set {
    int n_images, n_cats;
    double *image_ids;   /* sorted, unique */
    char **image_files;  /* file_name of each image (NULL when missing) */
    int *image_w, *image_h;
    double *cat_ids;     /* sorted, unique */
    char **cat_names;
    drt_coco_box *gt;
    size_t n_gt;
} drt_coco_set;

typedef struct drt_coco_dets {
    drt_coco_box *items;
    size_t count, cap;
} drt_coco_dets;

/* Reads an annotations file (images, categories, annotations). */
drt_status drt_coco_load_set(const char *path, drt_coco_set **out);
void drt_coco_set_free(drt_coco_set *set);
/* Index of an id in the sorted ids, or -1. */
int drt_coco_find_id(const double *ids, int n, double id);

/* Reads a results file (an array of {image_id, category_id, bbox, score}) against a set, as
 * pycocotools' loadRes does: every image_id must be in the set; unknown categories are kept out. */
drt_status drt_coco_load_dets(const char *path, const drt_coco_set *set, drt_coco_dets *dets);
/* Appends one detection (image and category are set indices; id and area follow loadRes). */
drt_status drt_coco_dets_add(drt_coco_dets *dets, int image, int category, const double bbox[4], double score);
void drt_coco_dets_clear(drt_coco_dets *dets);

/* The accumulated result: pycocotools' eval['precision'] and eval['recall'] (-1 where a
 * category has no ground truth in the range) and the 12 summary stats. */
typedef struct drt_coco_result {
    int n_cats;
    double *precision; /* [T][R][K][A][M] */
    double *recall;    /* [T][K][A][M] */
    double stats[12];
} drt_coco_result;

drt_status drt_coco_evaluate(const drt_coco_set *set, const drt_coco_dets *dets, drt_coco_result **out);
void drt_coco_result_free(drt_coco_result *r);
/* Fills r->stats from precision and recall (COCOeval.summarize's 12 numbers). */
void drt_coco_summarize(drt_coco_result *r);

/* IoU threshold t and recall threshold r, as numpy's linspace makes them (bit for bit). */
double drt_coco_iou_thr(int t);
double drt_coco_rec_thr(int r);
extern const char *const drt_coco_stat_names[12];
/* precision[t][r][k][a][m] and recall[t][k][a][m]. */
double drt_coco_precision(const drt_coco_result *r, int t, int rc, int k, int a, int m);
/* Per-category AP over all IoU thresholds, at one threshold index (t >= 0), area all, 100
 * detections: the mean of the valid precisions; -1 without ground truth. */
double drt_coco_class_ap(const drt_coco_result *r, int k, int t);

/* Writes the summary as pycocotools prints it, then a per-category AP table. */
void drt_coco_print(FILE *out, const drt_coco_set *set, const drt_coco_result *r);
/* Writes the stats and per-category APs as one JSON object. */
void drt_coco_write_json(FILE *out, const drt_coco_set *set, const drt_coco_result *r);

#endif
