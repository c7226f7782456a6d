/* The execution graph the passes rewrite: creation, tensor queries, the pass pipeline. */
#include "graph/passes/passes.h"
#include "core/error.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Tensor read by input k of layer i, or -1 when an earlier input of the layer reads it too (a layer
 * without listed inputs reads the one before it). */
static int input_tensor(const drt_layer *l, int i, int k)
{
    int t = DRT_XT(l->n_inputs > 0 ? l->inputs[k] : i - 1);
    for (int j = 0; j < k; j++)
        if (DRT_XT(l->inputs[j]) == t) return -1;
    return t;
}

/* The reader lists of every tensor, once: asking every layer for each tensor made building quadratic
 * in the layer count (20,000 layers: 13 s). */
static drt_status index_readers(drt_xgraph *g)
{
    size_t total = 0;
    for (int i = 0; i < g->n; i++) total += g->m->layers[i].n_inputs > 0 ? (size_t)g->m->layers[i].n_inputs : 1;
    g->reader_start = calloc((size_t)g->nt + 1, sizeof *g->reader_start);
    g->reader = malloc((total ? total : 1) * sizeof *g->reader);
    int *next = malloc((size_t)g->nt * sizeof *next);
    drt_status s = DRT_OK;
    if (!g->reader_start || !g->reader || !next) {
        s = drt_error(DRT_STATUS_OOM, "graph passes: out of memory");
        goto done;
    }
    for (int pass = 0; pass < 2; pass++) { /* count per tensor, then fill */
        for (int i = 0; i < g->n; i++) {
            const drt_layer *l = &g->m->layers[i];
            for (int k = 0; k < (l->n_inputs > 0 ? l->n_inputs : 1); k++) {
                int t = input_tensor(l, i, k);
                if (t < 0 || t >= g->nt) continue;
                if (pass) g->reader[next[t]++] = i;
                else g->reader_start[t + 1]++;
            }
        }
        for (int t = 0; !pass && t < g->nt; t++) {
            g->reader_start[t + 1] += g->reader_start[t];
            next[t] = g->reader_start[t];
        }
    }
done:
    free(next);
    return s;
}

drt_status drt_xgraph_create(const drt_model *m, unsigned passes_off, drt_xcaps caps, FILE *log,
                             drt_xgraph **g_out)
{
    *g_out = NULL;
    drt_xgraph *g = calloc(1, sizeof *g);
    if (!g) return drt_error(DRT_STATUS_OOM, "graph passes: out of memory");
    g->m = m;
    g->n = m->n_layers;
    g->nt = m->n_layers + 1;
    g->passes_off = passes_off;
    g->caps = caps;
    g->log = log;
    g->node = calloc((size_t)g->n + 1, sizeof *g->node);
    g->root = calloc((size_t)g->nt, sizeof *g->root);
    g->coff = calloc((size_t)g->nt, sizeof *g->coff);
    g->first = calloc((size_t)g->nt, sizeof *g->first);
    g->last = calloc((size_t)g->nt, sizeof *g->last);
    g->offset = calloc((size_t)g->nt, sizeof *g->offset);
    if (!g->node || !g->root || !g->coff || !g->first || !g->last || !g->offset) {
        drt_xgraph_free(g);
        return drt_error(DRT_STATUS_OOM, "graph passes: out of memory");
    }
    if (index_readers(g) != DRT_OK) {
        drt_xgraph_free(g);
        return DRT_STATUS_OOM;
    }
    for (int t = 0; t < g->nt; t++) g->root[t] = t;
    for (int i = 0; i < g->n; i++) {
        drt_xnode *x = &g->node[i];
        x->live = 1;
        x->sum_from = -1;
        x->absorbed_by = -1;
    }
    *g_out = g;
    return DRT_OK;
}

void drt_xgraph_free(drt_xgraph *g)
{
    if (!g) return;
    for (int i = 0; i < g->n; i++) {
        free(g->node[i].bn_mul);
        free(g->node[i].bn_add);
    }
    free(g->node);
    free(g->root);
    free(g->coff);
    free(g->first);
    free(g->last);
    free(g->offset);
    free(g->reader_start);
    free(g->reader);
    free(g);
}

