/* The bias and border fix of an int8 conv with a zero point on its input (int8-zero-point.h). */
#include "engine/int8-zero-point.h"

#include <stdlib.h>
#include <string.h>

void drt_zp_bias(const drt_zp_conv *c, const int8_t *w, const float *dq, int zp, float *bias)
{
    size_t per = (size_t)c->r * c->s * c->cpg;
    for (int k = 0; k < c->k; k++) {
        long sum = 0;
        for (size_t t = 0; t < per; t++) sum += w[k * per + t];
        bias[k] -= dq[k] * (float)zp * (float)sum;
    }
}

int drt_zp_border_fix(const drt_zp_conv *c, const int8_t *w, const float *dq, int zp, float *fix)
{
    int taps = c->r * c->s;
    long *tap_sum = calloc((size_t)c->k * taps, sizeof *tap_sum); /* per output channel and tap: over the channels */
    if (!tap_sum) return -1;
    for (int k = 0; k < c->k; k++)
        for (int t = 0; t < taps; t++)
            for (int ch = 0; ch < c->cpg; ch++) tap_sum[(size_t)k * taps + t] += w[((size_t)k * taps + t) * c->cpg + ch];
    memset(fix, 0, (size_t)c->out_h * c->out_w * c->k * sizeof *fix);
    for (int oy = 0; oy < c->out_h; oy++)
        for (int ox = 0; ox < c->out_w; ox++) {
            float *at = fix + ((size_t)oy * c->out_w + ox) * c->k;
            for (int ry = 0; ry < c->r; ry++)
                for (int sx = 0; sx < c->s; sx++) {
                    int y = oy * c->stride_y - c->pad + ry * c->dil, x = ox * c->stride_x - c->pad + sx * c->dil;
                    if (y >= 0 && y < c->in_h && x >= 0 && x < c->in_w) continue;
                    for (int k = 0; k < c->k; k++) at[k] += (float)tap_sum[(size_t)k * taps + ry * c->s + sx];
                }
            for (int k = 0; k < c->k; k++) at[k] *= dq[k] * (float)zp;
        }
    free(tap_sum);
    return 0;
}
