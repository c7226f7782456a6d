/* Runs the compiled CPU engine on one image: each live layer's step in order, reading and
 * writing views of one run state's planned arena (the compiled state is only read). */
#include "backend/cpu/cpu.h"
#include "backend/ref/ref.h"
#include "graph/xnor.h"
#include "core/clock.h"
#include "core/error.h"

#include <stdio.h>

int drt_cpu_stored_tensor(const cpu_state *st, int i);

#define VIEW(t) drt_cpu_view_at(st, x->arena, (t))

static drt_status run_conv(const cpu_state *st, const cpu_exec *x, int i)
{
    const cpu_conv *c = st->conv[i];
    const drt_layer *l = &st->m->layers[i];
    const drt_xnode *nd = &st->g->node[i];
    if (c->in_temp) {
        cpu_view src = VIEW(DRT_XT(l->inputs[0]));
        cpu_view tmp = {x->tmp_in, src.c, src.h, src.w, src.c, c->in_dt, src.step, 0}; /* s8: no zero point */
        drt_cpu_copy_channels(&src, 0, &tmp);
        if (l->xnor) { /* xnor=1: the lowered conv reads the step of its input (an fp32 conv: in_dt f32) */
            float *v = (float *)x->tmp_in;
            for (size_t k = 0, n = drt_shape_size((drt_shape){src.c, src.h, src.w}); k < n; k++) v[k] = drt_xnor_step(v[k]);
        }
    }
    if (c->wino) {
        cpu_view src = VIEW(DRT_XT(l->inputs[0])), dst = VIEW(drt_cpu_stored_tensor(st, i));
        DRT_TRY(drt_cpu_wino_run_in(c->wino, x, i, (const float *)src.p, (float *)dst.p, l->out.h, l->out.w));
        return DRT_OK;
    }
    if (c->dw8) {
        void *src = c->in_temp ? x->tmp_in : VIEW(DRT_XT(l->inputs[0])).p;
        drt_cpu_dw8_run(c->dw8, src, c->out_temp ? x->tmp_out : VIEW(drt_cpu_stored_tensor(st, i)).p);
    } else {
        dnnl_exec_arg_t args[DRT_CPU_CONV_ARGS];
        int n = drt_cpu_conv_args(c, x->src[i], x->dst[i], x->scratch, args);
        dnnl_status_t ds = dnnl_primitive_execute(c->prim, x->stream, n, args);
        if (ds != dnnl_success) return drt_error(DRT_STATUS_INTERNAL, "cpu engine: layer %d: convolution failed (oneDNN status %d)", i, (int)ds);
        dnnl_stream_wait(x->stream);
    }
    if (c->out_temp) {
        cpu_view dst = VIEW(drt_cpu_stored_tensor(st, i));
        cpu_view tmp = {x->tmp_out, dst.c, dst.h, dst.w, dst.c, c->out_dt, 1.f, 0};
        cpu_view old = nd->sum_from >= 0 ? VIEW(nd->sum_from) : dst; /* the addend, as it was quantized */
        drt_cpu_add_into(&tmp, nd->sum_from >= 0 ? &old : NULL, &dst, nd->sum_from >= 0 ? nd->sum_act : DRT_ACT_LINEAR);
    }
    drt_act act = nd->act_fused ? DRT_ACT_LINEAR : l->act;
    int bn = nd->bn_mul && !nd->bn_folded;
    if (bn || act != DRT_ACT_LINEAR) {
        cpu_view v = VIEW(DRT_XT(i));
        drt_cpu_bn_act(bn ? nd->bn_mul : NULL, nd->bn_add, act, &v);
    }
    return DRT_OK;
}

static void run_route(const cpu_state *st, const cpu_exec *x, int i)
{
    const drt_layer *l = &st->m->layers[i];
    int t = DRT_XT(i), c = 0;
    cpu_view out = VIEW(t);
    for (int k = 0; k < l->n_inputs; k++) {
        int u = DRT_XT(l->inputs[k]);
        cpu_view in = VIEW(u);
        int part = in.c / l->route_groups;
        int placed = st->g->root[u] == st->g->root[t] && st->g->coff[u] == st->g->coff[t] + c;
        if (!placed) {
            cpu_view o = out;
            o.p += (size_t)c * cpu_dtype_size(out.dt);
            o.c = part;
            drt_cpu_copy_channels(&in, part * l->route_group_id, &o);
        }
        c += part;
    }
}

