/* detect's standard outputs: YOLO label files (--save-txt) and a COCO results file (--coco-json). */
#ifndef DRT_VISION_DETECT_OUTPUTS_H
#define DRT_VISION_DETECT_OUTPUTS_H

#include "darkrt.h"

typedef struct drt_std_outputs_opts {
    const char *txt_dir;      /* --save-txt DIR: DIR/<image stem>.txt, "class cx cy w h" normalized */
    int save_conf;            /* --save-conf: a sixth column, the score */
    const char *coco_json;    /* --coco-json FILE */
    const char *coco_ann;     /* --coco ANN.json: image ids by file name, category ids by name */
    const char *category_ids; /* --category-ids "1,2,3,...": one id per class */
} drt_std_outputs_opts;

typedef struct drt_std_outputs drt_std_outputs;

/* Checks the options, reads the annotations, opens the results file. *out is NULL (and nothing
 * to do) when no standard output is asked for. */
drt_status drt_std_outputs_open(const drt_std_outputs_opts *opts, const drt_model *model, drt_std_outputs **out);
/* One image's detections (w x h pixels). */
drt_status drt_std_outputs_add(drt_std_outputs *o, const char *image_path, int w, int h, const drt_detections *dets);
/* commit 1: the results file is put in place; 0: it is removed. Frees o. */
drt_status drt_std_outputs_close(drt_std_outputs *o, int commit);

#endif
