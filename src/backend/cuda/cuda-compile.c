/* Compiles the layer list into the CUDA op list: views into NHWC buffers, the conv + shortcut
 * fusion, concatenations written in place, dead-layer removal and buffer lifetimes. */
#ifdef DRT_HAVE_CUDA
#include "backend/cuda/cuda-internal.h"
#include "core/log.h"
#include "engine/int8-keep.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

typedef struct compiler {
    const drt_engine *e;
    const drt_model *m;
    cu_engine *g;
    int max_ops, max_bufs;
    int *n_cons;        /* consumers of each layer (needed ones) */
    int *needed;
    int *fused_conv;    /* shortcut layer -> conv it absorbs, or -1 */
    int *absorbed;      /* conv layer -> shortcut that absorbs it, or -1 */
    int *placed;        /* layer writes into a concat slice: 1 */
    cu_view *view;      /* each layer's output */
    cu_view in_view;
} compiler;

static cu_view layer_view(const compiler *k, int idx) { return idx < 0 ? k->in_view : k->view[idx]; }

static int new_buf(compiler *k, int c, int h, int w)
{
    cu_engine *g = k->g;
    if (g->n_bufs == k->max_bufs) return -1;
    cu_buf *b = &g->bufs[g->n_bufs];
    memset(b, 0, sizeof *b);
    size_t bytes = (size_t)k->e->opts.max_batch * (size_t)c * (size_t)h * (size_t)w * g->esize;
    b->bytes = (bytes + 255) & ~(size_t)255;
    b->first = INT_MAX;
    b->last = -1;
    return g->n_bufs++;
}

/* A buffer of int8 values (the quantized input of an int8 conv). */
static int new_buf_int8(compiler *k, int c, int h, int w)
{
    int b = new_buf(k, c, h, w);
    if (b >= 0) k->g->bufs[b].bytes = (((size_t)k->e->opts.max_batch * c * h * w) + 255) & ~(size_t)255;
    return b;
}

static cu_view own_view(compiler *k, drt_shape s)
{
    int b = new_buf(k, s.c, s.h, s.w);
    return (cu_view){b, s.c, 0, s.c, s.h, s.w};
}

static void touch(cu_engine *g, int buf, int op)
{
    if (buf < 0) return;
    if (g->bufs[buf].first > op) g->bufs[buf].first = op;
    if (g->bufs[buf].last < op) g->bufs[buf].last = op;
}

static cu_op *new_op(compiler *k, cu_op_kind kind, int layer)
{
    cu_engine *g = k->g;
    DRT_ASSERT(g->n_ops < k->max_ops);
    cu_op *op = &g->ops[g->n_ops++];
    memset(op, 0, sizeof *op);
    op->kind = kind;
    op->layer = layer;
    op->in.buf = op->out.buf = op->res.buf = op->scratch = op->qbuf = -1;
    op->conv = -1;
    op->head = -1;
    return op;
}

/* Consumers and liveness: a layer is needed when a head depends on it (unless DCE is off). */
static void count_consumers(compiler *k)
{
    const drt_model *m = k->m;
    int dce = !(k->e->opts.passes_off & DRT_PASS_DCE);
    for (int i = m->n_layers - 1; i >= 0; i--) {
        const drt_layer *l = &m->layers[i];
        if (l->type == DRT_LAYER_YOLO || !dce) k->needed[i] = 1;
        if (!k->needed[i]) continue;
        for (int j = 0; j < l->n_inputs; j++)
            if (l->inputs[j] >= 0) {
                k->needed[l->inputs[j]] = 1;
                k->n_cons[l->inputs[j]]++;
            }
    }
}

/* Shortcut S absorbs conv C when C feeds only S and the shapes agree: one epilogue does both. */
static void plan_fusions(compiler *k)
{
    const drt_model *m = k->m;
    for (int i = 0; i < m->n_layers; i++) k->fused_conv[i] = k->absorbed[i] = -1;
    if (k->e->opts.passes_off & DRT_PASS_FUSE_ADD) return;
    for (int s = 0; s < m->n_layers; s++) {
        const drt_layer *l = &m->layers[s];
        if (l->type != DRT_LAYER_SHORTCUT || !k->needed[s]) continue;
        int c = l->inputs[0], from = l->inputs[1];
        while (c >= 0 && m->layers[c].type == DRT_LAYER_DROPOUT && k->n_cons[c] == 1) c = m->layers[c].inputs[0];
        if (c < 0 || m->layers[c].type != DRT_LAYER_CONV || k->n_cons[c] != 1 || from == c) continue;
        drt_shape a = m->layers[c].out, b = from < 0 ? (drt_shape){m->channels, m->height, m->width} : m->layers[from].out;
        if (a.c != b.c || a.h != b.h || a.w != b.w) continue;
        k->fused_conv[s] = c;
        k->absorbed[c] = s;
    }
}

