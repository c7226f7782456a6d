/* The reference pass over a whole network for one image: one output buffer per layer, each
 * freed after its last reader (or kept, for debugging). */
#include "backend/ref/ref.h"
#include "core/error.h"

#include <stdlib.h>
#include <string.h>

static const char *src_name(const drt_model *m) { return m->source ? m->source : "model"; }

drt_status drt_ref_check_model(const drt_model *m)
{
    for (int i = 0; i < m->n_layers; i++) {
        const drt_layer *l = &m->layers[i];
        if ((unsigned)l->type >= DRT_LAYER_COUNT || l->n_inputs < 1 || l->n_inputs > DRT_MAX_INPUTS)
            return drt_error(DRT_STATUS_INVALID_ARG, "%s: layer %d: invalid (shapes not inferred?)", src_name(m), i);
        for (int k = 0; k < l->n_inputs; k++) {
            int s = l->inputs[k];
            if (s < -1 || s >= i)
                return drt_error(DRT_STATUS_INVALID_ARG, "%s: layer %d: input %d is not an earlier layer", src_name(m), i, s);
            if (s >= 0 && m->layers[s].type == DRT_LAYER_YOLO)
                return drt_error(DRT_STATUS_UNSUPPORTED, "%s: layer %d (%s) reads the [yolo] layer %d: the reference engine does not compute [yolo] outputs",
                                 src_name(m), i, drt_layer_type_name(l->type), s);
        }
        if (((l->type == DRT_LAYER_CONV || l->type == DRT_LAYER_IMPLICIT || l->type == DRT_LAYER_LOCAL ||
              (l->type == DRT_LAYER_SHORTCUT && l->weights_type)) &&
             !l->weights) || (l->type == DRT_LAYER_BATCHNORM && !l->biases))
            return drt_error(DRT_STATUS_INVALID_ARG, "%s: layer %d: convolution without parameters", src_name(m), i);
    }
    return DRT_OK;
}

/* last[j]: the last layer reading layer j's output; n_layers when a [yolo] layer reads it
 * (a head: kept), -1 when nothing does. */
static void last_readers(const drt_model *m, int *last)
{
    for (int i = 0; i < m->n_layers; i++) last[i] = -1;
    for (int i = 0; i < m->n_layers; i++) {
        const drt_layer *l = &m->layers[i];
        for (int k = 0; k < l->n_inputs; k++) {
            int s = l->inputs[k];
            if (s < 0) continue;
            int until = l->type == DRT_LAYER_YOLO ? m->n_layers : i;
            if (until > last[s]) last[s] = until;
        }
    }
}

static size_t work_floats(const drt_model *m)
{
    size_t most = 1;
    for (int i = 0; i < m->n_layers; i++) {
        const drt_layer *l = &m->layers[i];
        if (l->type != DRT_LAYER_CONV) continue;
        drt_shape in = drt_model_input_shape(m, i);
        size_t n = l->xnor ? drt_ref_xnor_work_floats(l, in) : drt_ref_conv_work_floats(l, in);
        if (n > most) most = n;
    }
    return most;
}

static drt_shape shape_of(const drt_model *m, int src)
{
    return src < 0 ? (drt_shape){m->channels, m->height, m->width} : m->layers[src].out;
}

