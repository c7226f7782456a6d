/* Reading ONNX attributes and tensors with every size checked against the data present. */
#include "onnx/onnx-import.h"
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_TENSOR_ELEMS ((size_t)1 << 33)

const Onnx__NodeProto *ix_node(const ix *x, int node) { return x->gp->node[node]; }

drt_status ix_fail(const ix *x, int node, drt_status s, const char *fmt, ...)
{
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (node < 0) return drt_error(s, "%s: %s", x->path, msg);
    const Onnx__NodeProto *n = ix_node(x, node);
    if (n->name && n->name[0])
        return drt_error(s, "%s: node '%s' (%s, opset %d): %s", x->path, n->name, n->op_type, x->opset, msg);
    return drt_error(s, "%s: node #%d (%s, opset %d): %s", x->path, node, n->op_type, x->opset, msg);
}

const Onnx__AttributeProto *ix_attr(const Onnx__NodeProto *n, const char *name)
{
    for (size_t i = 0; i < n->n_attribute; i++)
        if (n->attribute[i]->name && strcmp(n->attribute[i]->name, name) == 0) return n->attribute[i];
    return NULL;
}

drt_status ix_check_attrs(const ix *x, int node, const char *const *known)
{
    const Onnx__NodeProto *n = ix_node(x, node);
    for (size_t i = 0; i < n->n_attribute; i++) {
        const char *name = n->attribute[i]->name ? n->attribute[i]->name : "";
        int ok = 0;
        for (int k = 0; known[k] && !ok; k++) ok = strcmp(name, known[k]) == 0;
        if (!ok) {
            char list[300] = "";
            for (int k = 0; known[k]; k++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "", known[k]);
            return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "attribute '%s' is not supported (supported: %s)", name,
                           list[0] ? list : "none");
        }
    }
    return DRT_OK;
}

/* An attribute's declared type, falling back on which field is set (IR version 1 files). */
static int attr_is(const Onnx__AttributeProto *a, Onnx__AttributeProto__AttributeType type)
{
    if (a->has_type) return a->type == type;
    switch (type) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: return a->has_i;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: return a->has_f;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: return a->has_s;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS: return a->n_ints > 0;
    default: return 0;
    }
}

drt_status ix_attr_int(const ix *x, int node, const char *name, int64_t def, int64_t *out)
{
    const Onnx__AttributeProto *a = ix_attr(ix_node(x, node), name);
    *out = def;
    if (!a) return DRT_OK;
    if (!attr_is(a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT))
        return ix_fail(x, node, DRT_STATUS_FORMAT, "attribute '%s': must be an int", name);
    *out = a->i;
    return DRT_OK;
}

drt_status ix_attr_float(const ix *x, int node, const char *name, float def, float *out)
{
    const Onnx__AttributeProto *a = ix_attr(ix_node(x, node), name);
    *out = def;
    if (!a) return DRT_OK;
    if (!attr_is(a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT))
        return ix_fail(x, node, DRT_STATUS_FORMAT, "attribute '%s': must be a float", name);
    *out = a->f;
    return DRT_OK;
}

drt_status ix_attr_ints(const ix *x, int node, const char *name, int64_t *out, size_t max, size_t *n_out)
{
    const Onnx__AttributeProto *a = ix_attr(ix_node(x, node), name);
    *n_out = 0;
    if (!a) return DRT_OK;
    if (!attr_is(a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS))
        return ix_fail(x, node, DRT_STATUS_FORMAT, "attribute '%s': must be a list of ints", name);
    if (a->n_ints > max)
        return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "attribute '%s' has %zu values: at most %zu supported", name, a->n_ints, max);
    if (a->n_ints) memcpy(out, a->ints, a->n_ints * sizeof *out); /* ints is NULL when empty */
    *n_out = a->n_ints;
    return DRT_OK;
}

drt_status ix_attr_string(const ix *x, int node, const char *name, const char *def, char *out, size_t cap)
{
    const Onnx__AttributeProto *a = ix_attr(ix_node(x, node), name);
    snprintf(out, cap, "%s", def);
    if (!a) return DRT_OK;
    if (!attr_is(a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING))
        return ix_fail(x, node, DRT_STATUS_FORMAT, "attribute '%s': must be a string", name);
    if (a->s.len >= cap || (a->s.len && memchr(a->s.data, 0, a->s.len)))
        return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "attribute '%s': value too long or not text", name);
    if (a->s.len) memcpy(out, a->s.data, a->s.len);
    out[a->s.len] = 0;
    return DRT_OK;
}

static const char *tname(const Onnx__TensorProto *t) { return t->name ? t->name : "(unnamed)"; }

