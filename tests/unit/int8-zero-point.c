/* src/engine/int8-zero-point.c, what CUDA's int8 convs with a zero point (--int8-activations asym) add to cuDNN's
 * sums: on random convs (3x3 and 1x1, strides 1 and 2, padding 1 and 2, dilation 1 and 2, non-square inputs, a
 * grouped conv), random int8 weights and input codes and zero points, dq (sum over the taps inside of w_q q, cuDNN
 * padding with the code 0) + the bias less drt_zp_bias's term + drt_zp_border_fix's equals, at every output pixel and
 * channel, the direct conv of the real input x = q - zp padded with 0 (in steps: dq sum w_q (q - zp) + bias). */
#include "engine/int8-zero-point.h"
#include "unit/check.h"

#include <math.h>
#include <stdlib.h>

static unsigned rng = 12345;
static int rnd(int lo, int hi) /* lo..hi */
{
    rng = rng * 1103515245u + 12345u;
    return lo + (int)((rng >> 8) % (unsigned)(hi - lo + 1));
}

static void check_conv(drt_zp_conv c, int zp)
{
    int taps = c.r * c.s;
    size_t nw = (size_t)c.k * taps * c.cpg, nx = (size_t)c.in_h * c.in_w * c.cpg, ny = (size_t)c.out_h * c.out_w * c.k;
    int8_t *w = malloc(nw), *q = malloc(nx);
    float *dq = malloc(c.k * sizeof *dq), *bias = malloc(c.k * sizeof *bias), *fix = malloc(ny * sizeof *fix);
    if (!w || !q || !dq || !bias || !fix) { CHECK(0, "out of memory"); return; }
    for (size_t i = 0; i < nw; i++) w[i] = (int8_t)rnd(-127, 127);
    for (size_t i = 0; i < nx; i++) q[i] = (int8_t)rnd(-128, 127);
    float b0[64];
    for (int k = 0; k < c.k; k++) dq[k] = (float)rnd(1, 100) / 4096.f, bias[k] = b0[k] = (float)rnd(-50, 50) / 8.f;
    drt_zp_bias(&c, w, dq, zp, bias);
    CHECK(drt_zp_border_fix(&c, w, dq, zp, fix) == 0, "drt_zp_border_fix failed");
    double worst = 0;
    for (int oy = 0; oy < c.out_h; oy++)
        for (int ox = 0; ox < c.out_w; ox++)
            for (int k = 0; k < c.k; k++) {
                long lib = 0, real = 0; /* the library's sums (padding: the code 0), the real conv's (padding: 0) */
                for (int ry = 0; ry < c.r; ry++)
                    for (int sx = 0; sx < c.s; sx++) {
                        int y = oy * c.stride_y - c.pad + ry * c.dil, x = ox * c.stride_x - c.pad + sx * c.dil;
                        if (y < 0 || y >= c.in_h || x < 0 || x >= c.in_w) continue;
                        for (int ch = 0; ch < c.cpg; ch++) {
                            long wv = w[((size_t)k * taps + ry * c.s + sx) * c.cpg + ch], qv = q[((size_t)y * c.in_w + x) * c.cpg + ch];
                            lib += wv * qv;
                            real += wv * (qv - zp);
                        }
                    }
                double want = dq[k] * (double)real + b0[k];
                double got = dq[k] * (double)lib + bias[k] + fix[((size_t)oy * c.out_w + ox) * c.k + k];
                double err = fabs(got - want) / (1.0 + fabs(want));
                if (err > worst) worst = err;
            }
    CHECK(worst < 1e-4, "%dx%d conv, stride %d/%d, pad %d, dil %d, %dx%d -> %dx%d, zp %d: worst relative error %.3g",
          c.r, c.s, c.stride_x, c.stride_y, c.pad, c.dil, c.in_h, c.in_w, c.out_h, c.out_w, zp, worst);
    free(w), free(q), free(dq), free(bias), free(fix);
}

int main(void)
{
    /* r, s, stride x, y, pad, dil, input h x w; cpg and k random */
    int shapes[][8] = {{3, 3, 1, 1, 1, 1, 7, 9}, {3, 3, 2, 2, 1, 1, 8, 7}, {3, 3, 1, 1, 2, 2, 9, 6}, {1, 1, 1, 1, 0, 1, 5, 5},
                       {5, 5, 1, 1, 2, 1, 6, 8}, {3, 3, 2, 1, 1, 1, 7, 10}, {3, 3, 1, 1, 0, 1, 6, 6}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int z = 0; z < 3; z++) {
            int *v = shapes[i];
            drt_zp_conv c = {.k = rnd(1, 40), .cpg = rnd(1, 24), .r = v[0], .s = v[1], .stride_x = v[2], .stride_y = v[3],
                             .pad = v[4], .dil = v[5], .in_h = v[6], .in_w = v[7]};
            c.out_h = (c.in_h + 2 * c.pad - c.dil * (c.r - 1) - 1) / c.stride_y + 1;
            c.out_w = (c.in_w + 2 * c.pad - c.dil * (c.s - 1) - 1) / c.stride_x + 1;
            check_conv(c, z == 0 ? -128 : z == 1 ? rnd(-128, 127) : 0);
        }
    /* the fix is 0 where no tap reaches the padding, and not 0 at a corner with a zero point */
    drt_zp_conv c = {.k = 1, .cpg = 1, .r = 3, .s = 3, .stride_x = 1, .stride_y = 1, .pad = 1, .dil = 1, .in_h = 4,
                     .in_w = 4, .out_h = 4, .out_w = 4};
    int8_t w[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    float dq = 1, fix[16];
    CHECK(drt_zp_border_fix(&c, w, &dq, 10, fix) == 0, "drt_zp_border_fix");
    CHECK(fix[0] == 50 && fix[1] == 30 && fix[5] == 0 && fix[15] == 50, "corner 5 taps x 10 = 50, edge 30, inside 0: "
          "%g %g %g %g", fix[0], fix[1], fix[5], fix[15]);
    return DONE();
}
