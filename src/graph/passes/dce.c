/* Pass dce: drops layers no [yolo] head depends on, and turns dropout (identity at inference)
 * into an alias of its input. */
#include "graph/passes/passes.h"
#include "core/error.h"

#include <stdlib.h>

static int input_of(const drt_layer *l, int i, int k) { return l->n_inputs > 0 ? l->inputs[k] : i - 1; }

drt_status drt_pass_dce(drt_xgraph *g)
{
    if (!drt_xgraph_pass_on(g, DRT_PASS_DCE)) {
        drt_xgraph_logf(g, "pass dce: off");
        return DRT_OK;
    }
    const drt_model *m = g->m;
    int heads = 0;
    for (int i = 0; i < g->n; i++) heads += m->layers[i].type == DRT_LAYER_YOLO;
    if (heads) {
        for (int i = 0; i < g->n; i++) g->node[i].live = m->layers[i].type == DRT_LAYER_YOLO;
        for (int i = g->n - 1; i >= 0; i--) {
            if (!g->node[i].live) continue;
            const drt_layer *l = &m->layers[i];
            int nin = l->n_inputs > 0 ? l->n_inputs : 1;
            for (int k = 0; k < nin; k++) {
                int s = input_of(l, i, k);
                if (s >= 0) g->node[s].live = 1;
            }
        }
    }
    int dead = 0, ident = 0;
    for (int i = 0; i < g->n; i++) {
        const drt_layer *l = &m->layers[i];
        if (!g->node[i].live) {
            dead++;
            drt_xgraph_logf(g, "pass dce: layer %d (%s) removed: no head depends on it", i, drt_layer_type_name(l->type));
            continue;
        }
        if (l->type == DRT_LAYER_DROPOUT) {
            int s = DRT_XT(input_of(l, i, 0));
            g->node[i].identity = 1;
            g->root[DRT_XT(i)] = g->root[s];
            g->coff[DRT_XT(i)] = g->coff[s];
            ident++;
        }
    }
    drt_xgraph_logf(g, "pass dce: %d dead layer(s) removed, %d dropout layer(s) made identities", dead, ident);
    return DRT_OK;
}
