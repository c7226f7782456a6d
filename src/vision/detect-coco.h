/* COCO results files from detections (detect --coco-json, eval --coco). */
#ifndef DRT_VISION_DETECT_COCO_H
#define DRT_VISION_DETECT_COCO_H

#include <stdio.h>
#include "darkrt.h"

/* Classes of the model's first YOLO head (0 without one). */
int drt_model_num_classes(const drt_model *model);

/* The category id of each model class (malloc'd, n_classes_out entries): by class name when every
 * name is a category's; else COCO's 80 -> 91 ids for 80 classes; else the i-th category when the
 * counts agree. Without categories (cat_ids NULL): 80 -> 91 for 80 classes, else the class id. */
drt_status drt_coco_class_map(const drt_model *model, const double *cat_ids, char *const *cat_names, int n_cats,
                              double **map_out, int *n_classes_out);

/* x, y, w, h of a detection clipped to the image. */
void drt_coco_detection_bbox(const drt_detection *d, int img_w, int img_h, double bbox[4]);

/* Writes one image's detections as results objects, comma-separated (*first: none written yet). */
void drt_coco_write_results(FILE *out, double image_id, const drt_detections *dets, int img_w, int img_h,
                            const double *class_map, int n_classes, int *first);

/* The image id of a numeric file name ("000000397133.jpg" -> 397133). Returns 0, or -1 when
 * the name does not start with digits followed by the extension. */
int drt_coco_image_id_from_name(const char *path, double *id_out);

#endif
