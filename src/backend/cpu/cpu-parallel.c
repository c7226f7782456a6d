/* OpenMP for the CPU engine: the thread count of a build or run, and darkrt's own kernels on the team
 * oneDNN uses. This file alone is compiled with -fopenmp; libgomp is linked explicitly (libdnnl brings
 * the same libgomp.so.1, so one runtime and one set of ICVs serve both). clang (make fuzz) has no
 * libgomp code generation: there the pragma is ignored and the kernels run serially as (0, 1). */
#include "backend/cpu/cpu-parallel.h"

#include <omp.h>

drt_status drt_cpu_with_threads(int threads, drt_status (*fn)(void *ctx), void *ctx)
{
    /* OpenMP's count is this thread's (its ICV): what oneDNN's primitives are created and run with, and
     * drt_cpu_parallel's team size. The caller's value goes back after, so a host's setting stays its own. */
    int saved = threads > 0 ? omp_get_max_threads() : threads;
    if (saved != threads) omp_set_num_threads(threads);
    drt_status s = fn(ctx);
    if (saved != threads) omp_set_num_threads(saved);
    return s;
}

int drt_cpu_thread_count(void)
{
    return omp_get_max_threads();
}

void drt_cpu_parallel(void (*fn)(void *ctx, int tid, int nt), void *ctx)
{
#pragma omp parallel
    fn(ctx, omp_get_thread_num(), omp_get_num_threads());
}