/* Computes layer i into y. */
static void run_layer(const drt_model *m, int i, const float *input, float *const *outs, const drt_states *states, float *y,
                      float *work)
{
    const drt_layer *l = &m->layers[i];
    const float *xs[DRT_MAX_INPUTS];
    drt_shape shapes[DRT_MAX_INPUTS];
    for (int k = 0; k < l->n_inputs; k++) {
        xs[k] = l->inputs[k] < 0 ? input : outs[l->inputs[k]];
        shapes[k] = shape_of(m, l->inputs[k]);
    }
    switch (l->type) {
    case DRT_LAYER_CONV:
        if (l->xnor) drt_ref_xnor(l, m->bn, shapes[0], xs[0], y, work);
        else drt_ref_conv(l, m->bn, shapes[0], xs[0], y, work);
        break;
    case DRT_LAYER_MAXPOOL: drt_ref_maxpool(l, shapes[0], xs[0], y); break;
    case DRT_LAYER_UPSAMPLE: drt_ref_upsample(l, shapes[0], xs[0], y); break;
    case DRT_LAYER_ROUTE: drt_ref_route(l, shapes, xs, y); break;
    case DRT_LAYER_SHORTCUT:
        if (drt_shortcut_multi(l)) drt_ref_shortcut_multi(l, shapes, xs, y);
        else drt_ref_shortcut(l, shapes[0], xs[0], shapes[1], xs[1], y);
        break;
    case DRT_LAYER_IMPLICIT: memcpy(y, l->weights, drt_shape_size(l->out) * sizeof(float)); break;
    case DRT_LAYER_DROPOUT: memcpy(y, xs[0], drt_shape_size(l->out) * sizeof(float)); break;
    case DRT_LAYER_REORG: drt_ref_reorg(l, shapes[0], xs[0], y); break;
    case DRT_LAYER_AVGPOOL: drt_ref_avgpool(shapes[0], xs[0], y); break;
    case DRT_LAYER_LOCAL_AVGPOOL: drt_ref_local_avgpool(l, shapes[0], xs[0], y); break;
    case DRT_LAYER_BATCHNORM: drt_ref_batchnorm(l, m->bn, xs[0], y); break;
    case DRT_LAYER_ACTIVATION:
        for (size_t k = 0; k < drt_shape_size(l->out); k++) y[k] = drt_act_apply(l->act, xs[0][k]);
        break;
    case DRT_LAYER_REORG3D: drt_ref_reorg3d(l, shapes[0], xs[0], y); break;
    case DRT_LAYER_LOCAL: drt_ref_local(l, shapes[0], xs[0], y); break;
    case DRT_LAYER_SCALE_CHANNELS:
    case DRT_LAYER_SAM: drt_ref_product(l, xs[0], xs[1], y); break;
    case DRT_LAYER_STATE: /* reads nothing: the state stored after the last image, or zeros */
        if (states && states->val) memcpy(y, states->val[i], drt_shape_size(l->out) * sizeof(float));
        else memset(y, 0, drt_shape_size(l->out) * sizeof(float));
        break;
    default: break;
    }
}

drt_status drt_ref_forward(const drt_model *m, const float *input, float **outs, const drt_states *states, int keep_all)
{
    DRT_TRY(drt_ref_check_model(m));
    drt_status s = DRT_OK;
    int *last = malloc(sizeof(int) * (size_t)(m->n_layers ? m->n_layers : 1));
    float *work = malloc(sizeof(float) * work_floats(m));
    if (!last || !work) {
        s = drt_error(DRT_STATUS_OOM, "%s: reference pass: out of memory for its workspace", src_name(m));
        goto done;
    }
    last_readers(m, last);
    for (int i = 0; i < m->n_layers; i++) {
        const drt_layer *l = &m->layers[i];
        if (l->type == DRT_LAYER_YOLO) continue;
        float *y = malloc(sizeof(float) * drt_shape_size(l->out));
        if (!y) {
            s = drt_error(DRT_STATUS_OOM, "%s: reference pass: out of memory for layer %d (%dx%dx%d)", src_name(m), i,
                          l->out.c, l->out.h, l->out.w);
            goto done;
        }
        run_layer(m, i, input, outs, states, y, work);
        int into = drt_states_into(states, i); /* the next image's value of the state it feeds */
        if (into >= 0) memcpy(states->val[into], y, drt_shape_size(l->out) * sizeof(float));
        outs[i] = y;
        if (keep_all) continue;
        for (int k = 0; k < l->n_inputs; k++) {
            int src = l->inputs[k];
            if (src >= 0 && last[src] == i) {
                free(outs[src]);
                outs[src] = NULL;
            }
        }
        if (last[i] < 0) {
            free(outs[i]);
            outs[i] = NULL;
        }
    }
done:
    free(last);
    free(work);
    return s;
}

void drt_ref_activation_bytes(const drt_model *m, size_t *peak_out, size_t *naive_out)
{
    *peak_out = *naive_out = 0;
    int *last = malloc(sizeof(int) * (size_t)(m->n_layers ? m->n_layers : 1));
    if (!last) return;
    last_readers(m, last);
    size_t live = 0;
    for (int i = 0; i < m->n_layers; i++) {
        const drt_layer *l = &m->layers[i];
        if (l->type == DRT_LAYER_YOLO) continue;
        size_t bytes = sizeof(float) * drt_shape_size(l->out);
        *naive_out += bytes;
        live += bytes;
        if (live > *peak_out) *peak_out = live;
        for (int k = 0; k < l->n_inputs; k++) {
            int src = l->inputs[k];
            /* the same input listed twice is freed once */
            int first = 1;
            for (int q = 0; q < k; q++) first &= l->inputs[q] != src;
            if (src >= 0 && last[src] == i && first) live -= sizeof(float) * drt_shape_size(m->layers[src].out);
        }
        if (last[i] < 0) live -= bytes;
    }
    free(last);
}

void drt_ref_free_outputs(const drt_model *m, float **outs)
{
    for (int i = 0; i < m->n_layers; i++) {
        free(outs[i]);
        outs[i] = NULL;
    }
}
