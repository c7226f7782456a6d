/* A run state's recurrent ([crnn]) states and the map from each layer to the state it feeds (states.h). */
#include "graph/states.h"
#include "core/error.h"

#include <stdlib.h>
#include <string.h>

drt_status drt_states_alloc(const drt_model *m, drt_states *out)
{
    memset(out, 0, sizeof *out);
    if (drt_model_first_state(m) < 0) return DRT_OK;
    size_t n = (size_t)(out->n = m->n_layers);
    int ok = (out->val = calloc(n, sizeof *out->val)) && (out->into = malloc(n * sizeof *out->into));
    for (int i = 0; ok && i < m->n_layers; i++) out->into[i] = -1;
    for (int i = 0; ok && i < m->n_layers; i++)
        if (m->layers[i].type == DRT_LAYER_STATE) { /* drt_model_infer_shapes: state_from is a later layer feeding no other state */
            out->into[m->layers[i].state_from] = i;
            ok = (out->val[i] = calloc(drt_shape_size(m->layers[i].out), sizeof(float))) != NULL;
        }
    if (ok) return DRT_OK;
    drt_states_free(out);
    return drt_error(DRT_STATUS_OOM, "%s: out of memory for the recurrent states", m->source ? m->source : "model");
}

void drt_states_reset(const drt_model *m, const drt_states *s)
{
    for (int i = 0; s->val && i < m->n_layers; i++)
        if (s->val[i]) memset(s->val[i], 0, drt_shape_size(m->layers[i].out) * sizeof(float));
}

void drt_states_free(drt_states *s)
{
    for (int i = 0; s->val && i < s->n; i++) free(s->val[i]);
    free(s->val);
    free(s->into);
    memset(s, 0, sizeof *s);
}
