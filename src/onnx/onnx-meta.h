/* The metadata_props darkrt writes into ONNX files: what a consumer needs to decode the heads.
 *
 * Graph: input "images" float [N, C, H, W] (N is dim_param "batch" when dynamic); outputs
 * "head0", "head1", ... are the raw tensors that enter each [yolo] layer, in cfg order.
 * Keys (values are text; lists are comma-separated):
 *   darkrt.version            darkrt's version
 *   input.name                images
 *   input.width, input.height, input.channels
 *   input.layout              NCHW
 *   input.color               RGB
 *   input.scale               0.00392156862745098 (pixel / 255)
 *   input.resize              letterbox | stretch (letterbox keeps the aspect ratio)
 *   input.pad_value           0.5 (letterbox borders)
 *   nms.kind                  default (IoU) | greedynms | diounms (AlexeyAB's, DIoU): the model's NMS
 *   nms.beta                  diounms's exponent (beta_nms)
 *   bn.formula                alexeyab | pjreddie (the Darknet fork's batchnorm the weights were made for)
 *   bn.folded                 1 when batchnorm was folded into the conv weights, else 0
 *   yolo.heads                head0,head1,... (graph output names in head order)
 *   yolo.<head>.layer         the [yolo] layer's index in the Darknet cfg
 *   yolo.<head>.classes, yolo.<head>.num
 *   yolo.<head>.mask          anchor indices this head uses
 *   yolo.<head>.anchors       all num anchors as w,h pairs in input pixels (as in the cfg)
 *   yolo.<head>.scale_x_y, yolo.<head>.new_coords
 *   yolo.<head>.region        1 for a YOLOv2 [region] head (softmax classes, anchors in grid cells)
 *   yolo.<head>.stride        input pixels per grid cell
 *   class_names               class names, one a line (when the model has them)
 */
#ifndef DRT_ONNX_META_H
#define DRT_ONNX_META_H

#include "graph/model.h"
#include "onnx/onnx-write.h"

#define DRT_ONNX_INPUT_NAME "images"

/* Writes the keys above for model m; head_layers are its [yolo] layer indices. */
void drt_onnx_meta_write(ox_graph *g, const drt_model *m, const int *head_layers, int n_heads, int folded);

/* Reads the yolo.<head>.* keys of one head into layer l (type set to DRT_LAYER_YOLO).
 * Returns DRT_STATUS_FORMAT naming the key when a value is malformed. */
drt_status drt_onnx_meta_read_head(const Onnx__ModelProto *mp, const char *path, const char *head,
                                   drt_layer *l);

/* The value of a metadata key, NULL when absent. */
const char *drt_onnx_meta_get(const Onnx__ModelProto *mp, const char *key);

/* Parses comma-separated numbers into out (at most max); returns the count or -1 if malformed. */
int drt_parse_float_list(const char *text, float *out, int max);
int drt_parse_int_list(const char *text, int *out, int max);

#endif
