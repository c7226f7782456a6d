/* fp16 NHWC view -> int8 NHWC for the int8 convolutions: q = clamp(rint(x / step) + zp, lo, 127), channels c..cq-1
 * holding zp (cq: the conv's padded input channels, a multiple of 16; their weights are zero). Symmetric (zp 0): lo
 * -127; with a zero point (--int8-activations asym): lo -128, only for convs that pad nothing (cuDNN pads with the
 * code 0, which is not the code of 0 there: cuda-compile.c). */
#include "backend/cuda/cuda-kernels.h"
#include "backend/cuda/cuda-common.cuh"

__device__ __forceinline__ int k_q8(float x, float inv, int zp, float lo)
{
    float r = rintf(x * inv) + (float)zp;
    return (int)fminf(127.f, fmaxf(lo, r)); /* NaN -> lo (fmaxf returns the number) */
}

/* Four channels per thread, stored as one 32-bit word. */
__global__ void quantize_kernel(const __half *__restrict__ in, int ics, int8_t *__restrict__ out, int cq, int c, long npix,
                                float inv, int zp, float lo)
{
    int groups = cq / 4;
    long total = npix * groups;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long p = i / groups;
        int ch = (int)(i - p * groups) * 4;
        const __half *src = in + p * ics + ch;
        uint32_t word = 0;
#pragma unroll
        for (int j = 0; j < 4; j++) {
            int q = ch + j < c ? k_q8(__half2float(src[j]), inv, zp, lo) : zp;
            word |= (uint32_t)(uint8_t)(int8_t)q << (8 * j);
        }
        *reinterpret_cast<uint32_t *>(out + p * cq + ch) = word;
    }
}

extern "C" cudaError_t drt_k_quantize(const void *in, int ics, void *out, int cq, int c, long npix, float step, int zp,
                                      int qmin, cudaStream_t st)
{
    const int threads = 256;
    long n = npix * (cq / 4);
    quantize_kernel<<<k_blocks(n, threads), threads, 0, st>>>((const __half *)in, ics, (int8_t *)out, cq, c, npix,
                                                              1.f / step, zp, (float)qmin);
    return cudaGetLastError();
}
