/* [avgpool] on NHWC views: the mean of each channel over the image (c x 1 x 1 out). A block takes
 * 32 channels of one image: 8 rows of threads sum every 8th pixel, then one row adds the 8 partial
 * sums (the order differs from AlexeyAB's one loop by float rounding only). */
#include "backend/cuda/cuda-kernels.h"
#include "backend/cuda/cuda-common.cuh"

#define AVG_CH 32
#define AVG_ROWS 8

template <typename T>
__global__ void avgpool_kernel(const T *__restrict__ in, int ics, T *__restrict__ out, int ocs, int c, long hw)
{
    __shared__ float part[AVG_ROWS][AVG_CH + 1];
    int tx = threadIdx.x, ty = threadIdx.y;
    int ch = blockIdx.x * AVG_CH + tx;
    long b = blockIdx.y;
    float sum = 0;
    if (ch < c)
        for (long p = ty; p < hw; p += AVG_ROWS) sum += k_ld(in + (b * hw + p) * ics + ch);
    part[ty][tx] = sum;
    __syncthreads();
    if (ty == 0 && ch < c) {
        float s = 0;
#pragma unroll
        for (int j = 0; j < AVG_ROWS; j++) s += part[j][tx];
        k_st(out + b * ocs + ch, s / (float)hw);
    }
}

template <typename T>
static cudaError_t launch(const void *in, int ics, void *out, int ocs, int n, int c, int h, int w, cudaStream_t st)
{
    dim3 grid((unsigned)((c + AVG_CH - 1) / AVG_CH), (unsigned)n), block(AVG_CH, AVG_ROWS);
    avgpool_kernel<T><<<grid, block, 0, st>>>((const T *)in, ics, (T *)out, ocs, c, (long)h * w);
    return cudaGetLastError();
}

extern "C" cudaError_t drt_k_avgpool(const void *in, int ics, void *out, int ocs, int n, int c, int h, int w, int half,
                                     cudaStream_t st)
{
    return half ? launch<__half>(in, ics, out, ocs, n, c, h, w, st) : launch<float>(in, ics, out, ocs, n, c, h, w, st);
}
