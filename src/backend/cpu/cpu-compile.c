/* Builds the CPU engine state: graph passes, precisions and dtypes per tensor, memory plan,
 * one arena, oneDNN convolutions. */
#include "backend/cpu/cpu.h"
#include "backend/cpu/cpu-features.h"
#include "core/env-switch.h"
#include "core/error.h"
#include "core/log.h"
#include "engine/calib.h"
#include "engine/int8-keep.h"

#include <stdlib.h>
#include <string.h>

#define MAXR 64

int drt_cpu_stored_tensor(const cpu_state *st, int i);

cpu_view drt_cpu_view_at(const cpu_state *st, char *arena, int t)
{
    int r = st->g->root[t];
    drt_shape s = drt_xgraph_shape(st->g, t), rs = drt_xgraph_shape(st->g, r);
    cpu_view v = {arena + st->g->offset[r] + (size_t)st->g->coff[t] * cpu_dtype_size(st->dt[t]),
                  s.c, s.h, s.w, rs.c, st->dt[t], st->step[t], st->zp[t]};
    return v;
}

cpu_view drt_cpu_view(const cpu_state *st, int t) { return drt_cpu_view_at(st, st->arena, t); }

/* Every reader of every tensor in root r satisfies ok(reader). */
static int root_readers_all(const cpu_state *st, int r, int (*ok)(const cpu_state *, int))
{
    int readers[MAXR];
    for (int t = 0; t < st->g->nt; t++) {
        if (st->g->root[t] != r) continue;
        int n = drt_xgraph_readers(st->g, t, readers, MAXR);
        if (n > MAXR) return 0;
        for (int k = 0; k < n; k++)
            if (!ok(st, readers[k])) return 0;
    }
    return 1;
}

static int is_yolo(const cpu_state *st, int i) { return st->m->layers[i].type == DRT_LAYER_YOLO; }
/* An xnor=1 conv runs in fp32 and stores fp32: its lowered conv's integer sums are exact there, and its scale and
 * bias (fold-bn's bn_mul, bn_add) come after the conv, on its output buffer (run_conv). */
static int is_xnor(const cpu_state *st, int i) { return st->m->layers[i].type == DRT_LAYER_CONV && st->m->layers[i].xnor; }
/* int8 engines keep a buffer in fp32 only when something needs fp32 from it (an fp32 conv, a
 * head) and no int8 conv reads it; darkrt's own kernels take any dtype. */
static int is_int8_conv(const cpu_state *st, int i)
{
    return st->m->layers[i].type == DRT_LAYER_CONV && st->choice[i].prec == DRT_PREC_INT8;
}
static int not_int8_conv(const cpu_state *st, int i) { return !is_int8_conv(st, i); }
static int wants_f32(const cpu_state *st, int i)
{
    return is_yolo(st, i) || (st->m->layers[i].type == DRT_LAYER_CONV && st->choice[i].prec == DRT_PREC_FP32);
}
static int root_readers_any(const cpu_state *st, int r, int (*pred)(const cpu_state *, int))
{
    int readers[MAXR];
    for (int t = 0; t < st->g->nt; t++) {
        if (st->g->root[t] != r) continue;
        int n = drt_xgraph_readers(st->g, t, readers, MAXR);
        for (int k = 0; k < n && k < MAXR; k++)
            if (pred(st, readers[k])) return 1;
    }
    return 0;
}

/* Some reader of root r is a layer other than a conv or head (maxpool, upsample, route, shortcut...) whose output's
 * root is stored in int8: r feeds int8 through it. */
static int feeds_int8_through(const cpu_state *st, int r)
{
    int readers[MAXR];
    for (int t = 0; t < st->g->nt; t++) {
        if (st->g->root[t] != r) continue;
        int n = drt_xgraph_readers(st->g, t, readers, MAXR);
        if (n > MAXR) return 1;
        for (int k = 0; k < n; k++) {
            int i = readers[k];
            int out = st->g->root[DRT_XT(i)];
            if (st->m->layers[i].type == DRT_LAYER_CONV || is_yolo(st, i) || out == r) continue; /* r into itself */
            if (st->dt[out] == CPU_S8 || st->dt[out] == CPU_U8) return 1;
        }
    }
    return 0;
}

