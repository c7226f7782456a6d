/* Darknet's maxpool and AlexeyAB's [local_avgpool] on NHWC views: offset -padding/2, taps outside the image
 * skipped (local_avgpool: the sum of the taps inside, in window order, divided by their count). */
#include <float.h>
#include "backend/cuda/cuda-kernels.h"
#include "backend/cuda/cuda-common.cuh"

template <typename T, int V, bool AVG>
__global__ void maxpool_kernel(const T *__restrict__ in, int ics, T *__restrict__ out, int ocs, int n, int c,
                               int ih, int iw, int oh, int ow, int size, int stride, int off)
{
    int cv = c / V;
    long total = (long)n * oh * ow * cv;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        int ch = (int)(i % cv) * V;
        long p = i / cv;
        int x = (int)(p % ow);
        long q = p / ow;
        int y = (int)(q % oh);
        long b = q / oh;
        float m[V];
#pragma unroll
        for (int j = 0; j < V; j++) m[j] = AVG ? 0.f : -FLT_MAX;
        int count = 0;
        for (int dy = 0; dy < size; dy++) {
            int yy = y * stride + off + dy;
            if (yy < 0 || yy >= ih) continue;
            for (int dx = 0; dx < size; dx++) {
                int xx = x * stride + off + dx;
                if (xx < 0 || xx >= iw) continue;
                float v[V];
                k_ldv<T, V>(in + ((b * ih + yy) * iw + xx) * ics + ch, v);
#pragma unroll
                for (int j = 0; j < V; j++) m[j] = AVG ? m[j] + v[j] : fmaxf(m[j], v[j]);
                count++;
            }
        }
        if (AVG)
#pragma unroll
            for (int j = 0; j < V; j++) m[j] = m[j] / (float)count;
        k_stv<T, V>(out + p * ocs + ch, m);
    }
}

template <typename T, bool AVG>
static cudaError_t launch(const void *in, int ics, void *out, int ocs, int n, int c, int ih, int iw, int oh,
                          int ow, int size, int stride, int padding, cudaStream_t st)
{
    const int v = 16 / sizeof(T);
    int strides[2] = {ics, ocs};
    const void *ptrs[2] = {in, out};
    int off = -(padding / 2);
    if (k_vec_ok(v, c, strides, 2, ptrs, 2)) {
        long total = (long)n * oh * ow * (c / v);
        maxpool_kernel<T, 16 / sizeof(T), AVG><<<k_blocks(total, 256), 256, 0, st>>>(
            (const T *)in, ics, (T *)out, ocs, n, c, ih, iw, oh, ow, size, stride, off);
    } else {
        long total = (long)n * oh * ow * c;
        maxpool_kernel<T, 1, AVG><<<k_blocks(total, 256), 256, 0, st>>>(
            (const T *)in, ics, (T *)out, ocs, n, c, ih, iw, oh, ow, size, stride, off);
    }
    return cudaGetLastError();
}

extern "C" cudaError_t drt_k_maxpool(const void *in, int ics, void *out, int ocs, int n, int c, int ih, int iw,
                                     int oh, int ow, int size, int stride, int padding, int avg, int half,
                                     cudaStream_t st)
{
    if (avg)
        return half ? launch<__half, true>(in, ics, out, ocs, n, c, ih, iw, oh, ow, size, stride, padding, st)
                    : launch<float, true>(in, ics, out, ocs, n, c, ih, iw, oh, ow, size, stride, padding, st);
    return half ? launch<__half, false>(in, ics, out, ocs, n, c, ih, iw, oh, ow, size, stride, padding, st)
                : launch<float, false>(in, ics, out, ocs, n, c, ih, iw, oh, ow, size, stride, padding, st);
}