drt_status ix_tensor_count(const ix *x, int node, const Onnx__TensorProto *t, size_t *count_out)
{
    *count_out = 0;
    if (t->n_external_data || (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL))
        return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "tensor '%s' keeps its data in an external file: not supported", tname(t));
    if (t->segment) return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "tensor '%s' is segmented: not supported", tname(t));
    size_t count = 1;
    for (size_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 0 || t->dims[i] > ((int64_t)1 << 31))
            return ix_fail(x, node, DRT_STATUS_FORMAT, "tensor '%s' dim %zu = %lld: must be 0..2^31", tname(t), i, (long long)t->dims[i]);
        count *= (size_t)t->dims[i];
        if (count > MAX_TENSOR_ELEMS)
            return ix_fail(x, node, DRT_STATUS_FORMAT, "tensor '%s' has more than 2^33 elements: absurd size", tname(t));
    }
    size_t esize, typed;
    switch (t->data_type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: esize = 4; typed = t->n_float_data; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: esize = 8; typed = t->n_double_data; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: esize = 8; typed = t->n_int64_data; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: esize = 4; typed = t->n_int32_data; break;
    default:
        return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "tensor '%s' has data type %d: darkrt reads float, double, int64, int32",
                       tname(t), (int)t->data_type);
    }
    if (t->has_raw_data && typed)
        return ix_fail(x, node, DRT_STATUS_FORMAT, "tensor '%s' has both raw_data and typed data: must have one", tname(t));
    if (t->has_raw_data ? t->raw_data.len != count * esize : typed != count)
        return ix_fail(x, node, DRT_STATUS_FORMAT, "tensor '%s': dims say %zu elements but %s holds %zu",
                       tname(t), count, t->has_raw_data ? "raw_data" : "the typed data",
                       t->has_raw_data ? t->raw_data.len / esize : typed);
    *count_out = count;
    return DRT_OK;
}

drt_status ix_tensor_floats(const ix *x, int node, const Onnx__TensorProto *t, float *dst, size_t count)
{
    size_t n;
    DRT_TRY(ix_tensor_count(x, node, t, &n));
    if (n != count) return ix_fail(x, node, DRT_STATUS_FORMAT, "tensor '%s' has %zu elements: must have %zu", tname(t), n, count);
    if (n == 0) return DRT_OK; /* empty data pointers may be NULL */
    if (t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
        if (t->has_raw_data) memcpy(dst, t->raw_data.data, n * sizeof(float)); /* little-endian host */
        else memcpy(dst, t->float_data, n * sizeof(float));
    } else if (t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE) {
        for (size_t i = 0; i < n; i++) {
            double v;
            if (t->has_raw_data) memcpy(&v, t->raw_data.data + 8 * i, 8);
            else v = t->double_data[i];
            dst[i] = (float)v;
        }
    } else {
        return ix_fail(x, node, DRT_STATUS_FORMAT, "tensor '%s' has data type %d: must be float", tname(t), (int)t->data_type);
    }
    return DRT_OK;
}

drt_status ix_tensor_ints(const ix *x, int node, const Onnx__TensorProto *t, int64_t *dst, size_t max, size_t *n_out)
{
    size_t n;
    DRT_TRY(ix_tensor_count(x, node, t, &n));
    if (n > max) return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "tensor '%s' has %zu values: at most %zu expected", tname(t), n, max);
    for (size_t i = 0; i < n; i++) {
        if (t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
            if (t->has_raw_data) memcpy(&dst[i], t->raw_data.data + 8 * i, 8);
            else dst[i] = t->int64_data[i];
        } else if (t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT32) {
            int32_t v;
            if (t->has_raw_data) memcpy(&v, t->raw_data.data + 4 * i, 4);
            else v = t->int32_data[i];
            dst[i] = v;
        } else {
            return ix_fail(x, node, DRT_STATUS_FORMAT, "tensor '%s' has data type %d: must be int64", tname(t), (int)t->data_type);
        }
    }
    *n_out = n;
    return DRT_OK;
}

drt_status ix_const_input(ix *x, int node, int k, const Onnx__TensorProto **t_out)
{
    const Onnx__NodeProto *n = ix_node(x, node);
    *t_out = NULL;
    if ((size_t)k >= n->n_input || !n->input[k] || !n->input[k][0]) return DRT_OK;
    ix_value *v;
    DRT_TRY(ix_input(x, node, k, &v));
    if (v->kind != IX_CONST)
        return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "input %d '%s' is computed at run time: darkrt needs a constant (initializer)",
                       k, v->name);
    *t_out = v->tensor;
    return DRT_OK;
}
