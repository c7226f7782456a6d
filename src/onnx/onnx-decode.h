/* ONNX export with --decode: YOLO decode, letterbox mapping and NonMaxSuppression in the graph. */
#ifndef DRT_ONNX_DECODE_H
#define DRT_ONNX_DECODE_H

#include "darkrt/model.h"
#include "graph/model.h"
#include "onnx/onnx-write.h"

/* The second input of a decoding graph: float32 [batch, 2], each image's (width, height). */
#define DRT_ONNX_DECODE_SIZE_NAME "image_size"

Onnx__ValueInfoProto *drt_onnx_decode_input(ox_graph *g, int batch);

/* Appends the decode, the mapping to image pixels and NMS after the heads (tensors head_names),
 * and adds the outputs boxes [K, 4] (x1, y1, x2, y2 pixels), scores [K], class_ids [K] (int64)
 * and image_index [K] (int64). Needs opset >= 11. */
drt_status drt_onnx_emit_decode(ox_graph *g, const drt_model *m, const int *heads, int n_heads,
                                const char *const *head_names, const drt_onnx_opts *o);

#endif
