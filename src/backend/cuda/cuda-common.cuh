/* Shared device helpers: Darknet's activations, fp16/fp32 element access, 16-byte vectors. */
#ifndef DRT_BACKEND_CUDA_COMMON_CUH
#define DRT_BACKEND_CUDA_COMMON_CUH

#include <cuda_fp16.h>
#include <stdint.h>

#include "graph/act.h"

/* Darknet's activation a (a drt_act) of x: the host's formula (src/graph/act.h). */
__device__ __forceinline__ float k_act(int a, float x) { return drt_act_eval((drt_act)a, x); }

__device__ __forceinline__ float k_ld(const float *p) { return *p; }
__device__ __forceinline__ float k_ld(const __half *p) { return __half2float(*p); }
__device__ __forceinline__ void k_st(float *p, float v) { *p = v; }
__device__ __forceinline__ void k_st(__half *p, float v) { *p = __float2half_rn(v); }

/* V elements of T in 16 bytes (V = 16 / sizeof(T)) or one element (V = 1). */
template <typename T, int V> struct k_vec {
    T e[V];
};

template <typename T, int V> __device__ __forceinline__ void k_ldv(const T *p, float (&f)[V])
{
    if (V * sizeof(T) == 16) {
        union { uint4 u; T e[V]; } x;
        x.u = *reinterpret_cast<const uint4 *>(p);
#pragma unroll
        for (int i = 0; i < V; i++) f[i] = k_ld(&x.e[i]);
    } else {
#pragma unroll
        for (int i = 0; i < V; i++) f[i] = k_ld(p + i);
    }
}

template <typename T, int V> __device__ __forceinline__ void k_stv(T *p, const float (&f)[V])
{
    if (V * sizeof(T) == 16) {
        union { uint4 u; T e[V]; } x;
#pragma unroll
        for (int i = 0; i < V; i++) k_st(&x.e[i], f[i]);
        *reinterpret_cast<uint4 *>(p) = x.u;
    } else {
#pragma unroll
        for (int i = 0; i < V; i++) k_st(p + i, f[i]);
    }
}

/* Whether 16-byte vectors fit: every channel stride, count and pointer aligned to V elements. */
static inline bool k_vec_ok(int v, int c, const int *strides, int n_strides, const void *const *ptrs, int n_ptrs)
{
    if (c % v) return false;
    for (int i = 0; i < n_strides; i++)
        if (strides[i] % v) return false;
    for (int i = 0; i < n_ptrs; i++)
        if (ptrs[i] && ((uintptr_t)ptrs[i] % 16)) return false;
    return true;
}

static inline unsigned k_blocks(long n, int threads)
{
    long b = (n + threads - 1) / threads;
    return (unsigned)(b < 1 ? 1 : (b > 2147483647L ? 2147483647L : b));
}

#endif