/* Whether producer p may write straight into the concatenation of route r: it is one of our
 * kernels' outputs and no other consumer needs it packed (convs read whole buffers). */
static int can_place(const compiler *k, int p, int r)
{
    const drt_model *m = k->m;
    if (p < 0 || k->placed[p] || k->absorbed[p] >= 0) return 0;
    drt_layer_type t = m->layers[p].type;
    if (t != DRT_LAYER_CONV && t != DRT_LAYER_MAXPOOL && t != DRT_LAYER_UPSAMPLE && t != DRT_LAYER_SHORTCUT) return 0;
    const drt_layer *rl = &m->layers[r];
    int seen = 0;
    for (int j = 0; j < rl->n_inputs; j++) seen += rl->inputs[j] == p;
    if (seen != 1) return 0;
    for (int i = p + 1; i < m->n_layers; i++) {
        if (i == r || !k->needed[i]) continue;
        const drt_layer *l = &m->layers[i];
        for (int j = 0; j < l->n_inputs; j++) {
            if (l->inputs[j] != p) continue;
            if (l->type == DRT_LAYER_CONV || l->type == DRT_LAYER_DROPOUT) return 0;
            if (l->type == DRT_LAYER_ROUTE && l->n_inputs == 1) return 0;
        }
    }
    return 1;
}

/* Concatenations get their buffer up front; producers that can write into it get slice views. */
static drt_status plan_concats(compiler *k)
{
    const drt_model *m = k->m;
    int inplace = !(k->e->opts.passes_off & DRT_PASS_CONCAT_INPLACE);
    for (int r = 0; r < m->n_layers; r++) {
        const drt_layer *l = &m->layers[r];
        if (l->type != DRT_LAYER_ROUTE || !k->needed[r] || (l->n_inputs == 1)) continue;
        k->view[r] = own_view(k, l->out);
        if (k->view[r].buf < 0) return drt_error(DRT_STATUS_INTERNAL, "cuda: buffer table full");
        if (l->route_groups != 1 || !inplace) continue;
        int off = 0;
        for (int j = 0; j < l->n_inputs; j++) {
            int p = l->inputs[j];
            drt_shape s = p < 0 ? (drt_shape){m->channels, m->height, m->width} : m->layers[p].out;
            if (can_place(k, p, r)) {
                k->placed[p] = 1;
                k->view[p] = (cu_view){k->view[r].buf, l->out.c, off, s.c, s.h, s.w};
                /* a fused shortcut's conv writes the same slice */
            }
            off += s.c;
        }
    }
    return DRT_OK;
}

/* The output view of layer i: its concat slice, or a buffer of its own. */
static cu_view out_view(compiler *k, int i)
{
    if (k->placed[i]) return k->view[i];
    return own_view(k, k->m->layers[i].out);
}

/* A conv reads a whole buffer (channels from 0, padding zeroed): copy other views first. */
static cu_view conv_input(compiler *k, cu_view v, int groups, int layer)
{
    cu_engine *g = k->g;
    int whole = v.coff == 0 && (v.c == v.cs || (g->bufs[v.buf].zero_padded && groups == 1));
    if (whole) return v;
    cu_view dst = own_view(k, (drt_shape){v.c, v.h, v.w});
    cu_op *op = new_op(k, CU_OP_COPY, layer);
    op->in = v;
    op->out = dst;
    snprintf(op->label, sizeof op->label, "copy for conv %d", layer);
    return dst;
}

/* Which convs an int8 plan runs in int8: a loaded plan's own, else the rule (engine/int8-keep.c)
 * less the convs opts.int8_keep names (build --min-map's search). DRT_CUDA_INT8=all: every conv
 * but the first, grouped ones and heads. */
static int int8_candidate(const compiler *k, int i)
{
    if (!k->g->int8) return 0;
    if (k->g->plan_int8) return k->g->plan_int8[i];
    return drt_int8_cuda_rule(k->m, k->e->opts.cuda_int8_all, k->e->opts.int8_keep, i, k->absorbed[i]);
}

