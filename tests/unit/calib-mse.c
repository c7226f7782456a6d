/* --calib-method mse (src/engine/calib.c): the clip it picks from a tensor's |x| histogram has the least
 * squared quantization error (rounding to clip / 127 below it, clipping above), checked against the
 * error computed on the values themselves at every clip the search tries (multiples of 8 bins from
 * 128 up):
 * - a million values spread over [0, 1) and one at 50: the clip chosen is within 2% of the least error
 *   over the clips tried (7.8: clipping the one value costs less than rounding a million to steps of
 *   50 / 127; below it the steps cost more), an error a sixth of the maximum's; max keeps 50;
 * - the million values alone: within 2% of the least error, and below the maximum (the top 1% of
 *   values cost less clipped than the finer steps gain). The histogram has bins of 1/2048 of the
 *   maximum and scores their centres: hence the 2%. */
#include "engine/calib.h"
#include "unit/check.h"

#include <math.h>
#include <stdlib.h>

#define N 1000000

/* Squared error of int8 quantization with this clip over the values. */
static double error_at(const float *v, int n, double clip)
{
    double step = clip / 127, e = 0;
    for (int k = 0; k < n; k++) {
        double q = v[k] < clip ? nearbyint(v[k] / step) * step : clip;
        e += (v[k] - q) * (v[k] - q);
    }
    return e;
}

static void check_case(const char *name, const float *v, int n)
{
    float amax = 0;
    for (int k = 0; k < n; k++) amax = fmaxf(amax, v[k]);
    uint32_t *h = calloc(DRT_CALIB_BINS, sizeof *h);
    for (int k = 0; k < n; k++) {
        int b = (int)(v[k] * (DRT_CALIB_BINS / amax));
        h[b >= DRT_CALIB_BINS ? DRT_CALIB_BINS - 1 : b]++;
    }
    double best = INFINITY, best_clip = 0;
    for (int i = 128; i <= DRT_CALIB_BINS; i += 8) {
        double e = error_at(v, n, i * (double)amax / DRT_CALIB_BINS);
        if (e < best) best = e, best_clip = i * (double)amax / DRT_CALIB_BINS;
    }
    float t = drt_calib_threshold(h, amax, DRT_CALIB_MSE);
    double e = error_at(v, n, t), emax = error_at(v, n, amax);
    CHECK(e <= best * 1.02, "%s: mse picked clip %.4f (error %.4f); the least error over the clips tried: %.4f at %.4f", name, t, e,
          best, best_clip);
    CHECK(e < emax * (n > N ? 0.2 : 1) && t < amax, "%s: clip %.4f (error %.4f) must beat the maximum %.4f (error %.4f)", name, t, e, amax, emax);
    CHECK(drt_calib_threshold(h, amax, DRT_CALIB_MAX) == amax, "%s: max keeps %.4f", name, amax);
    free(h);
}

int main(void)
{
    float *v = malloc(sizeof(float) * (N + 1));
    uint64_t r = 88172645463325252ull;
    for (int k = 0; k < N; k++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        v[k] = (float)(r >> 40) / 16777216.f; /* [0, 1) */
    }
    v[N] = 50.f;
    check_case("uniform and an outlier", v, N + 1);
    check_case("uniform", v, N);
    free(v);
    return DONE();
}
