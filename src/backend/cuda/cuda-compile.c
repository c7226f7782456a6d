/* Compiles the shared graph passes' result (src/graph/passes: dead layers, batchnorm folding,
 * conv + shortcut fusion, concatenations written in place, under drt_cuda_caps) into the CUDA op
 * list: views into NHWC buffers, the copies the kernels need, and buffers placed in one arena by
 * the shared planner (drt_memplan_place) from their op lifetimes. */
#include "backend/cuda/cuda-internal.h"
#include "core/env-switch.h"
#include "core/log.h"
#include "engine/int8-keep.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* What the CUDA kernels can do: every conv's epilogue applies batchnorm and activation and may
 * add a residual it reads; convs, maxpool, upsample and shortcuts write channel slices (a conv
 * through a scratch buffer); convs read whole buffers (others are copied first); avgpool,
 * scale_channels, sam, reorg3d, reorg and activation read any view and write buffers of their own;
 * convs may be dilated. */
const drt_xcaps drt_cuda_caps = {
    .name = "cuda",
    .ops = DRT_XBIT(DRT_LAYER_CONV) | DRT_XBIT(DRT_LAYER_MAXPOOL) | DRT_XBIT(DRT_LAYER_ROUTE) | DRT_XBIT(DRT_LAYER_SHORTCUT) |
           DRT_XBIT(DRT_LAYER_UPSAMPLE) | DRT_XBIT(DRT_LAYER_YOLO) | DRT_XBIT(DRT_LAYER_DROPOUT) |
           DRT_XBIT(DRT_LAYER_AVGPOOL) | DRT_XBIT(DRT_LAYER_SCALE_CHANNELS) | DRT_XBIT(DRT_LAYER_SAM) |
           DRT_XBIT(DRT_LAYER_REORG3D) | DRT_XBIT(DRT_LAYER_REORG) | DRT_XBIT(DRT_LAYER_ACTIVATION) |
           DRT_XBIT(DRT_LAYER_LOCAL_AVGPOOL) | DRT_XBIT(DRT_LAYER_BATCHNORM) | DRT_XBIT(DRT_LAYER_IMPLICIT),
    .precisions = DRT_XBIT(DRT_PREC_FP32) | DRT_XBIT(DRT_PREC_FP16) | DRT_XBIT(DRT_PREC_INT8),
    .slice_writers = DRT_XBIT(DRT_LAYER_CONV) | DRT_XBIT(DRT_LAYER_MAXPOOL) | DRT_XBIT(DRT_LAYER_UPSAMPLE) |
                     DRT_XBIT(DRT_LAYER_SHORTCUT),
    .conv_reads_slice = 0,
    .add_in_place = 0,
    .epilogue_fixed = 1,
    .conv_dilation = 1,
    .conv_xnor = 1,
};

typedef struct compiler {
    const drt_engine *e;
    const drt_model *m;
    cu_engine *g;
    const drt_xgraph *x; /* the shared passes' decisions */
    int max_ops, max_bufs;
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
    op->in.buf = op->out.buf = op->res.buf = op->scratch = op->qbuf = op->qout = -1;
    op->conv = -1;
    op->head = -1;
    return op;
}

static int live(const compiler *k, int i) { return k->x->node[i].live; }

/* The shortcut whose epilogue each conv runs (fuse-add's choice). */
static void find_absorbed(compiler *k)
{
    for (int i = 0; i < k->m->n_layers; i++) k->absorbed[i] = -1;
    for (int s = 0; s < k->m->n_layers; s++)
        if (live(k, s) && k->x->node[s].absorbed_by >= 0) k->absorbed[k->x->node[s].absorbed_by] = s;
}

/* Concatenations get their buffer up front; the producers concat-inplace placed in it get slice
 * views (a fused shortcut's conv writes the same slice). */