static int head_index(const drt_engine *e, int layer)
{
    for (int h = 0; h < e->n_heads; h++)
        if (e->head_layers[h] == layer) return h;
    return -1;
}

/* YOLOv1's [local]: no oneDNN primitive has unshared weights; the reference kernel on float NCHW copies in the
 * run state's conversion buffers (alloc_temps sizes them for it). */
static void run_local(const cpu_exec *x, const drt_layer *l, const cpu_view *in, const cpu_view *out)
{
    drt_shape is = {in->c, in->h, in->w};
    float *nchw_in = (float *)x->tmp_in, *nchw_out = (float *)x->tmp_out;
    drt_cpu_head(in, nchw_in);
    drt_ref_local(l, is, nchw_in, nchw_out);
    drt_cpu_input(nchw_out, out);
}

/* Layer i's recurrent state as stored between images (fp32, dense). */
static cpu_view state_view(const cpu_state *st, const cpu_exec *x, int i)
{
    drt_shape s = st->m->layers[i].out;
    return (cpu_view){.p = (char *)x->states.val[i], .c = s.c, .h = s.h, .w = s.w, .cs = s.c, .dt = CPU_F32, .step = 1.f};
}

/* Layer i's output, just computed, is the next image's value of the state it feeds (if any). */
static void store_state(const cpu_state *st, const cpu_exec *x, int i)
{
    int s = drt_states_into(&x->states, i);
    if (s < 0) return;
    cpu_view from = VIEW(DRT_XT(i)), to = state_view(st, x, s);
    drt_cpu_copy_channels(&from, 0, &to);
}

