/* Pass fold-bn: folds batchnorm into each conv (w' = w * mul per output channel, bias' = add);
 * the backend scales the weights while laying them out, so no folded copy of the model is
 * kept. When off, the conv keeps its raw weights and the backend applies batchnorm after it; a
 * backend whose epilogue cannot do that (caps.epilogue_fixed) always folds. A standalone [batchnorm]
 * gets its coefficients too (bn_mul, bn_add); when folding is on and it reads a linear conv (or another
 * standalone [batchnorm]) that nothing else reads, possibly through identities (dropout, [batchnorm]s already
 * folded), its coefficients are composed into that layer's (mul = mul1 * mul2, add = add1 * mul2 + add2) and it
 * becomes an identity, an alias of that layer's output, as dropout is. */
#include "graph/passes/passes.h"
#include "graph/xnor.h"
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

/* An xnor=1 conv's y = conv(step(x)) x mean|w'| + b' (xnor.h), its batchnorm inside, applied after the conv. */
static drt_status xnor_coeffs(const drt_xgraph *g, const drt_layer *l, float **mul_out, float **add_out)
{
    size_t k = l->n_weights / (size_t)l->filters;
    float *mul = malloc(sizeof(float) * (size_t)l->filters), *add = malloc(sizeof(float) * (size_t)l->filters);
    float *sign = malloc(sizeof(float) * (k ? k : 1));
    int ok = mul && add && sign;
    for (int f = 0; ok && f < l->filters; f++) mul[f] = drt_xnor_filter(g->m->bn, l, f, sign, &add[f]);
    free(sign);
    if (!ok) {
        free(mul);
        free(add);
        return drt_error(DRT_STATUS_OOM, "fold-bn: out of memory");
    }
    *mul_out = mul;
    *add_out = add;
    return DRT_OK;
}

/* The layer a standalone [batchnorm] b folds into: a linear conv or an unfolded [batchnorm] whose output only
 * b reads (through identities, each read only by the next), owning its buffer; -1: none. */
static int fold_target(const drt_xgraph *g, int b)
{
    int next, a = drt_xgraph_behind_identities(g, g->m->layers[b].inputs[0], b, &next), readers[2];
    if (a < 0 || drt_xgraph_readers(g, DRT_XT(a), readers, 2) != 1 || readers[0] != next || g->root[DRT_XT(a)] != DRT_XT(a))
        return -1;
    const drt_layer *l = &g->m->layers[a];
    return (l->type == DRT_LAYER_CONV && l->act == DRT_ACT_LINEAR && !l->xnor) || l->type == DRT_LAYER_BATCHNORM ? a : -1;
}

/* Composes [batchnorm] b's y = x * mul + add into layer a's coefficients and makes b an alias of a's output. */
static drt_status fold_standalone(drt_xgraph *g, int a, int b)
{
    const drt_layer *la = &g->m->layers[a];
    drt_xnode *xa = &g->node[a], *xb = &g->node[b];
    int n = la->filters;
    if (!xa->bn_mul) { /* a conv without batchnorm: y = conv(x) + biases */
        xa->bn_mul = malloc(sizeof(float) * (size_t)n);
        xa->bn_add = malloc(sizeof(float) * (size_t)n);
        if (!xa->bn_mul || !xa->bn_add) return drt_error(DRT_STATUS_OOM, "fold-bn: out of memory");
        for (int f = 0; f < n; f++) {
            xa->bn_mul[f] = 1.f;
            xa->bn_add[f] = la->biases[f];
        }
    }
    for (int f = 0; f < n; f++) {
        xa->bn_mul[f] *= xb->bn_mul[f];
        xa->bn_add[f] = xa->bn_add[f] * xb->bn_mul[f] + xb->bn_add[f];
    }
    if (la->type == DRT_LAYER_CONV) xa->bn_folded = 1;
    free(xb->bn_mul);
    free(xb->bn_add);
    xb->bn_mul = xb->bn_add = NULL;
    xb->identity = 1;
    int bt = DRT_XT(b), at = DRT_XT(a);
    for (int t = 0; t < g->nt; t++) /* b and whatever already aliases it (a dropout after it) */
        if (g->root[t] == bt) {
            g->root[t] = g->root[at];
            g->coff[t] = g->coff[at];
        }
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
        if (x->live && l->type == DRT_LAYER_CONV && l->xnor) { /* never folded: its lowered conv's integer sums are exact */
            DRT_TRY(xnor_coeffs(g, l, &x->bn_mul, &x->bn_add));
            continue;
        }
        if (!x->live || l->type != DRT_LAYER_CONV || !l->batch_normalize) continue;
        DRT_TRY(bn_coeffs(g, l, &x->bn_mul, &x->bn_add));
        x->bn_folded = on;
        n++;
    }
    int standalone = 0;
    for (int b = 0; on && b < g->n; b++) {
        if (!g->node[b].live || g->m->layers[b].type != DRT_LAYER_BATCHNORM) continue;
        int a = fold_target(g, b);
        if (a < 0) continue;
        DRT_TRY(fold_standalone(g, a, b));
        standalone++;
        drt_xgraph_logf(g, "pass fold-bn: [batchnorm] %d folded into layer %d (%s)", b, a, drt_layer_type_name(g->m->layers[a].type));
    }
    if (on) drt_xgraph_logf(g, "pass fold-bn: batchnorm folded into %d conv(s) (%s formula), %d standalone [batchnorm](s) folded", n,
                            g->m->bn == DRT_BN_PJREDDIE ? "pjreddie" : "alexeyab", standalone);
    else drt_xgraph_logf(g, "pass fold-bn: off (%d conv(s) apply batchnorm separately)", n);
    return DRT_OK;
}
