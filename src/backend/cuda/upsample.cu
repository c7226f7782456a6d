/* Nearest-neighbour upsample on NHWC views (Darknet's [upsample], scale 1). */
#include "backend/cuda/cuda-kernels.h"
#include "backend/cuda/cuda-common.cuh"

template <typename T, int V>
__global__ void upsample_kernel(const T *__restrict__ in, int ics, T *__restrict__ out, int ocs, int n, int c,
                                int ih, int iw, int s)
{
    int cv = c / V, oh = ih * s, ow = iw * s;
    long total = (long)n * oh * ow * cv;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        int ch = (int)(i % cv) * V;
        long p = i / cv;
        int x = (int)(p % ow);
        long q = p / ow;
        int y = (int)(q % oh);
        long b = q / oh;
        float v[V];
        k_ldv<T, V>(in + ((b * ih + y / s) * iw + x / s) * ics + ch, v);
        k_stv<T, V>(out + p * ocs + ch, v);
    }
}

template <typename T>
static cudaError_t launch(const void *in, int ics, void *out, int ocs, int n, int c, int ih, int iw, int s,
                          cudaStream_t st)
{
    const int v = 16 / sizeof(T);
    int strides[2] = {ics, ocs};
    const void *ptrs[2] = {in, out};
    long pix = (long)n * ih * s * iw * s;
    if (k_vec_ok(v, c, strides, 2, ptrs, 2))
        upsample_kernel<T, 16 / sizeof(T)><<<k_blocks(pix * (c / v), 256), 256, 0, st>>>(
            (const T *)in, ics, (T *)out, ocs, n, c, ih, iw, s);
    else
        upsample_kernel<T, 1><<<k_blocks(pix * c, 256), 256, 0, st>>>((const T *)in, ics, (T *)out, ocs, n, c,
                                                                     ih, iw, s);
    return cudaGetLastError();
}

extern "C" cudaError_t drt_k_upsample(const void *in, int ics, void *out, int ocs, int n, int c, int ih, int iw,
                                      int stride, int half, cudaStream_t st)
{
    return half ? launch<__half>(in, ics, out, ocs, n, c, ih, iw, stride, st)
                : launch<float>(in, ics, out, ocs, n, c, ih, iw, stride, st);
}
