/* Monotonic milliseconds, for stage times, latencies and timeouts. */
#ifndef DRT_CORE_CLOCK_H
#define DRT_CORE_CLOCK_H

#include <time.h>

static inline double drt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

#endif