static void assign_dtypes(cpu_state *st)
{
    drt_precision p = st->opts.precision;
    for (int r = 0; r < st->g->nt; r++) {
        if (st->g->root[r] != r) continue;
        cpu_dtype d = CPU_F32;
        if (p == DRT_PREC_BF16) d = root_readers_all(st, r, is_yolo) ? CPU_F32 : CPU_BF16;
        if (p == DRT_PREC_INT8)
            d = root_readers_all(st, r, not_int8_conv) && root_readers_any(st, r, wants_f32) ? CPU_F32 : r == 0 ? CPU_U8 : CPU_S8;
        if (r > 0 && is_xnor(st, r - 1)) d = CPU_F32;
        st->dt[r] = d;
    }
    /* A buffer no int8 conv reads, that reaches one through no maxpool, upsample, route or other such layer,
     * stays fp32: before, one whose readers were only such layers was stored in int8 whatever came after, so
     * keeping convs in fp32 still quantized their outputs on the way to a maxpool (yolov3-tiny with all 13
     * convs kept: heads off by 1.5 of 12.6, mAP 0.975 against fp32). From the int8 assignment down to where
     * nothing changes; a layer writing back into the buffer it reads (SPP's maxpools into their concat) does
     * not make it int8. */
    for (int changed = p == DRT_PREC_INT8; changed;) {
        changed = 0;
        for (int r = st->g->nt; r-- > 0;) {
            if (st->g->root[r] != r || st->dt[r] == CPU_F32 || (r > 0 && is_xnor(st, r - 1))) continue;
            if (root_readers_all(st, r, not_int8_conv) && !feeds_int8_through(st, r)) st->dt[r] = CPU_F32, changed = 1;
        }
    }
    for (int t = 0; t < st->g->nt; t++) st->dt[t] = st->dt[st->g->root[t]];
}

/* Which convs int8 keeps in fp32 (opts.int8_keep or DRT_INT8_KEEP: a comma list of heads, first,
 * dw, adds, none and layer indices;
 * default "heads,dw"): the convs producing heads, the first conv, depthwise convs, convs that
 * add a residual in place. Measured on yolo-fastest-1.1 (tests/unit/cpu-int8-map.c): heads and
 * depthwise in fp32 lift mAP@0.5 vs fp32 from 0.83 to 0.96-0.99 (max calibration). */
static int keep_fp32(const cpu_state *st, int i, const char *keep)
{
    const drt_layer *l = &st->m->layers[i];
    if (drt_int8_keep_listed(keep, i)) return 1;
    if (strstr(keep, "none")) return 0;
    if (strstr(keep, "heads") && root_readers_all(st, st->g->root[drt_cpu_stored_tensor(st, i)], is_yolo)) return 1;
    if (strstr(keep, "first") && l->inputs[0] == -1) return 1;
    if (strstr(keep, "dw") && l->groups > 1) return 1;
    if (strstr(keep, "adds") && st->g->node[i].sum_from >= 0) return 1;
    return 0;
}

/* Precision per conv: the engine's, except the convs int8 keeps in fp32 (keep_fp32). */
static void assign_precisions(cpu_state *st, int have_choices)
{
    drt_precision p = st->opts.precision;
    const char *keep = st->opts.int8_keep ? st->opts.int8_keep : DRT_INT8_CPU_DEFAULT_KEEP;
    for (int i = 0; i < st->g->n && !have_choices; i++) {
        if (st->m->layers[i].type != DRT_LAYER_CONV) continue;
        st->choice[i].prec = p == DRT_PREC_FP16 ? DRT_PREC_FP32 : (int32_t)p;
        if ((p == DRT_PREC_INT8 && keep_fp32(st, i, keep)) || is_xnor(st, i)) st->choice[i].prec = DRT_PREC_FP32;
    }
    assign_dtypes(st);
}

