/* Pass fuse-act: moves each conv's activation into its epilogue (oneDNN eltwise post-op). Needs
 * batchnorm folded (the activation comes after batchnorm). Always on for a backend whose epilogue
 * always applies it (caps.epilogue_fixed). */
#include "graph/passes/passes.h"

drt_status drt_pass_fuse_act(drt_xgraph *g)
{
    if (!drt_xgraph_pass_on(g, DRT_PASS_FUSE_ACT) && !g->caps.epilogue_fixed) {
        drt_xgraph_logf(g, "pass fuse-act: off");
        return DRT_OK;
    }
    int fused = 0, linear = 0, blocked = 0;
    for (int i = 0; i < g->n; i++) {
        const drt_layer *l = &g->m->layers[i];
        drt_xnode *x = &g->node[i];
        if (!x->live || l->type != DRT_LAYER_CONV) continue;
        if (l->act == DRT_ACT_LINEAR) { linear++; continue; }
        if ((x->bn_mul && !x->bn_folded) || (g->caps.acts_separate & (1u << l->act))) { blocked++; continue; }
        x->act_fused = 1;
        fused++;
    }
    drt_xgraph_logf(g, "pass fuse-act: %d activation(s) fused into conv epilogues, %d conv(s) linear%s", fused, linear,
                    blocked ? ", some left separate: batchnorm not folded or no epilogue form" : "");
    return DRT_OK;
}
