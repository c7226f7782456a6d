/* CPU feature detection (cpuid + XCR0, once) and the oneDNN run-time knobs (ISA cap, threads). */
#ifndef DRT_BACKEND_CPU_FEATURES_H
#define DRT_BACKEND_CPU_FEATURES_H

#include "darkrt/status.h"

enum drt_cpu_feature {
    DRT_CPU_AVX2 = 1u << 0,       /* AVX2 + FMA, OS saves YMM */
    DRT_CPU_AVX512 = 1u << 1,     /* AVX-512 F/BW/VL/DQ, OS saves ZMM */
    DRT_CPU_AVX512_VNNI = 1u << 2,
    DRT_CPU_AVX512_BF16 = 1u << 3,
    DRT_CPU_AVX_VNNI = 1u << 4
};

/* The features this CPU and OS support, detected once (thread-safe). */
unsigned drt_cpu_features(void);
/* "avx2 avx512 avx512_vnni ..." for the bits set (static buffer per call site: pass one). */
const char *drt_cpu_features_str(unsigned bits, char *buf, int size);
/* Features an oneDNN implementation name ("brgconv:avx512_core_vnni") relies on. */
unsigned drt_cpu_features_of_impl(const char *impl);

/* Applies DRT_CPU_ISA (sse41|avx2|avx512|avx512_vnni|avx512_bf16|all) once per process through
 * dnnl_set_max_cpu_isa, before any primitive exists. Returns the cap's features mask. */
unsigned drt_cpu_apply_isa_cap(void);

/* Calls fn(ctx, tid, nt) on each thread of oneDNN's OpenMP team (serially as (0, 1) without it). */
void drt_cpu_parallel(void (*fn)(void *ctx, int tid, int nt), void *ctx);

/* Returns fn(ctx), run with this thread's OpenMP thread count set to `threads` (0: left as it is: OMP_NUM_THREADS,
 * else every core, or what the application set) and set back to the caller's after: every CPU build and run
 * goes through it, so oneDNN and darkrt's kernels use the engine's count and the host's OpenMP settings stay. */
drt_status drt_cpu_with_threads(int threads, drt_status (*fn)(void *ctx), void *ctx);

/* This thread's OpenMP count (what threads 0 runs with here); 1 without OpenMP. */
int drt_cpu_thread_count(void);

#endif
