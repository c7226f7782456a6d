/* darkrt evaluation: how far an engine's detections and heads are from a reference's. */
#ifndef DARKRT_EVAL_H
#define DARKRT_EVAL_H

#include <stddef.h>
#include "darkrt/status.h"
#include "darkrt/detect.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Intersection over union of two boxes (0 when either box is empty). */
DRT_API double drt_eval_iou(const drt_detection *a, const drt_detection *b);

/* Agreement of an engine's detections with a reference's, summed over images.
 * Matching is greedy by engine score (highest first): each engine detection takes the
 * unmatched reference detection of the same class with the highest IoU, if that IoU is at
 * least the threshold. Zero-initialise before the first drt_eval_match. */
typedef struct drt_eval_agreement {
    int ref_count;          /* reference detections seen */
    int eng_count;          /* engine detections seen */
    int matched;            /* pairs matched */
    int missing;            /* reference detections left unmatched */
    int extra;              /* engine detections left unmatched */
    double iou_sum;         /* sum of matched IoUs (mean = iou_sum / matched) */
    double max_score_delta; /* largest |engine score - reference score| over matched pairs */
} drt_eval_agreement;

/* Matches one image's detections and adds the result to *acc (ref or eng NULL: no detections).
 * match_out, when not NULL, receives eng->count entries: the index of the matched reference
 * detection or -1.
 * Fails only on allocation failure or a threshold outside (0, 1]. */
DRT_API drt_status drt_eval_match(const drt_detections *ref, const drt_detections *eng, double iou_thresh,
                                  int *match_out, drt_eval_agreement *acc);

/* Mean IoU of the matched pairs; 1.0 when nothing was matched and nothing was expected
 * (both sides empty), 0.0 when nothing matched but something was expected. */
DRT_API double drt_eval_agreement_mean_iou(const drt_eval_agreement *acc);

/* mAP@thresh of engine detections against reference detections taken as ground truth,
 * over a set of images: VOC-style all-point interpolated AP per class (each detection, by
 * score, is a true positive when its best-IoU ground truth of the same class in the same
 * image has IoU >= thresh and was not taken yet), averaged over the classes present in the
 * reference. Engine detections of classes the reference lacks are not scored. Not thread-safe. */
typedef struct drt_eval_map drt_eval_map;

DRT_API drt_status drt_eval_map_create(double iou_thresh, drt_eval_map **map_out);
/* Adds one image: the reference's and the engine's detections (copied; NULL: none). */
DRT_API drt_status drt_eval_map_add(drt_eval_map *map, const drt_detections *ref, const drt_detections *eng);
/* The mean AP over classes present in the reference, and how many such classes there are (optional).
 * With no reference detections at all: 1.0 when the engine found nothing either, else 0.0. */
DRT_API drt_status drt_eval_map_compute(const drt_eval_map *map, double *map_out, int *n_classes_out);
/* AP of one class; -1 when the reference has no detection of that class. */
DRT_API double drt_eval_map_class_ap(const drt_eval_map *map, int class_id);
DRT_API void drt_eval_map_free(drt_eval_map *map);

/* Largest absolute difference between two float tensors, and the largest |reference value|
 * seen, accumulated over calls (zero-initialise). NaN or Inf in either input make max_abs_diff
 * infinite. */
typedef struct drt_eval_diff {
    double max_abs_diff;
    double max_abs_ref;
    size_t count; /* values compared */
} drt_eval_diff;

DRT_API void drt_eval_diff_add(drt_eval_diff *acc, const float *ref, const float *eng, size_t n);
/* max_abs_diff / max_abs_ref (0 when both are 0). */
DRT_API double drt_eval_diff_relative(const drt_eval_diff *acc);

/* The p-th percentile (0..100) of n values with linear interpolation between order
 * statistics (numpy's default). Does not modify values; NaN when n is 0 or memory runs out. */
DRT_API double drt_eval_percentile(const double *values, size_t n, double p);

#ifdef __cplusplus
}
#endif
#endif
