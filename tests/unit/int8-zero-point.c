/* src/engine/int8-zero-point.c, what CUDA's int8 convs with a zero point (--int8-activations asym; only convs that pad
 * nothing take one) add to cuDNN's sums: on random convs (1x1, 3x3 and 5x5, strides 1 and 2, dilation 1 and 2,
 * non-square inputs), random int8 weights and input codes and zero points, dq sum(w_q q) + the bias less
 * drt_zp_bias's term equals, at every output pixel and channel, the direct conv of the real input x = q - zp (in
 * steps: dq sum w_q (q - zp) + bias). */
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

typedef struct geometry {
    int stride_x, stride_y, dil, in_h, in_w, out_h, out_w;
} geometry;

static void check_conv(drt_zp_conv c, geometry g, int zp)
{
    int taps = c.r * c.s;
    size_t nw = (size_t)c.k * taps * c.cpg, nx = (size_t)g.in_h * g.in_w * c.cpg;
    int8_t *w = malloc(nw), *q = malloc(nx);
    float *dq = malloc(c.k * sizeof *dq), *bias = malloc(c.k * sizeof *bias), *b0 = malloc(c.k * sizeof *b0);
    if (!w || !q || !dq || !bias || !b0) { CHECK(0, "out of memory"); return; }
    for (size_t i = 0; i < nw; i++) w[i] = (int8_t)rnd(-127, 127);
    for (size_t i = 0; i < nx; i++) q[i] = (int8_t)rnd(-128, 127);
    for (int k = 0; k < c.k; k++) dq[k] = (float)rnd(1, 100) / 4096.f, bias[k] = b0[k] = (float)rnd(-50, 50) / 8.f;
    drt_zp_bias(&c, w, dq, zp, bias);
    double worst = 0;
    for (int oy = 0; oy < g.out_h; oy++)
        for (int ox = 0; ox < g.out_w; ox++)
            for (int k = 0; k < c.k; k++) {
                long lib = 0, real = 0; /* the library's sums of codes, the real conv's */
                for (int ry = 0; ry < c.r; ry++)
                    for (int sx = 0; sx < c.s; sx++) {
                        int y = oy * g.stride_y + ry * g.dil, x = ox * g.stride_x + sx * g.dil;
                        for (int ch = 0; ch < c.cpg; ch++) {
                            long wv = w[((size_t)k * taps + ry * c.s + sx) * c.cpg + ch], qv = q[((size_t)y * g.in_w + x) * c.cpg + ch];
                            lib += wv * qv;
                            real += wv * (qv - zp);
                        }
                    }
                double want = dq[k] * (double)real + b0[k], got = dq[k] * (double)lib + bias[k];
                double err = fabs(got - want) / (1.0 + fabs(want));
                if (err > worst) worst = err;
            }
    CHECK(worst < 1e-4, "%dx%d conv, stride %d/%d, dil %d, %dx%d -> %dx%d, zp %d: worst relative error %.3g", c.r, c.s,
          g.stride_x, g.stride_y, g.dil, g.in_h, g.in_w, g.out_h, g.out_w, zp, worst);
    free(w), free(q), free(dq), free(bias), free(b0);
}

int main(void)
{
    /* r, s, stride x, y, dil, input h x w; cpg and k random */
    int shapes[][7] = {{3, 3, 1, 1, 1, 7, 9}, {3, 3, 2, 2, 1, 8, 7}, {3, 3, 1, 1, 2, 9, 6}, {1, 1, 1, 1, 1, 5, 5},
                       {5, 5, 1, 1, 1, 6, 8}, {3, 3, 2, 1, 1, 7, 10}, {1, 1, 2, 2, 1, 6, 6}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int z = 0; z < 3; z++) {
            int *v = shapes[i];
            drt_zp_conv c = {.k = rnd(1, 40), .cpg = rnd(1, 24), .r = v[0], .s = v[1]};
            geometry g = {.stride_x = v[2], .stride_y = v[3], .dil = v[4], .in_h = v[5], .in_w = v[6]};
            g.out_h = (g.in_h - g.dil * (c.r - 1) - 1) / g.stride_y + 1;
            g.out_w = (g.in_w - g.dil * (c.s - 1) - 1) / g.stride_x + 1;
            check_conv(c, g, z == 0 ? -128 : z == 1 ? rnd(-128, 127) : 0);
        }
    return DONE();
}
