/* The conv epilogue: bias, activation and the residual add fused in one pass over the output (no
 * bias: after a fused graph that added it). */
#include "backend/cuda/cuda-kernels.h"
#include "backend/cuda/cuda-common.cuh"

template <typename T, int V>
__global__ void epilogue_kernel(const T *__restrict__ y, int ycs, T *out, int ocs, const T *res, int rcs,
                                const float *__restrict__ bias, int c, long npix, int act, int act2)
{
    int cv = c / V;
    long total = npix * cv;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long p = i / cv;
        int ch = (int)(i - p * cv) * V;
        float v[V];
        k_ldv<T, V>(y + p * ycs + ch, v);
#pragma unroll
        for (int j = 0; j < V; j++) v[j] = k_act(act, bias ? v[j] + bias[ch + j] : v[j]);
        if (res) {
            float r[V];
            k_ldv<T, V>(res + p * rcs + ch, r);
#pragma unroll
            for (int j = 0; j < V; j++) v[j] = k_act(act2, v[j] + r[j]);
        }
        k_stv<T, V>(out + p * ocs + ch, v);
    }
}

template <typename T>
static cudaError_t launch(const void *y, int ycs, void *out, int ocs, const void *res, int rcs,
                          const float *bias, int c, long npix, int act, int act2, cudaStream_t st)
{
    const int v = 16 / sizeof(T);
    int strides[3] = {ycs, ocs, res ? rcs : 0};
    const void *ptrs[3] = {y, out, res};
    const int threads = 256;
    if (k_vec_ok(v, c, strides, 3, ptrs, 3)) {
        long n = npix * (c / v);
        epilogue_kernel<T, 16 / sizeof(T)><<<k_blocks(n, threads), threads, 0, st>>>(
            (const T *)y, ycs, (T *)out, ocs, (const T *)res, rcs, bias, c, npix, act, act2);
    } else {
        long n = npix * c;
        epilogue_kernel<T, 1><<<k_blocks(n, threads), threads, 0, st>>>(
            (const T *)y, ycs, (T *)out, ocs, (const T *)res, rcs, bias, c, npix, act, act2);
    }
    return cudaGetLastError();
}

extern "C" cudaError_t drt_k_epilogue(const void *y, int ycs, void *out, int ocs, const void *res, int rcs,
                                      const float *bias, int c, long npix, int act, int act2, int half,
                                      cudaStream_t st)
{
    return half ? launch<__half>(y, ycs, out, ocs, res, rcs, bias, c, npix, act, act2, st)
                : launch<float>(y, ycs, out, ocs, res, rcs, bias, c, npix, act, act2, st);
}