/* Layer i is one asym tensors may touch: a conv without a residual add (oneDNN's zero points; darkrt's int8
 * depthwise kernel is left to oneDNN where one is set: cpu-conv.c), maxpool, upsample, route or head. Shortcut adds,
 * [batchnorm], activations and the other kernels keep s8: they would work through ld/st, but are not measured. */
static int asym_layer(const cpu_state *st, int i)
{
    drt_layer_type k = st->m->layers[i].type;
    if (k == DRT_LAYER_CONV) return st->g->node[i].sum_from < 0 && !st->m->layers[i].xnor;
    return k == DRT_LAYER_MAXPOOL || k == DRT_LAYER_UPSAMPLE || k == DRT_LAYER_ROUTE || k == DRT_LAYER_YOLO;
}

/* Root r (an s8 buffer, not the input) holds u8 with a zero point: asym ranges were calibrated, r's range holds
 * more than 0, and only asym_layer layers write or read its tensors. */
static int asym_fits(const cpu_state *st, int r)
{
    if (!st->range || r == 0 || st->dt[r] != CPU_S8 || !(st->range[2 * r] < st->range[2 * r + 1])) return 0;
    for (int t = 1; t < st->g->nt; t++)
        if (st->g->root[t] == r && !st->g->node[t - 1].identity && !asym_layer(st, t - 1)) return 0;
    for (int s = 0; s < st->g->n; s++) { /* a residual add in a conv's epilogue (oneDNN's sum): s8 on both sides */
        if (st->g->node[s].absorbed_by >= 0 && st->g->root[DRT_XT(s)] == r) return 0;
        if (st->g->node[s].sum_from >= 0 && st->g->root[st->g->node[s].sum_from] == r) return 0;
    }
    return root_readers_all(st, r, asym_layer);
}

static void assign_asym(cpu_state *st)
{
    for (int r = 0; r < st->g->nt; r++)
        if (st->g->root[r] == r && asym_fits(st, r)) st->dt[r] = CPU_U8;
    for (int t = 0; t < st->g->nt; t++) st->dt[t] = st->dt[st->g->root[t]];
}

/* A u8 tensor's step and zero point over its calibrated [lo, hi] (lo <= 0 <= hi): 0 is a code. */
static void asym_step(cpu_state *st, int t)
{
    float lo = st->range[2 * t], hi = st->range[2 * t + 1];
    st->step[t] = (hi - lo) / 255.f;
    float z = nearbyintf(-lo / st->step[t]);
    st->zp[t] = z < 0 ? 0 : z > 255 ? 255 : (int32_t)z;
}

/* Asym int8 activations: the state keeps the calibrated ranges (plans store them). */
static drt_status copy_ranges(cpu_state *st, const float *ranges)
{
    size_t n = 2 * (size_t)st->g->nt;
    if (!(st->range = malloc(sizeof(float) * n))) return drt_error(DRT_STATUS_OOM, "cpu engine: out of memory");
    memcpy(st->range, ranges, sizeof(float) * n);
    return DRT_OK;
}

/* Quantization steps: identities and concat pieces share their source's or route's step; maxpools, upsamples,
 * reorgs and one-input routes their source's. A one-input route that is not an identity is a group slice
 * (yolov4-tiny's groups=2 group_id=1): at its source's step it is a copy of the source's bytes; at its own
 * calibrated step it rounded the source's int8 values a second time (tests/unit/cpu-int8-route-slice.c). */
