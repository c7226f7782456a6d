/* drt_calib_fill_gaps (src/engine/calib.c), the one rule both drt_calib_layer_thresholds (every int8 conv's step on
 * CUDA) and drt_calib_layer_ranges (its zero points) fill what the calibrating CPU engine never stored by: a layer
 * graph conv0 -> conv1 -> shortcut(1, 0) -> route(0, 2) -> conv4 where conv1 (absorbed by the shortcut) and the route
 * (a concat written in place) were never stored: conv1 takes the shortcut's threshold and range, the route the
 * largest threshold and the union of the ranges of its inputs; what was stored stays; ranges hold 0 and are clipped
 * to their thresholds. */
#include "engine/calib.h"
#include "graph/model.h"
#include "unit/check.h"

#include <math.h>
#include <stdlib.h>

int main(void)
{
    drt_model *m = NULL;
    CHECK(drt_model_alloc(5, &m) == DRT_OK && m, "drt_model_alloc");
    if (!m) return DONE();
    drt_layer_type types[5] = {DRT_LAYER_CONV, DRT_LAYER_CONV, DRT_LAYER_SHORTCUT, DRT_LAYER_ROUTE, DRT_LAYER_CONV};
    int inputs[5][2] = {{-1, 0}, {0, 0}, {1, 0}, {0, 2}, {3, 0}}, n_inputs[5] = {1, 1, 2, 2, 1};
    for (int i = 0; i < 5; i++) {
        m->layers[i].type = types[i];
        m->layers[i].n_inputs = n_inputs[i];
        for (int j = 0; j < n_inputs[i]; j++) m->layers[i].inputs[j] = inputs[i][j];
    }
    /* tensors t = layer + 1; 0: the input. Never stored: threshold 0, range [+inf, -inf]. */
    float thr[6] = {1, 4, 0, 6, 0, 3};
    float range[12] = {0, 1, -0.5f, 4, INFINITY, -INFINITY, -0.2f, 6, INFINITY, -INFINITY, 0.5f, 2};
    drt_calib c = {.thr = thr, .range = range};
    float *t = NULL, *r = NULL;
    CHECK(drt_calib_layer_thresholds(m, &c, &t) == DRT_OK && t, "thresholds");
    CHECK(t && drt_calib_layer_ranges(m, &c, t, &r) == DRT_OK && r, "ranges");
    if (t && r) {
        float want_t[6] = {1, 4, 6, 6, 6, 3};
        float want_r[12] = {0, 1, -0.5f, 4, -0.2f, 6, -0.2f, 6, -0.5f, 6, 0, 2};
        for (int k = 0; k < 6; k++)
            CHECK(t[k] == want_t[k], "tensor %d: threshold %g, want %g", k, t[k], want_t[k]);
        for (int k = 0; k < 6; k++)
            CHECK(r[2 * k] == want_r[2 * k] && r[2 * k + 1] == want_r[2 * k + 1], "tensor %d: range [%g, %g], want [%g, %g]", k,
                  r[2 * k], r[2 * k + 1], want_r[2 * k], want_r[2 * k + 1]);
    }
    free(t);
    free(r);
    drt_model_free(m);
    return DONE();
}
