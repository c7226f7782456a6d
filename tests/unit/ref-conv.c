/* Known answers for the reference convolution: identity 1x1, zero padding and stride, groups
 * (depthwise and 2 filters per group), both batchnorm formulas, and a direct 7-loop
 * convolution on random data (tile tails, odd sizes). */
#include "ref-util.h"

static void test_identity_and_leaky(void)
{
    drt_model *m = new_model(2, 2, 2, 1);
    drt_layer *l = add_conv(m, 0, -1, 2, 1, 1, 0, 1, 0, DRT_ACT_LEAKY);
    finish_model(m);
    l->weights[0] = 1; l->weights[3] = 1; /* identity */
    l->biases[0] = 0.5f; l->biases[1] = -10.f;
    float x[8] = {1, 2, -3, 4, 5, 6, 7, 8};
    float **o = run_all(m, x);
    /* x + bias, then leaky 0.1 on negatives */
    double want[8] = {1.5, 2.5, -0.25, 4.5, -0.5, -0.4, -0.3, -0.2};
    expect("conv 1x1 identity + bias + leaky", o[0], want, 8);
    free_run(m, o);
}

static void test_padding_stride(void)
{
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    drt_model *m = new_model(1, 3, 3, 2);
    drt_layer *a = add_conv(m, 0, -1, 1, 3, 1, 1, 1, 0, DRT_ACT_LINEAR);
    drt_layer *b = add_conv(m, 1, -1, 1, 3, 2, 1, 1, 0, DRT_ACT_LINEAR);
    finish_model(m);
    for (int i = 0; i < 9; i++) a->weights[i] = b->weights[i] = 1;
    float **o = run_all(m, x);
    CHECK(m->layers[1].out.h == 2 && m->layers[1].out.w == 2, "stride 2 output %dx%d", m->layers[1].out.w, m->layers[1].out.h);
    /* sums of each 3x3 neighbourhood, zeros outside */
    double want[9] = {12, 21, 16, 27, 45, 33, 24, 39, 28};
    expect("conv 3x3 pad 1: neighbourhood sums", o[0], want, 9);
    double want2[4] = {12, 16, 24, 28};
    expect("conv 3x3 pad 1 stride 2", o[1], want2, 4);
    free_run(m, o);
}

static void test_groups(void)
{
    /* depthwise: channel 0 summed over 3x3, channel 1 doubled by the centre tap */
    float x[18] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 1, -1, 2, -2, 3, -3, 4, -4, 5};
    drt_model *m = new_model(2, 3, 3, 2);
    drt_layer *d = add_conv(m, 0, -1, 2, 3, 1, 1, 2, 0, DRT_ACT_LINEAR);
    /* 2 groups of 2 filters, 1x1: group 0 reads channel 0, group 1 channel 1 */
    drt_layer *g = add_conv(m, 1, -1, 4, 1, 1, 0, 2, 0, DRT_ACT_LINEAR);
    finish_model(m);
    CHECK(d->n_weights == 18 && g->n_weights == 4, "weights %zu %zu", d->n_weights, g->n_weights);
    for (int i = 0; i < 9; i++) d->weights[i] = 1;
    d->weights[9 + 4] = 2;
    g->weights[0] = 1; g->weights[1] = 2; g->weights[2] = 3; g->weights[3] = 4;
    float **o = run_all(m, x);
    double want[18] = {12, 21, 16, 27, 45, 33, 24, 39, 28};
    for (int i = 0; i < 9; i++) want[9 + i] = 2 * x[9 + i];
    expect("depthwise conv (groups = channels)", o[0], want, 18);
    double want2[36];
    for (int i = 0; i < 9; i++) {
        want2[i] = x[i];
        want2[9 + i] = 2 * x[i];
        want2[18 + i] = 3 * x[9 + i];
        want2[27 + i] = 4 * x[9 + i];
    }
    expect("grouped conv, 2 filters per group", o[1], want2, 36);
    free_run(m, o);
}

