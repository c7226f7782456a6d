/* Layout conversions at the graph's edges: the float32 NCHW input to NHWC storage (channels padded
 * with zeros), and NHWC head views back to float32 NCHW. */
#include "backend/cuda/cuda-kernels.h"
#include "backend/cuda/cuda-common.cuh"

/* One thread per pixel: reads its c planar values (coalesced across the warp), writes the cs
 * stored channels (zeros past c) as 16-byte vectors when cs allows. */
template <typename T>
__global__ void input_kernel(const float *__restrict__ in, T *__restrict__ out, int n, int c, int hw, int cs)
{
    long total = (long)n * hw;
    const int v = 16 / sizeof(T);
    for (long p = blockIdx.x * (long)blockDim.x + threadIdx.x; p < total; p += (long)gridDim.x * blockDim.x) {
        long b = p / hw, pix = p - b * hw;
        const float *src = in + b * c * hw + pix;
        T *dst = out + p * cs;
        for (int c0 = 0; c0 < cs; c0 += v) {
            if (cs % v == 0) {
                float f[16 / sizeof(T)];
#pragma unroll
                for (int j = 0; j < v; j++) f[j] = c0 + j < c ? src[(long)(c0 + j) * hw] : 0.f;
                k_stv<T, 16 / sizeof(T)>(dst + c0, f);
            } else {
                for (int j = c0; j < cs && j < c0 + v; j++) k_st(dst + j, j < c ? src[(long)j * hw] : 0.f);
            }
        }
    }
}

/* Tiled transpose per image: a 32-pixel x 32-channel tile through shared memory. */
template <typename T>
__global__ void head_kernel(const T *__restrict__ in, int ics, float *__restrict__ out, int c, int hw)
{
    __shared__ float tile[32][33];
    int b = blockIdx.z;
    int p0 = blockIdx.x * 32, c0 = blockIdx.y * 32;
    const T *src = in + (long)b * hw * ics;
    float *dst = out + (long)b * c * hw;
    for (int k = threadIdx.y; k < 32; k += blockDim.y) {
        int p = p0 + k, ch = c0 + threadIdx.x;
        if (p < hw && ch < c) tile[k][threadIdx.x] = k_ld(src + (long)p * ics + ch);
    }
    __syncthreads();
    for (int k = threadIdx.y; k < 32; k += blockDim.y) {
        int ch = c0 + k, p = p0 + threadIdx.x;
        if (p < hw && ch < c) dst[(long)ch * hw + p] = tile[threadIdx.x][k];
    }
}

extern "C" cudaError_t drt_k_input(const float *in, void *out, int half, int n, int c, int h, int w, int cs,
                                   cudaStream_t st)
{
    long total = (long)n * h * w;
    if (half)
        input_kernel<__half><<<k_blocks(total, 256), 256, 0, st>>>(in, (__half *)out, n, c, h * w, cs);
    else
        input_kernel<float><<<k_blocks(total, 256), 256, 0, st>>>(in, (float *)out, n, c, h * w, cs);
    return cudaGetLastError();
}

extern "C" cudaError_t drt_k_head(const void *in, int ics, float *out, int n, int c, int h, int w, int half,
                                  cudaStream_t st)
{
    int hw = h * w;
    dim3 grid((hw + 31) / 32, (c + 31) / 32, n), block(32, 8);
    if (half)
        head_kernel<__half><<<grid, block, 0, st>>>((const __half *)in, ics, out, c, hw);
    else
        head_kernel<float><<<grid, block, 0, st>>>((const float *)in, ics, out, c, hw);
    return cudaGetLastError();
}
