/* int8 weight quantization, the one every backend uses: symmetric, per output channel. */
#ifndef DRT_GRAPH_QUANTIZE_H
#define DRT_GRAPH_QUANTIZE_H

#include <stddef.h>
#include <stdint.h>

/* One output channel's `n` (batchnorm-folded) weights scaled to [-qmax, qmax]: q[j] = rint(w[j] / step),
 * step = max|w| / qmax (1 when all are zero; NaN quantizes to -qmax). Returns step. */
float drt_quantize_row(const float *w, size_t n, int qmax, int8_t *q);
/* drt_quantize_row with qmax 127. */
float drt_quantize_row_s8(const float *w, size_t n, int8_t *q);

#endif
