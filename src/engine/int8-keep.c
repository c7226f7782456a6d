/* Which convs an int8 engine runs in int8: the keep list and the CUDA engine's rule. */
#include "engine/int8-keep.h"

#include <stdlib.h>

int drt_int8_keep_listed(const char *keep, int i)
{
    for (const char *p = keep; p && *p; p++) {
        if ((p == keep || p[-1] == ',') && *p >= '0' && *p <= '9') {
            char *end;
            long v = strtol(p, &end, 10);
            if (v == i && (*end == ',' || *end == '\0')) return 1;
        }
    }
    return 0;
}

/* Activations stay fp16 and each int8 conv quantizes its input first, which only pays where the
 * conv's arithmetic dominates its input's bytes. Measured on the H100 (yolov3-416,
 * bench/results/gpu.md): int8 3x3 convs on 512 channels at 13x13 take 0.59x the fp16 time at
 * batch 32, while the 1x1 convs and the 32/64-channel 3x3 convs at 208x208 took 1.3-2.2x; this
 * rule recovers all but 0.02 ms of the best per-layer choice at batch 32. Heads stay fp16, as the
 * CPU engine keeps them in fp32: accuracy. */
int drt_int8_cuda_rule(const drt_model *m, int all, const char *keep, int i, int out)
{
    const drt_layer *l = &m->layers[i];
    if (l->type != DRT_LAYER_CONV || l->inputs[0] < 0 || l->groups != 1 || l->xnor || drt_int8_keep_listed(keep, i)) return 0;
    if (!all && (l->size != 3 || drt_model_input_shape(m, i).c < 128)) return 0;
    if (out < 0) out = i;
    for (int j = out + 1; j < m->n_layers; j++)
        if (m->layers[j].type == DRT_LAYER_YOLO && m->layers[j].inputs[0] == out) return 0;
    return 1;
}
