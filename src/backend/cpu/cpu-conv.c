/* Convolutions through oneDNN: NHWC activations, weights reordered once into the layout the
 * chosen implementation wants, batchnorm folded in the bias, activation and residual add in
 * the epilogue (post-ops). Among oneDNN's implementations for a layer, the fastest measured
 * one is kept; plans cache the choice. */
#include "backend/cpu/cpu.h"
#include "backend/cpu/cpu-features.h"
#include "graph/quantize.h"
#include "graph/xnor.h"
#include "core/clock.h"
#include "core/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DNNL_TRY(call, what)                                                                         \
    do {                                                                                             \
        dnnl_status_t ds_ = (call);                                                                  \
        if (ds_ != dnnl_success) {                                                                   \
            s = drt_error(DRT_STATUS_INTERNAL, "cpu engine: layer %d: %s failed (oneDNN status %d)", i, what, (int)ds_); \
            goto done;                                                                               \
        }                                                                                            \
    } while (0)

static dnnl_data_type_t dnnl_dt(cpu_dtype d)
{
    return d == CPU_F32 ? dnnl_f32 : d == CPU_BF16 ? dnnl_bf16 : d == CPU_S8 ? dnnl_s8 : dnnl_u8;
}

/* Darknet activation as an oneDNN eltwise (alpha, beta its parameters); 0 when it has none. */
static int act_alg(drt_act a, dnnl_alg_kind_t *alg, float *alpha, float *beta)
{
    *alpha = *beta = 0;
    switch (a) {
    case DRT_ACT_LEAKY: *alg = dnnl_eltwise_relu; *alpha = 0.1f; return 1;
    case DRT_ACT_RELIE: *alg = dnnl_eltwise_relu; *alpha = 0.01f; return 1;
    case DRT_ACT_RELU: *alg = dnnl_eltwise_relu; return 1;
    case DRT_ACT_LOGISTIC: *alg = dnnl_eltwise_logistic; return 1;
    case DRT_ACT_MISH: *alg = dnnl_eltwise_mish; return 1;
    case DRT_ACT_SWISH: *alg = dnnl_eltwise_swish; *alpha = 1; return 1;
    case DRT_ACT_RELU6: *alg = dnnl_eltwise_clip; *beta = 6; return 1;
    case DRT_ACT_HARDTAN: *alg = dnnl_eltwise_clip; *alpha = -1; *beta = 1; return 1;
    case DRT_ACT_ELU: *alg = dnnl_eltwise_elu; *alpha = 1; return 1;
    case DRT_ACT_TANH: *alg = dnnl_eltwise_tanh; return 1;
    default: return 0;
    }
}

unsigned drt_cpu_acts_separate(void)
{
    unsigned bits = 0;
    dnnl_alg_kind_t alg;
    float alpha, beta;
    for (int a = DRT_ACT_LINEAR + 1; a < DRT_ACT_COUNT; a++)
        if (!act_alg((drt_act)a, &alg, &alpha, &beta)) bits |= 1u << a;
    return bits;
}


/* The fastest of runs 2 to 5 of run(arg) (the first warms caches and JIT; the minimum is robust to a busy
 * machine); 1e30 when a run fails (nonzero). Every implementation a build times is timed this way. */
static double fastest_ms(int (*run)(void *arg), void *arg)
{
    double best = 1e30;
    for (int r = 0; r < 5; r++) {
        double t0 = drt_now_ms();
        if (run(arg) != 0) return 1e30;
        double t = drt_now_ms() - t0;
        if (r > 0 && t < best) best = t;
    }
    return best;
}

/* What the primitive reads and writes for layer i's precision, and whether it needs a
 * conversion buffer on either side (the neighbouring buffers hold another dtype). */
void drt_cpu_conv_dtypes(const cpu_state *st, int i, cpu_dtype *in, cpu_dtype *out, int *in_temp, int *out_temp)
{
    int prec = st->choice[i].prec;
    cpu_dtype sd = st->dt[DRT_XT(st->m->layers[i].inputs[0])], dd = st->dt[drt_cpu_stored_tensor(st, i)];
    if (prec == DRT_PREC_INT8) {
        *in = sd == CPU_S8 || sd == CPU_U8 ? sd : CPU_S8;
        *out = dd == CPU_BF16 ? CPU_F32 : dd;
    } else if (prec == DRT_PREC_BF16) {
        *in = CPU_BF16;
        *out = dd == CPU_F32 ? CPU_F32 : CPU_BF16;
    } else {
        *in = CPU_F32;
        *out = CPU_F32;
    }
    *in_temp = *in != sd || st->m->layers[i].xnor; /* xnor: the step's output (run_conv) */
    *out_temp = *out != dd;
}

