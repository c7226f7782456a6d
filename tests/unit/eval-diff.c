/* Raw-head differences and percentiles against values worked out by hand. */
#include "darkrt.h"
#include "eval-check.h"

int main(void)
{
    float ref[] = {1, -4, 2, 0.5f}, same[] = {1, -4, 2, 0.5f}, eng[] = {1.5f, -4, 2, 0.25f};
    drt_eval_diff d = {0};
    drt_eval_diff_add(&d, ref, same, 4);
    CHECK(d.max_abs_diff == 0 && d.max_abs_ref == 4 && d.count == 4);
    CHECK(drt_eval_diff_relative(&d) == 0);
    drt_eval_diff_add(&d, ref, eng, 4);
    CHECK_NEAR(d.max_abs_diff, 0.5, 0);
    CHECK_NEAR(drt_eval_diff_relative(&d), 0.125, 1e-15);
    float bad[] = {1, NAN, 2, 0.5f};
    drt_eval_diff_add(&d, ref, bad, 4);
    CHECK(isinf(d.max_abs_diff) && isinf(drt_eval_diff_relative(&d)));
    drt_eval_diff zero = {0};
    float z[] = {0, 0}, one[] = {0, 1};
    drt_eval_diff_add(&zero, z, one, 2);
    CHECK(isinf(drt_eval_diff_relative(&zero)));

    double v[] = {10, 1, 9, 2, 8, 3, 7, 4, 6, 5};
    CHECK_NEAR(drt_eval_percentile(v, 10, 50), 5.5, 1e-12);
    CHECK_NEAR(drt_eval_percentile(v, 10, 90), 9.1, 1e-12);
    CHECK_NEAR(drt_eval_percentile(v, 10, 0), 1, 0);
    CHECK_NEAR(drt_eval_percentile(v, 10, 100), 10, 0);
    CHECK(v[0] == 10); /* input untouched */
    CHECK_NEAR(drt_eval_percentile(v, 1, 90), 10, 0);
    CHECK(isnan(drt_eval_percentile(v, 0, 50)));
    return DONE();
}
