/* Arena-backed builders for the ONNX messages the exporter writes, and packing to a stream. */
#include "onnx/onnx-write.h"
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "ONNX raw_data is little-endian: darkrt's exporter references host floats directly"
#endif

struct ox_block {
    ox_block *next;
    max_align_t data[];
};

void *ox_alloc(ox_graph *g, size_t size)
{
    ox_block *b = calloc(1, sizeof *b + (size ? size : 1));
    if (!b) {
        g->failed = 1;
        return NULL;
    }
    b->next = g->blocks;
    g->blocks = b;
    return b->data;
}

char *ox_strdup(ox_graph *g, const char *s)
{
    if (!s) return NULL; /* an earlier allocation failed: g->failed is already set */
    size_t n = strlen(s) + 1;
    char *d = ox_alloc(g, n);
    if (d) memcpy(d, s, n);
    return d;
}

char *ox_printf(ox_graph *g, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return ox_strdup(g, buf);
}

void ox_free(ox_graph *g)
{
    for (ox_block *b = g->blocks, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    g->blocks = NULL;
}

/* Appends to an arena-backed vector, doubling (the old copy stays in the arena). */
static int push(ox_graph *g, void ***vec, size_t *n, size_t *cap, void *item)
{
    if (!item) return 0;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        void **nv = ox_alloc(g, nc * sizeof *nv);
        if (!nv) return 0;
        if (*n) memcpy(nv, *vec, *n * sizeof *nv);
        *vec = nv;
        *cap = nc;
    }
    (*vec)[(*n)++] = item;
    return 1;
}

#define PUSH(g, field, item) push(g, (void ***)&(g)->field, &(g)->n_##field, &(g)->cap_##field, item)

static char **str_list(ox_graph *g, const char *const *names, size_t *count)
{
    size_t n = 0;
    while (names && names[n]) n++;
    char **out = ox_alloc(g, (n ? n : 1) * sizeof *out);
    if (!out) return NULL;
    for (size_t i = 0; i < n; i++) out[i] = ox_strdup(g, names[i]);
    *count = n;
    return out;
}

Onnx__NodeProto *ox_node(ox_graph *g, const char *op, const char *name, const char *const *inputs,
                         const char *const *outputs)
{
    Onnx__NodeProto *n = ox_alloc(g, sizeof *n);
    if (!n) return NULL;
    onnx__node_proto__init(n);
    n->op_type = ox_strdup(g, op);
    n->name = ox_strdup(g, name);
    n->input = str_list(g, inputs, &n->n_input);
    n->output = str_list(g, outputs, &n->n_output);
    PUSH(g, nodes, n);
    return n;
}

static Onnx__AttributeProto *attr(ox_graph *g, Onnx__NodeProto *n, const char *name,
                                  Onnx__AttributeProto__AttributeType type)
{
    if (!n) return NULL;
    Onnx__AttributeProto *a = ox_alloc(g, sizeof *a);
    Onnx__AttributeProto **list = ox_alloc(g, (n->n_attribute + 1) * sizeof *list);
    if (!a || !list) return NULL;
    onnx__attribute_proto__init(a);
    a->name = ox_strdup(g, name);
    a->has_type = 1;
    a->type = type;
    if (n->n_attribute) memcpy(list, n->attribute, n->n_attribute * sizeof *list);
    list[n->n_attribute++] = a;
    n->attribute = list;
    return a;
}

