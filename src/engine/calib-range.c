/* int8 calibration of signed ranges (drt_engine_opts.int8_activations asym): a u8 code with a zero point spans
 * [lo, hi] where s8 spans [-max|x|, max|x|]. The smallest and largest values are measured with the thresholds
 * (calib.c's observe); here they become ranges a code can take. */
#include "engine/calib.h"
#include "core/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

drt_status drt_calibrate_ranges(const drt_model *m, const drt_calib *c, const float *steps, float **ranges_out)
{
    int nt = m->n_layers + 1;
    float *r = malloc(sizeof(float) * 2 * (size_t)nt);
    *ranges_out = NULL;
    if (!r) return drt_error(DRT_STATUS_OOM, "calibration: out of memory");
    /* [lo, hi] holds 0 (a zero must be exact: padding, relu); clipped as the tensor's threshold clips |x|;
     * never stored: [0, 0] */
    for (int t = 0; t < nt; t++) {
        float thr = steps[t] * 127.f, lo = c->range[2 * t] < 0 ? c->range[2 * t] : 0.f,
              hi = c->range[2 * t + 1] > 0 ? c->range[2 * t + 1] : 0.f;
        r[2 * t] = lo > -thr ? lo : -thr;
        r[2 * t + 1] = hi < thr ? hi : thr;
        if (!(r[2 * t] < r[2 * t + 1])) r[2 * t] = r[2 * t + 1] = 0.f;
    }
    *ranges_out = r;
    return DRT_OK;
}

/* Ranges with drt_calib_layer_thresholds's gaps filled (drt_calib_fill_gaps), each then holding 0 and clipped to its
 * threshold thr[t]; where nothing was measured, [-thr, thr]. */
drt_status drt_calib_layer_ranges(const drt_model *m, const drt_calib *c, const float *thr, float **ranges_out)
{
    int nt = m->n_layers + 1;
    float *r = malloc(sizeof(float) * 2 * (size_t)nt);
    *ranges_out = NULL;
    if (!r) return drt_error(DRT_STATUS_OOM, "calibration: out of memory");
    memcpy(r, c->range, sizeof(float) * 2 * (size_t)nt);
    drt_calib_fill_gaps(m, r);
    for (int t = 0; t < nt; t++) {
        float *o = r + 2 * t, lo = o[0] <= o[1] ? fminf(o[0], 0.f) : -thr[t], hi = o[0] <= o[1] ? fmaxf(o[1], 0.f) : thr[t];
        o[0] = fmaxf(lo, -thr[t]);
        o[1] = fminf(hi, thr[t]);
    }
    *ranges_out = r;
    return DRT_OK;
}
