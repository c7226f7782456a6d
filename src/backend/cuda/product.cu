/* [scale_channels] and [sam] on NHWC views: out = act(a * b) with a one factor per channel of each
 * image (scale_channels: a is c x 1 x 1) or b's shape (sam). */
#include "backend/cuda/cuda-kernels.h"
#include "backend/cuda/cuda-common.cuh"

template <typename T, int V>
__global__ void product_kernel(const T *__restrict__ a, int acs, const T *__restrict__ b, int bcs, T *out, int ocs,
                               int c, long hw, long npix, int per_channel, int act)
{
    int cv = c / V;
    long total = npix * cv;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long p = i / cv;
        int ch = (int)(i - p * cv) * V;
        float f[V], x[V];
        k_ldv<T, V>(a + (per_channel ? p / hw : p) * acs + ch, f);
        k_ldv<T, V>(b + p * bcs + ch, x);
#pragma unroll
        for (int j = 0; j < V; j++) x[j] = k_act(act, f[j] * x[j]);
        k_stv<T, V>(out + p * ocs + ch, x);
    }
}

template <typename T>
static cudaError_t launch(const void *a, int acs, const void *b, int bcs, void *out, int ocs, int n, int c, int h, int w,
                          int per_channel, int act, cudaStream_t st)
{
    const int v = 16 / sizeof(T);
    int strides[3] = {acs, bcs, ocs};
    const void *ptrs[3] = {a, b, out};
    long hw = (long)h * w, npix = (long)n * hw;
    if (k_vec_ok(v, c, strides, 3, ptrs, 3))
        product_kernel<T, 16 / sizeof(T)><<<k_blocks(npix * (c / v), 256), 256, 0, st>>>(
            (const T *)a, acs, (const T *)b, bcs, (T *)out, ocs, c, hw, npix, per_channel, act);
    else
        product_kernel<T, 1><<<k_blocks(npix * c, 256), 256, 0, st>>>((const T *)a, acs, (const T *)b, bcs, (T *)out, ocs,
                                                                      c, hw, npix, per_channel, act);
    return cudaGetLastError();
}

extern "C" cudaError_t drt_k_product(const void *a, int acs, const void *b, int bcs, void *out, int ocs, int n, int c,
                                     int h, int w, int per_channel, int act, int half, cudaStream_t st)
{
    return half ? launch<__half>(a, acs, b, bcs, out, ocs, n, c, h, w, per_channel, act, st)
                : launch<float>(a, acs, b, bcs, out, ocs, n, c, h, w, per_channel, act, st);
}