/* The tensor a conv stores: its own, or the shortcut it absorbed. */
int drt_cpu_stored_tensor(const cpu_state *st, int i);
int drt_cpu_stored_tensor(const cpu_state *st, int i)
{
    if (st->g->node[i].sum_from < 0) return DRT_XT(i);
    for (int s = i + 1; s < st->g->n; s++)
        if (st->g->node[s].absorbed_by == i) return DRT_XT(s);
    return DRT_XT(i);
}

typedef struct conv_io {
    cpu_dtype in_dt, out_dt; /* what the primitive reads and writes */
    int in_temp, out_temp;
    dnnl_memory_desc_t src, wei_user, bias, dst;
    float *oscale; /* per output channel, int8 */
    int32_t zp_src, zp_dst; /* u8 zero points (asym tensors), else 0 */
    float *bias_data;
    float *bias_unit; /* per output channel: what one unit of bias_data is worth (int8: si * sw) */
    void *wei_data; /* f32 or s8 in (g)oihw */
    int n_oscale;
} conv_io;

static drt_status make_attr(cpu_state *st, int i, const conv_io *io, float sum_scale, float dst_inv,
                            dnnl_primitive_attr_t *attr_out)
{
    const drt_layer *l = &st->m->layers[i];
    const drt_xnode *x = &st->g->node[i];
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    drt_status s = DRT_OK;
    DNNL_TRY(dnnl_primitive_attr_create(&attr), "attr");
    DNNL_TRY(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "scratchpad mode");
    DNNL_TRY(dnnl_post_ops_create(&po), "post-ops");
    dnnl_alg_kind_t alg;
    float alpha, beta;
    if (x->act_fused && act_alg(l->act, &alg, &alpha, &beta)) DNNL_TRY(dnnl_post_ops_append_eltwise(po, 1.f, alg, alpha, beta), "eltwise");
    if (dst_inv != 1.f) DNNL_TRY(dnnl_post_ops_append_eltwise(po, 1.f, dnnl_eltwise_linear, dst_inv, 0.f), "linear");
    if (x->sum_from >= 0 && !io->out_temp) {
        DNNL_TRY(dnnl_post_ops_append_sum(po, sum_scale), "sum");
        if (act_alg(x->sum_act, &alg, &alpha, &beta)) DNNL_TRY(dnnl_post_ops_append_eltwise(po, 1.f, alg, alpha, beta), "eltwise");
    }
    DNNL_TRY(dnnl_primitive_attr_set_post_ops(attr, po), "set post-ops");
    if (io->oscale) DNNL_TRY(dnnl_primitive_attr_set_output_scales(attr, io->n_oscale, 1 << 1, io->oscale), "output scales");
    /* one per tensor, given at run time (oneDNN's int8 JIT convs take zero points that way); the padding
     * is a real 0 (oneDNN compensates it), the bias goes in before the output's zero point */
    const int32_t rt = DNNL_RUNTIME_S32_VAL;
    if (io->zp_src) DNNL_TRY(dnnl_primitive_attr_set_zero_points(attr, DNNL_ARG_SRC, 1, 0, &rt), "src zero point");
    if (io->zp_dst) DNNL_TRY(dnnl_primitive_attr_set_zero_points(attr, DNNL_ARG_DST, 1, 0, &rt), "dst zero point");
done:
    if (po) dnnl_post_ops_destroy(po);
    if (s != DRT_OK && attr) dnnl_primitive_attr_destroy(attr), attr = NULL;
    *attr_out = attr;
    return s;
}

/* Descriptors and host data for layer i in its precision: weights (f32 or quantized s8),
 * bias (scaled into the accumulator's units for int8), output scales. */
