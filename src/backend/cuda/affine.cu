/* A standalone [batchnorm] on NHWC views: out = in * mul + add per channel (fold-bn's coefficients). */
#include "backend/cuda/cuda-kernels.h"
#include "backend/cuda/cuda-common.cuh"

template <typename T>
__global__ void affine_kernel(const T *__restrict__ in, int ics, T *__restrict__ out, int ocs, const float *__restrict__ mul,
                              const float *__restrict__ add, int c, long npix)
{
    long total = npix * c;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long p = i / c;
        int ch = (int)(i - p * c);
        k_st(out + p * ocs + ch, k_ld(in + p * ics + ch) * mul[ch] + add[ch]);
    }
}

extern "C" cudaError_t drt_k_affine(const void *in, int ics, void *out, int ocs, const float *mul, const float *add, int c,
                                    long npix, int half, cudaStream_t st)
{
    if (half)
        affine_kernel<__half><<<k_blocks(npix * c, 256), 256, 0, st>>>((const __half *)in, ics, (__half *)out, ocs, mul, add,
                                                                       c, npix);
    else
        affine_kernel<float><<<k_blocks(npix * c, 256), 256, 0, st>>>((const float *)in, ics, (float *)out, ocs, mul, add, c,
                                                                      npix);
    return cudaGetLastError();
}
