/* Launchers of the CUDA backend's own kernels (C linkage). Pointers to views point at the view's
 * first channel; `cs` arguments are channel strides (NHWC). `half`: fp16 storage, else fp32.
 * Each returns the launch error (cudaGetLastError). */
#ifndef DRT_BACKEND_CUDA_KERNELS_H
#define DRT_BACKEND_CUDA_KERNELS_H

#include <cuda_runtime_api.h>

#include "vision/nv12-sws.h"

#ifdef __cplusplus
extern "C" {
#endif

/* float32 NCHW (c channels) -> NHWC with cs >= c channels, the rest zero. */
cudaError_t drt_k_input(const float *in, void *out, int half, int n, int c, int h, int w, int cs,
                        cudaStream_t st);
/* out = act2(act(y + bias) + res) (res may be NULL: out = act(y + bias); bias may be NULL: none); npix
 * pixels, c channels. y may be out (in place). */
cudaError_t drt_k_epilogue(const void *y, int ycs, void *out, int ocs, const void *res, int rcs,
                           const float *bias, int c, long npix, int act, int act2, int half,
                           cudaStream_t st);
/* Darknet maxpool (avg 1: AlexeyAB's [local_avgpool], the mean of the taps inside): window size, strides
 * (horizontal, vertical), offset -padding/2, out-of-image taps skipped; depth > 0: AlexeyAB's maxpool_depth, depth
 * out channels, each the max over channels g, g + depth, ... */
cudaError_t drt_k_maxpool(const void *in, int ics, void *out, int ocs, int n, int c, int ih, int iw,
                          int oh, int ow, int size, int stride, int stride_y, int padding, int avg, int depth, int half,
                          cudaStream_t st);
/* One step of a weighted or multi-input [shortcut]: out = act(a * wa[ch * step] + b * wb[ch * step]) on b's bc
 * channels, act(a * wa) on the rest (wa, wb: device floats, NULL for 1; step 1 per channel, 0 per feature); a may
 * be out. */
cudaError_t drt_k_wsum(const void *a, int acs, const float *wa, const void *b, int bcs, int bc, const float *wb, void *out,
                       int ocs, int c, long npix, int step, int act, int half, cudaStream_t st);
/* [implicit]: out = w[ch] (device floats) at each of npix pixels. */
cudaError_t drt_k_const(const float *w, void *out, int ocs, int c, long npix, int half, cudaStream_t st);
/* [batchnorm]: out = in * mul[ch] + add[ch] over npix pixels of c channels (mul, add: device floats). */
cudaError_t drt_k_affine(const void *in, int ics, void *out, int ocs, const float *mul, const float *add, int c, long npix,
                         int half, cudaStream_t st);
/* xnor=1 convs' input step: out = in > 0 ? 1 : 0 (step.cu). */
cudaError_t drt_k_step(const void *in, int ics, void *out, int ocs, int c, long npix, int half, cudaStream_t st);
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
/* [avgpool]: the mean of each of c channels over h x w pixels -> c x 1 x 1 per image. */
cudaError_t drt_k_avgpool(const void *in, int ics, void *out, int ocs, int n, int c, int h, int w, int half,
                          cudaStream_t st);
/* [scale_channels] (per_channel 1: a holds c factors per image) and [sam] (per_channel 0: a has b's
 * shape): out = act(a * b) over n x h x w pixels of c channels. */
cudaError_t drt_k_product(const void *a, int acs, const void *b, int bcs, void *out, int ocs, int n, int c, int h,
                          int w, int per_channel, int act, int half, cudaStream_t st);
/* [reorg3d]: space to depth by stride (c x ih x iw -> c*stride*stride x oh x ow), out channel
 * (dy*stride + dx)*c + c_in. */
cudaError_t drt_k_reorg3d(const void *in, int ics, void *out, int ocs, int n, int c, int ih, int iw, int oh, int ow,
                          int stride, int half, cudaStream_t st);
/* YOLOv2's [reorg]: c x h x w -> c*stride*stride x oh x ow (h/stride, w/stride) in Darknet's own index order. */
cudaError_t drt_k_reorg(const void *in, int ics, void *out, int ocs, int n, int c, int h, int w, int oh, int ow, int stride,
                        int half, cudaStream_t st);
/* fp16 view (c channels, stride ics) -> int8 with cq channels (a multiple of 4; the rest zp):
 * q = clamp(rint(x / step) + zp, qmin, 127); symmetric: zp 0, qmin -127; with a zero point qmin -128. */
cudaError_t drt_k_quantize(const void *in, int ics, void *out, int cq, int c, long npix, float step, int zp, int qmin,
                           cudaStream_t st);
/* NHWC view -> float32 NCHW. */
cudaError_t drt_k_head(const void *in, int ics, float *out, int n, int c, int h, int w, int half,
                       cudaStream_t st);

/* Darknet's letterbox of a float CHW image (c x ih x iw) into float CHW out (c x nh x nw): the image
 * resized to rw x rh at (dx, dy), 0.5 around it; w_scale, h_scale as Darknet's resize_image has them
 * ((src - 1) / (dst - 1), 0 for one pixel). A stretch is rw = nw, rh = nh, dx = dy = 0. */
cudaError_t drt_k_letterbox(const float *in, int c, int ih, int iw, float *out, int nh, int nw, int rw,
                            int rh, int dx, int dy, float w_scale, float h_scale, cudaStream_t st);
/* The same from 8-bit interleaved RGB (bgr 0) or BGR (bgr 1) rows of `stride` bytes, each byte read
 * as (float)(v / 255.) like drt_image_load's; three planes out. */
cudaError_t drt_k_letterbox_u8(const unsigned char *in, long stride, int bgr, int ih, int iw, float *out, int nh,
                               int nw, int rw, int rh, int dx, int dy, float w_scale, float h_scale, cudaStream_t st);
/* The same from an NV12 frame on the device (an NVDEC frame: Y rows of y_pitch bytes, UV rows of
 * uv_pitch), each pixel converted to RGB8 as libswscale converts it (vision/nv12-sws.h, `sws`) and
 * read as v / 255: the host path's input (NV12 -> swscale RGB8 -> letterbox) bit for bit. */
cudaError_t drt_k_letterbox_nv12(const unsigned char *y, long y_pitch, const unsigned char *uv, long uv_pitch,
                                 drt_nv12_sws sws, int ih, int iw, float *out, int nh, int nw, int rw, int rh, int dx,
                                 int dy, float w_scale, float h_scale, cudaStream_t st);

/* YOLO decode and NMS on the GPU (yolo-post.cu). A candidate has src/vision's drt_candidate layout. */
#define DRT_K_CAND_CAP 4096 /* candidates per image the device keeps; more: the host decodes */
typedef struct drt_k_cand {
    float x1, y1, x2, y2, score;
    int class_id;
    unsigned id; /* cell-anchor over the heads in order (the order of equal scores) */
} drt_k_cand;
/* One image's candidates: count may exceed DRT_K_CAND_CAP (then only the first ones are stored);
 * status: 0 ok, 1 more than the cap, 2 NMS not done on the device (left unsorted for the host). */
typedef struct drt_k_cands {
    int count, status, pad[6];
    drt_k_cand items[DRT_K_CAND_CAP];
} drt_k_cands;
/* How one image's network-relative boxes map to its pixels (src/vision/yolo-decode.c's box_map). */
typedef struct drt_k_box_map {
    double off_x, off_y;
    float div_x, div_y, mul_w, mul_h;
    int img_w, img_h;
} drt_k_box_map;
/* One head (float32 NCHW per image on the device) with its [yolo] parameters. */
typedef struct drt_k_yolo_head {
    const float *data;
    long item_floats;   /* floats per image */
    int w, h, n, classes, new_coords;
    float scale_x_y, xy_bias; /* xy_bias: (float)(-0.5 * (scale_x_y - 1)) */
    int id_base;        /* cell-anchor ids of this head start here */
    float anchors[64];
} drt_k_yolo_head;
/* Appends the candidates of one head for n images to cands[i] (in no particular order).
 * obj_cut: logit floor of thresh (thresh with new_coords). */
cudaError_t drt_k_yolo_decode(const drt_k_yolo_head *head, int n, int net_w, int net_h, float thresh, float obj_cut,
                              const drt_k_box_map *maps, drt_k_cands *cands, cudaStream_t st);
/* Per-class greedy NMS of each image's candidates (Darknet's do_nms_sort; equal scores by id, as
 * src/vision/nms.c), survivors sorted by falling score, class, id into out[i]; a block per image. */
cudaError_t drt_k_nms(const drt_k_cands *cands, int n, float nms, drt_k_cands *out, cudaStream_t st);

#ifdef __cplusplus
}
#endif
#endif
