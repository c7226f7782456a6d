/* darkrt models: Darknet cfg + weights, ONNX files, synthesised weights, export. */
#ifndef DARKRT_MODEL_H
#define DARKRT_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "darkrt/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A loaded model: the layer graph, its weights and the YOLO head metadata. Not thread-safe
 * to modify; safe to read from many threads (engines only read it). */
typedef struct drt_model drt_model;

/* How batchnorm divides at inference. Darknet forks differ: AlexeyAB's (where Yolo-Fastest,
 * YOLOv4 and most current models are trained, and ONNX's BatchNormalization) divides by
 * sqrt(var + 1e-5); pjreddie's (2018, Debian's package) by sqrt(var) + 1e-6. */
typedef enum drt_bn_formula {
    DRT_BN_ALEXEYAB = 0, /* default */
    DRT_BN_PJREDDIE = 1,
    DRT_BN_COUNT
} drt_bn_formula;

typedef struct drt_load_opts {
    size_t size;            /* sizeof(drt_load_opts), for forward compatibility */
    drt_bn_formula bn;      /* batchnorm formula, DRT_BN_ALEXEYAB by default */
    int warn;               /* print warnings (unknown cfg keys...) to stderr: 1 (default) or 0 */
    int width, height;      /* override the network input size; 0 keeps the file's */
} drt_load_opts;

/* Defaults for drt_load_opts. */
DRT_API drt_load_opts drt_load_opts_default(void);

/* Reads a Darknet .cfg and, when weights_path is not NULL, its .weights. Without weights the
 * model has zero weights (see drt_model_synth_weights). opts may be NULL. */
DRT_API drt_status drt_model_load_darknet(const char *cfg_path, const char *weights_path,
                                          const drt_load_opts *opts, drt_model **model_out);

/* Reads an ONNX file (from darkrt's exporter or another producer) into darkrt's graph. */
DRT_API drt_status drt_model_load_onnx(const char *onnx_path, const drt_load_opts *opts,
                                       drt_model **model_out);

/* Picks the loader by file type: .cfg (weights_path optional), .onnx, or an engine plan. */
DRT_API drt_status drt_model_load(const char *path, const char *weights_path, const drt_load_opts *opts,
                                  drt_model **model_out);

DRT_API void drt_model_free(drt_model *model);

/* Fills every weight deterministically from seed: He-scaled kernels, batchnorm statistics in
 * ranges that keep activations bounded through yolov3's 106 layers (the conv that ends each
 * residual branch is scaled by 0.25, so heads stay near 100 and within fp16's range). */
DRT_API drt_status drt_model_synth_weights(drt_model *model, uint64_t seed);

/* Writes the weights in Darknet's format (header 0.2.0, 64-bit seen). */
DRT_API drt_status drt_model_save_weights(const drt_model *model, const char *weights_path);

/* Network input geometry. */
DRT_API int drt_model_width(const drt_model *model);
DRT_API int drt_model_height(const drt_model *model);
DRT_API int drt_model_channels(const drt_model *model);
DRT_API int drt_model_num_layers(const drt_model *model);
DRT_API drt_bn_formula drt_model_bn_formula(const drt_model *model);
/* 1 for a recurrent model (AlexeyAB's [crnn], as yolov3-tiny_occlusion_track): its hidden state carries from one
 * image to the next, as AlexeyAB's Darknet carries it from frame to frame. Such a model's images are a sequence:
 * run them in order, one run state (engine or context) per sequence (drt_engine_run's batch items count as
 * consecutive images); drt_engine_reset_state / drt_context_reset_state start a new one (a new video). */
DRT_API int drt_model_stateful(const drt_model *model);

/* Class names: NULL where the model has none. Valid until the model is freed. */
DRT_API const char *drt_model_class_name(const drt_model *model, int class_id);
/* Reads class names, one a line (coco.names), into the model. */
DRT_API drt_status drt_model_set_names_file(drt_model *model, const char *names_path);

/* YOLO head parameters for a model whose file has none (a third-party ONNX: its heads come
 * without anchors). From a Darknet cfg: its [yolo] sections in order, one per head (anchors,
 * mask, classes, num, scale_x_y, new_coords). Or from text: anchors "w,h, w,h, ..." (all of
 * them) and masks "6,7,8;3,4,5;0,1,2" (one group per head, in head order); classes follow from
 * each head's channels. Both check the channels (masks x (classes + 5)). */
DRT_API drt_status drt_model_set_yolo_heads_from_cfg(drt_model *model, const char *cfg_path);
DRT_API drt_status drt_model_set_yolo_heads(drt_model *model, const char *anchors, const char *masks);
/* 1 when every head has anchors (from the file, a cfg or drt_model_set_yolo_heads), else 0. */
DRT_API int drt_model_has_yolo_anchors(const drt_model *model);

/* Operations and parameters of one forward pass at batch 1. */
DRT_API double drt_model_flops(const drt_model *model);
DRT_API size_t drt_model_num_params(const drt_model *model);

/* The table `darkrt inspect` prints: one row a layer and the totals. */
DRT_API drt_status drt_model_print(const drt_model *model, FILE *out);

/* ONNX export. */
typedef struct drt_onnx_opts {
    size_t size;     /* sizeof(drt_onnx_opts) */
    int opset;       /* 11 or 13 (default 13); below 10 writes Upsample */
    int batch;       /* fixed batch (default 1); 0 or negative: dynamic batch dimension */
    int fold_bn;     /* fold batchnorm into the conv weights */
    int decode;      /* append YOLO decode + NonMaxSuppression (opset >= 11): inputs images and
                      * image_size [N, 2] (w, h); outputs boxes, scores, class_ids, image_index */
    float decode_thresh, decode_nms; /* their score and IoU thresholds (default 0.25, 0.45) */
} drt_onnx_opts;

DRT_API drt_onnx_opts drt_onnx_opts_default(void);
DRT_API drt_status drt_model_export_onnx(const drt_model *model, const char *onnx_path,
                                         const drt_onnx_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
