/* xnor=1 convs' input step (src/graph/xnor.h): out = in > 0 ? 1 : 0 on NHWC views, into the buffer the lowered conv
 * reads (cuDNN's zero padding of it reads as -1 there). */
#include "backend/cuda/cuda-kernels.h"
#include "backend/cuda/cuda-common.cuh"

template <typename T>
__global__ void step_kernel(const T *__restrict__ in, int ics, T *__restrict__ out, int ocs, int c, long npix)
{
    long total = npix * c;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long p = i / c;
        int ch = (int)(i - p * c);
        k_st(out + p * ocs + ch, k_ld(in + p * ics + ch) > 0.f ? 1.f : 0.f);
    }
}

extern "C" cudaError_t drt_k_step(const void *in, int ics, void *out, int ocs, int c, long npix, int half, cudaStream_t st)
{
    if (half) step_kernel<__half><<<k_blocks(npix * c, 256), 256, 0, st>>>((const __half *)in, ics, (__half *)out, ocs, c, npix);
    else step_kernel<float><<<k_blocks(npix * c, 256), 256, 0, st>>>((const float *)in, ics, (float *)out, ocs, c, npix);
    return cudaGetLastError();
}