static void assign_steps(cpu_state *st, const float *steps)
{
    for (int t = 0; t < st->g->nt; t++) st->step[t] = steps && steps[t] > 0 ? steps[t] : 1.f;
    if (st->opts.precision != DRT_PREC_INT8) return;
    if (st->dt[0] == CPU_U8) st->step[0] = 1.f / 255.f;
    for (int t = 1; t < st->g->nt; t++)
        if (st->dt[t] == CPU_U8) asym_step(st, t); /* its own range, unless it takes another's code below */
    for (int t = 1; t < st->g->nt; t++) {
        const drt_layer *l = &st->m->layers[t - 1];
        int r = st->g->root[t], from = -1;
        int src = DRT_XT(l->n_inputs > 0 ? l->inputs[0] : t - 2);
        if (st->g->node[t - 1].identity) from = src;
        else if (r != t && r > 0 && st->m->layers[r - 1].type == DRT_LAYER_ROUTE) from = r;
        else if (l->type == DRT_LAYER_MAXPOOL || l->type == DRT_LAYER_UPSAMPLE || l->type == DRT_LAYER_REORG3D ||
                 l->type == DRT_LAYER_REORG || (l->type == DRT_LAYER_ROUTE && l->n_inputs == 1))
            from = src; /* max and copies keep the range */
        /* a code is a step and a zero point (0 for s8): taken from a tensor of the same dtype only */
        if (from >= 0 && st->dt[from] == st->dt[t]) st->step[t] = st->step[from], st->zp[t] = st->zp[from];
    }
}

/* int8 depthwise convs read one input channel per output channel, so the tensor they read can
 * have a step per channel (folded into their per-channel output scales, and into its producer's):
 * a channel whose range is a fiftieth of the tensor's keeps its 127 levels. Where the tensor is
 * stored by one int8 conv writing s8 itself (no residual add, no separate activation scale) and
 * read only by int8 depthwise convs. Measured on yolo-fastest-1.1 (bench/results/int8-accuracy.md). */
static int is_int8_dw(const cpu_state *st, int i)
{
    const drt_layer *l = &st->m->layers[i];
    return is_int8_conv(st, i) && l->groups > 1 && l->groups == l->filters &&
           l->groups == drt_xgraph_shape(st->g, DRT_XT(l->inputs[0])).c;
}

static int channel_steps_fit(const cpu_state *st, int t)
{
    if (t == 0 || st->dt[t] != CPU_S8 || !is_int8_conv(st, t - 1) || st->g->node[t - 1].sum_from >= 0) return 0;
    const drt_layer *l = &st->m->layers[t - 1];
    if (st->g->node[t - 1].act_fused && !drt_act_homogeneous(l->act)) return 0;
    for (int u = 0; u < st->g->nt; u++)
        if (st->g->root[u] == t && u != t) return 0; /* aliases (concat pieces, identities): one step */
    return st->g->root[t] == t && root_readers_all(st, t, is_int8_dw);
}

/* Takes the channel steps (a copy) where some tensor uses them: other plans stay as they were. */
static drt_status assign_channel_steps(cpu_state *st, const float *cstep)
{
    int any = 0;
    for (int t = 1; cstep && st->opts.precision == DRT_PREC_INT8 && t < st->g->nt; t++) {
        st->channel_steps[t] = (uint8_t)channel_steps_fit(st, t);
        any |= st->channel_steps[t];
    }
    if (!any) return DRT_OK;
    size_t n = drt_calib_channel_offset(st->m, st->m->n_layers + 1);
    if (!(st->cstep = malloc(sizeof(float) * n))) return drt_error(DRT_STATUS_OOM, "cpu engine: out of memory");
    memcpy(st->cstep, cstep, sizeof(float) * n);
    return DRT_OK;
}

void drt_cpu_bias_correct_add(const cpu_state *st, int i, float *b, int n)
{
    const float *c = st->bias_corr ? st->bias_corr + drt_calib_channel_offset(st->m, i + 1) : NULL;
    for (int f = 0; c && f < n; f++) b[f] += c[f];
}

float drt_cpu_channel_step(const cpu_state *st, int t, int k)
{
    return st->cstep && st->channel_steps[t] ? st->cstep[drt_calib_channel_offset(st->m, t) + (size_t)k] : st->step[t];
}

static size_t root_bytes(const drt_xgraph *g, int t, void *ctx)
{
    const cpu_state *st = ctx;
    return drt_shape_size(drt_xgraph_shape(g, t)) * cpu_dtype_size(st->dt[t]);
}

static unsigned effective_passes_off(const drt_engine_opts *o)
{
    /* int8 quantizes what the conv epilogue produces: batchnorm and activation must be in it */
    if (o->precision == DRT_PREC_INT8) return o->passes_off & ~(unsigned)(DRT_PASS_FOLD_BN | DRT_PASS_FUSE_ACT);
    return o->passes_off;
}

