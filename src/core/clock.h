/* Milliseconds: monotonic, for stage times, latencies and timeouts; or the calling thread's CPU time, for timings
 * that other processes' load should not change (the int8 search, the CPU engine's per-layer profile). */
#ifndef DRT_CORE_CLOCK_H
#define DRT_CORE_CLOCK_H

#include <time.h>

static inline double drt_clock_ms(int thread_cpu)
{
    struct timespec ts;
    clock_gettime(thread_cpu ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static inline double drt_now_ms(void)
{
    return drt_clock_ms(0);
}

#endif
