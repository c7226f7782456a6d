/* YOLOv2's [reorg] (AlexeyAB's reorg_old) on NHWC views: Darknet's own index order on flat CHW indices
 * of each tensor's shape (in: c x h x w, out: c*s*s x h/s x w/s), as the CPU engine's kernel. */
#include "backend/cuda/cuda-kernels.h"
#include "backend/cuda/cuda-common.cuh"

template <typename T>
__global__ void reorg_kernel(const T *__restrict__ in, int ics, T *__restrict__ out, int ocs, int n, int c, int h, int w,
                             long ohw, int s)
{
    long hw = (long)h * w, per = (long)c * hw;
    int out_c = c / (s * s);
    long total = (long)n * per;
    for (long t = blockIdx.x * (long)blockDim.x + threadIdx.x; t < total; t += (long)gridDim.x * blockDim.x) {
        long b = t / per, r = t - b * per; /* r = i + w * (j + h * k): the flat index in out's CHW order */
        int k = (int)(r / hw), j = (int)(r / w % h), i = (int)(r % w);
        int c2 = k % out_c, off = k / out_c;
        long w2 = (long)i * s + off % s, h2 = (long)j * s + off / s;
        long x = w2 + (long)w * s * (h2 + (long)h * s * c2);
        out[(b * ohw + r % ohw) * ocs + r / ohw] = in[(b * hw + x % hw) * ics + x / hw];
    }
}

template <typename T>
static cudaError_t launch(const void *in, int ics, void *out, int ocs, int n, int c, int h, int w, long ohw, int s,
                          cudaStream_t st)
{
    reorg_kernel<T><<<k_blocks((long)n * c * h * w, 256), 256, 0, st>>>((const T *)in, ics, (T *)out, ocs, n, c, h, w, ohw, s);
    return cudaGetLastError();
}

extern "C" cudaError_t drt_k_reorg(const void *in, int ics, void *out, int ocs, int n, int c, int h, int w, int oh, int ow,
                                   int stride, int half, cudaStream_t st)
{
    return half ? launch<__half>(in, ics, out, ocs, n, c, h, w, (long)oh * ow, stride, st)
                : launch<float>(in, ics, out, ocs, n, c, h, w, (long)oh * ow, stride, st);
}