static void log_conv(const cpu_state *st, int i)
{
    const drt_layer *l = &st->m->layers[i];
    const cpu_conv *c = st->conv[i];
    const drt_xnode *x = &st->g->node[i];
    int ts = DRT_XT(l->inputs[0]), td = drt_cpu_stored_tensor(st, i);
    char tm[96] = "";
    if (c->ms > 0) snprintf(tm, sizeof tm, " %.3f ms", c->ms);
    if (st->opts.precision == DRT_PREC_INT8 && c->prec == DRT_PREC_FP32)
        snprintf(tm + strlen(tm), sizeof tm - strlen(tm), " [kept fp32: %s]",
                 l->xnor ? "xnor" : l->groups > 1 ? "depthwise" : root_readers_all(st, st->g->root[td], is_yolo) ? "head"
                 : st->g->node[i].sum_from >= 0 ? "residual add" : "first");
    if (c->prec == DRT_PREC_INT8 && (st->channel_steps[ts] || st->channel_steps[td]))
        snprintf(tm + strlen(tm), sizeof tm - strlen(tm), " [steps per channel: %s]", st->channel_steps[ts] ? "in" : "out");
    if (c->zp_src || c->zp_dst) /* asym: u8 with zero points (0: none) */
        snprintf(tm + strlen(tm), sizeof tm - strlen(tm), " [zero points %d, %d]", c->zp_src ? (int)st->zp[ts] : 0,
                 c->zp_dst ? (int)st->zp[td] : 0);
    fprintf(st->log, "layer %3d conv %dx%d/%d %4d->%-4d %3dx%-3d %-4s %s%s->%s%s %-28s%s%s%s%s\n", i, l->size, l->size, l->stride,
            drt_xgraph_shape(st->g, ts).c, l->filters, l->out.w, l->out.h, drt_precision_name(c->prec),
            cpu_dtype_name(st->dt[ts]), c->in_temp ? "(converted)" : "", cpu_dtype_name(st->dt[td]),
            c->out_temp ? "(converted)" : "", c->impl, tm,
            x->act_fused ? " +act" : "", x->sum_from >= 0 ? " +add" : "", l->groups > 1 ? " grouped" : l->xnor ? " xnor" : "");
}

/* opts.max_activation_bytes: the arena, conversion, Winograd and scratch buffers together, checked
 * before each is allocated. */
size_t drt_cpu_activation_bytes(const cpu_state *st)
{
    return st->arena_bytes + st->tmp_in_bytes + st->tmp_out_bytes + st->wino_v_bytes + st->wino_m_bytes + st->scratch_bytes;
}

static int within_budget(const cpu_state *st, size_t bytes)
{
    return !st->opts.max_activation_bytes || bytes <= st->opts.max_activation_bytes;
}

static drt_status check_budget(const cpu_state *st, size_t bytes, const char *what)
{
    if (within_budget(st, bytes)) return DRT_OK;
    return drt_error(DRT_STATUS_OOM, "cpu engine: the model needs %.1f MiB of activations (with %s), above the limit of %.1f MiB",
                     bytes / 1048576.0, what, st->opts.max_activation_bytes / 1048576.0);
}

