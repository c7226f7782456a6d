/* int8 weight quantization: symmetric, one step per output channel (the CPU and CUDA engines). */
#include "graph/quantize.h"

#include <math.h>

float drt_quantize_row(const float *w, size_t n, int qmax, int8_t *q)
{
    float amax = 0.f, top = (float)qmax;
    for (size_t j = 0; j < n; j++) amax = fmaxf(amax, fabsf(w[j]));
    float step = amax > 0 ? amax / top : 1.f;
    for (size_t j = 0; j < n; j++) q[j] = (int8_t)fminf(top, fmaxf(-top, nearbyintf(w[j] / step)));
    return step;
}

float drt_quantize_row_s8(const float *w, size_t n, int8_t *q) { return drt_quantize_row(w, n, 127, q); }