drt_shape drt_xgraph_shape(const drt_xgraph *g, int t)
{
    if (t == 0) return (drt_shape){g->m->channels, g->m->height, g->m->width};
    return g->m->layers[t - 1].out;
}

int drt_xgraph_readers(const drt_xgraph *g, int t, int *readers, int max)
{
    int n = 0;
    for (int r = g->reader_start[t]; r < g->reader_start[t + 1]; r++) {
        int i = g->reader[r];
        if (!g->node[i].live) continue;
        if (n < max) readers[n] = i;
        n++;
    }
    return n;
}

int drt_xgraph_behind_identities(const drt_xgraph *g, int a, int reader, int *next_out)
{
    int readers[2];
    while (a >= 0 && g->node[a].identity &&
           (g->m->layers[a].type == DRT_LAYER_DROPOUT || g->m->layers[a].type == DRT_LAYER_BATCHNORM)) {
        if (drt_xgraph_readers(g, DRT_XT(a), readers, 2) != 1 || readers[0] != reader) return -1;
        reader = a;
        a = g->m->layers[a].inputs[0];
    }
    if (next_out) *next_out = reader;
    return a;
}

int drt_xgraph_dense(const drt_xgraph *g, int t)
{
    int r = g->root[t];
    return g->coff[t] == 0 && drt_xgraph_shape(g, t).c == drt_xgraph_shape(g, r).c;
}

int drt_xgraph_pass_on(const drt_xgraph *g, unsigned bit) { return !(g->passes_off & bit); }

drt_status drt_xcaps_check(const drt_xcaps *caps, const drt_model *m, drt_precision precision)
{
    const char *src = m->source ? m->source : "model";
    if ((unsigned)precision >= DRT_PREC_COUNT || !(caps->precisions & DRT_XBIT(precision))) {
        char have[64] = "";
        for (int p = 0; p < DRT_PREC_COUNT; p++)
            if (caps->precisions & DRT_XBIT(p))
                snprintf(have + strlen(have), sizeof have - strlen(have), "%s%s", *have ? ", " : "", drt_precision_name(p));
        return drt_error(DRT_STATUS_UNSUPPORTED, "%s: the %s engine does not compute %s (it builds %s)", src, caps->name,
                         drt_precision_name(precision), have);
    }
    for (int i = 0; i < m->n_layers; i++) {
        drt_layer_type t = m->layers[i].type;
        if ((unsigned)t >= DRT_LAYER_COUNT || !(caps->ops & DRT_XBIT(t)))
            return drt_error(DRT_STATUS_UNSUPPORTED, "%s: layer %d: [%s] is not supported by the %s engine (the ref engine runs every layer type)",
                             src, i, drt_layer_type_name(t), caps->name);
        if (t == DRT_LAYER_CONV && m->layers[i].dilation > 1 && !caps->conv_dilation)
            return drt_error(DRT_STATUS_UNSUPPORTED, "%s: layer %d: [convolutional] dilation=%d is not supported by the %s engine "
                             "(the ref, cpu and cuda engines run it)", src, i, m->layers[i].dilation, caps->name);
        if (t == DRT_LAYER_CONV && m->layers[i].xnor && !caps->conv_xnor)
            return drt_error(DRT_STATUS_UNSUPPORTED, "%s: layer %d: [convolutional] xnor=1 is not supported by the %s engine "
                             "(the ref, cpu and cuda engines run it)", src, i, caps->name);
    }
    return DRT_OK;
}

void drt_xgraph_logf(const drt_xgraph *g, const char *fmt, ...)
{
    if (!g->log) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(g->log, fmt, ap);
    va_end(ap);
    fputc('\n', g->log);
}

drt_status drt_xgraph_run_passes(drt_xgraph *g)
{
    DRT_TRY(drt_pass_dce(g));
    DRT_TRY(drt_pass_fold_bn(g));
    DRT_TRY(drt_pass_fuse_act(g));
    DRT_TRY(drt_pass_fuse_add(g));
    DRT_TRY(drt_pass_concat_inplace(g));
    DRT_TRY(drt_pass_upsample(g));
    return DRT_OK;
}