/* Conversion buffers for convs whose input or output buffer holds another dtype, and [local]'s float copies. */
static drt_status alloc_temps(cpu_state *st)
{
    size_t in_bytes = 0, out_bytes = 0;
    for (int i = 0; i < st->g->n; i++) {
        const drt_layer *l = &st->m->layers[i];
        if (!st->g->node[i].live) continue;
        if (l->type == DRT_LAYER_LOCAL) { /* run_local's float NCHW copies of its input and output */
            size_t ib = drt_shape_size(drt_xgraph_shape(st->g, DRT_XT(l->inputs[0]))) * sizeof(float);
            size_t ob = drt_shape_size(l->out) * sizeof(float);
            if (ib > in_bytes) in_bytes = ib;
            if (ob > out_bytes) out_bytes = ob;
        }
        if (l->type != DRT_LAYER_CONV) continue;
        cpu_dtype in, out;
        int it, ot;
        drt_cpu_conv_dtypes(st, i, &in, &out, &it, &ot);
        size_t ib = drt_shape_size(drt_xgraph_shape(st->g, DRT_XT(l->inputs[0]))) * cpu_dtype_size(in);
        size_t ob = drt_shape_size(l->out) * cpu_dtype_size(out);
        if (it && ib > in_bytes) in_bytes = ib;
        if (ot && ob > out_bytes) out_bytes = ob;
    }
    for (int i = 0; i < st->g->n && st->opts.winograd != DRT_WINOGRAD_OFF && drt_cpu_wino_allowed(); i++) {
        if (!st->g->node[i].live || st->m->layers[i].type != DRT_LAYER_CONV || !drt_cpu_wino_eligible(st, i)) continue;
        size_t vb, mb;
        drt_cpu_wino_sizes(st, i, &vb, &mb);
        if (vb > st->wino_v_bytes) st->wino_v_bytes = vb;
        if (mb > st->wino_m_bytes) st->wino_m_bytes = mb;
    }
    size_t needed = st->arena_bytes + in_bytes + out_bytes;
    DRT_TRY(check_budget(st, needed, "conversion buffers"));
    st->tmp_in_bytes = in_bytes;
    st->tmp_out_bytes = out_bytes;
    /* Winograd is an optional speed-up: under a tight budget the direct convolutions run */
    if (st->wino_v_bytes && !within_budget(st, needed + st->wino_v_bytes + st->wino_m_bytes)) {
        if (st->log) fprintf(st->log, "cpu engine: Winograd off: its buffers do not fit the activation budget\n");
        st->wino_v_bytes = st->wino_m_bytes = 0;
    }
    if (st->wino_v_bytes && (!(st->wino_v = aligned_alloc(64, (st->wino_v_bytes + 63) / 64 * 64)) ||
                             !(st->wino_m = aligned_alloc(64, (st->wino_m_bytes + 63) / 64 * 64))))
        return drt_error(DRT_STATUS_OOM, "cpu engine: out of memory for Winograd buffers");
    if (in_bytes && !(st->tmp_in = aligned_alloc(64, (in_bytes + 63) / 64 * 64)))
        return drt_error(DRT_STATUS_OOM, "cpu engine: out of memory");
    if (out_bytes && !(st->tmp_out = aligned_alloc(64, (out_bytes + 63) / 64 * 64)))
        return drt_error(DRT_STATUS_OOM, "cpu engine: out of memory");
    return DRT_OK;
}

static drt_status build_convs(cpu_state *st)
{
    DRT_TRY(alloc_temps(st));
    for (int i = 0; i < st->g->n; i++) {
        if (!st->g->node[i].live || st->m->layers[i].type != DRT_LAYER_CONV) continue;
        DRT_TRY(drt_cpu_conv_create(st, i, &st->conv[i]));
        if (st->log) log_conv(st, i);
    }
    int wino = 0;
    for (int i = 0; i < st->g->n; i++) wino |= st->conv[i] && st->conv[i]->wino;
    if (!wino) { /* no layer chose Winograd: give its buffers back */
        free(st->wino_v);
        free(st->wino_m);
        st->wino_v = st->wino_m = NULL;
        st->wino_v_bytes = st->wino_m_bytes = 0;
    }
    DRT_TRY(check_budget(st, drt_cpu_activation_bytes(st), "the scratchpad"));
    dnnl_memory_desc_t md;
    dnnl_dims_t d = {(dnnl_dim_t)(st->scratch_bytes ? st->scratch_bytes : 1)};
    dnnl_memory_desc_init_by_tag(&md, 1, d, dnnl_u8, dnnl_x);
    if (dnnl_memory_create(&st->scratch, &md, st->eng, DNNL_MEMORY_ALLOCATE) != dnnl_success)
        return drt_error(DRT_STATUS_OOM, "cpu engine: cannot allocate %zu bytes of scratchpad", st->scratch_bytes);
    return drt_cpu_exec_init(st, 1, &st->own);
}

