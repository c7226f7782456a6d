/* Launchers of the CUDA backend's own kernels (C linkage). Pointers to views point at the view's
 * first channel; `cs` arguments are channel strides (NHWC). `half`: fp16 storage, else fp32.
 * Each returns the launch error (cudaGetLastError). */
#ifndef DRT_BACKEND_CUDA_KERNELS_H
#define DRT_BACKEND_CUDA_KERNELS_H

#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

/* float32 NCHW (c channels) -> NHWC with cs >= c channels, the rest zero. */
cudaError_t drt_k_input(const float *in, void *out, int half, int n, int c, int h, int w, int cs,
                        cudaStream_t st);
/* out = act2(act(y + bias) + res) (res may be NULL: out = act(y + bias)); npix pixels, c channels. */
cudaError_t drt_k_epilogue(const void *y, int ycs, void *out, int ocs, const void *res, int rcs,
                           const float *bias, int c, long npix, int act, int act2, int half,
                           cudaStream_t st);
/* Darknet maxpool: window size, stride, offset -padding/2, out-of-image taps skipped. */
cudaError_t drt_k_maxpool(const void *in, int ics, void *out, int ocs, int n, int c, int ih, int iw,
                          int oh, int ow, int size, int stride, int padding, int half, cudaStream_t st);
/* Nearest-neighbour upsample by an integer stride. */
cudaError_t drt_k_upsample(const void *in, int ics, void *out, int ocs, int n, int c, int ih, int iw,
                           int stride, int half, cudaStream_t st);
/* Copies c channels of npix pixels between views. */
cudaError_t drt_k_copy(const void *in, int ics, void *out, int ocs, long npix, int c, int half,
                       cudaStream_t st);
/* Darknet's shortcut: out = act(a + b) where b is added on the overlap of channels and on the
 * pixels its stride/sample rules pick; a and out have shape (ac, ah, aw). */
cudaError_t drt_k_shortcut(const void *a, int acs, const void *b, int bcs, void *out, int ocs, int n,
                           int ac, int ah, int aw, int bc, int bh, int bw, int act, int half,
                           cudaStream_t st);
/* fp16 view (c channels, stride ics) -> int8 with cq channels (a multiple of 4; the rest zero):
 * q = clamp(rint(x / step), -127, 127). */
cudaError_t drt_k_quantize(const void *in, int ics, void *out, int cq, int c, long npix, float step,
                           cudaStream_t st);
/* NHWC view -> float32 NCHW. */
cudaError_t drt_k_head(const void *in, int ics, float *out, int n, int c, int h, int w, int half,
                       cudaStream_t st);

#ifdef __cplusplus
}
#endif
#endif
