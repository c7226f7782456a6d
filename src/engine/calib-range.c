/* int8 calibration of signed ranges (drt_engine_opts.int8_activations asym): each tensor's smallest and
 * largest value over the calibration images, on the calibrating backend's fp32 engine, as calib.c's
 * thresholds are measured; a u8 code with a zero point spans [lo, hi] where s8 spans [-max|x|, max|x|]. */
#include "engine/calib.h"
#include "backend/registry.h"
#include "core/error.h"

#include <math.h>
#include <stdlib.h>

static void observe_range(void *ctx, int t, const drt_tensor_view *v)
{
    float *r = (float *)ctx + 2 * (size_t)t, lo = r[0], hi = r[1];
    for (size_t px = 0; px < (size_t)v->h * v->w; px++)
        for (int k = 0; k < v->c; k++) {
            float x = v->p[px * v->cs + k];
            lo = x < lo ? x : lo; /* comparisons: a NaN is skipped */
            hi = x > hi ? x : hi;
        }
    r[0] = lo;
    r[1] = hi;
}

drt_status drt_calibrate_ranges(const drt_model *m, const drt_engine_opts *opts, const float *inputs, int n,
                                const float *steps, float **ranges_out)
{
    *ranges_out = NULL;
    drt_engine e;
    DRT_TRY(drt_calib_engine_init(m, opts, &e));
    const drt_backend *b = e.backend;
    int nt = m->n_layers + 1;
    float *r = malloc(sizeof(float) * 2 * (size_t)nt);
    if (!r) return drt_error(DRT_STATUS_OOM, "calibration: out of memory");
    for (int t = 0; t < nt; t++) r[2 * t] = INFINITY, r[2 * t + 1] = -INFINITY;
    drt_status s = b->create(&e, NULL, 0);
    int created = s == DRT_OK;
    size_t per = (size_t)m->channels * m->width * m->height;
    for (int k = 0; s == DRT_OK && k < n; k++) s = b->run_observed(&e, inputs + per * k, observe_range, r);
    if (created) b->destroy(&e);
    /* [lo, hi] holds 0 (a zero must be exact: padding, relu); clipped as the tensor's threshold clips |x|;
     * never stored: [0, 0] */
    for (int t = 0; s == DRT_OK && t < nt; t++) {
        float thr = steps[t] * 127.f, lo = r[2 * t] < 0 ? r[2 * t] : 0.f, hi = r[2 * t + 1] > 0 ? r[2 * t + 1] : 0.f;
        r[2 * t] = lo > -thr ? lo : -thr;
        r[2 * t + 1] = hi < thr ? hi : thr;
        if (!(r[2 * t] < r[2 * t + 1])) r[2 * t] = r[2 * t + 1] = 0.f;
    }
    if (s != DRT_OK) {
        free(r);
        return s;
    }
    *ranges_out = r;
    return DRT_OK;
}