/* What the CPU engine's kernels can do: oneDNN convs read and write dense NHWC buffers and add
 * a fused shortcut in place (sum post-op); its own maxpool and upsample write channel slices. */
const drt_xcaps drt_cpu_caps = {
    .name = "cpu",
    .ops = DRT_XBIT(DRT_LAYER_CONV) | DRT_XBIT(DRT_LAYER_MAXPOOL) | DRT_XBIT(DRT_LAYER_ROUTE) | DRT_XBIT(DRT_LAYER_SHORTCUT) |
           DRT_XBIT(DRT_LAYER_UPSAMPLE) | DRT_XBIT(DRT_LAYER_YOLO) | DRT_XBIT(DRT_LAYER_DROPOUT) | DRT_XBIT(DRT_LAYER_AVGPOOL) |
           DRT_XBIT(DRT_LAYER_SCALE_CHANNELS) | DRT_XBIT(DRT_LAYER_SAM) | DRT_XBIT(DRT_LAYER_REORG3D) |
           DRT_XBIT(DRT_LAYER_REORG) | DRT_XBIT(DRT_LAYER_ACTIVATION) | DRT_XBIT(DRT_LAYER_LOCAL_AVGPOOL) |
           DRT_XBIT(DRT_LAYER_BATCHNORM) | DRT_XBIT(DRT_LAYER_IMPLICIT) | DRT_XBIT(DRT_LAYER_LOCAL) |
           DRT_XBIT(DRT_LAYER_STATE),
    .precisions = DRT_XBIT(DRT_PREC_FP32) | DRT_XBIT(DRT_PREC_BF16) | DRT_XBIT(DRT_PREC_INT8),
    .slice_writers = DRT_XBIT(DRT_LAYER_MAXPOOL) | DRT_XBIT(DRT_LAYER_UPSAMPLE),
    .conv_reads_slice = 0,
    .add_in_place = 1,
    .epilogue_fixed = 0,
    .conv_dilation = 1,
    .conv_xnor = 1,
};

static drt_status alloc_state(const drt_model *m, const drt_engine_opts *opts, FILE *log, cpu_state **out)
{
    cpu_state *st = calloc(1, sizeof *st);
    if (!st) return drt_error(DRT_STATUS_OOM, "cpu engine: out of memory");
    *out = st;
    st->m = m;
    st->opts = *opts;
    st->log = log;
    st->tune = !opts->no_tune;
    int prof = drt_env_switch("DRT_CPU_PROFILE", "cpu"); /* 1: wall time per layer, cpu: the thread's CPU time */
    st->prof_cpu = prof == 2;
    st->dw8 = drt_env_switch("DRT_CPU_DW_INT8", NULL) != 0; /* on unless 0 */
    if (prof > 0 && !(st->prof_ms = calloc((size_t)m->n_layers + 1, sizeof(double))))
        return drt_error(DRT_STATUS_OOM, "cpu engine: out of memory");
    drt_cpu_apply_isa_cap();
    if (dnnl_engine_create(&st->eng, dnnl_cpu, 0) != dnnl_success ||
        dnnl_stream_create(&st->stream, st->eng, dnnl_stream_default_flags) != dnnl_success)
        return drt_error(DRT_STATUS_INTERNAL, "cpu engine: oneDNN engine creation failed");
    drt_xcaps caps = drt_cpu_caps;
    caps.acts_separate = drt_cpu_acts_separate(); /* known at run time (the oneDNN version) */
    DRT_TRY(drt_xgraph_create(m, effective_passes_off(opts), caps, log, &st->g));
    size_t nt = (size_t)st->g->nt, n = (size_t)st->g->n + 1;
    st->dt = calloc(nt, sizeof *st->dt);
    st->step = calloc(nt, sizeof *st->step);
    st->zp = calloc(nt, sizeof *st->zp);
    st->channel_steps = calloc(nt, 1);
    st->choice = calloc(n, sizeof *st->choice);
    st->conv = calloc(n, sizeof *st->conv);
    if (!st->dt || !st->step || !st->zp || !st->channel_steps || !st->choice || !st->conv) return drt_error(DRT_STATUS_OOM, "cpu engine: out of memory");
    return DRT_OK;
}

