/* Darknet's letterbox (or stretch) on the GPU, bit for bit as src/vision/letterbox.c computes it:
 * the two bilinear passes of resize_image are fused (each output reads the two row-pass values it
 * needs), with every product and sum rounded on its own (no FMA contraction), as the C code does.
 * The source is a float CHW image, 8-bit interleaved RGB/BGR pixels read as (float)(v / 255.), the
 * value drt_image_load gives them, so both give the same network input, or an NVDEC NV12 frame
 * whose pixels are first converted as libswscale converts them on the host path. */
#include "backend/cuda/cuda-kernels.h"
#include "backend/cuda/cuda-common.cuh"

/* A float CHW image. */
struct src_float {
    const float *p;
    int ih, iw;
    __device__ __forceinline__ float at(int k, int row, int x) const { return p[((long)k * ih + row) * iw + x]; }
};

/* 8-bit interleaved rows of `stride` bytes; plane k (R, G, B) is byte k, or 2 - k for BGR. */
struct src_u8 {
    const unsigned char *p;
    long stride;
    int bgr;
    __device__ __forceinline__ float at(int k, int row, int x) const
    {
        unsigned char v = p[row * stride + 3L * x + (bgr ? 2 - k : k)];
        return __double2float_rn(__ddiv_rn((double)v, 255.0));
    }
};

/* An NV12 frame on the device: each pixel to RGB8 as libswscale does (vision/nv12-sws.h), then v / 255. */
struct src_nv12 {
    const unsigned char *y, *uv;
    long y_pitch, uv_pitch;
    drt_nv12_sws sws;
    __device__ __forceinline__ float at(int k, int row, int x) const
    {
        unsigned char rgb[3];
        drt_nv12_sws_at(&sws, y, (size_t)y_pitch, uv, (size_t)uv_pitch, x, row, rgb);
        return __double2float_rn(__ddiv_rn((double)rgb[k], 255.0));
    }
};

/* Darknet's first pass: source row `row` of plane k resized horizontally, value at column ox. */
template <typename S>
__device__ __forceinline__ float row_pass(const S &s, int k, int iw, int row, int ox, int rw, float w_scale)
{
    if (ox == rw - 1 || iw == 1) return s.at(k, row, iw - 1);
    float sx = __fmul_rn((float)ox, w_scale);
    int ix = (int)sx;
    float dx = __fsub_rn(sx, (float)ix);
    return __fadd_rn(__fmul_rn(__fsub_rn(1.f, dx), s.at(k, row, ix)), __fmul_rn(dx, s.at(k, row, ix + 1)));
}

template <typename S>
__global__ void letterbox_kernel(S s, int c, int ih, int iw, float *__restrict__ out, int nh, int nw, int rw, int rh,
                                 int dx, int dy, float w_scale, float h_scale)
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
        float sy = __fmul_rn((float)oy, h_scale);
        int iy = (int)sy;
        float fy = __fsub_rn(sy, (float)iy);
        float v = __fmul_rn(__fsub_rn(1.f, fy), row_pass(s, k, iw, iy, ox, rw, w_scale));
        if (!(oy == rh - 1 || ih == 1)) v = __fadd_rn(v, __fmul_rn(fy, row_pass(s, k, iw, iy + 1, ox, rw, w_scale)));
        out[i] = v;
    }
}

extern "C" cudaError_t drt_k_letterbox(const float *in, int c, int ih, int iw, float *out, int nh, int nw, int rw,
                                       int rh, int dx, int dy, float w_scale, float h_scale, cudaStream_t st)
{
    long total = (long)c * nh * nw;
    src_float s = {in, ih, iw};
    letterbox_kernel<<<k_blocks(total, 256), 256, 0, st>>>(s, c, ih, iw, out, nh, nw, rw, rh, dx, dy, w_scale, h_scale);
    return cudaGetLastError();
}

extern "C" cudaError_t drt_k_letterbox_u8(const unsigned char *in, long stride, int bgr, int ih, int iw, float *out,
                                          int nh, int nw, int rw, int rh, int dx, int dy, float w_scale, float h_scale,
                                          cudaStream_t st)
{
    long total = 3L * nh * nw;
    src_u8 s = {in, stride, bgr};
    letterbox_kernel<<<k_blocks(total, 256), 256, 0, st>>>(s, 3, ih, iw, out, nh, nw, rw, rh, dx, dy, w_scale, h_scale);
    return cudaGetLastError();
}

extern "C" cudaError_t drt_k_letterbox_nv12(const unsigned char *y, long y_pitch, const unsigned char *uv, long uv_pitch,
                                            drt_nv12_sws sws, int ih, int iw, float *out, int nh, int nw, int rw, int rh,
                                            int dx, int dy, float w_scale, float h_scale, cudaStream_t st)
{
    long total = 3L * nh * nw;
    src_nv12 s = {y, uv, y_pitch, uv_pitch, sws};
    letterbox_kernel<<<k_blocks(total, 256), 256, 0, st>>>(s, 3, ih, iw, out, nh, nw, rw, rh, dx, dy, w_scale, h_scale);
    return cudaGetLastError();
}
