/* A run state's recurrent ([crnn]) states, for the engines that keep them on the host (ref, cpu). */
#ifndef DRT_GRAPH_STATES_H
#define DRT_GRAPH_STATES_H

#include "graph/model.h"

/* val[i]: state layer i's values (drt_shape_size(out) floats, each engine's layout, zeros at the start of a
 * sequence), NULL for other layers. into[i]: the state layer whose next value is layer i's output, or -1; built
 * once here, so a run stores its states without searching the layers. Both NULL for a model without state. */
typedef struct drt_states {
    float **val;
    int *into;
    int n; /* layers */
} drt_states;

/* Zeroed states of a stateful model (nothing for another); free with drt_states_free, also after a failure. */
drt_status drt_states_alloc(const drt_model *model, drt_states *out);
/* Every state back to zeros: the start of a sequence. */
void drt_states_reset(const drt_model *model, const drt_states *states);
void drt_states_free(drt_states *states);

/* The state layer that layer i's output becomes after this image, or -1 (also for NULL states). */
static inline int drt_states_into(const drt_states *s, int i) { return s && s->into ? s->into[i] : -1; }

#endif