static drt_status emit_conv(compiler *k, int i)
{
    const drt_layer *l = &k->m->layers[i];
    cu_engine *g = k->g;
    int s = k->absorbed[i];
    int owner = s >= 0 ? s : i;
    cu_view src = layer_view(k, l->inputs[0]);
    cu_view out = out_view(k, owner);
    cu_conv cv = {.layer = i, .cin = src.cs, .k = l->filters, .r = l->size, .s = l->size, .stride = l->stride,
                  .pad = l->pad, .groups = l->groups, .algo_max = -1, .math_max = -1};
    cu_op probe = {.kind = CU_OP_CONV, .layer = i, .in = src, .out = out, .act = l->act, .act2 = DRT_ACT_LINEAR,
                   .res = {.buf = -1}, .scratch = -1, .qbuf = -1, .conv = -1, .head = -1};
    if (s >= 0) {
        probe.res = layer_view(k, k->m->layers[s].inputs[1]);
        probe.act2 = k->m->layers[s].act;
    }
    if (int8_candidate(k, i)) { /* int8 only where cuDNN has a fused engine for it */
        cv.int8 = 1;
        cv.cin = cv.cq = (src.c + 15) / 16 * 16;
        if (!drt_cuda_fused_probe(g, &cv, &probe, k->e->opts.max_batch)) {
            if (g->verbose) fprintf(drt_log_file(), "cuda: conv %d: no fused int8 engine in cuDNN for this shape: fp16\n", i);
            cv.int8 = cv.cq = 0;
            cv.cin = src.cs;
        }
    }
    /* an int8 conv quantizes straight from any view: no copy to a whole buffer first */
    cu_view in = cv.int8 ? src : conv_input(k, src, l->groups, i);
    if (!cv.int8) cv.cin = in.cs;
    cu_op *op = new_op(k, CU_OP_CONV, i);
    *op = probe;
    op->in = in;
    if (out.coff != 0 || out.cs != out.c) op->scratch = new_buf(k, out.c, out.h, out.w);
    if (cv.int8) op->qbuf = new_buf_int8(k, cv.cq, in.h, in.w);
    if (s >= 0) {
        k->view[s] = out;
        snprintf(op->label, sizeof op->label, "conv %d + shortcut %d%s", i, s, cv.int8 ? " int8" : "");
    } else {
        snprintf(op->label, sizeof op->label, "conv %d%s", i, cv.int8 ? " int8" : "");
    }
    k->view[i] = out;
    op->conv = g->n_convs;
    g->convs[g->n_convs++] = cv;
    return DRT_OK;
}

static void emit_route(compiler *k, int i)
{
    const drt_layer *l = &k->m->layers[i];
    if (l->n_inputs == 1) {
        cu_view v = layer_view(k, l->inputs[0]);
        int part = v.c / l->route_groups;
        v.coff += part * l->route_group_id;
        v.c = part;
        k->view[i] = v; /* an alias: no op */
        return;
    }
    int off = 0;
    for (int j = 0; j < l->n_inputs; j++) {
        int p = l->inputs[j];
        cu_view v = layer_view(k, p);
        int part = v.c / l->route_groups;
        if (!(p >= 0 && k->placed[p] && k->view[p].buf == k->view[i].buf)) {
            cu_op *op = new_op(k, CU_OP_COPY, i);
            op->in = v;
            op->in.coff += part * l->route_group_id;
            op->in.c = part;
            op->out = k->view[i];
            op->out.coff = off;
            op->out.c = part;
            snprintf(op->label, sizeof op->label, "route %d piece %d", i, j);
        }
        off += part;
    }
}

static drt_status emit_layer(compiler *k, int i)
{
    const drt_layer *l = &k->m->layers[i];
    cu_op *op;
    switch (l->type) {
    case DRT_LAYER_CONV: return emit_conv(k, i);
    case DRT_LAYER_MAXPOOL:
    case DRT_LAYER_UPSAMPLE: {
        cu_view in = layer_view(k, l->inputs[0]);
        cu_view out = out_view(k, i);
        op = new_op(k, l->type == DRT_LAYER_MAXPOOL ? CU_OP_MAXPOOL : CU_OP_UPSAMPLE, i);
        op->in = in;
        op->out = out;
        op->size = l->size;
        op->stride = l->stride;
        op->padding = l->padding;
        snprintf(op->label, sizeof op->label, "%s %d", drt_layer_type_name(l->type), i);
        k->view[i] = out;
        return DRT_OK;
    }
    case DRT_LAYER_ROUTE: emit_route(k, i); return DRT_OK;
    case DRT_LAYER_DROPOUT: k->view[i] = layer_view(k, l->inputs[0]); return DRT_OK;
    case DRT_LAYER_SHORTCUT: {
        if (k->fused_conv[i] >= 0) return DRT_OK; /* its conv wrote it */
        cu_view out = out_view(k, i);
        op = new_op(k, CU_OP_SHORTCUT, i);
        op->in = layer_view(k, l->inputs[0]);
        op->res = layer_view(k, l->inputs[1]);
        op->out = out;
        op->act = l->act;
        snprintf(op->label, sizeof op->label, "shortcut %d", i);
        k->view[i] = out;
        return DRT_OK;
    }
    case DRT_LAYER_YOLO: {
        int h = 0;
        while (h < k->e->n_heads && k->e->head_layers[h] != i) h++;
        if (h == k->e->n_heads) return drt_error(DRT_STATUS_INTERNAL, "cuda: yolo layer %d is not a head", i);
        op = new_op(k, CU_OP_HEAD, i);
        op->in = layer_view(k, l->inputs[0]);
        op->head = h;
        snprintf(op->label, sizeof op->label, "head %d (yolo %d)", h, i);
        k->view[i] = op->in;
        return DRT_OK;
    }
    default:
        return drt_error(DRT_STATUS_UNSUPPORTED, "cuda: layer %d: type %s is not supported", i,
                         drt_layer_type_name(l->type));
    }
}

