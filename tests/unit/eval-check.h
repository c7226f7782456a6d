/* Tiny assertion helpers shared by the tests/unit/eval-*.c programs. */
#ifndef EVAL_CHECK_H
#define EVAL_CHECK_H
#include <math.h>
#include <stdio.h>

static int failures;
#define CHECK(cond) do { if (!(cond)) { printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)
#define CHECK_NEAR(a, b, tol) do { double a_ = (a), b_ = (b); if (!(fabs(a_ - b_) <= (tol))) { \
    printf("FAIL %s:%d: %s = %.9g, expected %.9g\n", __FILE__, __LINE__, #a, a_, b_); failures++; } } while (0)
#define DONE() (failures ? (printf("%d check(s) failed\n", failures), 1) : (printf("all checks passed\n"), 0))

static inline drt_detection det(int cls, float score, float x1, float y1, float x2, float y2)
{
    return (drt_detection){cls, score, x1, y1, x2, y2};
}
#endif
