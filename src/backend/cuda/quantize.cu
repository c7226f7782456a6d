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

/* Four channels per thread of the padded output (n, h + 2 pad, w + 2 pad, cq). 32-bit index arithmetic (the caller
 * checks that the count fits): 64-bit division is emulated on the GPU, four of them a thread cost more than the copy. */
__global__ void quantize_zp_kernel(const __half *__restrict__ in, int ics, int8_t *__restrict__ out, int cq, int c, int n,
                                   int h, int w, int pad, float inv, int zp)
{
    int groups = cq / 4, hp = h + 2 * pad, wp = w + 2 * pad;
    unsigned total = (unsigned)n * hp * wp * groups;
    uint32_t border = (uint32_t)(uint8_t)(int8_t)zp * 0x01010101u;
    for (unsigned i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += gridDim.x * blockDim.x) {
        unsigned p = i / groups, row = p / wp;
        int ch = (int)(i - p * groups) * 4;
        int x = (int)(p - row * wp) - pad, y = (int)(row % hp) - pad;
        unsigned img = row / hp;
        uint32_t word = border;
        if (x >= 0 && x < w && y >= 0 && y < h) {
            const __half *src = in + (((size_t)img * h + y) * w + x) * ics + ch;
            word = 0;
#pragma unroll
            for (int j = 0; j < 4; j++) {
                int q = zp;
                if (ch + j < c) q = (int)fminf(127.f, fmaxf(-128.f, rintf(__half2float(src[j]) * inv) + (float)zp));
                word |= (uint32_t)(uint8_t)(int8_t)q << (8 * j);
            }
        }
        *reinterpret_cast<uint32_t *>(out + (size_t)p * cq + ch) = word;
    }
}

/* Only the border of that padded buffer (the conv before wrote its interior: cuda-compile.c's hand-off): one thread
 * per 4 channels of a border pixel, pixels numbered row by row over the 2 pad top and bottom rows, then the 2 pad
 * left and right columns of the h rows between. */
__global__ void zp_border_kernel(int8_t *__restrict__ out, int cq, int n, int h, int w, int pad, int zp)
{
    int groups = cq / 4, hp = h + 2 * pad, wp = w + 2 * pad;
    unsigned rows = 2u * pad * wp, cols = 2u * pad * h, per = rows + cols, total = (unsigned)n * per * groups;
    uint32_t border = (uint32_t)(uint8_t)(int8_t)zp * 0x01010101u;
    for (unsigned i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += gridDim.x * blockDim.x) {
        unsigned p = i / groups, img = p / per, b = p - img * per;
        int ch = (int)(i - p * groups) * 4, x, y;
        if (b < rows) { /* the top pad rows, then the bottom ones */
            y = (int)(b / wp), x = (int)(b % wp);
            if (y >= pad) y += h;
        } else { /* the rows between: pad columns on the left, then pad on the right */
            unsigned e = b - rows;
            y = pad + (int)(e / (2 * pad)), x = (int)(e % (2 * pad));
            if (x >= pad) x += w;
        }
        *reinterpret_cast<uint32_t *>(out + (((size_t)img * hp + y) * wp + x) * cq + ch) = border;
    }
}

extern "C" cudaError_t drt_k_quantize_zp(const void *in, int ics, void *out, int cq, int c, int n, int h, int w, int pad,
                                         float step, int zp, cudaStream_t st)
{
    const int threads = 256;
    long total = (long)n * (h + 2 * pad) * (w + 2 * pad) * (cq / 4);
    if (total > 0x7fffffffL) return cudaErrorInvalidValue; /* the kernel's 32-bit indices (the loop adds up to total) */
    quantize_zp_kernel<<<k_blocks(total, threads), threads, 0, st>>>((const __half *)in, ics, (int8_t *)out, cq, c, n, h,
                                                                     w, pad, 1.f / step, zp);
    return cudaGetLastError();
}

extern "C" cudaError_t drt_k_zp_border(void *out, int cq, int n, int h, int w, int pad, int zp, cudaStream_t st)
{
    const int threads = 256;
    long total = (long)n * 2 * pad * (w + 2 * pad + h) * (cq / 4);
    if (pad <= 0) return cudaSuccess;
    if (total > 0x7fffffffL) return cudaErrorInvalidValue;
    zp_border_kernel<<<k_blocks(total, threads), threads, 0, st>>>((int8_t *)out, cq, n, h, w, pad, zp);
    return cudaGetLastError();
}
