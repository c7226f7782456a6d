/* darkrt detection: YOLO decode, NMS, drawing and JSON for images. */
#ifndef DARKRT_DETECT_H
#define DARKRT_DETECT_H

#include <stddef.h>
#include <stdio.h>
#include "darkrt/status.h"
#include "darkrt/engine.h"
#include "darkrt/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A box in image pixels. */
typedef struct drt_detection {
    int class_id;
    float score; /* objectness x class probability */
    float x1, y1, x2, y2;
} drt_detection;

typedef struct drt_detections {
    int count;
    drt_detection *items; /* sorted by score, highest first */
} drt_detections;

/* Where a pre- or postprocessing stage runs. The device is the engine's (CUDA engines only);
 * results are the host's to the last bit either way, and the host stays the default. */
typedef enum drt_stage_place {
    DRT_STAGE_HOST = 0,
    DRT_STAGE_DEVICE = 1
} drt_stage_place;

/* How NMS decides that a box overlaps a kept one of its class by more than the threshold. Darknet
 * compares box centres and sizes relative to the image, and so does darkrt for the DIoU kinds. */
typedef enum drt_nms_kind {
    DRT_NMS_IOU = 0,    /* IoU (do_nms_sort): pjreddie's Darknet; AlexeyAB's nms_kind=default */
    DRT_NMS_GREEDY = 1, /* AlexeyAB's nms_kind=greedynms: DIoU, IoU - (d^2/c^2)^0.6 */
    DRT_NMS_DIOU = 2,   /* AlexeyAB's nms_kind=diounms: IoU - (d^2/c^2)^beta_nms */
    DRT_NMS_COUNT
} drt_nms_kind;

/* "default" (also "iou"), "greedynms", "diounms": the kind, or -1. */
DRT_API int drt_nms_kind_parse(const char *word);
DRT_API const char *drt_nms_kind_name(drt_nms_kind kind);

typedef struct drt_detect_opts {
    size_t size;       /* sizeof(drt_detect_opts) */
    float thresh;      /* score threshold, Darknet's 0.25 by default */
    float nms;         /* IoU threshold of per-class NMS, Darknet's 0.45 by default */
    drt_resize resize; /* from the model's metadata when it has one; else letterbox */
    drt_stage_place pre;        /* letterbox / stretch */
    drt_stage_place decode;     /* YOLO decode (an image with more than 4096 candidates falls back to the host) */
    drt_stage_place nms_place;  /* NMS; on the device it needs decode on the device (IoU NMS only:
                                   the DIoU kinds run on the host) */
    drt_nms_kind nms_kind;      /* DRT_NMS_IOU by default */
    float beta_nms;             /* DRT_NMS_DIOU's exponent, 0.6 by default */
    int unclipped;              /* 1: boxes as decoded, past the image's edges where they reach there (as
                                   AlexeyAB's validate_detector_map scores them); 0 (default): clipped */
} drt_detect_opts;

/* Darknet's defaults with pjreddie's semantics: letterbox, IoU NMS. */
DRT_API drt_detect_opts drt_detect_opts_default(void);
/* The defaults with what the model asks for, as AlexeyAB's Darknet applies its cfg: resize
 * ([net] letter_box: letterbox, else stretch), nms_kind and beta_nms of its last [yolo]. */
DRT_API drt_detect_opts drt_detect_opts_for_model(const drt_model *model);

/* Sets pre, decode and nms_place from a CLI word: "cpu" (all on the host), "gpu" (all on the
 * device), "gpu-decode" (decode on the device, NMS on the host) for post; "cpu"/"gpu" for pre.
 * Returns 0, or -1 for an unknown word (or a struct too old to hold these fields). */
DRT_API int drt_detect_parse_pre(const char *word, drt_detect_opts *opts);
DRT_API int drt_detect_parse_post(const char *word, drt_detect_opts *opts);

typedef struct drt_stage_times {
    double preprocess_ms, inference_ms, postprocess_ms;
} drt_stage_times;

/* Runs preprocessing, the engine and postprocessing on one image. times may be NULL. */
DRT_API drt_status drt_detect_image(drt_engine *engine, const drt_image *image, const drt_detect_opts *opts,
                                    drt_detections **dets_out, drt_stage_times *times);

/* The same on n images (1..the engine's max batch) in one engine run: dets_out[n] (each freed
 * with drt_detections_free), times[n] (may be NULL; inference is the run's time / n). With decode
 * on the device the host copies of the heads (drt_engine_head) are not refreshed. On error no
 * detections are returned. */
DRT_API drt_status drt_detect_batch(drt_engine *engine, const drt_image *const *images, int n, const drt_detect_opts *opts,
                                    drt_detections **dets_out, drt_stage_times *times);

/* Decodes the engine's last heads for batch item `item` of an image of size img_w x img_h
 * that was preprocessed with `resize`; applies threshold and NMS. */
DRT_API drt_status drt_detect_decode(const drt_engine *engine, int item, int img_w, int img_h,
                                     const drt_detect_opts *opts, drt_detections **dets_out);

DRT_API void drt_detections_free(drt_detections *dets);

/* Draws labelled boxes onto the image (in place). names may be NULL (class ids are shown). */
DRT_API void drt_detections_draw(drt_image *image, const drt_detections *dets, const drt_model *model);

/* The preprocessing the model asks for (its metadata; letterbox when it says nothing). */
DRT_API drt_resize drt_detect_model_resize(const drt_model *model);
/* The NMS the model asks for (its last [yolo] layer's nms_kind and beta_nms; IoU when it has none). */
DRT_API drt_nms_kind drt_detect_model_nms(const drt_model *model, float *beta_out);

/* Writes one image's result as a JSON object (no trailing newline), each line after the first
 * prefixed by indent (may be NULL):
 * {"image", "width", "height", "detections": [{"class_id", "label", "score",
 *  "box": {"x1", "y1", "x2", "y2"}}], "timing_ms": {"preprocess", "inference", "postprocess"}}.
 * Labels come from the model's names, else the class id as text. times may be NULL. */
DRT_API void drt_detections_write_json(FILE *out, const char *image_name, int width, int height,
                                       const drt_detections *dets, const drt_model *model,
                                       const drt_stage_times *times, const char *indent);

#ifdef __cplusplus
}
#endif
#endif
