/* Darknet's letterbox (or stretch) on the GPU, bit for bit as src/vision/letterbox.c computes it:
 * the two bilinear passes of resize_image are fused (each output reads the two row-pass values it
 * needs), with every product and sum rounded on its own (no FMA contraction), as the C code does. */
#include "backend/cuda/cuda-kernels.h"
#include "backend/cuda/cuda-common.cuh"

/* Darknet's first pass: source row `row` of plane `in` resized horizontally, value at column ox. */
__device__ __forceinline__ float row_pass(const float *__restrict__ in, int iw, int row, int ox, int rw, float w_scale)
{
    const float *r = in + (long)row * iw;
    if (ox == rw - 1 || iw == 1) return r[iw - 1];
    float sx = __fmul_rn((float)ox, w_scale);
    int ix = (int)sx;
    float dx = __fsub_rn(sx, (float)ix);
    return __fadd_rn(__fmul_rn(__fsub_rn(1.f, dx), r[ix]), __fmul_rn(dx, r[ix + 1]));
}

__global__ void letterbox_kernel(const float *__restrict__ in, int c, int ih, int iw, float *__restrict__ out, int nh,
                                 int nw, int rw, int rh, int dx, int dy, float w_scale, float h_scale)
{
    long total = (long)c * nh * nw;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        int x = (int)(i % nw);
        int y = (int)((i / nw) % nh);
        int k = (int)(i / ((long)nw * nh));
        int ox = x - dx, oy = y - dy;
        if (ox < 0 || ox >= rw || oy < 0 || oy >= rh) {
            out[i] = .5f; /* Darknet's letterbox canvas */
            continue;
        }
        const float *plane = in + (long)k * ih * iw;
        float sy = __fmul_rn((float)oy, h_scale);
        int iy = (int)sy;
        float fy = __fsub_rn(sy, (float)iy);
        float v = __fmul_rn(__fsub_rn(1.f, fy), row_pass(plane, iw, iy, ox, rw, w_scale));
        if (!(oy == rh - 1 || ih == 1)) v = __fadd_rn(v, __fmul_rn(fy, row_pass(plane, iw, iy + 1, ox, rw, w_scale)));
        out[i] = v;
    }
}

extern "C" cudaError_t drt_k_letterbox(const float *in, int c, int ih, int iw, float *out, int nh, int nw, int rw,
                                       int rh, int dx, int dy, float w_scale, float h_scale, cudaStream_t st)
{
    long total = (long)c * nh * nw;
    letterbox_kernel<<<k_blocks(total, 256), 256, 0, st>>>(in, c, ih, iw, out, nh, nw, rw, rh, dx, dy, w_scale, h_scale);
    return cudaGetLastError();
}
