/* Building ONNX protobuf messages (protobuf-c structs) from an arena, and packing them to a file. */
#ifndef DRT_ONNX_WRITE_H
#define DRT_ONNX_WRITE_H

#include <stddef.h>
#include <stdint.h>
#include "darkrt/status.h"
#include "onnx/onnx.pb-c.h"

/* Every message, string and array of a model being written lives in one arena, freed at once.
 * An allocation failure sets `failed`; builders then return NULL-safe placeholders and the
 * caller checks ox_failed() once at the end. */
typedef struct ox_block ox_block;
typedef struct ox_graph {
    ox_block *blocks;
    int failed;
    int opset;
    Onnx__NodeProto **nodes;
    size_t n_nodes, cap_nodes;
    Onnx__TensorProto **inits;
    size_t n_inits, cap_inits;
    Onnx__ValueInfoProto **outputs;
    size_t n_outputs, cap_outputs;
    Onnx__StringStringEntryProto **meta;
    size_t n_meta, cap_meta;
} ox_graph;

void *ox_alloc(ox_graph *g, size_t size);
char *ox_strdup(ox_graph *g, const char *s);
char *ox_printf(ox_graph *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ox_free(ox_graph *g);

/* A node; inputs and outputs are NULL-terminated lists of tensor names (copied). */
Onnx__NodeProto *ox_node(ox_graph *g, const char *op, const char *name, const char *const *inputs,
                         const char *const *outputs);
void ox_attr_int(ox_graph *g, Onnx__NodeProto *n, const char *name, int64_t v);
void ox_attr_ints(ox_graph *g, Onnx__NodeProto *n, const char *name, size_t count, const int64_t *v);
void ox_attr_float(ox_graph *g, Onnx__NodeProto *n, const char *name, float v);
void ox_attr_floats(ox_graph *g, Onnx__NodeProto *n, const char *name, size_t count, const float *v);
void ox_attr_string(ox_graph *g, Onnx__NodeProto *n, const char *name, const char *v);

/* Float initializer. The data is referenced, not copied: it must outlive the write. */
const char *ox_init_floats(ox_graph *g, const char *name, int ndims, const int64_t *dims, const float *data);
/* 1-D int64 initializer (data copied). */
const char *ox_init_ints(ox_graph *g, const char *name, size_t count, const int64_t *data);

/* A tensor value info of n dims; a dim <= 0 writes its params[i] as dim_param. */
Onnx__ValueInfoProto *ox_tensor_info(ox_graph *g, const char *name, int elem_type, int n, const int64_t *dims,
                                     const char *const *params);
/* A float tensor value info of shape [batch, c, h, w]; batch <= 0 writes dim_param "batch". */
Onnx__ValueInfoProto *ox_value_info(ox_graph *g, const char *name, int batch, int c, int h, int w);
void ox_output(ox_graph *g, Onnx__ValueInfoProto *vi);
void ox_meta(ox_graph *g, const char *key, const char *value);

/* Packs the model to an already open stream; IO on write failure. */
drt_status ox_pack_to_file(const Onnx__ModelProto *model, void *fp, const char *path);

#endif
