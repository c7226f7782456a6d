/* Helpers shared by the tests/unit/ref-*.c programs: build tiny models by hand, run the
 * reference pass keeping every layer, compare with expected values. */
#ifndef REF_UTIL_H
#define REF_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/ref/ref.h"
#include "core/error.h"
#include "unit/check.h"


/* got[i] must equal want[i] within 1e-5 relative (1e-5 absolute below 1). */
static inline void expect(const char *what, const float *got, const double *want, int n)
{
    for (int i = 0; i < n; i++) {
        double tol = 1e-5 * fmax(1.0, fabs(want[i]));
        if (!(fabs(got[i] - want[i]) <= tol)) {
            printf("FAIL %s: [%d] = %.9g, want %.9g\n", what, i, got[i], want[i]);
            failures++;
            return;
        }
    }
    printf("ok %s\n", what);
}

static inline drt_model *new_model(int c, int h, int w, int n_layers)
{
    drt_model *m;
    if (drt_model_alloc(n_layers, &m) != DRT_OK) { printf("alloc failed\n"); exit(1); }
    m->channels = c;
    m->height = h;
    m->width = w;
    return m;
}

static inline drt_layer *add_conv(drt_model *m, int i, int src, int filters, int size, int stride, int pad,
                                  int groups, int bn, drt_act act)
{
    drt_layer *l = &m->layers[i];
    *l = (drt_layer){.type = DRT_LAYER_CONV, .n_inputs = 1, .inputs = {src}, .filters = filters, .size = size,
                     .stride = stride, .pad = pad, .groups = groups, .batch_normalize = bn, .act = act};
    return l;
}

static inline drt_layer *add_layer(drt_model *m, int i, drt_layer_type t, int src)
{
    drt_layer *l = &m->layers[i];
    *l = (drt_layer){.type = t, .n_inputs = 1, .inputs = {src}, .route_groups = 1};
    return l;
}

/* Shapes and (zeroed) parameters; exits on a setup error (a bug in the test). */
static inline void finish_model(drt_model *m)
{
    drt_status s = drt_model_infer_shapes(m);
    if (s == DRT_OK) s = drt_model_alloc_params(m);
    if (s != DRT_OK) { printf("model setup failed: %s\n", drt_last_error()); exit(1); }
}

/* Runs with every layer's output kept; free with free_run. */
static inline float **run_all(const drt_model *m, const float *x)
{
    float **outs = calloc((size_t)m->n_layers, sizeof *outs);
    drt_status s = drt_ref_forward(m, x, outs, NULL, 1);
    if (s != DRT_OK) { printf("forward failed: %s\n", drt_last_error()); exit(1); }
    return outs;
}

static inline void free_run(drt_model *m, float **outs)
{
    drt_ref_free_outputs(m, outs);
    free(outs);
    drt_model_free(m);
}

/* Deterministic values in [-1, 1). */
static inline float test_rand(unsigned *state)
{
    *state = *state * 1664525u + 1013904223u;
    return (float)((*state >> 8) * (1.0 / 8388608.0)) - 1.f;
}

#endif
