/* Channel-slice copies (route pieces) and Darknet's general shortcut (unfused residual add). */
#include "backend/cuda/cuda-kernels.h"
#include "backend/cuda/cuda-common.cuh"

template <typename T, int V>
__global__ void copy_kernel(const T *__restrict__ in, int ics, T *__restrict__ out, int ocs, long npix, int c)
{
    int cv = c / V;
    long total = npix * cv;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long p = i / cv;
        int ch = (int)(i - p * cv) * V;
        float v[V];
        k_ldv<T, V>(in + p * ics + ch, v);
        k_stv<T, V>(out + p * ocs + ch, v);
    }
}

template <typename T>
static cudaError_t copy_launch(const void *in, int ics, void *out, int ocs, long npix, int c, cudaStream_t st)
{
    const int v = 16 / sizeof(T);
    int strides[2] = {ics, ocs};
    const void *ptrs[2] = {in, out};
    if (k_vec_ok(v, c, strides, 2, ptrs, 2))
        copy_kernel<T, 16 / sizeof(T)><<<k_blocks(npix * (c / v), 256), 256, 0, st>>>((const T *)in, ics, (T *)out,
                                                                                      ocs, npix, c);
    else
        copy_kernel<T, 1><<<k_blocks(npix * c, 256), 256, 0, st>>>((const T *)in, ics, (T *)out, ocs, npix, c);
    return cudaGetLastError();
}

extern "C" cudaError_t drt_k_copy(const void *in, int ics, void *out, int ocs, long npix, int c, int half,
                                  cudaStream_t st)
{
    return half ? copy_launch<__half>(in, ics, out, ocs, npix, c, st) : copy_launch<float>(in, ics, out, ocs, npix, c, st);
}

/* pjreddie's shortcut_cpu: stride = bw/aw (>= 1), sample = aw/bw (>= 1); out pixel (x, y) of a
 * gets b[(y/sample)*stride, (x/sample)*stride] when x, y are multiples of sample and inside the
 * smaller of the two sizes; channels up to the smaller count. Then the activation. */
template <typename T>
__global__ void shortcut_kernel(const T *a, int acs, const T *b, int bcs, T *out, int ocs, int n, int ac, int ah,
                                int aw, int bc, int bh, int bw, int act)
{
    int stride = bw / aw < 1 ? 1 : bw / aw;
    int sample = aw / bw < 1 ? 1 : aw / bw;
    int minw = aw < bw ? aw : bw, minh = ah < bh ? ah : bh, minc = ac < bc ? ac : bc;
    long total = (long)n * ah * aw * ac;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        int ch = (int)(i % ac);
        long p = i / ac;
        int x = (int)(p % aw);
        long q = p / aw;
        int y = (int)(q % ah);
        long nb = q / ah;
        float v = k_ld(a + p * acs + ch);
        if (ch < minc && x % sample == 0 && y % sample == 0 && x / sample < minw && y / sample < minh) {
            long bp = (nb * bh + (long)(y / sample) * stride) * bw + (long)(x / sample) * stride;
            v += k_ld(b + bp * bcs + ch);
        }
        k_st(out + p * ocs + ch, k_act(act, v));
    }
}

extern "C" cudaError_t drt_k_shortcut(const void *a, int acs, const void *b, int bcs, void *out, int ocs, int n,
                                      int ac, int ah, int aw, int bc, int bh, int bw, int act, int half,
                                      cudaStream_t st)
{
    long total = (long)n * ah * aw * ac;
    if (half)
        shortcut_kernel<__half><<<k_blocks(total, 256), 256, 0, st>>>((const __half *)a, acs, (const __half *)b, bcs,
                                                                      (__half *)out, ocs, n, ac, ah, aw, bc, bh, bw, act);
    else
        shortcut_kernel<float><<<k_blocks(total, 256), 256, 0, st>>>((const float *)a, acs, (const float *)b, bcs,
                                                                     (float *)out, ocs, n, ac, ah, aw, bc, bh, bw, act);
    return cudaGetLastError();
}
