/* The CPU engine's OpenMP: the thread count of a build or run, and a parallel region for darkrt's kernels. */
#ifndef DRT_BACKEND_CPU_PARALLEL_H
#define DRT_BACKEND_CPU_PARALLEL_H

#include "darkrt/status.h"

/* Calls fn(ctx, tid, nt) on each thread of the calling thread's OpenMP team, the one oneDNN uses
 * (serially as (0, 1) in a build without OpenMP code generation: make fuzz). */
void drt_cpu_parallel(void (*fn)(void *ctx, int tid, int nt), void *ctx);

/* Returns fn(ctx), run with this thread's OpenMP thread count set to `threads` (0: left as it is: OMP_NUM_THREADS,
 * else every core, or what the application set) and set back to the caller's after: every CPU build and run
 * goes through it, so oneDNN and darkrt's kernels use the engine's count and the host's OpenMP settings stay. */
drt_status drt_cpu_with_threads(int threads, drt_status (*fn)(void *ctx), void *ctx);

/* This thread's OpenMP count (what threads 0 builds an engine with, here). */
int drt_cpu_thread_count(void);

#endif
