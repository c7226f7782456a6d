/* Raw-tensor differences and timing percentiles. */
#include "darkrt.h"
#include "core/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void drt_eval_diff_add(drt_eval_diff *acc, const float *ref, const float *eng, size_t n)
{
    DRT_ARG_OR(acc, "acc", );
    DRT_ARG_OR(ref, "ref", );
    DRT_ARG_OR(eng, "eng", );
    for (size_t i = 0; i < n; i++) {
        double r = ref[i], e = eng[i];
        double d = fabs(e - r);
        if (!isfinite(r) || !isfinite(e)) d = INFINITY;
        if (d > acc->max_abs_diff) acc->max_abs_diff = d;
        if (isfinite(r) && fabs(r) > acc->max_abs_ref) acc->max_abs_ref = fabs(r);
    }
    acc->count += n;
}

double drt_eval_diff_relative(const drt_eval_diff *acc)
{
    DRT_ARG_OR(acc, "acc", NAN);
    if (acc->max_abs_diff == 0) return 0;
    if (acc->max_abs_ref == 0) return INFINITY;
    return acc->max_abs_diff / acc->max_abs_ref;
}

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

double drt_eval_percentile(const double *values, size_t n, double p)
{
    if (n == 0) return NAN;
    DRT_ARG_OR(values, "values", NAN);
    double *v = malloc(n * sizeof *v);
    if (!v) return NAN;
    memcpy(v, values, n * sizeof *v);
    qsort(v, n, sizeof *v, cmp_double);
    if (p < 0) p = 0;
    if (p > 100) p = 100;
    double pos = p / 100.0 * (double)(n - 1);
    size_t lo = (size_t)floor(pos);
    size_t hi = lo + 1 < n ? lo + 1 : lo;
    double result = v[lo] + (pos - (double)lo) * (v[hi] - v[lo]);
    free(v);
    return result;
}
