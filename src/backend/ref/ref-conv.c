/* Reference convolution: im2col of a tile of output pixels, a plain GEMM, then Darknet's
 * batchnorm (or bias) and activation. Each output sums its products in kernel order, exactly
 * as Darknet's gemm_nn does, so results match Darknet's to the last bit or so. */
#include "backend/ref/ref.h"

#include <math.h>
#include <string.h>

/* Output pixels per tile: the packed input tile is K x TILE floats and the accumulators
 * 4 x TILE; a compile-time width lets the compiler vectorize the inner loop. */
#define TILE 64

size_t drt_ref_conv_work_floats(const drt_layer *l, drt_shape in)
{
    size_t k = (size_t)(in.c / l->groups) * (size_t)l->size * (size_t)l->size;
    size_t m = (size_t)(l->filters / l->groups);
    return k * TILE + m * TILE + 2 * TILE;
}

/* Packs columns j0 .. j0+nt-1 of the im2col matrix of one group's input (cg channels) into
 * b[K][TILE]; columns past nt are zero. */
static void pack_tile(const drt_layer *l, drt_shape in, int cg, int ow, const float *x, int j0, int nt,
                      float *b, int *ybase, int *xbase)
{
    int d = l->dilation > 1 ? l->dilation : 1; /* AlexeyAB: taps d apart, pad x d on each side */
    for (int j = 0; j < TILE; j++) {
        int p = j0 + (j < nt ? j : 0);
        ybase[j] = (p / ow) * l->stride_y - l->pad * d;
        xbase[j] = (p % ow) * l->stride - l->pad * d;
    }
    int s = l->size;
    for (int c = 0; c < cg; c++) {
        const float *xc = x + (size_t)c * in.h * in.w;
        for (int kh = 0; kh < s; kh++) {
            for (int kw = 0; kw < s; kw++) {
                float *row = b + ((size_t)(c * s + kh) * s + kw) * TILE;
                for (int j = 0; j < nt; j++) {
                    int iy = ybase[j] + kh * d, ix = xbase[j] + kw * d;
                    row[j] = (iy >= 0 && iy < in.h && ix >= 0 && ix < in.w) ? xc[(size_t)iy * in.w + ix] : 0.f;
                }
                for (int j = nt; j < TILE; j++) row[j] = 0.f;
            }
        }
    }
}

/* c[m][TILE] = a[m][k] . b[k][TILE], summing p = 0 .. k-1 in order (Darknet's order).
 * Not instrumented by the sanitizers (10x slower otherwise): pack_tile writes all of b and
 * the epilogue reads all of c under them; a lies inside the model's parameter blob. */
#if defined(__GNUC__)
__attribute__((no_sanitize("address", "undefined")))
#endif
static void gemm_tile(int m, int k, const float *restrict a, const float *restrict b, float *restrict c)
{
    int i = 0;
    for (; i + 4 <= m; i += 4) {
        float acc0[TILE] = {0}, acc1[TILE] = {0}, acc2[TILE] = {0}, acc3[TILE] = {0};
        const float *a0 = a + (size_t)i * k, *a1 = a0 + k, *a2 = a1 + k, *a3 = a2 + k;
        for (int p = 0; p < k; p++) {
            const float *bp = b + (size_t)p * TILE;
            float w0 = a0[p], w1 = a1[p], w2 = a2[p], w3 = a3[p];
            for (int j = 0; j < TILE; j++) {
                acc0[j] += w0 * bp[j];
                acc1[j] += w1 * bp[j];
                acc2[j] += w2 * bp[j];
                acc3[j] += w3 * bp[j];
            }
        }
        memcpy(c + (size_t)i * TILE, acc0, sizeof acc0);
        memcpy(c + (size_t)(i + 1) * TILE, acc1, sizeof acc1);
        memcpy(c + (size_t)(i + 2) * TILE, acc2, sizeof acc2);
        memcpy(c + (size_t)(i + 3) * TILE, acc3, sizeof acc3);
    }
    for (; i < m; i++) {
        float acc[TILE] = {0};
        const float *ai = a + (size_t)i * k;
        for (int p = 0; p < k; p++) {
            const float *bp = b + (size_t)p * TILE;
            float w = ai[p];
            for (int j = 0; j < TILE; j++) acc[j] += w * bp[j];
        }
        memcpy(c + (size_t)i * TILE, acc, sizeof acc);
    }
}

/* Darknet's order after the GEMM: normalize_cpu, scale_bias, add_bias (or add_bias alone),
 * then activate_array, on the n values of filter f. */
static void finish_row(const drt_layer *l, drt_bn_formula bn, int f, const float *c, float *y, int n)
{
    float bias = l->biases[f];
    if (l->batch_normalize) {
        float var = l->rolling_var[f], mean = l->rolling_mean[f], scale = l->scales[f];
        float denom = bn == DRT_BN_PJREDDIE ? sqrtf(var) + .000001f : sqrtf(var + .00001f);
        for (int j = 0; j < n; j++) y[j] = drt_act_apply(l->act, (c[j] - mean) / denom * scale + bias);
    } else {
        for (int j = 0; j < n; j++) y[j] = drt_act_apply(l->act, c[j] + bias);
    }
}

void drt_ref_conv(const drt_layer *l, drt_bn_formula bn, drt_shape in, const float *x, float *y, float *work)
{
    int groups = l->groups;
    int cg = in.c / groups, mg = l->filters / groups;
    int k = cg * l->size * l->size;
    int n = l->out.h * l->out.w;
    float *b = work, *c = work + (size_t)k * TILE;
    int *ybase = (int *)(c + (size_t)mg * TILE), *xbase = ybase + TILE;
    for (int g = 0; g < groups; g++) {
        const float *xg = x + (size_t)g * cg * in.h * in.w;
        const float *ag = l->weights + (size_t)g * mg * k;
        for (int j0 = 0; j0 < n; j0 += TILE) {
            int nt = n - j0 < TILE ? n - j0 : TILE;
            pack_tile(l, in, cg, l->out.w, xg, j0, nt, b, ybase, xbase);
            gemm_tile(mg, k, ag, b, c);
            for (int i = 0; i < mg; i++)
                finish_row(l, bn, g * mg + i, c + (size_t)i * TILE, y + (size_t)(g * mg + i) * n + j0, nt);
        }
    }
}
