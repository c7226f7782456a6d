/* An int8 conv whose input codes carry a zero point (x = step (q - zp)), run by a library that adds up w_q q and pads
 * with the code 0 (cuDNN): what its bias and a per-pixel border fix must hold for the result to equal the conv of the
 * real input padded with 0 (Darknet's and fp32's). Weights KRSC: w[((k * r * s) + tap) * cpg + c], tap = ry * s + sx. */
#ifndef DRT_ENGINE_INT8_ZERO_POINT_H
#define DRT_ENGINE_INT8_ZERO_POINT_H

#include <stdint.h>

typedef struct drt_zp_conv {
    int k, cpg, r, s;            /* output channels, input channels a group, taps */
    int stride_x, stride_y, pad, dil; /* pad: pixels on every side (dilation included) */
    int in_h, in_w, out_h, out_w;
} drt_zp_conv;

/* bias[k] -= dq[k] zp sum(w_q[k]): the sums then read sum(w_q (q - zp)) where every tap reads an input pixel. */
void drt_zp_bias(const drt_zp_conv *c, const int8_t *w, const float *dq, int zp, float *bias);
/* fix (out_h, out_w, k), added after that bias: dq[k] zp sum(w_q[k]) over the taps of each output pixel that fall in
 * the padding (0 inside), where the code 0 stood for -zp steps. -1 when out of memory (fix untouched). */
int drt_zp_border_fix(const drt_zp_conv *c, const int8_t *w, const float *dq, int zp, float *fix);

#endif
