/* YOLOv1's [local] as AlexeyAB's forward_local_layer computes it: per output pixel j, out[f][j] = bias[f][j] +
 * sum over (c, ky, kx) of weights[j][f][c][ky][kx] x the input at (c, j's row x stride + ky - pad, col + kx - pad),
 * 0 outside; then the activation. Also the CPU engine's kernel (no oneDNN primitive has unshared weights). */
#include "backend/ref/ref.h"

void drt_ref_local(const drt_layer *l, drt_shape in, const float *x, float *y)
{
    int oh = l->out.h, ow = l->out.w, s = l->size, k = in.c * s * s;
    size_t locations = (size_t)oh * ow;
    for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++) {
            size_t j = (size_t)oy * ow + ox;
            const float *w = l->weights + j * (size_t)l->filters * (size_t)k;
            for (int f = 0; f < l->filters; f++, w += k) {
                size_t o = (size_t)f * locations + j;
                float sum = l->biases[o]; /* gemm's order: the bias, then the taps in (c, ky, kx) order */
                for (int c = 0; c < in.c; c++)
                    for (int ky = 0; ky < s; ky++) {
                        int iy = oy * l->stride + ky - l->pad;
                        for (int kx = 0; kx < s; kx++) {
                            int ix = ox * l->stride + kx - l->pad;
                            if (iy < 0 || iy >= in.h || ix < 0 || ix >= in.w) continue;
                            sum += w[(c * s + ky) * s + kx] * x[((size_t)c * in.h + iy) * in.w + ix];
                        }
                    }
                y[o] = drt_act_apply(l->act, sum);
            }
        }
}
