/* ONNX import: reads a model file, walks its graph into darkrt's Darknet-shaped layer list, and
 * turns the graph outputs into [yolo] heads (from darkrt's metadata, or placeholders). */
#define _POSIX_C_SOURCE 200809L
#include "onnx/onnx-import.h"
#include "onnx/onnx-meta.h"
#include "core/error.h"
#include "core/opts.h"
#include "core/fileio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ONNX_BYTES ((size_t)4 << 30)
#define MAX_NODES DRT_MAX_LAYERS /* one limit with the cfg and plan front ends */

static unsigned hash_str(const char *s)
{
    unsigned h = 2166136261u;
    while (*s) h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

int ix_find(const ix *x, const char *name)
{
    if (!name) return -1;
    for (unsigned h = hash_str(name) & (unsigned)(x->hash_cap - 1);; h = (h + 1) & (unsigned)(x->hash_cap - 1)) {
        int v = x->hash[h];
        if (v < 0) return -1;
        if (strcmp(x->vals[v].name, name) == 0) return v;
    }
}

/* Registers a name; FORMAT if it is defined twice. */
static drt_status add_value(ix *x, const char *name, ix_kind kind, const Onnx__TensorProto *t, const char *what)
{
    if (!name || !name[0]) return drt_error(DRT_STATUS_FORMAT, "%s: %s without a name", x->path, what);
    if (ix_find(x, name) >= 0)
        return drt_error(DRT_STATUS_FORMAT, "%s: tensor '%s' (%s) is defined twice: names must be unique", x->path, name, what);
    if (x->n_vals >= x->cap_vals)
        return drt_error(DRT_STATUS_INTERNAL, "%s: value table full", x->path);
    ix_value *v = &x->vals[x->n_vals];
    memset(v, 0, sizeof *v);
    v->name = name;
    v->kind = kind;
    v->tensor = t;
    v->layer = -1;
    unsigned h = hash_str(name) & (unsigned)(x->hash_cap - 1);
    while (x->hash[h] >= 0) h = (h + 1) & (unsigned)(x->hash_cap - 1);
    x->hash[h] = x->n_vals++;
    return DRT_OK;
}

drt_status ix_input(ix *x, int node, int k, ix_value **v_out)
{
    const Onnx__NodeProto *n = ix_node(x, node);
    *v_out = NULL;
    if ((size_t)k >= n->n_input || !n->input[k] || !n->input[k][0])
        return ix_fail(x, node, DRT_STATUS_FORMAT, "input %d is missing", k);
    int v = ix_find(x, n->input[k]);
    if (v < 0)
        return ix_fail(x, node, DRT_STATUS_FORMAT,
                       "input '%s' is not an initializer, a graph input or any node's output (missing initializer?)", n->input[k]);
    if (x->vals[v].kind == IX_UNDEFINED)
        return ix_fail(x, node, DRT_STATUS_FORMAT, "input '%s' is used before the node that makes it: nodes must be in topological order",
                       n->input[k]);
    *v_out = &x->vals[v];
    return DRT_OK;
}

drt_shape ix_layer_shape(const ix *x, int layer)
{
    if (layer < 0) return (drt_shape){x->m->channels, x->m->height, x->m->width};
    return x->m->layers[layer].out;
}

drt_status ix_add_layer(ix *x, int node, const drt_layer *l, float *params, int *index_out)
{
    drt_model *m = x->m;
    if (m->n_layers >= x->cap_layers) {
        int cap = x->cap_layers ? x->cap_layers * 2 : 64;
        drt_layer *nl = realloc(m->layers, (size_t)cap * sizeof *nl);
        float **ns = nl ? realloc(x->staged, (size_t)cap * sizeof *ns) : NULL;
        if (nl) m->layers = nl;
        if (!nl || !ns) { free(params); return drt_error(DRT_STATUS_OOM, "%s: out of memory for layers", x->path); }
        x->staged = ns;
        x->cap_layers = cap;
    }
    int i = m->n_layers;
    m->layers[i] = *l;
    x->staged[i] = params;
    m->n_layers++;
    /* Darknet's shape rules for the new layer (the earlier ones are already checked: checking them
     * again for each node made importing quadratic, 20,000 nodes 13 s). */
    drt_status s = drt_model_infer_shapes_from(m, i);
    if (s != DRT_OK) {
        if (node >= 0) {
            const Onnx__NodeProto *n = ix_node(x, node);
            drt_error_prefix("node '%s' (%s)", n->name ? n->name : "", n->op_type);
        }
        return s;
    }
    *index_out = i;
    return DRT_OK;
}

/* A channel part becomes a route layer the first time something uses it. */
static drt_status materialise(ix *x, int node, ix_value *v)
{
    if (v->kind != IX_PART) return DRT_OK;
    if (v->part_groups <= 0) /* a range only a pattern (maxpool_depth's Max) takes */
        return ix_fail(x, v->part_node, DRT_STATUS_UNSUPPORTED, "channels %lld..%lld of %d: Darknet's route groups take one "
                       "of equal parts", (long long)v->part_off, (long long)(v->part_off + v->part_size),
                       ix_layer_shape(x, v->part_src).c);
    drt_layer l = {.type = DRT_LAYER_ROUTE, .n_inputs = 1, .inputs = {v->part_src},
                   .route_groups = v->part_groups, .route_group_id = v->part_id};
    DRT_TRY(ix_add_layer(x, node, &l, NULL, &v->layer));
    v->kind = IX_LAYER;
    return DRT_OK;
}

drt_status ix_input_layer(ix *x, int node, int k, int *layer_out)
{
    ix_value *v;
    DRT_TRY(ix_input(x, node, k, &v));
    DRT_TRY(materialise(x, node, v));
    if (v->kind != IX_LAYER)
        return ix_fail(x, node, DRT_STATUS_UNSUPPORTED, "input %d '%s' is a constant: darkrt needs a computed tensor here", k, v->name);
    *layer_out = v->layer;
    return DRT_OK;
}

/* The one image input: float [N, C, H, W] with fixed C, H, W. N may be fixed or symbolic. */
static drt_status read_input(ix *x)
{
    const Onnx__GraphProto *g = x->gp;
    const Onnx__ValueInfoProto *in = NULL;
    for (size_t i = 0; i < g->n_input; i++) {
        int v = ix_find(x, g->input[i]->name);
        if (v >= 0 && x->vals[v].kind == IX_CONST) continue; /* an initializer also listed as an input */
        if (in)
            return drt_error(DRT_STATUS_UNSUPPORTED, "%s: graph inputs '%s' and '%s' have no initializer: darkrt needs exactly one image input",
                             x->path, in->name, g->input[i]->name);
        in = g->input[i];
    }
    if (!in) return drt_error(DRT_STATUS_FORMAT, "%s: the graph has no input without an initializer: no image input", x->path);
    const Onnx__TypeProto *tp = in->type;
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type ||
        tp->tensor_type->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
        return drt_error(DRT_STATUS_UNSUPPORTED, "%s: input '%s': must be a float tensor", x->path, in->name);
    const Onnx__TensorShapeProto *sh = tp->tensor_type->shape;
    if (!sh || sh->n_dim != 4)
        return drt_error(DRT_STATUS_UNSUPPORTED, "%s: input '%s' has rank %zu: must be [N, C, H, W]", x->path, in->name, sh ? sh->n_dim : 0);
    int64_t d[4];
    for (int i = 0; i < 4; i++) {
        const Onnx__TensorShapeProto__Dimension *dim = sh->dim[i];
        int fixed = dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        d[i] = fixed ? dim->dim_value : 0;
        if (i > 0 && (!fixed || d[i] < 1 || d[i] > 65536))
            return drt_error(DRT_STATUS_UNSUPPORTED, "%s: input '%s' dim %d: must be a fixed size 1..65536", x->path, in->name, i);
        if (i == 0 && fixed && (d[0] < 1 || d[0] > 65536))
            return drt_error(DRT_STATUS_FORMAT, "%s: input '%s' batch %lld: must be 1..65536", x->path, in->name, (long long)d[0]);
    }
    x->m->batch = d[0] > 0 ? (int)d[0] : 1;
    x->m->channels = (int)d[1];
    x->m->height = (int)d[2];
    x->m->width = (int)d[3];
    if (d[1] > 64) return drt_error(DRT_STATUS_UNSUPPORTED, "%s: input '%s' has %lld channels: at most 64", x->path, in->name, (long long)d[1]);
    int v = ix_find(x, in->name);
    if (v >= 0) return drt_error(DRT_STATUS_FORMAT, "%s: input '%s' is also a node output", x->path, in->name);
    DRT_TRY(add_value(x, in->name, IX_LAYER, NULL, "graph input"));
    x->vals[x->n_vals - 1].layer = -1;
    return DRT_OK;
}

static drt_status index_graph(ix *x)
{
    const Onnx__GraphProto *g = x->gp;
    if (g->n_node > MAX_NODES) return drt_error(DRT_STATUS_UNSUPPORTED, "%s: %zu nodes: more than %d, darkrt's limit for every model (cfg, ONNX, plan)", x->path, g->n_node, MAX_NODES);
    size_t n_vals = g->n_initializer + g->n_input + 1, n_uses = 0;
    for (size_t i = 0; i < g->n_node; i++) n_vals += g->node[i]->n_output, n_uses += g->node[i]->n_input;
    x->cap_vals = (int)n_vals;
    for (x->hash_cap = 64; (size_t)x->hash_cap < 2 * n_vals;) x->hash_cap *= 2;
    x->vals = calloc(n_vals, sizeof *x->vals);
    x->hash = malloc((size_t)x->hash_cap * sizeof *x->hash);
    x->consumer_store = malloc((n_uses + 1) * sizeof *x->consumer_store);
    x->done = calloc(g->n_node + 1, 1);
    if (!x->vals || !x->hash || !x->consumer_store || !x->done) return drt_error(DRT_STATUS_OOM, "%s: out of memory", x->path);
    memset(x->hash, -1, (size_t)x->hash_cap * sizeof *x->hash);
    for (size_t i = 0; i < g->n_initializer; i++)
        DRT_TRY(add_value(x, g->initializer[i]->name, IX_CONST, g->initializer[i], "initializer"));
    if (g->n_sparse_initializer) return drt_error(DRT_STATUS_UNSUPPORTED, "%s: sparse initializers are not supported", x->path);
    DRT_TRY(read_input(x));
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *n = g->node[i];
        if (!n->op_type) return drt_error(DRT_STATUS_FORMAT, "%s: node #%zu has no op_type", x->path, i);
        if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx") != 0)
            return ix_fail(x, (int)i, DRT_STATUS_UNSUPPORTED, "domain '%s': darkrt reads the default ONNX domain only", n->domain);
        for (size_t k = 0; k < n->n_output; k++)
            if (n->output[k] && n->output[k][0]) DRT_TRY(add_value(x, n->output[k], IX_UNDEFINED, NULL, "node output"));
    }
    /* Consumers of each value, for the pattern matching (Conv -> BN -> act). */
    for (size_t i = 0; i < g->n_node; i++)
        for (size_t k = 0; k < g->node[i]->n_input; k++) {
            int v = ix_find(x, g->node[i]->input[k]);
            if (v >= 0) x->vals[v].n_consumers++;
        }
    int *p = x->consumer_store;
    for (int v = 0; v < x->n_vals; v++) {
        x->vals[v].consumers = p;
        p += x->vals[v].n_consumers;
        x->vals[v].n_consumers = 0;
    }
    for (size_t i = 0; i < g->n_node; i++)
        for (size_t k = 0; k < g->node[i]->n_input; k++) {
            int v = ix_find(x, g->node[i]->input[k]);
            if (v >= 0) {
                ix_value *val = &x->vals[v];
                if (val->n_consumers == 0 || val->consumers[val->n_consumers - 1] != (int)i)
                    val->consumers[val->n_consumers++] = (int)i;
            }
        }
    for (size_t i = 0; i < g->n_output; i++) {
        int v = g->output[i]->name ? ix_find(x, g->output[i]->name) : -1;
        if (v < 0) return drt_error(DRT_STATUS_FORMAT, "%s: graph output '%s' is not produced by any node", x->path,
                                    g->output[i]->name ? g->output[i]->name : "");
        x->vals[v].is_output = 1;
    }
    return DRT_OK;
}