static drt_status prepare_io(cpu_state *st, int i, conv_io *io, float *sum_scale, float *dst_inv)
{
    const drt_layer *l = &st->m->layers[i];
    const drt_xnode *x = &st->g->node[i];
    int prec = st->choice[i].prec, ts = DRT_XT(l->inputs[0]), td = drt_cpu_stored_tensor(st, i);
    drt_shape in = drt_xgraph_shape(st->g, ts);
    dnnl_dims_t sd = {1, in.c, in.h, in.w}, dd = {1, l->out.c, l->out.h, l->out.w}, bd = {l->filters};
    dnnl_memory_desc_init_by_tag(&io->src, 4, sd, dnnl_dt(io->in_dt), dnnl_nhwc);
    dnnl_memory_desc_init_by_tag(&io->dst, 4, dd, dnnl_dt(io->out_dt), dnnl_nhwc);
    dnnl_memory_desc_init_by_tag(&io->bias, 1, bd, dnnl_f32, dnnl_x);
    int g = l->groups, per_oc = (in.c / g) * l->size * l->size;
    dnnl_data_type_t wdt = prec == DRT_PREC_INT8 ? dnnl_s8 : dnnl_f32;
    if (g == 1) {
        dnnl_dims_t wd = {l->filters, in.c, l->size, l->size};
        dnnl_memory_desc_init_by_tag(&io->wei_user, 4, wd, wdt, dnnl_oihw);
    } else {
        dnnl_dims_t wd = {g, l->filters / g, in.c / g, l->size, l->size};
        dnnl_memory_desc_init_by_tag(&io->wei_user, 5, wd, wdt, dnnl_goihw);
    }
    io->bias_data = calloc((size_t)l->filters, sizeof(float));
    io->bias_unit = malloc(sizeof(float) * (size_t)l->filters);
    if (!io->bias_data || !io->bias_unit) return drt_error(DRT_STATUS_OOM, "cpu engine: out of memory");
    for (int f = 0; f < l->filters; f++) io->bias_unit[f] = 1.f;
    if (x->bn_folded) memcpy(io->bias_data, x->bn_add, sizeof(float) * (size_t)l->filters);
    else if (!x->bn_mul) memcpy(io->bias_data, l->biases, sizeof(float) * (size_t)l->filters);
    drt_cpu_bias_correct_add(st, i, io->bias_data, l->filters);
    *sum_scale = 1.f;
    *dst_inv = 1.f;
    size_t nw = (size_t)l->filters * per_oc;
    float *w = malloc(sizeof(float) * (nw ? nw : 1)); /* this layer's (folded) weights, freed after layout */
    if (!w) return drt_error(DRT_STATUS_OOM, "cpu engine: out of memory");
    for (int f = 0; f < l->filters; f++) {
        float mul = x->bn_folded ? x->bn_mul[f] : 1.f;
        for (int k = 0; k < per_oc; k++) w[(size_t)f * per_oc + k] = l->weights[(size_t)f * per_oc + k] * mul;
    }
    io->wei_data = w;
    if (l->xnor) { /* the lowered conv (xnor.h): integer weights and bias; fold-bn's bn_mul, bn_add come after it */
        float *mul = malloc(sizeof(float) * (size_t)l->filters), *add = malloc(sizeof(float) * (size_t)l->filters);
        int ok = mul && add;
        if (ok) drt_xnor_lower(st->m->bn, l, w, io->bias_data, mul, add);
        free(mul);
        free(add);
        if (!ok) return drt_error(DRT_STATUS_OOM, "cpu engine: out of memory");
    }
    if (prec != DRT_PREC_INT8) return DRT_OK;
    float s_in = io->in_dt == CPU_U8 && st->dt[ts] != CPU_U8 ? 1.f / 255 : st->step[ts];
    float s_out = io->out_dt == CPU_F32 ? 1.f : st->step[td];
    io->zp_src = io->in_temp ? 0 : st->zp[ts]; /* a conversion buffer is s8 */
    io->zp_dst = io->out_temp ? 0 : st->zp[td];
    int8_t *q = malloc(nw ? nw : 1);
    io->oscale = malloc(sizeof(float) * (size_t)l->filters);
    if (!q || !io->oscale) {
        free(q);
        return drt_error(DRT_STATUS_OOM, "cpu engine: out of memory");
    }
    io->wei_data = q;
    io->n_oscale = l->filters;
    int split = x->act_fused && !drt_act_homogeneous(l->act) && io->out_dt != CPU_F32;
    /* a step per channel (cpu-compile.c's channel_steps_fit): the input's of a depthwise conv
     * (output channel f reads input channel f), the output's of the conv that stores one */
    int in_channels = st->channel_steps[ts], out_channels = st->channel_steps[td] && td == DRT_XT(i);
    int qmax = drt_cpu_int8_weight_max();
    for (int f = 0; f < l->filters; f++) {
        float sw = drt_quantize_row(w + (size_t)f * per_oc, (size_t)per_oc, qmax, q + (size_t)f * per_oc);
        float si = in_channels ? drt_cpu_channel_step(st, ts, f) : s_in, so = out_channels ? drt_cpu_channel_step(st, td, f) : s_out;
        io->oscale[f] = split ? si * sw : si * sw / so;
        io->bias_unit[f] = si * sw;
        io->bias_data[f] /= si * sw; /* oneDNN 2.x adds the bias to the s32 accumulator before scaling */
    }
    free(w);
    if (split) *dst_inv = 1.f / s_out;
    if (x->sum_from >= 0) *sum_scale = io->out_dt == CPU_F32 ? 1.f : st->step[x->sum_from] / s_out;
    if (x->sum_from >= 0 && !drt_act_homogeneous(x->sum_act) && io->out_dt != CPU_F32)
        return drt_error(DRT_STATUS_UNSUPPORTED, "%s: layer %d: int8 with a %s shortcut activation fused: build with fp32",
                         st->m->source ? st->m->source : "model", i, drt_act_name(x->sum_act));
    return DRT_OK;
}

