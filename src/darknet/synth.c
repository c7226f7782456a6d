/* Deterministic synthetic weights: the same seed gives the same bytes on every machine
 * (integer PRNG, uniform draws, no libm beyond correctly rounded sqrt). */
#include "graph/model.h"
#include "core/error.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

typedef struct rng {
    uint64_t state;
} rng;

/* splitmix64 (Steele, Lea, Flood 2014). */
static uint64_t next_u64(rng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi): 24 random bits, exact in double, one rounding to float. */
static float uniform(rng *r, double lo, double hi)
{
    double u = (double)(next_u64(r) >> 40) * (1.0 / 16777216.0);
    return (float)(lo + (hi - lo) * u);
}

static void fill(rng *r, float *p, size_t n, double lo, double hi)
{
    for (size_t i = 0; i < n; i++) p[i] = uniform(r, lo, hi);
}

/* The conv whose output a [shortcut] adds as its previous layer: the end of a residual branch. */
static int ends_residual_branch(const drt_model *m, int i)
{
    for (int j = i + 1; j < m->n_layers; j++)
        if (m->layers[j].type == DRT_LAYER_SHORTCUT && m->layers[j].inputs[0] == i) return 1;
    return 0;
}

drt_status drt_model_synth_weights(drt_model *m, uint64_t seed)
{
    DRT_ARG(m, "model");
    if (!m->params) DRT_TRY(drt_model_alloc_params(m));
    rng r = {seed};
    for (int i = 0; i < m->n_layers; i++) {
        drt_layer *l = &m->layers[i];
        if (l->type == DRT_LAYER_BATCHNORM) { /* a [batchnorm] layer: the conv's batchnorm ranges */
            size_t c = (size_t)l->filters;
            fill(&r, l->biases, c, -0.1, 0.1);
            fill(&r, l->scales, c, 0.5, 1.5);
            fill(&r, l->rolling_mean, c, -0.1, 0.1);
            fill(&r, l->rolling_var, c, 0.5, 1.5);
            continue;
        }
        if (l->type == DRT_LAYER_IMPLICIT || l->type == DRT_LAYER_SHORTCUT) { /* an implicit factor near 1; positive
                                                                                shortcut weights (relu and lrelu agree) */
            fill(&r, l->weights, l->n_weights, l->type == DRT_LAYER_IMPLICIT ? 0.5 : 0.1, l->type == DRT_LAYER_IMPLICIT ? 1.5 : 1.0);
            continue;
        }
        if (l->type == DRT_LAYER_LOCAL) { /* a bias per output value; He per pixel's own c x size x size taps */
            size_t outs = drt_shape_size(l->out);
            fill(&r, l->biases, outs, -0.1, 0.1);
            double a = sqrt(6.0 * (double)outs / (double)l->filters / (double)(l->n_weights ? l->n_weights : 1));
            fill(&r, l->weights, l->n_weights, -a, a);
            continue;
        }
        if (l->type != DRT_LAYER_CONV || l->share || l->fixed) continue; /* shared: its source's; fixed: built in */
        size_t f = (size_t)l->filters;
        fill(&r, l->biases, f, -0.1, 0.1);
        if (l->batch_normalize) {
            fill(&r, l->scales, f, 0.5, 1.5);
            fill(&r, l->rolling_mean, f, -0.1, 0.1);
            fill(&r, l->rolling_var, f, 0.5, 1.5); /* positive, never tiny */
        }
        /* He: std sqrt(2 / fan_in); a uniform of that std spans +-sqrt(6 / fan_in). */
        size_t fan_in = l->n_weights / f;
        double a = sqrt(6.0 / (double)(fan_in ? fan_in : 1));
        if (ends_residual_branch(m, i)) a *= 0.25;
        fill(&r, l->weights, l->n_weights, -a, a);
    }
    m->has_weights = 1;
    return DRT_OK;
}

/* Scales every detection head conv's weights and biases by scale (its box coordinates' by scale x box_scale), then
 * adds shift to the objectness and class biases of every anchor. Synthesised weights score nearly every cell: on the tiny models objectness
 * and class logits of std 0.5-2 give 300 boxes an image at 0.25 in a band of scores 0.1 wide, on yolov3
 * logits of std 10-25 give 300 at exactly 1.0 (ties), so which boxes are kept is decided deep in a dense
 * distribution and any rounding (int8's) swaps them. Scale brings the logits to std ~1 (no ties), a
 * negative shift leaves only the upper tail at 0.25: a few boxes an image, as trained weights give
 * (bench/int8-models.sh). Box logits of that std still give boxes 384 x 4.6 px (exp(tw), exp(th) far from 1),
 * whose IoU any rounding of y halves: box_scale < 1 keeps them near their anchors' shapes (session 19: the bf16
 * control on yolov7-tiny 0.79 -> 0.99 at 0.1). A [region]'s softmax ignores the class shift. */
drt_status drt_model_synth_head(drt_model *m, float scale, float shift, float box_scale)
{
    DRT_ARG(m, "model");
    for (int i = 0; i < m->n_layers; i++) {
        const drt_layer *y = &m->layers[i];
        if (y->type != DRT_LAYER_YOLO || y->detection) continue; /* YOLOv1's [detection]: no anchors */
        int k = y->inputs[0], per = y->classes + (y->gaussian ? 9 : 5), at = y->gaussian ? 8 : 4;
        drt_layer *c = k >= 0 ? &m->layers[k] : NULL;
        if (!c || c->type != DRT_LAYER_CONV || c->share || c->batch_normalize || c->filters != y->n_mask * per)
            return drt_error(DRT_STATUS_UNSUPPORTED, "%s: [yolo] line %d: its input is not a conv of %d filters without "
                             "batchnorm: no head logits to scale and shift", m->source ? m->source : "model", y->line,
                             y->n_mask * per);
        size_t per_filter = c->n_weights / (size_t)c->filters;
        for (int f = 0; f < c->filters; f++) {
            float s = f % per < at ? scale * box_scale : scale; /* the first `at` of each anchor: its box */
            for (size_t w = 0; w < per_filter; w++) c->weights[(size_t)f * per_filter + w] *= s;
            c->biases[f] *= s;
        }
        for (int a = 0; a < y->n_mask; a++)
            for (int j = 0; j <= y->classes; j++) c->biases[a * per + at + j] += shift;
    }
    return DRT_OK;
}
