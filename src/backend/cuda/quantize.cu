/* fp16 NHWC view -> int8 NHWC for the int8 convolutions: q = clamp(rint(x / step), -127, 127),
 * channels c..cq-1 zero (cq: the conv's padded input channels, a multiple of 16). With a zero point z
 * (--int8-activations asym): q = clamp(rint(x / step) + z, -128, 127) into a buffer padded by the conv's own
 * padding, whose border holds z (the code of 0), so that the conv runs unpadded and exact at the borders. */
#include "backend/cuda/cuda-kernels.h"
#include "backend/cuda/cuda-common.cuh"

__device__ __forceinline__ int k_q8(float x, float inv)
{
    float r = rintf(x * inv);
    return (int)fminf(127.f, fmaxf(-127.f, r)); /* NaN -> -127 (fmaxf returns the number) */
}

/* Four channels per thread, stored as one 32-bit word. */
__global__ void quantize_kernel(const __half *__restrict__ in, int ics, int8_t *__restrict__ out, int cq, int c, long npix,
                                float inv)
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
            int q = ch + j < c ? k_q8(__half2float(src[j]), inv) : 0;
            word |= (uint32_t)(uint8_t)(int8_t)q << (8 * j);
        }
        *reinterpret_cast<uint32_t *>(out + p * cq + ch) = word;
    }
}

extern "C" cudaError_t drt_k_quantize(const void *in, int ics, void *out, int cq, int c, long npix, float step,
                                      cudaStream_t st)
{
    const int threads = 256;
    long n = npix * (cq / 4);
    quantize_kernel<<<k_blocks(n, threads), threads, 0, st>>>((const __half *)in, ics, (int8_t *)out, cq, c, npix,
                                                              1.f / step);
    return cudaGetLastError();
}

/* Four channels per thread of the padded output (n, h + 2 pad, w + 2 pad, cq). */
__global__ void quantize_zp_kernel(const __half *__restrict__ in, int ics, int8_t *__restrict__ out, int cq, int c, int n,
                                   int h, int w, int pad, float inv, int zp)
{
    int groups = cq / 4, hp = h + 2 * pad, wp = w + 2 * pad;
    long total = (long)n * hp * wp * groups;
    uint32_t border = (uint32_t)(uint8_t)(int8_t)zp * 0x01010101u;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long p = i / groups;
        int ch = (int)(i - p * groups) * 4;
        int x = (int)(p % wp) - pad, y = (int)(p / wp % hp) - pad;
        long img = p / ((long)wp * hp);
        uint32_t word = border;
        if (x >= 0 && x < w && y >= 0 && y < h) {
            const __half *src = in + ((img * h + y) * w + x) * ics + ch;
            word = 0;
#pragma unroll
            for (int j = 0; j < 4; j++) {
                int q = zp;
                if (ch + j < c) q = (int)fminf(127.f, fmaxf(-128.f, rintf(__half2float(src[j]) * inv) + (float)zp));
                word |= (uint32_t)(uint8_t)(int8_t)q << (8 * j);
            }
        }
        *reinterpret_cast<uint32_t *>(out + p * cq + ch) = word;
    }
}

extern "C" cudaError_t drt_k_quantize_zp(const void *in, int ics, void *out, int cq, int c, int n, int h, int w, int pad,
                                         float step, int zp, cudaStream_t st)
{
    const int threads = 256;
    long total = (long)n * (h + 2 * pad) * (w + 2 * pad) * (cq / 4);
    quantize_zp_kernel<<<k_blocks(total, threads), threads, 0, st>>>((const __half *)in, ics, (int8_t *)out, cq, c, n, h,
                                                                     w, pad, 1.f / step, zp);
    return cudaGetLastError();
}