static drt_status plan_concats(compiler *k)
{
    const drt_model *m = k->m;
    const drt_xgraph *x = k->x;
    for (int r = 0; r < m->n_layers; r++) {
        const drt_layer *l = &m->layers[r];
        if (l->type != DRT_LAYER_ROUTE || !live(k, r) || l->n_inputs == 1) continue;
        k->view[r] = own_view(k, l->out);
        if (k->view[r].buf < 0) return drt_error(DRT_STATUS_INTERNAL, "cuda: buffer table full");
        int off = 0;
        for (int j = 0; j < l->n_inputs; j++) {
            int p = l->inputs[j];
            drt_shape s = drt_xgraph_shape(x, DRT_XT(p));
            if (p >= 0 && !k->placed[p] && x->root[DRT_XT(p)] == DRT_XT(r) && x->coff[DRT_XT(p)] == off) {
                k->placed[p] = 1;
                k->view[p] = (cu_view){k->view[r].buf, l->out.c, off, s.c, s.h, s.w};
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
    if (k->g->plan_int8) return k->g->plan_int8[i] & CU_PLAN_INT8;
    return drt_int8_cuda_rule(k->m, k->e->opts.cuda_int8_all, k->e->opts.int8_keep, i, k->absorbed[i]);
}

static drt_status emit_conv(compiler *k, int i)
{
    const drt_layer *l = &k->m->layers[i];
    cu_engine *g = k->g;
    int s = k->absorbed[i];
    int owner = s >= 0 ? s : i;
    cu_view src = layer_view(k, l->inputs[0]);
    if (l->xnor) { /* the step into a buffer of its own, which the lowered conv reads (pack_conv: its weights) */
        cu_view step = own_view(k, (drt_shape){src.c, src.h, src.w});
        cu_op *op = new_op(k, CU_OP_STEP, i);
        op->in = src;
        op->out = step;
        snprintf(op->label, sizeof op->label, "xnor step for conv %d", i);
        src = step;
    }
    cu_view out = out_view(k, owner);
    int d = l->dilation > 1 ? l->dilation : 1; /* AlexeyAB: taps d apart, pad x d on each side */
    cu_conv cv = {.layer = i, .cin = src.cs, .k = l->filters, .r = l->size, .s = l->size, .stride = l->stride,
                  .stride_y = l->stride_y,
                  .pad = l->pad * d, .groups = l->groups, .dil = d, .algo_max = -1, .math_max = -1};
    cu_op probe = {.kind = CU_OP_CONV, .layer = i, .in = src, .out = out, .act = l->act, .act2 = DRT_ACT_LINEAR,
                   .res = {.buf = -1}, .scratch = -1, .qbuf = -1, .qout = -1, .conv = -1, .head = -1};
    if (s >= 0) {
        probe.res = layer_view(k, k->m->layers[s].inputs[1]);
        probe.act2 = k->m->layers[s].act;
    }
    if (int8_candidate(k, i)) { /* int8 only where cuDNN has a fused engine for it */
        cv.int8 = 1;
        cv.cin = cv.cq = (src.c + 15) / 16 * 16;
        /* zero points only where cuDNN pads nothing: a padded conv needs a per-pixel border fix, an operand cuDNN's
         * fused int8 kernels read as if it held every image (session 23's call A: illegal addresses at batch 3 and
         * 32, whether it was 1 x k x oh x ow or had batch stride 0; bench/results/device-2026-12-06-s23/) */
        cv.asym = g->plan_int8 ? (g->plan_int8[i] & CU_PLAN_ZERO_POINT) != 0 : g->asym && cv.pad == 0;
        if (cv.asym && cv.pad > 0) /* written by session 22's builds, which asked for it by DRT_CUDA_ASYM=1 */
            return drt_error(DRT_STATUS_UNSUPPORTED, "plan: conv %d: a zero point on a conv that pads (no engine reads it since "
                                                  "session 23): build the plan again", i);
        if (!drt_cuda_fused_probe(g, &cv, &probe, k->e->opts.max_batch)) {
            if (g->verbose) fprintf(drt_log_file(), "cuda: conv %d: no fused int8 engine in cuDNN for this shape: fp16\n", i);
            cv.int8 = cv.cq = cv.asym = 0;
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
        snprintf(op->label, sizeof op->label, "conv %d + shortcut %d%s", i, s, !cv.int8 ? "" : cv.asym ? " int8 zp" : " int8");
    } else {
        snprintf(op->label, sizeof op->label, "conv %d%s", i, !cv.int8 ? "" : cv.asym ? " int8 zp" : " int8");
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
        int in_place = p >= 0 && k->placed[p] && v.buf == k->view[i].buf && v.coff + part * l->route_group_id == off;
        if (!in_place) {
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

/* avgpool, scale_channels, sam, reorg3d, reorg, activation: one kernel from their input views (the second one, "from",
 * as res) into a buffer of their own. */
static void emit_simple(compiler *k, int i)
{
    const drt_layer *l = &k->m->layers[i];
    cu_op_kind kind = l->type == DRT_LAYER_AVGPOOL ? CU_OP_AVGPOOL
                      : l->type == DRT_LAYER_SCALE_CHANNELS ? CU_OP_SCALE_CHANNELS
                      : l->type == DRT_LAYER_SAM ? CU_OP_SAM
                      : l->type == DRT_LAYER_REORG3D ? CU_OP_REORG3D
                      : l->type == DRT_LAYER_REORG ? CU_OP_REORG : CU_OP_ACTIVATION;
    cu_view out = out_view(k, i);
    cu_op *op = new_op(k, kind, i);
    op->in = layer_view(k, l->inputs[0]);
    if (kind == CU_OP_SCALE_CHANNELS || kind == CU_OP_SAM) op->res = layer_view(k, l->inputs[1]);
    op->out = out;
    op->act = l->act;
    op->stride = l->stride;
    snprintf(op->label, sizeof op->label, "%s %d", drt_layer_type_name(l->type), i);
    k->view[i] = out;
}

static drt_status emit_layer(compiler *k, int i)
{
    const drt_layer *l = &k->m->layers[i];
    cu_op *op;
    switch (l->type) {
    case DRT_LAYER_CONV: return emit_conv(k, i);
    case DRT_LAYER_MAXPOOL:
    case DRT_LAYER_LOCAL_AVGPOOL:
    case DRT_LAYER_UPSAMPLE: {
        cu_view in = layer_view(k, l->inputs[0]);
        cu_view out = out_view(k, i);
        op = new_op(k, l->type == DRT_LAYER_UPSAMPLE ? CU_OP_UPSAMPLE : CU_OP_MAXPOOL, i);
        op->avg = l->type == DRT_LAYER_LOCAL_AVGPOOL;
        op->in = in;
        op->out = out;
        op->size = l->size;
        op->stride = l->stride;
        op->stride_y = l->stride_y;
        op->depth = l->depth_channels;
        op->padding = l->padding;
        snprintf(op->label, sizeof op->label, "%s %d", drt_layer_type_name(l->type), i);
        k->view[i] = out;
        return DRT_OK;
    }
    case DRT_LAYER_AVGPOOL:
    case DRT_LAYER_SCALE_CHANNELS:
    case DRT_LAYER_SAM:
    case DRT_LAYER_REORG3D:
    case DRT_LAYER_REORG:
    case DRT_LAYER_ACTIVATION: emit_simple(k, i); return DRT_OK;
    case DRT_LAYER_IMPLICIT: { /* its weights reach the device in drt_cuda_bn_setup */
        cu_view out = out_view(k, i);
        op = new_op(k, CU_OP_CONST, i);
        op->out = out;
        snprintf(op->label, sizeof op->label, "implicit %d", i);
        k->view[i] = out;
        return DRT_OK;
    }
    case DRT_LAYER_BATCHNORM: { /* its coefficients reach the device in drt_cuda_bn_setup */
        if (k->x->node[i].identity) { /* fold-bn composed it into the layer before */
            k->view[i] = layer_view(k, l->inputs[0]);
            return DRT_OK;
        }
        cu_view out = out_view(k, i);
        op = new_op(k, CU_OP_AFFINE, i);
        op->in = layer_view(k, l->inputs[0]);
        op->out = out;
        snprintf(op->label, sizeof op->label, "batchnorm %d", i);
        k->view[i] = out;
        return DRT_OK;
    }
    case DRT_LAYER_ROUTE: emit_route(k, i); return DRT_OK;
    case DRT_LAYER_DROPOUT: k->view[i] = layer_view(k, l->inputs[0]); return DRT_OK;
    case DRT_LAYER_SHORTCUT: {
        if (drt_shortcut_multi(l)) { /* one step per added input, accumulating in out; weights: bn_setup */
            cu_view out = out_view(k, i);
            for (int q = 1; q < l->n_inputs; q++) {
                op = new_op(k, CU_OP_WSUM, i);
                op->in = q == 1 ? layer_view(k, l->inputs[0]) : out;
                op->res = layer_view(k, l->inputs[q]);
                op->out = out;
                op->wk = q;
                op->act = q == l->n_inputs - 1 ? l->act : DRT_ACT_LINEAR;
                snprintf(op->label, sizeof op->label, "shortcut %d input %d", i, q);
            }
            k->view[i] = out;
            return DRT_OK;
        }
        if (k->x->node[i].absorbed_by >= 0) return DRT_OK; /* its conv wrote it */
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
        if (!live(k, i)) continue;
        for (int j = 0; j < l->n_inputs; j++)
            if (l->inputs[j] == -1 && !(l->type == DRT_LAYER_CONV && l->groups == 1)) return m->channels;
    }
    return (m->channels + 7) / 8 * 8;
}

/* The one op that reads buffer b, other than by writing into it (-1: none or several). */
static int only_reader(const cu_engine *g, int b, int writer)
{
    int reader = -1, n = 0;
    for (int o = 0; o < g->n_ops; o++) {
        const cu_op *op = &g->ops[o];
        if (op->in.buf == b) n++, reader = o;
        if (op->res.buf == b) n++;
        if (o != writer && op->out.buf == b) n++; /* another writer: a concat, an accumulating shortcut */
    }
    return n == 1 ? reader : -1;
}

/* A conv (int8 or fp16) whose output one int8 conv alone reads hands it over quantized: its weights and bias are
 * scaled by 1 / that conv's input step (leaky, relu and linear commute with a positive scale) and its fused graph writes
 * int8 straight into that conv's input buffer, so neither the fp16 tensor nor the next conv's quantize step exists, as
 * on the CPU engine. Into a conv with a zero point (asym) the graph adds that zp before the cast. Only where cuDNN has
 * a fused engine for the int8 output. A loaded plan hands over where it was
 * built to (CU_PLAN_HANDS_INT8 in plan_int8); a build unless DRT_CUDA_INT8_CHAIN=0. On an H100 (session 20,
 * bench/results/device-2026-12-06-s20/) it took yolov3-416's int8 convs' quantize steps from 0.479 to 0.130 ms a batch of
 * 32 and int8 (every conv) from 0.84x to 0.79x fp16's time, 0.78x at 608; heads within golden/cuda-int8-map's limit. */
static drt_status hand_off_int8(compiler *k)
{
    cu_engine *g = k->g;
    const unsigned char *plan = g->plan_int8;
    if (!g->int8 || (!plan && drt_env_switch("DRT_CUDA_INT8_CHAIN", NULL) == 0)) return DRT_OK;
    int n = 0, want = 0;
    for (int i = 0; plan && i < k->m->n_layers; i++) want += (plan[i] & CU_PLAN_HANDS_INT8) != 0;
    for (int p = 0; p < g->n_ops; p++) {
        cu_op *op = &g->ops[p];
        if (op->kind != CU_OP_CONV) continue;
        cu_conv *cv = &g->convs[op->conv];
        if ((plan && !(plan[cv->layer] & CU_PLAN_HANDS_INT8)) || k->m->layers[cv->layer].xnor || op->res.buf >= 0 ||
            op->scratch >= 0 || !drt_act_homogeneous(op->act) || op->out.coff != 0 || op->out.c != op->out.cs)
            continue;
        int r = only_reader(g, op->out.buf, p);
        cu_op *next = r >= 0 ? &g->ops[r] : NULL;
        /* to a conv with a zero point too: the graph adds it before the cast (cv->zq) */
        if (!next || next->kind != CU_OP_CONV || !g->convs[next->conv].int8 || next->in.coff != 0 ||
            next->in.c != op->out.c || g->convs[next->conv].cq != next->in.c)
            continue;
        cu_conv probe = *cv;
        cu_op handed = *op;
        probe.out_q = 1;
        probe.q_next = next->conv;
        handed.qout = next->qbuf;
        if (!plan && !drt_cuda_fused_probe(g, &probe, &handed, k->e->opts.max_batch)) {
            if (g->verbose) fprintf(drt_log_file(), "cuda: conv %d: no fused engine writes int8 for conv %d: fp16 between them\n",
                                    cv->layer, g->convs[next->conv].layer);
            continue;
        }
        cv->out_q = 1;
        cv->q_next = next->conv;
        op->qout = next->qbuf;
        next->q_given = 1;
        size_t len = strlen(op->label);
        snprintf(op->label + len, sizeof op->label - len, ", int8 out");
        n++;
    }
    if (plan && n != want)
        return drt_error(DRT_STATUS_FORMAT, "plan: %d convs hand their output on in int8, this model's graph allows %d: "
                                            "rebuild the plan", want, n);
    if (g->verbose && n) fprintf(drt_log_file(), "cuda: %d convs hand their output to the next, an int8 conv, in int8\n", n);
    return DRT_OK;
}

static void set_lifetimes(cu_engine *g)
{
    for (int o = 0; o < g->n_ops; o++) {
        cu_op *op = &g->ops[o];
        if (!op->q_given) touch(g, op->in.buf, o); /* handed over: the int8 copy is what it reads */
        touch(g, op->qout >= 0 ? op->qout : op->out.buf, o);
        touch(g, op->res.buf, o);
        touch(g, op->scratch, o);
        touch(g, op->qbuf, o);
    }
    for (int b = 0; b < g->n_bufs; b++)
        if (g->bufs[b].last < 0) g->bufs[b].first = g->bufs[b].last = 0; /* never used */
}

/* Buffers into one arena by op lifetime (the shared planner); naive: one region each. */
static drt_status plan_arena(cu_engine *g, int on)
{
    drt_mem_item *items = malloc(sizeof *items * (size_t)(g->n_bufs ? g->n_bufs : 1));
    if (!items) return drt_error(DRT_STATUS_OOM, "cuda: out of memory planning %d buffers", g->n_bufs);
    g->naive_bytes = 0;
    for (int b = 0; b < g->n_bufs; b++) {
        items[b] = (drt_mem_item){g->bufs[b].bytes, g->bufs[b].first, g->bufs[b].last, 0};
        g->naive_bytes += g->bufs[b].bytes;
    }
    drt_status s = drt_memplan_place(items, g->n_bufs, on, &g->arena_bytes);
    for (int b = 0; s == DRT_OK && b < g->n_bufs; b++) g->bufs[b].offset = items[b].offset;
    free(items);
    return s;
}

static drt_status run_compiler(compiler *k)
{
    cu_engine *g = k->g;
    const drt_model *m = k->m;
    find_absorbed(k);
    g->in_cs = input_channels(k);
    int ib = new_buf(k, g->in_cs, m->height, m->width);
    g->bufs[ib].zero_padded = 1;
    k->in_view = (cu_view){ib, g->in_cs, 0, m->channels, m->height, m->width};
    cu_op *op = new_op(k, CU_OP_INPUT, -1);
    op->out = k->in_view;
    snprintf(op->label, sizeof op->label, "input");
    DRT_TRY(plan_concats(k));
    for (int i = 0; i < m->n_layers; i++) {
        if (!live(k, i)) continue;
        DRT_TRY(emit_layer(k, i));
        if (g->n_bufs >= k->max_bufs - 4) return drt_error(DRT_STATUS_INTERNAL, "cuda: buffer table full");
    }
    DRT_TRY(hand_off_int8(k));
    set_lifetimes(g);
    return plan_arena(g, !(k->e->opts.passes_off & DRT_PASS_MEMPLAN));
}

drt_status drt_cuda_compile(const drt_engine *e, cu_engine *g)
{
    const drt_model *m = e->model;
    int n = m->n_layers;
    DRT_TRY(drt_xgraph_create(m, e->opts.passes_off, drt_cuda_caps, g->verbose ? drt_log_file() : NULL, &g->xg));
    DRT_TRY(drt_xgraph_run_passes(g->xg));
    compiler k = {.e = e, .m = m, .g = g, .x = g->xg, .max_ops = 3 * n + 8 + n * DRT_MAX_INPUTS, .max_bufs = 3 * n + 8};
    k.absorbed = calloc((size_t)n + 1, sizeof(int));
    k.placed = calloc((size_t)n + 1, sizeof(int));
    k.view = calloc((size_t)n + 1, sizeof(cu_view));
    g->ops = calloc((size_t)k.max_ops, sizeof(cu_op));
    g->bufs = calloc((size_t)k.max_bufs, sizeof(cu_buf));
    g->convs = calloc((size_t)n + 1, sizeof(cu_conv));
    drt_status s;
    if (!k.absorbed || !k.placed || !k.view || !g->ops || !g->bufs || !g->convs)
        s = drt_error(DRT_STATUS_OOM, "cuda: out of memory compiling %d layers", n);
    else
        s = run_compiler(&k);
    free(k.absorbed);
    free(k.placed);
    free(k.view);
    return s;
}