/* Creates the primitive and its reordered weights for one implementation. */
static drt_status instantiate(cpu_state *st, int i, const conv_io *io, const_dnnl_primitive_desc_t pd, cpu_conv *c)
{
    drt_status s = DRT_OK;
    dnnl_primitive_t reorder = NULL;
    dnnl_primitive_desc_t rpd = NULL;
    dnnl_memory_t user_w = NULL;
    const dnnl_memory_desc_t *wmd = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    DNNL_TRY(dnnl_primitive_create(&c->prim, pd), "primitive");
    DNNL_TRY(dnnl_memory_create(&c->wei, wmd, st->eng, DNNL_MEMORY_ALLOCATE), "weights memory");
    DNNL_TRY(dnnl_memory_create(&user_w, &io->wei_user, st->eng, io->wei_data), "user weights");
    DNNL_TRY(dnnl_reorder_primitive_desc_create(&rpd, &io->wei_user, st->eng, wmd, st->eng, NULL), "weights reorder");
    DNNL_TRY(dnnl_primitive_create(&reorder, rpd), "weights reorder");
    dnnl_exec_arg_t rargs[] = {{DNNL_ARG_FROM, user_w}, {DNNL_ARG_TO, c->wei}};
    DNNL_TRY(dnnl_primitive_execute(reorder, st->stream, 2, rargs), "weights reorder");
    dnnl_stream_wait(st->stream);
    c->weight_bytes = dnnl_memory_desc_get_size(wmd);
    DNNL_TRY(dnnl_memory_create(&c->bias, &io->bias, st->eng, DNNL_MEMORY_ALLOCATE), "bias memory");
    void *bp;
    dnnl_memory_get_data_handle(c->bias, &bp);
    memcpy(bp, io->bias_data, sizeof(float) * (size_t)io->bias.dims[0]);
    size_t scratch = dnnl_memory_desc_get_size(dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0));
    if (scratch > st->scratch_bytes) st->scratch_bytes = scratch;
    const char *impl = "?";
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    snprintf(c->impl, sizeof c->impl, "%s", impl);
done:
    if (reorder) dnnl_primitive_destroy(reorder);
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    if (user_w) dnnl_memory_destroy(user_w);
    return s;
}

void drt_cpu_conv_bias_add(cpu_state *st, int i, const float *delta)
{
    cpu_conv *c = st->conv[i];
    DRT_ASSERT(c && !c->wino && c->bias_unit);
    if (c->dw8) {
        drt_cpu_dw8_bias_add(c->dw8, delta, c->bias_unit);
        return;
    }
    float *b = NULL;
    dnnl_memory_get_data_handle(c->bias, (void **)&b);
    for (int f = 0; f < st->m->layers[i].filters; f++) b[f] += delta[f] / c->bias_unit[f];
}

void drt_cpu_conv_free(cpu_conv *c)
{
    if (!c) return;
    drt_cpu_wino_free(c->wino);
    drt_cpu_dw8_free(c->dw8);
    free(c->bias_unit);
    if (c->prim) dnnl_primitive_destroy(c->prim);
    if (c->src) dnnl_memory_destroy(c->src);
    if (c->wei) dnnl_memory_destroy(c->wei);
    if (c->bias) dnnl_memory_destroy(c->bias);
    if (c->dst) dnnl_memory_destroy(c->dst);
    if (c->zp_src) dnnl_memory_destroy(c->zp_src);
    if (c->zp_dst) dnnl_memory_destroy(c->zp_dst);
    free(c);
}

int drt_cpu_conv_args(const cpu_conv *c, dnnl_memory_t src, dnnl_memory_t dst, dnnl_memory_t scratch,
                      dnnl_exec_arg_t args[DRT_CPU_CONV_ARGS])
{
    int n = 0;
    args[n++] = (dnnl_exec_arg_t){DNNL_ARG_SRC, src};
    args[n++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, c->wei};
    args[n++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, c->bias};
    args[n++] = (dnnl_exec_arg_t){DNNL_ARG_DST, dst};
    args[n++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, scratch};
    if (c->zp_src) args[n++] = (dnnl_exec_arg_t){DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, c->zp_src};
    if (c->zp_dst) args[n++] = (dnnl_exec_arg_t){DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_DST, c->zp_dst};
    return n;
}

typedef struct {
    cpu_state *st;
    const cpu_conv *c;
    dnnl_exec_arg_t args[DRT_CPU_CONV_ARGS];
    int n_args;
} prim_run;

static int run_prim(void *arg)
{
    prim_run *r = arg;
    if (dnnl_primitive_execute(r->c->prim, r->st->stream, r->n_args, r->args) != dnnl_success) return 1;
    dnnl_stream_wait(r->st->stream);
    return 0;
}