/* The default domain's opset version as the file has it (for the message). */
static const char *opset_text(const Onnx__ModelProto *mp)
{
    static _Thread_local char text[32];
    for (size_t i = 0; i < mp->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = mp->opset_import[i];
        if (!o->domain || !o->domain[0] || strcmp(o->domain, "ai.onnx") == 0) snprintf(text, sizeof text, "%lld", (long long)o->version);
    }
    return text;
}

static drt_status read_opset(ix *x)
{
    Onnx__ModelProto *mp = x->mp;
    x->opset = -1;
    for (size_t i = 0; i < mp->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = mp->opset_import[i];
        if (!o->domain || !o->domain[0] || strcmp(o->domain, "ai.onnx") == 0)
            x->opset = o->version < 0 || o->version > 1000 ? 1000 : (int)o->version; /* 2^32+13 is not 13 */
    }
    if (!mp->has_ir_version || mp->ir_version < 3)
        return drt_error(DRT_STATUS_FORMAT, "%s: ir_version %lld: must be 3 or higher", x->path, (long long)mp->ir_version);
    if (x->opset < 0) return drt_error(DRT_STATUS_FORMAT, "%s: no opset_import for the default ONNX domain", x->path);
    if (x->opset < 7 || x->opset > 21)
        return drt_error(DRT_STATUS_UNSUPPORTED, "%s: opset %s: darkrt reads opsets 7..21", x->path, opset_text(mp));
    if (!mp->graph) return drt_error(DRT_STATUS_FORMAT, "%s: the model has no graph", x->path);
    x->gp = mp->graph;
    return DRT_OK;
}