/* Pads the network input's channels for tensor cores when only plain convs read it. */
static int input_channels(const compiler *k)
{
    const drt_model *m = k->m;
    if (!k->g->half || m->channels % 8 == 0) return m->channels;
    for (int i = 0; i < m->n_layers; i++) {
        const drt_layer *l = &m->layers[i];
        if (!k->needed[i]) continue;
        for (int j = 0; j < l->n_inputs; j++)
            if (l->inputs[j] == -1 && !(l->type == DRT_LAYER_CONV && l->groups == 1)) return m->channels;
    }
    return (m->channels + 7) / 8 * 8;
}

static void set_lifetimes(cu_engine *g)
{
    for (int o = 0; o < g->n_ops; o++) {
        cu_op *op = &g->ops[o];
        touch(g, op->in.buf, o);
        touch(g, op->out.buf, o);
        touch(g, op->res.buf, o);
        touch(g, op->scratch, o);
        touch(g, op->qbuf, o);
    }
    for (int b = 0; b < g->n_bufs; b++)
        if (g->bufs[b].last < 0) g->bufs[b].first = g->bufs[b].last = 0; /* never used */
}

static drt_status run_compiler(compiler *k)
{
    cu_engine *g = k->g;
    const drt_model *m = k->m;
    count_consumers(k);
    plan_fusions(k);
    g->in_cs = input_channels(k);
    int ib = new_buf(k, g->in_cs, m->height, m->width);
    g->bufs[ib].zero_padded = 1;
    k->in_view = (cu_view){ib, g->in_cs, 0, m->channels, m->height, m->width};
    cu_op *op = new_op(k, CU_OP_INPUT, -1);
    op->out = k->in_view;
    snprintf(op->label, sizeof op->label, "input");
    DRT_TRY(plan_concats(k));
    for (int i = 0; i < m->n_layers; i++) {
        if (!k->needed[i]) continue;
        DRT_TRY(emit_layer(k, i));
        if (g->n_bufs >= k->max_bufs - 4) return drt_error(DRT_STATUS_INTERNAL, "cuda: buffer table full");
    }
    set_lifetimes(g);
    if (k->e->opts.passes_off & DRT_PASS_MEMPLAN) {
        size_t off = 0;
        for (int b = 0; b < g->n_bufs; b++) {
            g->bufs[b].offset = off;
            off += g->bufs[b].bytes;
        }
        g->arena_bytes = g->naive_bytes = off;
    } else {
        g->arena_bytes = drt_cuda_memplan(g->bufs, g->n_bufs, &g->naive_bytes);
    }
    return DRT_OK;
}

drt_status drt_cuda_compile(const drt_engine *e, cu_engine *g)
{
    const drt_model *m = e->model;
    int n = m->n_layers;
    compiler k = {.e = e, .m = m, .g = g, .max_ops = 3 * n + 8 + n * DRT_MAX_INPUTS, .max_bufs = 3 * n + 8};
    k.n_cons = calloc((size_t)n + 1, sizeof(int));
    k.needed = calloc((size_t)n + 1, sizeof(int));
    k.fused_conv = calloc((size_t)n + 1, sizeof(int));
    k.absorbed = calloc((size_t)n + 1, sizeof(int));
    k.placed = calloc((size_t)n + 1, sizeof(int));
    k.view = calloc((size_t)n + 1, sizeof(cu_view));
    g->ops = calloc((size_t)k.max_ops, sizeof(cu_op));
    g->bufs = calloc((size_t)k.max_bufs, sizeof(cu_buf));
    g->convs = calloc((size_t)n + 1, sizeof(cu_conv));
    drt_status s;
    if (!k.n_cons || !k.needed || !k.fused_conv || !k.absorbed || !k.placed || !k.view || !g->ops || !g->bufs || !g->convs)
        s = drt_error(DRT_STATUS_OOM, "cuda: out of memory compiling %d layers", n);
    else
        s = run_compiler(&k);
    free(k.n_cons);
    free(k.needed);
    free(k.fused_conv);
    free(k.absorbed);
    free(k.placed);
    free(k.view);
    return s;
}
#else
typedef int drt_cuda_compile_unused;
#endif