static double time_conv(cpu_state *st, cpu_conv *c, const_dnnl_primitive_desc_t pd)
{
    dnnl_memory_t scratch = NULL;
    if (dnnl_memory_create(&scratch, dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0), st->eng,
                           DNNL_MEMORY_ALLOCATE) != dnnl_success)
        return 1e30;
    prim_run r = {.st = st, .c = c};
    r.n_args = drt_cpu_conv_args(c, c->src, c->dst, scratch, r.args);
    double best = fastest_ms(run_prim, &r);
    dnnl_memory_destroy(scratch);
    return best;
}

/* An s32 scalar holding zp (a runtime zero point; none for 0). Read-only: every run state shares it. */
static drt_status zero_point_memory(cpu_state *st, int i, int32_t zp, dnnl_memory_t *out)
{
    drt_status s = DRT_OK;
    dnnl_memory_desc_t md;
    dnnl_dims_t one = {1};
    void *p;
    if (!zp) return DRT_OK;
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&md, 1, one, dnnl_s32, dnnl_x), "zero point");
    DNNL_TRY(dnnl_memory_create(out, &md, st->eng, DNNL_MEMORY_ALLOCATE), "zero point memory");
    dnnl_memory_get_data_handle(*out, &p);
    *(int32_t *)p = zp;
done:
    return s;
}

static drt_status io_memories(cpu_state *st, int i, const conv_io *io, cpu_conv *c)
{
    drt_status s = DRT_OK;
    int ts = DRT_XT(st->m->layers[i].inputs[0]), td = drt_cpu_stored_tensor(st, i);
    if ((!io->in_temp && !drt_xgraph_dense(st->g, ts)) || (!io->out_temp && !drt_xgraph_dense(st->g, td)))
        return drt_error(DRT_STATUS_INTERNAL, "cpu engine: layer %d: conv input or output is a channel slice", i);
    DNNL_TRY(dnnl_memory_create(&c->src, &io->src, st->eng, io->in_temp ? st->tmp_in : drt_cpu_view(st, ts).p), "src memory");
    DNNL_TRY(dnnl_memory_create(&c->dst, &io->dst, st->eng, io->out_temp ? st->tmp_out : drt_cpu_view(st, td).p), "dst memory");
    c->in_temp = io->in_temp;
    c->out_temp = io->out_temp;
    c->in_dt = io->in_dt;
    c->out_dt = io->out_dt;
    s = zero_point_memory(st, i, io->zp_src, &c->zp_src);
    if (s == DRT_OK) s = zero_point_memory(st, i, io->zp_dst, &c->zp_dst);
done:
    return s;
}

/* Walks oneDNN's implementations for the layer (best first), skipping reference ones; keeps
 * the cached one, or the fastest measured one when tuning, or the first. */
static drt_status pick(cpu_state *st, int i, const conv_io *io, const_dnnl_op_desc_t cd, dnnl_primitive_attr_t attr,
                       cpu_conv **out)
{
    drt_status s = DRT_OK;
    dnnl_primitive_desc_iterator_t it = NULL;
    cpu_conv *best = NULL;
    const cpu_choice *want = st->choice[i].impl[0] ? &st->choice[i] : NULL;
    const drt_layer *l = &st->m->layers[i];
    double flops = 2.0 * l->out.c * l->out.h * l->out.w * (double)l->n_weights / l->filters;
    /* int8 convs are timed at any size: oneDNN's int8 implementations of one ISA tier accumulate in s32
     * and share one epilogue, so the pick changes no bits (tests/unit/cpu-int8-tune.c), and on
     * yolo-fastest-1.1's small layers its first choice (brgconv) was up to 15% slower than jit_int8 */
    int tune = st->tune && !want && (flops > 2e7 || st->choice[i].prec == DRT_PREC_INT8), tried = 0;
    unsigned top_isa = 0;
    DNNL_TRY(dnnl_primitive_desc_iterator_create(&it, cd, attr, st->eng, NULL), "convolution (no implementation)");
    for (int idx = 0;; idx++) {
        if (idx > 0 && dnnl_primitive_desc_iterator_next(it) != dnnl_success) break;
        dnnl_primitive_desc_t pd = dnnl_primitive_desc_iterator_fetch(it); /* a copy we own */
        if (!pd) break;
        const char *impl = "?";
        dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
        int is_ref = !strncmp(impl, "ref", 3);
        unsigned isa = drt_cpu_features_of_impl(impl);
        if (idx == 0) top_isa = isa;
        int skip = want ? strcmp(impl, want->impl) != 0 /* by name: oneDNN's iteration order is not stable */
                        : (best && (isa != top_isa || is_ref)); /* same ISA tier as oneDNN's first choice only */
        cpu_conv *c = skip ? NULL : calloc(1, sizeof *c);
        if (!skip && !c) s = drt_error(DRT_STATUS_OOM, "cpu engine: out of memory");
        if (c) {
            c->impl_index = idx;
            if ((s = instantiate(st, i, io, pd, c)) == DRT_OK) s = io_memories(st, i, io, c);
            if (s == DRT_OK && tune) c->ms = time_conv(st, c, pd);
        }
        dnnl_primitive_desc_destroy(pd);
        if (skip) continue;
        if (s != DRT_OK) {
            drt_cpu_conv_free(c);
            goto done;
        }
        if (!best || (tune && c->ms < best->ms)) {
            drt_cpu_conv_free(best);
            best = c;
        } else drt_cpu_conv_free(c);
        if (want || !tune || ++tried >= 4 || is_ref) break;
    }
    if (!best && want) {
        drt_warn("layer %d: the plan's implementation %s is not available here; using oneDNN's first choice", i, want->impl);
        st->choice[i].impl[0] = '\0';
        dnnl_primitive_desc_iterator_destroy(it);
        return pick(st, i, io, cd, attr, out);
    }
    if (!best) s = drt_error(DRT_STATUS_UNSUPPORTED, "cpu engine: layer %d: no convolution implementation", i);
done:
    if (it) dnnl_primitive_desc_iterator_destroy(it);
    if (s != DRT_OK) { drt_cpu_conv_free(best); best = NULL; }
    *out = best;
    return s;
}