/* Placeholder heads for a graph without darkrt metadata: the raw tensors come out right;
 * anchors stay 0 until drt_model_set_yolo_heads_from_cfg / _set_yolo_heads supply them. */
static drt_status guess_head(ix *x, const char *name, drt_layer *l, drt_shape in, int k, int n_heads)
{
    if (in.c <= 5)
        return drt_error(DRT_STATUS_UNSUPPORTED, "%s: graph output '%s' has %d channels: a YOLO head has masks x (classes + 5)",
                         x->path, name, in.c);
    int n_mask = (in.c % 3 == 0 && in.c / 3 > 5) ? 3 : 1;
    l->type = DRT_LAYER_YOLO;
    l->n_mask = n_mask;
    l->classes = in.c / n_mask - 5;
    l->num = n_mask * n_heads > DRT_MAX_ANCHORS ? n_mask : n_mask * n_heads;
    for (int j = 0; j < n_mask; j++) l->mask[j] = (l->num == n_mask ? 0 : k * n_mask) + j;
    l->scale_x_y = 1;
    return DRT_OK;
}

static int in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, name, n) == 0) return 1;
        p += len + (p[len] == ',');
    }
    return 0;
}

static drt_status add_heads(ix *x)
{
    const Onnx__GraphProto *g = x->gp;
    const char *listed = drt_onnx_meta_get(x->mp, "yolo.heads");
    int n_heads = (int)g->n_output;
    if (n_heads < 1) return drt_error(DRT_STATUS_FORMAT, "%s: the graph has no outputs", x->path);
    if (!listed && x->opts->warn)
        drt_warn("%s: no darkrt YOLO metadata: the %d graph outputs become heads without anchors "
                 "(give a cfg or anchors/masks to decode boxes)", x->path, n_heads);
    for (int k = 0; k < n_heads; k++) {
        const char *name = g->output[k]->name;
        int v = ix_find(x, name);
        ix_value *val = &x->vals[v];
        if (val->kind == IX_UNDEFINED)
            return drt_error(DRT_STATUS_FORMAT, "%s: graph output '%s' is never computed", x->path, name);
        DRT_TRY(materialise(x, -1, val));
        if (val->kind != IX_LAYER)
            return drt_error(DRT_STATUS_UNSUPPORTED, "%s: graph output '%s' is a constant", x->path, name);
        int src = val->layer;
        if (src < 0) return drt_error(DRT_STATUS_UNSUPPORTED, "%s: graph output '%s' is the input itself", x->path, name);
        drt_layer l = {.n_inputs = 1, .inputs = {src}};
        if (listed) {
            if (!in_list(listed, name))
                return drt_error(DRT_STATUS_FORMAT, "%s: graph output '%s' is not in metadata yolo.heads=%s", x->path, name, listed);
            DRT_TRY(drt_onnx_meta_read_head(x->mp, x->path, name, &l));
        } else {
            DRT_TRY(guess_head(x, name, &l, ix_layer_shape(x, src), k, n_heads));
        }
        int idx;
        DRT_TRY(ix_add_layer(x, -1, &l, NULL, &idx));
    }
    return DRT_OK;
}

