/* int8 calibration of signed ranges (drt_engine_opts.int8_activations asym): a u8 code with a zero point spans
 * [lo, hi] where s8 spans [-max|x|, max|x|]. The smallest and largest values are measured with the thresholds
 * (calib.c's observe); here they become ranges a code can take. */
#include "engine/calib.h"
#include "core/error.h"

#include <stdlib.h>

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