static void test_batchnorm(drt_bn_formula bn)
{
    /* mean 1, var 4 (or 0: where the forks differ most), scale 2, bias 0.5; x = 3, 1.001 */
    float x[2] = {3.f, 1.001f};
    drt_model *m = new_model(1, 1, 2, 2);
    drt_layer *a = add_conv(m, 0, -1, 1, 1, 1, 0, 1, 1, DRT_ACT_LINEAR);
    drt_layer *b = add_conv(m, 1, -1, 1, 1, 1, 0, 1, 1, DRT_ACT_LINEAR);
    finish_model(m);
    m->bn = bn;
    drt_layer *ls[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        ls[k]->weights[0] = 1;
        ls[k]->rolling_mean[0] = 1;
        ls[k]->rolling_var[0] = k == 0 ? 4 : 0;
        ls[k]->scales[0] = 2;
        ls[k]->biases[0] = 0.5f;
    }
    float **o = run_all(m, x);
    double xd[2] = {3.0, (double)1.001f}, want[2], want0[2];
    for (int i = 0; i < 2; i++) {
        double d4 = bn == DRT_BN_PJREDDIE ? 2.0 + 1e-6 : sqrt(4.00001);
        double d0 = bn == DRT_BN_PJREDDIE ? 1e-6 : sqrt(1e-5);
        want[i] = (xd[i] - 1) / d4 * 2 + 0.5;
        want0[i] = (xd[i] - 1) / d0 * 2 + 0.5;
    }
    const char *name = bn == DRT_BN_PJREDDIE ? "pjreddie" : "alexeyab";
    char what[96];
    snprintf(what, sizeof what, "batchnorm %s, var 4", name);
    expect(what, o[0], want, 2);
    snprintf(what, sizeof what, "batchnorm %s, var 0", name);
    /* var 0 amplifies float rounding of x - mean: compare at 1e-4 */
    for (int i = 0; i < 2; i++)
        CHECK(fabs(o[1][i] - want0[i]) <= 1e-4 * fabs(want0[i]), "%s [%d] = %.9g, want %.9g", what, i, o[1][i], want0[i]);
    printf("ok %s\n", what);
    free_run(m, o);
}

/* y[f][oy][ox] = sum over c, ky, kx, straight from the definition. */
static void direct_conv(const drt_layer *l, drt_shape in, const float *x, double *y)
{
    int cg = in.c / l->groups, fg = l->filters / l->groups;
    for (int f = 0; f < l->filters; f++) {
        int g = f / fg;
        for (int oy = 0; oy < l->out.h; oy++)
            for (int ox = 0; ox < l->out.w; ox++) {
                double s = 0;
                for (int c = 0; c < cg; c++)
                    for (int ky = 0; ky < l->size; ky++)
                        for (int kx = 0; kx < l->size; kx++) {
                            int iy = oy * l->stride + ky - l->pad, ix = ox * l->stride + kx - l->pad;
                            if (iy < 0 || iy >= in.h || ix < 0 || ix >= in.w) continue;
                            s += (double)l->weights[((size_t)f * cg + c) * l->size * l->size + ky * l->size + kx] *
                                 x[((size_t)(g * cg + c) * in.h + iy) * in.w + ix];
                        }
                y[((size_t)f * l->out.h + oy) * l->out.w + ox] = s + l->biases[f];
            }
    }
}

static void test_against_direct(int c, int h, int w, int filters, int size, int stride, int pad, int groups)
{
    drt_model *m = new_model(c, h, w, 1);
    drt_layer *l = add_conv(m, 0, -1, filters, size, stride, pad, groups, 0, DRT_ACT_LINEAR);
    finish_model(m);
    unsigned st = 12345u + (unsigned)(c * 7 + size * 3 + stride + groups);
    for (size_t i = 0; i < l->n_weights; i++) l->weights[i] = test_rand(&st);
    for (int f = 0; f < filters; f++) l->biases[f] = test_rand(&st);
    size_t n_in = (size_t)c * h * w, n_out = drt_shape_size(l->out);
    float *x = malloc(n_in * sizeof *x);
    double *want = malloc(n_out * sizeof *want);
    for (size_t i = 0; i < n_in; i++) x[i] = test_rand(&st);
    direct_conv(l, (drt_shape){c, h, w}, x, want);
    float **o = run_all(m, x);
    char what[128];
    snprintf(what, sizeof what, "conv %dx%dx%d f=%d size=%d stride=%d pad=%d groups=%d = direct", c, h, w, filters,
             size, stride, pad, groups);
    expect(what, o[0], want, (int)n_out);
    free(x);
    free(want);
    free_run(m, o);
}

int main(void)
{
    test_identity_and_leaky();
    test_padding_stride();
    test_groups();
    test_batchnorm(DRT_BN_ALEXEYAB);
    test_batchnorm(DRT_BN_PJREDDIE);
    test_against_direct(5, 11, 13, 7, 3, 1, 1, 1);
    test_against_direct(5, 11, 13, 7, 3, 2, 1, 1);
    test_against_direct(6, 9, 10, 6, 3, 1, 1, 6);
    test_against_direct(6, 17, 9, 4, 3, 2, 0, 2);
    test_against_direct(4, 20, 20, 9, 1, 1, 0, 1);
    test_against_direct(3, 8, 7, 5, 5, 1, 2, 1);
    return DONE();
}
