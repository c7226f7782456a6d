/* Darknet's maxpool and AlexeyAB's [local_avgpool] on NHWC views: offset -padding/2, taps outside the image
 * skipped (local_avgpool: the sum of the taps inside, in window order, divided by their count); AlexeyAB's
 * maxpool_depth (the max over channels g, g + oc, ... per pixel). */
#include <float.h>
#include "backend/cuda/cuda-kernels.h"
#include "backend/cuda/cuda-common.cuh"

template <typename T, int V, bool AVG>
__global__ void maxpool_kernel(const T *__restrict__ in, int ics, T *__restrict__ out, int ocs, int n, int c,
                               int ih, int iw, int oh, int ow, int size, int sx, int sy, int off)
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
            int yy = y * sy + off + dy;
            if (yy < 0 || yy >= ih) continue;
            for (int dx = 0; dx < size; dx++) {
                int xx = x * sx + off + dx;
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

template <typename T>
__global__ void maxpool_depth_kernel(const T *__restrict__ in, int ics, T *__restrict__ out, int ocs, long npix, int c, int oc)
{
    long total = npix * oc;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        int g = (int)(i % oc);
        long p = i / oc;
        float m[1] = {-FLT_MAX}, v[1];
        for (int k = g; k < c; k += oc) {
            k_ldv<T, 1>(in + p * ics + k, v);
            m[0] = fmaxf(m[0], v[0]);
        }
        k_stv<T, 1>(out + p * ocs + g, m);
    }
}

template <typename T, bool AVG>
static cudaError_t launch(const void *in, int ics, void *out, int ocs, int n, int c, int ih, int iw, int oh,
                          int ow, int size, int stride, int stride_y, int padding, int depth, cudaStream_t st)
{
    if (depth) {
        long npix = (long)n * ih * iw;
        maxpool_depth_kernel<T><<<k_blocks(npix * depth, 256), 256, 0, st>>>((const T *)in, ics, (T *)out, ocs, npix, c, depth);
        return cudaGetLastError();
    }
    const int v = 16 / sizeof(T);
    int strides[2] = {ics, ocs};
    const void *ptrs[2] = {in, out};
    int off = -(padding / 2);
    if (k_vec_ok(v, c, strides, 2, ptrs, 2)) {
        long total = (long)n * oh * ow * (c / v);
        maxpool_kernel<T, 16 / sizeof(T), AVG><<<k_blocks(total, 256), 256, 0, st>>>(
            (const T *)in, ics, (T *)out, ocs, n, c, ih, iw, oh, ow, size, stride, stride_y, off);
    } else {
        long total = (long)n * oh * ow * c;
        maxpool_kernel<T, 1, AVG><<<k_blocks(total, 256), 256, 0, st>>>(
            (const T *)in, ics, (T *)out, ocs, n, c, ih, iw, oh, ow, size, stride, stride_y, off);
    }
    return cudaGetLastError();
}

extern "C" cudaError_t drt_k_maxpool(const void *in, int ics, void *out, int ocs, int n, int c, int ih, int iw,
                                     int oh, int ow, int size, int stride, int stride_y, int padding, int avg, int depth,
                                     int half, cudaStream_t st)
{
    if (avg)
        return half ? launch<__half, true>(in, ics, out, ocs, n, c, ih, iw, oh, ow, size, stride, stride_y, padding, 0, st)
                    : launch<float, true>(in, ics, out, ocs, n, c, ih, iw, oh, ow, size, stride, stride_y, padding, 0, st);
    return half ? launch<__half, false>(in, ics, out, ocs, n, c, ih, iw, oh, ow, size, stride, stride_y, padding, depth, st)
                : launch<float, false>(in, ics, out, ocs, n, c, ih, iw, oh, ow, size, stride, stride_y, padding, depth, st);
}
