/* Pass concat-inplace: a route of one whole input becomes an alias of it; for a route of
 * several inputs, each producer that can write a channel slice writes straight into the
 * route's buffer, so the route copies only what is left. */
#include "graph/passes/passes.h"

#define MAXR 64

/* Tensor t owns its buffer, shared at most with the conv whose epilogue writes it (a fused shortcut
 * that reads a residual): the whole buffer can move into a concat. */
static int owns_buffer(const drt_xgraph *g, int t)
{
    int writer = t > 0 ? g->node[t - 1].absorbed_by : -1;
    for (int u = 0; u < g->nt; u++)
        if (u != t && g->root[u] == t && !(writer >= 0 && !g->caps.add_in_place && u == DRT_XT(writer))) return 0;
    return g->root[t] == t;
}

/* Producer p may be placed at a channel offset of another buffer. */
static const char *why_not(const drt_xgraph *g, int p)
{
    if (p < 0) return "the network input";
    const drt_layer *l = &g->m->layers[p];
    if (l->type == DRT_LAYER_CONV && g->node[p].sum_from >= 0) return "a conv adding in place";
    if (!(g->caps.slice_writers & DRT_XBIT(l->type)) || g->node[p].identity)
        return "its producer cannot write a channel slice";
    if (!owns_buffer(g, DRT_XT(p))) return "its buffer is shared";
    int readers[MAXR], n = drt_xgraph_readers(g, DRT_XT(p), readers, MAXR);
    if (n > MAXR) return "too many readers";
    for (int k = 0; k < n; k++)
        if (g->m->layers[readers[k]].type == DRT_LAYER_CONV && !g->caps.conv_reads_slice)
            return "a conv reads it";
    return NULL;
}

/* Moves p's buffer (p and whatever shares it) to channel offset c of the route's buffer. */
static void place(drt_xgraph *g, int p, int route, int c)
{
    int pt = DRT_XT(p), rt = DRT_XT(route);
    for (int u = 0; u < g->nt; u++)
        if (u != pt && g->root[u] == pt) {
            g->root[u] = g->root[rt];
            g->coff[u] = g->coff[rt] + c;
        }
    g->root[pt] = g->root[rt];
    g->coff[pt] = g->coff[rt] + c;
}

/* Other tensors live in t's buffer: a conv that fuse-add made add into it in place (and its shortcut). */
static int hosts_others(const drt_xgraph *g, int t)
{
    for (int u = 0; u < g->nt; u++)
        if (u != t && g->root[u] == t) return 1;
    return 0;
}

static void alias_routes(drt_xgraph *g, int *aliased)
{
    for (int i = 0; i < g->n; i++) {
        const drt_layer *l = &g->m->layers[i];
        if (!g->node[i].live || l->type != DRT_LAYER_ROUTE || l->n_inputs != 1 || l->route_groups != 1) continue;
        if (hosts_others(g, DRT_XT(i))) { /* fuse-add checked the copy's readers, not its source's */
            drt_xgraph_logf(g, "pass concat-inplace: route %d kept a copy: a fused shortcut adds into it in place", i);
            continue;
        }
        int s = DRT_XT(l->inputs[0]);
        g->node[i].identity = 1;
        g->root[DRT_XT(i)] = g->root[s];
        g->coff[DRT_XT(i)] = g->coff[s];
        (*aliased)++;
    }
}

drt_status drt_pass_concat_inplace(drt_xgraph *g)
{
    if (!drt_xgraph_pass_on(g, DRT_PASS_CONCAT_INPLACE)) {
        drt_xgraph_logf(g, "pass concat-inplace: off");
        return DRT_OK;
    }
    int aliased = 0, placed = 0, copied = 0;
    alias_routes(g, &aliased);
    for (int i = 0; i < g->n; i++) {
        const drt_layer *l = &g->m->layers[i];
        if (!g->node[i].live || l->type != DRT_LAYER_ROUTE || l->n_inputs < 2 || l->route_groups != 1) continue;
        int c = 0;
        for (int k = 0; k < l->n_inputs; k++) {
            int p = l->inputs[k];
            int dup = 0;
            for (int j = 0; j < k; j++) dup |= l->inputs[j] == p;
            const char *why = dup ? "listed twice" : why_not(g, p);
            if (!why) {
                place(g, p, i, c);
                placed++;
                drt_xgraph_logf(g, "pass concat-inplace: route %d: layer %d writes channels %d.. in place", i, p, c);
            } else {
                copied++;
                drt_xgraph_logf(g, "pass concat-inplace: route %d: layer %d copied (%s)", i, p, why);
            }
            c += drt_xgraph_shape(g, DRT_XT(p)).c;
        }
    }
    drt_xgraph_logf(g, "pass concat-inplace: %d single-input route(s) made aliases, %d concat input(s) written in place, %d copied",
                    aliased, placed, copied);
    return DRT_OK;
}