/* nms.kind and nms.beta (absent: IoU, as a third-party file's consumer would do). */
static drt_status read_nms(ix *x)
{
    const char *kind = drt_onnx_meta_get(x->mp, "nms.kind"), *beta = drt_onnx_meta_get(x->mp, "nms.beta");
    int k = kind ? drt_nms_kind_parse(kind) : DRT_NMS_IOU;
    float b = .6f;
    if (k < 0) return drt_error(DRT_STATUS_FORMAT, "%s: metadata nms.kind=%s: must be default, greedynms or diounms", x->path, kind);
    if (beta && (drt_parse_float_list(beta, &b, 1) != 1 || !(b > 0 && b <= 100)))
        return drt_error(DRT_STATUS_FORMAT, "%s: metadata nms.beta=%s: must be a number in (0, 100]", x->path, beta);
    for (int i = 0; i < x->m->n_layers; i++) {
        x->m->layers[i].nms_kind = (drt_nms_kind)k;
        x->m->layers[i].beta_nms = b;
    }
    return DRT_OK;
}

static drt_status read_metadata(ix *x)
{
    drt_model *m = x->m;
    const char *resize = drt_onnx_meta_get(x->mp, "input.resize");
    if (resize && strcmp(resize, "stretch") == 0) m->resize = DRT_RESIZE_STRETCH;
    DRT_TRY(read_nms(x));
    const char *names = drt_onnx_meta_get(x->mp, "class_names");
    if (!names || !names[0]) return DRT_OK;
    int n = 1;
    for (const char *p = names; *p; p++) n += *p == '\n';
    DRT_TRY(drt_model_check_names(m, x->path, n));
    m->names = calloc((size_t)n, sizeof *m->names);
    if (!m->names) return drt_error(DRT_STATUS_OOM, "%s: out of memory", x->path);
    const char *p = names;
    for (int i = 0; i < n; i++) {
        size_t len = strcspn(p, "\n");
        if (!(m->names[i] = strndup(p, len))) return drt_error(DRT_STATUS_OOM, "%s: out of memory", x->path);
        m->n_names = i + 1;
        p += len + (p[len] == '\n');
    }
    return DRT_OK;
}