#define WINO_NAME "darkrt:winograd_f4x3"

/* The Winograd code is built for AVX-512 only; elsewhere oneDNN's direct convolution runs. */
int drt_cpu_wino_allowed(void) { return (drt_cpu_apply_isa_cap() & DRT_CPU_AVX512) != 0; }

typedef struct {
    cpu_state *st;
    const cpu_wino *wg;
    dnnl_memory_t scratch;
    float *src, *dst;
    int oh, ow;
} wino_run;

static int run_wino(void *arg)
{
    wino_run *r = arg;
    return drt_cpu_wino_run(r->st, r->wg, r->scratch, r->src, r->dst, r->oh, r->ow) != DRT_OK;
}

/* One scratchpad for all the runs, as time_conv: made in each run, it cost Winograd 1 ms of yolov3's 4-7
 * and two of its convs (2% of its latency). */
static double time_wino(cpu_state *st, int i, const cpu_wino *wg)
{
    const drt_layer *l = &st->m->layers[i];
    wino_run r = {st, wg, NULL, (float *)drt_cpu_view(st, DRT_XT(l->inputs[0])).p,
                  (float *)drt_cpu_view(st, drt_cpu_stored_tensor(st, i)).p, l->out.h, l->out.w};
    if (drt_cpu_wino_scratch(st, wg, &r.scratch) != DRT_OK) return 1e30;
    double best = fastest_ms(run_wino, &r);
    dnnl_memory_destroy(r.scratch);
    return best;
}

/* A conv computed by Winograd alone (a plan that chose it). */
static drt_status wino_only(cpu_state *st, int i, cpu_conv **out)
{
    cpu_conv *c = calloc(1, sizeof *c);
    if (!c) return drt_error(DRT_STATUS_OOM, "cpu engine: out of memory");
    drt_status s = drt_cpu_wino_create(st, i, &c->wino);
    if (s != DRT_OK) { free(c); return s; }
    c->impl_index = -1;
    snprintf(c->impl, sizeof c->impl, "%s", WINO_NAME);
    c->weight_bytes = drt_cpu_wino_weight_bytes(c->wino);
    if (drt_cpu_wino_scratch_bytes(c->wino) > st->scratch_bytes) st->scratch_bytes = drt_cpu_wino_scratch_bytes(c->wino);
    c->in_dt = c->out_dt = CPU_F32;
    *out = c;
    return DRT_OK;
}

/* DRT_CPU_WINOGRAD=auto (default: when tuning measures it faster than the direct conv),
 * force (every eligible layer) or off. */
