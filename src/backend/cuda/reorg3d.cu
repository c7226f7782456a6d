/* AlexeyAB's [reorg3d] on NHWC views: space to depth by s, out channel (dy*s + dx)*c + c_in reads
 * in(y*s + dy, x*s + dx, c_in). Vectors of V channels stay inside one (dy, dx) block (c % V == 0). */
#include "backend/cuda/cuda-kernels.h"
#include "backend/cuda/cuda-common.cuh"

template <typename T, int V>
__global__ void reorg3d_kernel(const T *__restrict__ in, int ics, T *__restrict__ out, int ocs, int n, int c, int ih,
                               int iw, int oh, int ow, int s)
{
    int oc = c * s * s, cv = oc / V;
    long total = (long)n * oh * ow * cv;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        int k = (int)(i % cv) * V;
        long p = i / cv;
        int x = (int)(p % ow);
        long q = p / ow;
        int y = (int)(q % oh);
        long b = q / oh;
        int c2 = k % c, off = k / c;
        float v[V];
        k_ldv<T, V>(in + ((b * ih + y * s + off / s) * iw + x * s + off % s) * ics + c2, v);
        k_stv<T, V>(out + p * ocs + k, v);
    }
}

template <typename T>
static cudaError_t launch(const void *in, int ics, void *out, int ocs, int n, int c, int ih, int iw, int oh, int ow, int s,
                          cudaStream_t st)
{
    const int v = 16 / sizeof(T);
    int strides[2] = {ics, ocs};
    const void *ptrs[2] = {in, out};
    long pix = (long)n * oh * ow, oc = (long)c * s * s;
    if (k_vec_ok(v, c, strides, 2, ptrs, 2))
        reorg3d_kernel<T, 16 / sizeof(T)><<<k_blocks(pix * (oc / v), 256), 256, 0, st>>>(
            (const T *)in, ics, (T *)out, ocs, n, c, ih, iw, oh, ow, s);
    else
        reorg3d_kernel<T, 1><<<k_blocks(pix * oc, 256), 256, 0, st>>>((const T *)in, ics, (T *)out, ocs, n, c, ih, iw, oh,
                                                                       ow, s);
    return cudaGetLastError();
}

extern "C" cudaError_t drt_k_reorg3d(const void *in, int ics, void *out, int ocs, int n, int c, int ih, int iw, int oh,
                                     int ow, int stride, int half, cudaStream_t st)
{
    return half ? launch<__half>(in, ics, out, ocs, n, c, ih, iw, oh, ow, stride, st)
                : launch<float>(in, ics, out, ocs, n, c, ih, iw, oh, ow, stride, st);
}