/* Copies each layer's staged parameters into the model's one blob. */
static drt_status finish_model(ix *x)
{
    drt_model *m = x->m;
    if (x->opts->width > 0 || x->opts->height > 0) {
        if (x->opts->width > 0) m->width = x->opts->width;
        if (x->opts->height > 0) m->height = x->opts->height;
        DRT_TRY(drt_model_infer_shapes(m));
    }
    DRT_TRY(drt_model_alloc_params(m));
    for (int i = 0; i < m->n_layers; i++) {
        drt_layer *l = &m->layers[i];
        if (l->type != DRT_LAYER_CONV) continue;
        DRT_ASSERT(x->staged[i] != NULL);
        memcpy(l->biases, x->staged[i], drt_layer_param_count(m, l) * sizeof(float));
    }
    m->has_weights = 1;
    m->bn = DRT_BN_ALEXEYAB; /* ONNX BatchNormalization divides by sqrt(var + epsilon) */
    return drt_model_check_params(m, x->path);
}

static drt_status import_graph(ix *x)
{
    DRT_TRY(read_opset(x));
    DRT_TRY(drt_model_alloc(0, &x->m));
    if (!(x->m->source = strdup(x->path))) return drt_error(DRT_STATUS_OOM, "out of memory");
    DRT_TRY(index_graph(x));
    for (int i = 0; i < (int)x->gp->n_node; i++) {
        if (x->done[i]) continue;
        DRT_TRY(ix_read_node(x, i));
        x->done[i] = 1;
    }
    DRT_TRY(add_heads(x));
    DRT_TRY(read_metadata(x));
    return finish_model(x);
}

