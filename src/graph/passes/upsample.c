/* Pass upsample: nearest upsampling is planned as row replication (each input row is expanded
 * once, then copied stride-1 times), and writes into its route in place when concat-inplace
 * allowed it; this pass reports what each upsample does. */
#include "graph/passes/passes.h"

drt_status drt_pass_upsample(drt_xgraph *g)
{
    int n = 0, inplace = 0;
    for (int i = 0; i < g->n; i++) {
        const drt_layer *l = &g->m->layers[i];
        if (!g->node[i].live || l->type != DRT_LAYER_UPSAMPLE) continue;
        n++;
        int t = DRT_XT(i);
        if (g->root[t] != t) inplace++;
        drt_xgraph_logf(g, "pass upsample: layer %d x%d by row replication%s", i, l->stride,
                        g->root[t] != t ? ", into its route's buffer" : "");
    }
    drt_xgraph_logf(g, "pass upsample: %d upsample(s), %d writing into a concat", n, inplace);
    return DRT_OK;
}
