/* Pass fuse-add: a shortcut whose "previous" input is a conv read by nothing else (possibly
 * through identities such as dropout) becomes that conv's epilogue, so the shortcut does no work.
 * caps.add_in_place (CPU): the conv adds its result into the "from" tensor's buffer in place (oneDNN's
 * sum post-op) and allocates nothing; else (CUDA) the epilogue reads "from" as a residual and
 * writes the shortcut's buffer, which the conv's output then shares. */
#include "graph/passes/passes.h"

#define MAXR 64

static void reroot(drt_xgraph *g, int old_root, int new_root)
{
    for (int t = 0; t < g->nt; t++)
        if (g->root[t] == old_root) {
            g->root[t] = new_root;
            g->coff[t] = g->coff[new_root];
        }
}

/* Every reader of every tensor sharing from's buffer runs before the conv, except the shortcut. */
static int buffer_free_after(const drt_xgraph *g, int from_t, int conv, int shortcut)
{
    int r = g->root[from_t], readers[MAXR];
    for (int t = 0; t < g->nt; t++) {
        if (g->root[t] != r) continue;
        int n = drt_xgraph_readers(g, t, readers, MAXR);
        if (n > MAXR) return 0;
        for (int k = 0; k < n; k++)
            if (readers[k] >= conv && readers[k] != shortcut) return 0;
    }
    return 1;
}

static const char *why_not(const drt_xgraph *g, int s)
{
    const drt_layer *l = &g->m->layers[s];
    if (drt_shortcut_multi(l)) return "weighted or multi-input";
    int a = drt_xgraph_behind_identities(g, l->inputs[0], s, NULL), f = l->inputs[1], readers[2];
    if (a < 0 || g->m->layers[a].type != DRT_LAYER_CONV) return "previous is not a conv";
    const drt_xnode *x = &g->node[a];
    if (drt_xgraph_readers(g, DRT_XT(a), readers, 2) != 1 || (readers[0] != s && !g->node[readers[0]].identity))
        return "the conv's output has other readers";
    if (x->bn_mul && !x->bn_folded) return "the conv's batchnorm (or xnor scale) is not folded";
    if (g->m->layers[a].act != DRT_ACT_LINEAR && !x->act_fused) return "the conv's activation is not fused";
    if (f == a) return "from is the conv itself (x + x)";
    if (x->sum_from >= 0) return "the conv already fuses an add";
    if (g->caps.acts_separate & (1u << l->act)) return "the shortcut's activation has no epilogue form";
    if (g->root[DRT_XT(a)] != DRT_XT(a)) return "the conv's output is placed elsewhere";
    drt_shape sa = g->m->layers[a].out, sf = drt_xgraph_shape(g, DRT_XT(f));
    if (sa.c != sf.c || sa.h != sf.h || sa.w != sf.w) return "shapes differ";
    if (!g->caps.add_in_place) return NULL; /* the residual is only read */
    if (f < 0) return "from is the network input";
    if (!drt_xgraph_dense(g, DRT_XT(f))) return "from is a slice of another buffer";
    if (!buffer_free_after(g, DRT_XT(f), a, s)) return "from is still read after the conv";
    return NULL;
}

drt_status drt_pass_fuse_add(drt_xgraph *g)
{
    if (!drt_xgraph_pass_on(g, DRT_PASS_FUSE_ADD)) {
        drt_xgraph_logf(g, "pass fuse-add: off");
        return DRT_OK;
    }
    int fused = 0, kept = 0;
    for (int s = 0; s < g->n; s++) {
        const drt_layer *l = &g->m->layers[s];
        if (!g->node[s].live || l->type != DRT_LAYER_SHORTCUT) continue;
        const char *why = why_not(g, s);
        if (why) {
            kept++;
            drt_xgraph_logf(g, "pass fuse-add: shortcut %d kept: %s", s, why);
            continue;
        }
        int a = drt_xgraph_behind_identities(g, l->inputs[0], s, NULL), f = l->inputs[1];
        g->node[a].sum_from = DRT_XT(f);
        g->node[a].sum_act = l->act;
        g->node[s].absorbed_by = a;
        int r = g->caps.add_in_place ? g->root[DRT_XT(f)] : DRT_XT(s);
        reroot(g, DRT_XT(a), r);
        reroot(g, DRT_XT(s), r);
        fused++;
    }
    drt_xgraph_logf(g, "pass fuse-add: %d shortcut(s) fused into conv epilogues (%s), %d kept", fused,
                    g->caps.add_in_place ? "adding in place" : "reading a residual", kept);
    return DRT_OK;
}