/* Names in the message come from the file: control characters would break the one-line rule. */
static void one_line_error(drt_status s)
{
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", drt_last_error());
    int changed = 0;
    for (char *p = msg; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = '?', changed = 1;
    if (changed) drt_error(s, "%s", msg);
}

/* protobuf-c allocates through our malloc: the out-of-memory test fails its allocations too, and
 * a failure is told apart from a malformed file (unpack returns NULL for both). */
static void *pb_alloc(void *failed, size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) *(int *)failed = 1;
    return p;
}

static void pb_free(void *failed, void *p)
{
    (void)failed;
    free(p);
}

drt_status drt_model_load_onnx(const char *path, const drt_load_opts *opts, drt_model **model_out)
{
    DRT_ARG(model_out, "model_out");
    *model_out = NULL;
    DRT_ARG(path, "onnx_path");
    drt_load_opts o = drt_load_opts_default();
    DRT_TRY(drt_opts_copy(&o, sizeof o, opts, "load: drt_load_opts"));
    unsigned char *data = NULL;
    size_t size = 0;
    DRT_TRY(drt_read_file(path, MAX_ONNX_BYTES, &data, &size));
    if (o.bn == DRT_BN_PJREDDIE && o.warn)
        drt_warn("%s: ONNX BatchNormalization divides by sqrt(var + epsilon): the pjreddie formula does not apply "
                 "(darkrt convert --bn pjreddie folds it into the weights)", path);
    ix x = {.path = path, .opts = &o};
    drt_status s = DRT_OK;
    int pb_failed = 0;
    ProtobufCAllocator pb = {pb_alloc, pb_free, &pb_failed};
    x.mp = onnx__model_proto__unpack(&pb, size, data);
    if (!x.mp && pb_failed) {
        s = drt_error(DRT_STATUS_OOM, "%s: out of memory reading %zu bytes of ONNX", path, size);
        goto done;
    }
    if (!x.mp) {
        s = drt_error(DRT_STATUS_FORMAT, "%s: not a valid ONNX protobuf (%zu bytes: truncated, or wrong field types)", path, size);
        goto done;
    }
    s = import_graph(&x);
done:
    if (x.staged) {
        for (int i = 0; x.m && i < x.m->n_layers; i++) free(x.staged[i]);
        free(x.staged);
    }
    if (s == DRT_OK) *model_out = x.m;
    else drt_model_free(x.m);
    if (s != DRT_OK) one_line_error(s);
    if (x.mp) onnx__model_proto__free_unpacked(x.mp, &pb);
    free(data);
    free(x.vals);
    free(x.hash);
    free(x.consumer_store);
    free(x.done);
    ox_free(&x.arena);
    return s;
}