static drt_status maybe_winograd(cpu_state *st, int i, cpu_conv *c)
{
    int force = st->opts.winograd == DRT_WINOGRAD_FORCE, off = st->opts.winograd == DRT_WINOGRAD_OFF;
    if (off || !st->wino_v || !drt_cpu_wino_allowed() || !drt_cpu_wino_eligible(st, i) || st->choice[i].impl[0]) return DRT_OK;
    if (!force && (!st->tune || c->ms <= 0)) return DRT_OK; /* auto needs the direct conv's measured time */
    cpu_wino *wg;
    if (drt_cpu_wino_create(st, i, &wg) != DRT_OK) return DRT_OK; /* keep the direct conv */
    double tw = force ? 0 : time_wino(st, i, wg);
    if (st->log && !force) /* what the choice weighs (bench/cpu-winograd.sh reads it) */
        fprintf(st->log, "layer %3d winograd %.3f ms, direct %.3f ms; weights %.2f MiB, direct %.2f MiB\n", i, tw, c->ms,
                drt_cpu_wino_weight_bytes(wg) / 1048576.0, c->weight_bytes / 1048576.0);
    /* its weights take 4x the memory: worth it only when clearly faster */
    if (!force && tw >= 0.9 * c->ms) { drt_cpu_wino_free(wg); return DRT_OK; }
    if (c->prim) dnnl_primitive_destroy(c->prim);
    if (c->wei) dnnl_memory_destroy(c->wei);
    c->prim = NULL;
    c->wei = NULL;
    c->wino = wg;
    c->ms = tw;
    c->impl_index = -1;
    snprintf(c->impl, sizeof c->impl, "%s", WINO_NAME);
    c->weight_bytes = drt_cpu_wino_weight_bytes(wg);
    if (drt_cpu_wino_scratch_bytes(wg) > st->scratch_bytes) st->scratch_bytes = drt_cpu_wino_scratch_bytes(wg);
    return DRT_OK;
}

#define DW8_NAME "darkrt:dw_int8:avx512_core_vnni"

/* Its vpdpbusd needs AVX-512 VNNI; byte equality is shown against oneDNN's VNNI tier (tests/unit/cpu-dw-int8.c). */
int drt_cpu_dw8_allowed(void) { return (drt_cpu_apply_isa_cap() & DRT_CPU_AVX512_VNNI) != 0; }

/* An int8 depthwise conv darkrt's kernel computes as oneDNN would (cpu-dw-int8-avx512.c): one input
 * channel per output channel, dense s8/u8 in, s8 or f32 out, no residual add, and a fused activation
 * oneDNN applies after the output scale (leaky, relu) or none. */
static int dw8_eligible(const cpu_state *st, int i, const conv_io *io, float dst_inv, cpu_dw8_desc *d)
{
    const drt_layer *l = &st->m->layers[i];
    const drt_xnode *x = &st->g->node[i];
    drt_shape in = drt_xgraph_shape(st->g, DRT_XT(l->inputs[0]));
    drt_act act = x->act_fused ? l->act : DRT_ACT_LINEAR;
    if (!st->dw8 || !drt_cpu_dw8_allowed() || st->choice[i].prec != DRT_PREC_INT8 || l->groups != l->filters ||
        l->groups != in.c || l->xnor || l->dilation > 1 || l->stride != l->stride_y || x->sum_from >= 0 || dst_inv != 1.f ||
        io->zp_src || io->zp_dst || /* its codes are s8, or u8 from 0 */
        (act != DRT_ACT_LINEAR && act != DRT_ACT_LEAKY && act != DRT_ACT_RELU))
        return 0;
    *d = (cpu_dw8_desc){.c = in.c, .h = in.h, .w = in.w, .oh = l->out.h, .ow = l->out.w, .k = l->size, .stride = l->stride,
                        .pad = l->pad, .in_dt = io->in_dt, .out_dt = io->out_dt, .act = act != DRT_ACT_LINEAR,
                        .alpha = act == DRT_ACT_LEAKY ? 0.1f : 0.f};
    return drt_cpu_dw8_fits(d);
}

typedef struct {
    const cpu_dw8 *k;
    const void *src;
    void *dst;
} dw8_run;

static int run_dw8(void *arg)
{
    dw8_run *r = arg;
    drt_cpu_dw8_run(r->k, r->src, r->dst);
    return 0;
}

static double time_dw8(cpu_state *st, int i, const cpu_conv *c)
{
    const drt_layer *l = &st->m->layers[i];
    void *src = c->in_temp ? st->tmp_in : drt_cpu_view(st, DRT_XT(l->inputs[0])).p;
    void *dst = c->out_temp ? st->tmp_out : drt_cpu_view(st, drt_cpu_stored_tensor(st, i)).p;
    dw8_run r = {c->dw8, src, dst};
    return fastest_ms(run_dw8, &r);
}

/* darkrt's int8 depthwise conv; when tuning, oneDNN's implementations are timed too and the fastest is kept
 * (they compute the same bytes). */
