/* An int8 conv whose input codes carry a zero point (x = step (q - zp)), run by a library that adds up w_q q (cuDNN):
 * what its bias must hold for the result to equal the conv of the real input. Only for convs that pad nothing: cuDNN
 * pads with the code 0, which stands for -zp steps, and the per-pixel fix that makes up for it is an operand cuDNN's
 * fused int8 kernels read for the first image of a batch only (session 23, bench/results/device-2026-12-06-s23/).
 * Weights KRSC: w[((k * r * s) + tap) * cpg + c]. */
#ifndef DRT_ENGINE_INT8_ZERO_POINT_H
#define DRT_ENGINE_INT8_ZERO_POINT_H

#include <stdint.h>

typedef struct drt_zp_conv {
    int k, cpg, r, s; /* output channels, input channels a group, taps */
} drt_zp_conv;

/* bias[k] -= dq[k] zp sum(w_q[k]): the sums then read sum(w_q (q - zp)). */
void drt_zp_bias(const drt_zp_conv *c, const int8_t *w, const float *dq, int zp, float *bias);

#endif
