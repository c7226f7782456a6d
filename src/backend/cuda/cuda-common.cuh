/* Shared device helpers: Darknet's activations, fp16/fp32 element access, 16-byte vectors. */
#ifndef DRT_BACKEND_CUDA_COMMON_CUH
#define DRT_BACKEND_CUDA_COMMON_CUH

#include <cuda_fp16.h>
#include <stdint.h>

/* Values of drt_act (src/graph/model.h). */
enum { K_LINEAR = 0, K_LEAKY = 1, K_RELU = 2, K_LOGISTIC = 3, K_MISH = 4, K_SWISH = 5 };

__device__ __forceinline__ float k_act(int a, float x)
{
    switch (a) {
    case K_LEAKY: return x > 0.f ? x : .1f * x;
    case K_RELU: return x > 0.f ? x : 0.f;
    case K_LOGISTIC: return 1.f / (1.f + expf(-x));
    case K_MISH: {
        float sp = x > 20.f ? x : (x < -20.f ? expf(x) : log1pf(expf(x)));
        return x * tanhf(sp);
    }
    case K_SWISH: return x / (1.f + expf(-x));
    default: return x;
    }
}

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