drt_status drt_cpu_state_create(const drt_model *m, const drt_engine_opts *opts, const cpu_choice *choices,
                                const float *steps, const float *channel_steps, const float *ranges, const float *bias_corr,
                                FILE *log, cpu_state **st_out)
{
    *st_out = NULL;
    cpu_state *st = NULL;
    drt_status s = alloc_state(m, opts, log, &st);
    if (s == DRT_OK) s = drt_xgraph_run_passes(st->g);
    if (s == DRT_OK) {
        if (choices) memcpy(st->choice, choices, sizeof *choices * (size_t)m->n_layers);
        if (ranges && st->opts.precision == DRT_PREC_INT8) s = copy_ranges(st, ranges);
    }
    if (s == DRT_OK) {
        assign_precisions(st, choices != NULL);
        assign_asym(st);
        assign_steps(st, steps);
        s = assign_channel_steps(st, channel_steps);
    }
    if (s == DRT_OK && bias_corr && st->opts.precision == DRT_PREC_INT8) {
        size_t n = drt_calib_channel_offset(m, m->n_layers + 1);
        if (!(st->bias_corr = malloc(sizeof(float) * n))) s = drt_error(DRT_STATUS_OOM, "cpu engine: out of memory");
        else memcpy(st->bias_corr, bias_corr, sizeof(float) * n);
    }
    if (s == DRT_OK) s = drt_pass_memplan(st->g, root_bytes, st);
    if (s == DRT_OK) {
        st->arena_bytes = st->g->arena_bytes ? st->g->arena_bytes : 64;
        s = check_budget(st, st->arena_bytes, "the layer outputs alone");
        if (s == DRT_OK && !(st->arena = aligned_alloc(64, st->arena_bytes)))
            s = drt_error(DRT_STATUS_OOM, "cpu engine: cannot allocate %zu bytes of activations", st->arena_bytes);
        if (s == DRT_OK) memset(st->arena, 0, st->arena_bytes);
    }
    if (s == DRT_OK) s = build_convs(st);
    if (s != DRT_OK) {
        drt_cpu_state_free(st);
        return s;
    }
    *st_out = st;
    return DRT_OK;
}

static void print_profile(const cpu_state *st)
{
    double total = 0;
    for (int i = 0; i < st->g->n; i++) total += st->prof_ms[i];
    fprintf(drt_log_file(), "cpu profile: %d runs, %.2f ms %s per image\n", st->prof_runs, total / st->prof_runs,
            st->prof_cpu ? "of the running thread's CPU time" : "wall");
    for (int i = 0; i < st->g->n; i++)
        if (st->prof_ms[i] > 0.005 * total)
            fprintf(drt_log_file(), "cpu profile: layer %3d %-13s %8.3f ms %5.1f%%\n", i, drt_layer_type_name(st->m->layers[i].type),
                    st->prof_ms[i] / st->prof_runs, 100 * st->prof_ms[i] / total);
}

void drt_cpu_state_free(cpu_state *st)
{
    if (!st) return;
    if (st->prof_ms && st->prof_runs) print_profile(st);
    free(st->prof_ms);
    drt_cpu_exec_release(&st->own);
    for (int i = 0; st->conv && st->g && i < st->g->n; i++) drt_cpu_conv_free(st->conv[i]);
    if (st->scratch) dnnl_memory_destroy(st->scratch);
    if (st->stream) dnnl_stream_destroy(st->stream);
    if (st->eng) dnnl_engine_destroy(st->eng);
    drt_xgraph_free(st->g);
    free(st->conv);
    free(st->choice);
    free(st->dt);
    free(st->step);
    free(st->zp);
    free(st->range);
    free(st->cstep);
    free(st->channel_steps);
    free(st->bias_corr);
    free(st->arena);
    free(st->tmp_in);
    free(st->tmp_out);
    free(st->wino_v);
    free(st->wino_m);
    free(st);
}
