/* The bias of an int8 conv with a zero point on its input (int8-zero-point.h). */
#include "engine/int8-zero-point.h"

#include <stddef.h>

void drt_zp_bias(const drt_zp_conv *c, const int8_t *w, const float *dq, int zp, float *bias)
{
    size_t per = (size_t)c->r * c->s * c->cpg;
    for (int k = 0; k < c->k; k++) {
        long sum = 0;
        for (size_t t = 0; t < per; t++) sum += w[k * per + t];
        bias[k] -= dq[k] * (float)zp * (float)sum;
    }
}
