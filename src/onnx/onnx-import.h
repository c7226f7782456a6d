/* Internals of the ONNX importer shared by its files: the value table, node helpers, tensors. */
#ifndef DRT_ONNX_IMPORT_H
#define DRT_ONNX_IMPORT_H

#include <stdint.h>
#include "graph/model.h"
#include "onnx/onnx-write.h"
#include "onnx/onnx.pb-c.h"

typedef enum ix_kind {
    IX_UNDEFINED = 0, /* a node output not computed yet */
    IX_LAYER,         /* a layer's output (layer -1: the network input) */
    IX_CONST,         /* an initializer or a Constant */
    IX_PART,          /* a channel range of a layer, made into a route layer when used */
} ix_kind;

typedef struct ix_value {
    const char *name;
    ix_kind kind;
    int layer;
    const Onnx__TensorProto *tensor; /* IX_CONST */
    int part_src, part_groups, part_id; /* IX_PART: channels of layer part_src; a route group when part_groups > 0 */
    int64_t part_off, part_size;        /* IX_PART: the channel range [part_off, part_off + part_size) */
    int part_node;                      /* IX_PART: the node that sliced it (named when a range is refused) */
    int is_output;
    int n_consumers;
    int *consumers; /* node indices, into ix.consumer_store */
} ix_value;

typedef struct ix {
    const char *path;
    const drt_load_opts *opts;
    Onnx__ModelProto *mp;
    const Onnx__GraphProto *gp;
    int opset;
    drt_model *m;         /* layers grow as nodes are read */
    int cap_layers;
    float **staged;       /* each conv layer's parameters in Darknet order, until the blob exists */
    ix_value *vals;
    int n_vals, cap_vals;
    int *hash;            /* open addressing over vals, -1 empty */
    int hash_cap;
    int *consumer_store;
    unsigned char *done;  /* per node: already read as part of a pattern */
    ox_graph arena;       /* tensors made from Constant attributes */
} ix;

/* "<file>: node 'name' (Op, opset N): <message>" */
drt_status ix_fail(const ix *x, int node, drt_status s, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

const Onnx__NodeProto *ix_node(const ix *x, int node);
int ix_find(const ix *x, const char *name); /* value index or -1 */
/* The value a node input refers to, checked to be computed already. */
drt_status ix_input(ix *x, int node, int k, ix_value **v_out);
/* A layer value's index (materialising a channel part as a route layer); -1 = network input. */
drt_status ix_input_layer(ix *x, int node, int k, int *layer_out);
drt_shape ix_layer_shape(const ix *x, int layer);

/* Appends a layer (copied) with its staged parameters (owned, may be NULL) and infers its shape. */
drt_status ix_add_layer(ix *x, int node, const drt_layer *l, float *params, int *index_out);

/* Attributes: unknown names are refused; absent ones take the default. */
drt_status ix_check_attrs(const ix *x, int node, const char *const *known);
drt_status ix_attr_int(const ix *x, int node, const char *name, int64_t def, int64_t *out);
drt_status ix_attr_float(const ix *x, int node, const char *name, float def, float *out);
/* Returns the count found (0 when absent) through n_out. */
drt_status ix_attr_ints(const ix *x, int node, const char *name, int64_t *out, size_t max, size_t *n_out);
drt_status ix_attr_string(const ix *x, int node, const char *name, const char *def, char *out, size_t cap);
const Onnx__AttributeProto *ix_attr(const Onnx__NodeProto *n, const char *name);

/* Tensors: element count after checking dims and that the data present matches them. */
drt_status ix_tensor_count(const ix *x, int node, const Onnx__TensorProto *t, size_t *count_out);
/* Reads a float tensor of exactly `count` elements (FLOAT or DOUBLE). */
drt_status ix_tensor_floats(const ix *x, int node, const Onnx__TensorProto *t, float *dst, size_t count);
/* Reads an integer tensor of at most max elements (INT64 or INT32). */
drt_status ix_tensor_ints(const ix *x, int node, const Onnx__TensorProto *t, int64_t *dst, size_t max, size_t *n_out);
/* A constant input's tensor (NULL with the input absent or named ""). */
drt_status ix_const_input(ix *x, int node, int k, const Onnx__TensorProto **t_out);

/* Node readers (onnx-import-ops.c). */
drt_status ix_read_node(ix *x, int node);

#endif