static drt_status run_layer(cpu_state *st, cpu_exec *x, const drt_engine *e, float *const *heads, int i, int b)
{
    const drt_layer *l = &st->m->layers[i];
    const drt_xnode *nd = &st->g->node[i];
    int t = DRT_XT(i);
    cpu_view in = VIEW(DRT_XT(l->inputs[0])), out = VIEW(t);
    switch (l->type) {
    case DRT_LAYER_CONV: DRT_TRY(run_conv(st, x, i)); break;
    case DRT_LAYER_MAXPOOL: drt_cpu_maxpool(l, &in, &out); break;
    case DRT_LAYER_UPSAMPLE: drt_cpu_upsample(l->stride, &in, &out); break;
    case DRT_LAYER_ROUTE: if (!nd->identity) run_route(st, x, i); break;
    case DRT_LAYER_DROPOUT: if (!nd->identity) drt_cpu_copy_channels(&in, 0, &out); break;
    case DRT_LAYER_SHORTCUT:
        if (drt_shortcut_multi(l)) { /* fold-bn's normalized weights, [input][1 or c] */
            cpu_view ins[DRT_MAX_INPUTS];
            for (int k = 0; k < l->n_inputs; k++) ins[k] = VIEW(DRT_XT(l->inputs[k]));
            drt_cpu_wsum(l->n_inputs, ins, nd->bn_mul, l->weights_type == 2 ? l->out.c : 1, l->act, &out);
        } else if (nd->absorbed_by < 0) {
            cpu_view from = VIEW(DRT_XT(l->inputs[1]));
            drt_cpu_shortcut(l->act, &in, &from, &out);
        }
        break;
    case DRT_LAYER_AVGPOOL: drt_cpu_avgpool(&in, &out); break;
    case DRT_LAYER_LOCAL_AVGPOOL: drt_cpu_local_avgpool(l, &in, &out); break;
    case DRT_LAYER_IMPLICIT: { /* its weights, converted into the output's dtype */
        cpu_view w = {.p = (char *)l->weights, .c = l->filters, .h = 1, .w = 1, .cs = l->filters, .dt = CPU_F32, .step = 1.f};
        drt_cpu_copy_channels(&w, 0, &out);
        break;
    }
    case DRT_LAYER_BATCHNORM: /* fold-bn's coefficients, unless folded into the layer before (an identity) */
        if (!nd->identity) drt_cpu_affine(nd->bn_mul, nd->bn_add, &in, &out);
        break;
    case DRT_LAYER_ACTIVATION: drt_cpu_add_into(&in, NULL, &out, l->act); break; /* out = act(in), any dtypes */
    case DRT_LAYER_REORG3D: drt_cpu_reorg3d(l->stride, &in, &out); break;
    case DRT_LAYER_REORG: drt_cpu_reorg(l->stride, &in, &out); break;
    case DRT_LAYER_LOCAL: run_local(x, l, &in, &out); break;
    case DRT_LAYER_STATE: { /* reads nothing: the state stored after the last image (zeros at first) */
        cpu_view v = state_view(st, x, i);
        drt_cpu_copy_channels(&v, 0, &out);
        break;
    }
    case DRT_LAYER_SCALE_CHANNELS:
    case DRT_LAYER_SAM: {
        cpu_view from = VIEW(DRT_XT(l->inputs[1]));
        drt_cpu_product(l->act, l->type == DRT_LAYER_SCALE_CHANNELS, &in, &from, &out);
        break;
    }
    case DRT_LAYER_YOLO: {
        int h = heads ? head_index(e, i) : -1;
        if (h >= 0) drt_cpu_head(&in, heads[h] + drt_shape_size(in.c ? (drt_shape){in.c, in.h, in.w} : l->out) * (size_t)b);
        return DRT_OK;
    }
    default: return drt_error(DRT_STATUS_UNSUPPORTED, "cpu engine: layer %d: unsupported type", i);
    }
    if (st->observe && x->observed && !nd->identity && !(l->type == DRT_LAYER_SHORTCUT && nd->absorbed_by >= 0)) {
        int ts = l->type == DRT_LAYER_CONV ? drt_cpu_stored_tensor(st, i) : t;
        cpu_view v = VIEW(ts);
        st->observe(st, ts, &v, st->observe_ctx);
    }
    return DRT_OK;
}

drt_status drt_cpu_run_image(cpu_state *st, cpu_exec *x, const drt_engine *e, float *const *heads, const float *input, int b)
{
    return drt_cpu_run_image_until(st, x, e, heads, input, b, st->g->n - 1);
}

/* input (NULL: none) into tensor 0, then layers first..last */
static drt_status run_range(cpu_state *st, cpu_exec *x, const drt_engine *e, float *const *heads, const float *input, int b,
                            int first, int last)
{
    int own = x == &st->own; /* profiling times the engine's own runs only */
    if (input) {
        cpu_view in = VIEW(0);
        drt_cpu_input(input, &in);
        if (st->observe && x->observed) st->observe(st, 0, &in, st->observe_ctx);
    }
    double t0 = st->prof_ms && own ? drt_clock_ms(st->prof_cpu) : 0;
    for (int i = first; i <= last && i < st->g->n; i++) {
        if (!st->g->node[i].live) continue;
        DRT_TRY(run_layer(st, x, e, heads, i, b));
        store_state(st, x, i);
        if (st->prof_ms && own) {
            double t = drt_clock_ms(st->prof_cpu);
            st->prof_ms[i] += t - t0;
            t0 = t;
        }
    }
    return DRT_OK;
}

drt_status drt_cpu_run_image_until(cpu_state *st, cpu_exec *x, const drt_engine *e, float *const *heads, const float *input,
                                   int b, int last)
{
    DRT_TRY(run_range(st, x, e, heads, input, b, 0, last));
    if (x == &st->own) st->prof_runs++;
    return DRT_OK;
}

drt_status drt_cpu_run_layers(cpu_state *st, cpu_exec *x, const float *input, int first, int last)
{
    return run_range(st, x, NULL, NULL, input, 0, first, last);
}