void ox_attr_int(ox_graph *g, Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = attr(g, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    if (a) { a->has_i = 1; a->i = v; }
}

void ox_attr_ints(ox_graph *g, Onnx__NodeProto *n, const char *name, size_t count, const int64_t *v)
{
    Onnx__AttributeProto *a = attr(g, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    int64_t *copy = ox_alloc(g, (count ? count : 1) * sizeof *copy);
    if (!a || !copy) return;
    if (count) memcpy(copy, v, count * sizeof *copy);
    a->ints = copy;
    a->n_ints = count;
}

void ox_attr_float(ox_graph *g, Onnx__NodeProto *n, const char *name, float v)
{
    Onnx__AttributeProto *a = attr(g, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    if (a) { a->has_f = 1; a->f = v; }
}

void ox_attr_floats(ox_graph *g, Onnx__NodeProto *n, const char *name, size_t count, const float *v)
{
    Onnx__AttributeProto *a = attr(g, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
    float *copy = ox_alloc(g, (count ? count : 1) * sizeof *copy);
    if (!a || !copy) return;
    if (count) memcpy(copy, v, count * sizeof *copy);
    a->floats = copy;
    a->n_floats = count;
}

void ox_attr_string(ox_graph *g, Onnx__NodeProto *n, const char *name, const char *v)
{
    Onnx__AttributeProto *a = attr(g, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    if (!a) return;
    a->has_s = 1;
    a->s.data = (uint8_t *)ox_strdup(g, v);
    a->s.len = strlen(v);
}

static Onnx__TensorProto *tensor(ox_graph *g, const char *name, int type, int ndims, const int64_t *dims)
{
    Onnx__TensorProto *t = ox_alloc(g, sizeof *t);
    int64_t *d = ox_alloc(g, (ndims ? (size_t)ndims : 1) * sizeof *d);
    if (!t || !d) return NULL;
    onnx__tensor_proto__init(t);
    t->name = ox_strdup(g, name);
    t->has_data_type = 1;
    t->data_type = type;
    if (ndims) memcpy(d, dims, (size_t)ndims * sizeof *d);
    t->dims = d;
    t->n_dims = (size_t)ndims;
    return t;
}

const char *ox_init_floats(ox_graph *g, const char *name, int ndims, const int64_t *dims, const float *data)
{
    Onnx__TensorProto *t = tensor(g, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, ndims, dims);
    if (!t) return name;
    size_t n = 1;
    for (int i = 0; i < ndims; i++) n *= (size_t)dims[i];
    t->has_raw_data = 1;
    t->raw_data.len = n * sizeof(float);
    t->raw_data.data = (uint8_t *)(uintptr_t)data;
    PUSH(g, inits, t);
    return name;
}

const char *ox_init_ints(ox_graph *g, const char *name, size_t count, const int64_t *data)
{
    int64_t dim = (int64_t)count;
    Onnx__TensorProto *t = tensor(g, name, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 1, &dim);
    int64_t *copy = ox_alloc(g, (count ? count : 1) * sizeof *copy);
    if (!t || !copy) return name;
    if (count) memcpy(copy, data, count * sizeof *copy);
    t->int64_data = copy;
    t->n_int64_data = count;
    PUSH(g, inits, t);
    return name;
}

Onnx__ValueInfoProto *ox_tensor_info(ox_graph *g, const char *name, int elem_type, int n, const int64_t *dims,
                                     const char *const *params)
{
    Onnx__ValueInfoProto *vi = ox_alloc(g, sizeof *vi);
    Onnx__TypeProto *tp = ox_alloc(g, sizeof *tp);
    Onnx__TypeProto__Tensor *tt = ox_alloc(g, sizeof *tt);
    Onnx__TensorShapeProto *sh = ox_alloc(g, sizeof *sh);
    Onnx__TensorShapeProto__Dimension **dv = ox_alloc(g, (size_t)n * sizeof *dv);
    if (!vi || !tp || !tt || !sh || !dv) return NULL;
    onnx__value_info_proto__init(vi);
    onnx__type_proto__init(tp);
    onnx__type_proto__tensor__init(tt);
    onnx__tensor_shape_proto__init(sh);
    for (int i = 0; i < n; i++) {
        if (!(dv[i] = ox_alloc(g, sizeof *dv[i]))) return NULL;
        onnx__tensor_shape_proto__dimension__init(dv[i]);
        dv[i]->value_case = dims[i] > 0 ? ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                                        : ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
        if (dims[i] > 0) dv[i]->dim_value = dims[i];
        else dv[i]->dim_param = ox_strdup(g, params[i]);
    }
    sh->dim = dv;
    sh->n_dim = (size_t)n;
    tt->has_elem_type = 1;
    tt->elem_type = elem_type;
    tt->shape = sh;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    vi->name = ox_strdup(g, name);
    vi->type = tp;
    return vi;
}

Onnx__ValueInfoProto *ox_value_info(ox_graph *g, const char *name, int batch, int c, int h, int w)
{
    return ox_tensor_info(g, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, (int64_t[]){batch, c, h, w},
                          (const char *const[]){"batch", "", "", ""});
}

void ox_output(ox_graph *g, Onnx__ValueInfoProto *vi) { PUSH(g, outputs, vi); }

void ox_meta(ox_graph *g, const char *key, const char *value)
{
    Onnx__StringStringEntryProto *e = ox_alloc(g, sizeof *e);
    if (!e) return;
    onnx__string_string_entry_proto__init(e);
    e->key = ox_strdup(g, key);
    e->value = ox_strdup(g, value);
    PUSH(g, meta, e);
}

/* A protobuf-c output buffer that streams to a FILE (no copy of the whole model in memory). */
typedef struct file_buffer {
    ProtobufCBuffer base;
    FILE *fp;
    int err;
} file_buffer;

static void file_append(ProtobufCBuffer *b, size_t len, const uint8_t *data)
{
    file_buffer *fb = (file_buffer *)b;
    if (!fb->err && len && fwrite(data, 1, len, fb->fp) != len) fb->err = 1;
}

drt_status ox_pack_to_file(const Onnx__ModelProto *model, void *fp, const char *path)
{
    file_buffer fb = {.base = {.append = file_append}, .fp = fp};
    protobuf_c_message_pack_to_buffer(&model->base, &fb.base);
    if (fb.err || ferror((FILE *)fp)) return drt_error_errno(DRT_STATUS_IO, "%s: write failed", path);
    return DRT_OK;
}
