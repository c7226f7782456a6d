/* Pass fold-bn: folds batchnorm into each conv (w' = w * mul per output channel, bias' = add);
 * the backend scales the weights while laying them out, so no folded copy of the model is
 * kept. When off, the conv keeps its raw weights and the backend applies batchnorm after it; a
 * backend whose epilogue cannot do that (caps.epilogue_fixed) always folds. A standalone [batchnorm]
 * gets its coefficients too (bn_mul, bn_add; never folded into a conv: its own step in every engine). */
#include "graph/passes/passes.h"
#include "core/error.h"

#include <stdlib.h>
#include <string.h>

static drt_status bn_coeffs(const drt_xgraph *g, const drt_layer *l, float **mul_out, float **add_out)
{
    float *mul = malloc(sizeof(float) * (size_t)l->filters);
    float *add = malloc(sizeof(float) * (size_t)l->filters);
    if (!mul || !add) {
        free(mul);
        free(add);
        return drt_error(DRT_STATUS_OOM, "fold-bn: out of memory");
    }
    for (int f = 0; f < l->filters; f++)
        drt_bn_coeffs(g->m->bn, l->scales[f], l->rolling_mean[f], l->rolling_var[f], l->biases[f], &mul[f], &add[f]);
    *mul_out = mul;
    *add_out = add;
    return DRT_OK;
}

drt_status drt_pass_fold_bn(drt_xgraph *g)
{
    int on = drt_xgraph_pass_on(g, DRT_PASS_FOLD_BN) || g->caps.epilogue_fixed, n = 0;
    for (int i = 0; i < g->n; i++) {
        const drt_layer *l = &g->m->layers[i];
        drt_xnode *x = &g->node[i];
        if (x->live && l->type == DRT_LAYER_SHORTCUT && l->weights_type) { /* the weights as AlexeyAB's detector uses them */
            int step = (int)(l->n_weights / (size_t)l->n_inputs);
            if (!(x->bn_mul = malloc(sizeof(float) * l->n_weights))) return drt_error(DRT_STATUS_OOM, "fold-bn: out of memory");
            for (int k = 0; k < l->n_inputs; k++)
                for (int c = 0; c < step; c++) x->bn_mul[(size_t)k * step + c] = drt_shortcut_weight(l, k, c);
            continue;
        }
        if (x->live && l->type == DRT_LAYER_BATCHNORM) { /* a standalone [batchnorm]: its own step, y = x * mul + add */
            DRT_TRY(bn_coeffs(g, l, &x->bn_mul, &x->bn_add));
            continue;
        }
        if (!x->live || l->type != DRT_LAYER_CONV || !l->batch_normalize) continue;
        DRT_TRY(bn_coeffs(g, l, &x->bn_mul, &x->bn_add));
        x->bn_folded = on;
        n++;
    }
    if (on) drt_xgraph_logf(g, "pass fold-bn: batchnorm folded into %d conv(s) (%s formula)", n,
                            g->m->bn == DRT_BN_PJREDDIE ? "pjreddie" : "alexeyab");
    else drt_xgraph_logf(g, "pass fold-bn: off (%d conv(s) apply batchnorm separately)", n);
    return DRT_OK;
}
