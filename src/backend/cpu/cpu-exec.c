/* Runs the compiled CPU engine on one image: each live layer's step in order, reading and
 * writing views of the planned arena. */
#include "backend/cpu/cpu.h"
#include "core/error.h"

#include <stdio.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int drt_cpu_stored_tensor(const cpu_state *st, int i);

static drt_status run_conv(cpu_state *st, int i)
{
    cpu_conv *c = st->conv[i];
    const drt_layer *l = &st->m->layers[i];
    const drt_xnode *x = &st->g->node[i];
    if (c->in_temp) {
        cpu_view src = drt_cpu_view(st, DRT_XT(l->inputs[0]));
        cpu_view tmp = {st->tmp_in, src.c, src.h, src.w, src.c, c->in_dt, src.step};
        drt_cpu_copy_channels(&src, 0, &tmp);
    }
    if (c->wino) {
        cpu_view src = drt_cpu_view(st, DRT_XT(l->inputs[0])), dst = drt_cpu_view(st, drt_cpu_stored_tensor(st, i));
        DRT_TRY(drt_cpu_wino_run(st, c->wino, (const float *)src.p, (float *)dst.p, l->out.h, l->out.w));
        return DRT_OK;
    }
    dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, c->src}, {DNNL_ARG_WEIGHTS, c->wei}, {DNNL_ARG_BIAS, c->bias},
                              {DNNL_ARG_DST, c->dst}, {DNNL_ARG_SCRATCHPAD, st->scratch}};
    dnnl_status_t ds = dnnl_primitive_execute(c->prim, st->stream, 5, args);
    if (ds != dnnl_success) return drt_error(DRT_STATUS_INTERNAL, "cpu engine: layer %d: convolution failed (oneDNN status %d)", i, (int)ds);
    dnnl_stream_wait(st->stream);
    if (c->out_temp) {
        cpu_view dst = drt_cpu_view(st, drt_cpu_stored_tensor(st, i));
        cpu_view tmp = {st->tmp_out, dst.c, dst.h, dst.w, dst.c, c->out_dt, 1.f};
        cpu_view old = x->sum_from >= 0 ? drt_cpu_view(st, x->sum_from) : dst; /* the addend, as it was quantized */
        drt_cpu_add_into(&tmp, x->sum_from >= 0 ? &old : NULL, &dst, x->sum_from >= 0 ? x->sum_act : DRT_ACT_LINEAR);
    }
    drt_act act = x->act_fused ? DRT_ACT_LINEAR : l->act;
    int bn = x->bn_mul && !x->bn_folded;
    if (bn || act != DRT_ACT_LINEAR) {
        cpu_view v = drt_cpu_view(st, DRT_XT(i));
        drt_cpu_bn_act(bn ? x->bn_mul : NULL, x->bn_add, act, &v);
    }
    return DRT_OK;
}

static void run_route(cpu_state *st, int i)
{
    const drt_layer *l = &st->m->layers[i];
    int t = DRT_XT(i), c = 0;
    cpu_view out = drt_cpu_view(st, t);
    for (int k = 0; k < l->n_inputs; k++) {
        int u = DRT_XT(l->inputs[k]);
        cpu_view in = drt_cpu_view(st, u);
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

static drt_status run_layer(cpu_state *st, drt_engine *e, int i, int b)
{
    const drt_layer *l = &st->m->layers[i];
    const drt_xnode *x = &st->g->node[i];
    int t = DRT_XT(i);
    cpu_view in = drt_cpu_view(st, DRT_XT(l->inputs[0])), out = drt_cpu_view(st, t);
    switch (l->type) {
    case DRT_LAYER_CONV: DRT_TRY(run_conv(st, i)); break;
    case DRT_LAYER_MAXPOOL: drt_cpu_maxpool(l, &in, &out); break;
    case DRT_LAYER_UPSAMPLE: drt_cpu_upsample(l->stride, &in, &out); break;
    case DRT_LAYER_ROUTE: if (!x->identity) run_route(st, i); break;
    case DRT_LAYER_DROPOUT: if (!x->identity) drt_cpu_copy_channels(&in, 0, &out); break;
    case DRT_LAYER_SHORTCUT:
        if (x->absorbed_by < 0) {
            cpu_view from = drt_cpu_view(st, DRT_XT(l->inputs[1]));
            drt_cpu_shortcut(l->act, &in, &from, &out);
        }
        break;
    case DRT_LAYER_YOLO: {
        int h = e ? head_index(e, i) : -1;
        if (h >= 0 && e) drt_cpu_head(&in, e->heads[h] + drt_shape_size(in.c ? (drt_shape){in.c, in.h, in.w} : l->out) * (size_t)b);
        return DRT_OK;
    }
    default: return drt_error(DRT_STATUS_UNSUPPORTED, "cpu engine: layer %d: unsupported type", i);
    }
    if (st->observe && !x->identity && !(l->type == DRT_LAYER_SHORTCUT && x->absorbed_by >= 0)) {
        int ts = l->type == DRT_LAYER_CONV ? drt_cpu_stored_tensor(st, i) : t;
        cpu_view v = drt_cpu_view(st, ts);
        st->observe(st, ts, &v, st->observe_ctx);
    }
    return DRT_OK;
}

drt_status drt_cpu_run_image(cpu_state *st, drt_engine *e, const float *input, int b)
{
    cpu_view in = drt_cpu_view(st, 0);
    drt_cpu_input(input, &in);
    if (st->observe) st->observe(st, 0, &in, st->observe_ctx);
    double t0 = st->prof_ms ? now_ms() : 0;
    for (int i = 0; i < st->g->n; i++) {
        if (!st->g->node[i].live) continue;
        DRT_TRY(run_layer(st, e, i, b));
        if (st->prof_ms) {
            double t = now_ms();
            st->prof_ms[i] += t - t0;
            t0 = t;
        }
    }
    st->prof_runs++;
    return DRT_OK;
}