static drt_status dw8_conv(cpu_state *st, int i, const conv_io *io, const cpu_dw8_desc *d, const_dnnl_op_desc_t cd,
                           dnnl_primitive_attr_t attr, cpu_conv **out)
{
    cpu_conv *c = calloc(1, sizeof *c), *other = NULL;
    if (!c) return drt_error(DRT_STATUS_OOM, "cpu engine: out of memory");
    drt_status s = drt_cpu_dw8_create(d, io->wei_data, io->bias_data, io->oscale, &c->dw8);
    if (s != DRT_OK) {
        free(c);
        return s;
    }
    c->impl_index = -1;
    snprintf(c->impl, sizeof c->impl, "%s", DW8_NAME);
    c->weight_bytes = drt_cpu_dw8_weight_bytes(c->dw8);
    c->in_temp = io->in_temp;
    c->out_temp = io->out_temp;
    c->in_dt = io->in_dt;
    c->out_dt = io->out_dt;
    if (!st->tune || st->choice[i].impl[0]) {
        *out = c;
        return DRT_OK;
    }
    c->ms = time_dw8(st, i, c);
    if ((s = pick(st, i, io, cd, attr, &other)) != DRT_OK) {
        drt_cpu_conv_free(c);
        return s;
    }
    if (other->ms > 0 && other->ms < c->ms) {
        drt_cpu_conv_free(c);
        c = other;
    } else drt_cpu_conv_free(other);
    *out = c;
    return DRT_OK;
}

drt_status drt_cpu_conv_create(cpu_state *st, int i, cpu_conv **out)
{
    *out = NULL;
    const drt_layer *l = &st->m->layers[i];
    conv_io io = {0};
    dnnl_primitive_attr_t attr = NULL;
    dnnl_convolution_desc_t cd;
    float sum_scale = 1.f, dst_inv = 1.f;
    drt_cpu_conv_dtypes(st, i, &io.in_dt, &io.out_dt, &io.in_temp, &io.out_temp);
    drt_status s = prepare_io(st, i, &io, &sum_scale, &dst_inv);
    if (s == DRT_OK) s = make_attr(st, i, &io, sum_scale, dst_inv, &attr);
    if (s == DRT_OK) {
        int d = l->dilation > 1 ? l->dilation : 1; /* oneDNN counts dilation from 0 */
        int span = (l->size - 1) * d + 1;
        dnnl_dims_t strides = {l->stride_y, l->stride}, pad = {l->pad * d, l->pad * d}, dil = {d - 1, d - 1};
        drt_shape in = drt_xgraph_shape(st->g, DRT_XT(l->inputs[0]));
        dnnl_dims_t pad_r = {(l->out.h - 1) * l->stride_y + span - in.h - l->pad * d,
                             (l->out.w - 1) * l->stride + span - in.w - l->pad * d};
        dnnl_memory_desc_t wany;
        dnnl_memory_desc_init_by_tag(&wany, io.wei_user.ndims, io.wei_user.dims,
                                     st->choice[i].prec == DRT_PREC_BF16 ? dnnl_bf16 : io.wei_user.data_type,
                                     dnnl_format_tag_any);
        dnnl_status_t ds = dnnl_dilated_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct,
                                                                      &io.src, &wany, &io.bias, &io.dst, strides, dil, pad, pad_r);
        if (ds != dnnl_success)
            s = drt_error(DRT_STATUS_UNSUPPORTED, "cpu engine: layer %d: oneDNN refuses this convolution (status %d)", i, (int)ds);
    }
    int cached_wino = !strcmp(st->choice[i].impl, WINO_NAME) && drt_cpu_wino_allowed() && drt_cpu_wino_eligible(st, i);
    if (cached_wino && !st->wino_v) { /* its buffers were left out (activation budget): the direct conv runs */
        st->choice[i].impl[0] = '\0';
        cached_wino = 0;
    }
    if (!st->dw8 && !strcmp(st->choice[i].impl, DW8_NAME)) st->choice[i].impl[0] = '\0'; /* switched off: no warning */
    cpu_dw8_desc dw8;
    int use_dw8 = s == DRT_OK && !cached_wino && (!st->choice[i].impl[0] || !strcmp(st->choice[i].impl, DW8_NAME)) &&
                  dw8_eligible(st, i, &io, dst_inv, &dw8);
    if (s == DRT_OK && cached_wino) s = wino_only(st, i, out);
    else if (use_dw8) s = dw8_conv(st, i, &io, &dw8, &cd, attr, out);
    else if (s == DRT_OK) s = pick(st, i, &io, &cd, attr, out);
    if (s == DRT_OK && !(*out)->wino && !(*out)->dw8) s = maybe_winograd(st, i, *out);
    if (s == DRT_OK) {
        (*out)->prec = st->choice[i].prec;
        st->choice[i].impl_index = (*out)->impl_index;
        snprintf(st->choice[i].impl, sizeof st->choice[i].impl, "%s", (*out)->impl);
        st->features |= drt_cpu_features_of_impl((*out)->impl);
        (*out)->bias_unit = io.bias_unit;
        io.bias_unit = NULL;
    }
    if (attr) dnnl_primitive_attr_destroy(attr);
    free(io.oscale);
    free(io.bias_data);
    free(io.bias_unit);
    free(io.wei_data);
    return s;
}
