/* Comparing engine results in the C tests: detections byte for byte, and host copies of the heads. */
#ifndef TESTS_SAME_RESULTS_H
#define TESTS_SAME_RESULTS_H

#include <stdlib.h>
#include <string.h>
#include "darkrt.h"

/* 1 when both lists exist and hold the same detections, bit for bit. */
static inline int same_dets(const drt_detections *a, const drt_detections *b)
{
    return a && b && a->count == b->count && (!a->count || !memcmp(a->items, b->items, (size_t)a->count * sizeof *a->items));
}

/* A malloc'd copy of every head of the last run (batch items 0..n-1, head after head); *count floats. */
static inline float *copy_heads(const drt_engine *e, int n, size_t *count)
{
    size_t total = 0;
    for (int h = 0; h < drt_engine_num_heads(e); h++) {
        drt_tensor_desc d;
        drt_engine_head(e, h, NULL, &d);
        total += (size_t)n * d.c * d.h * d.w;
    }
    float *out = malloc(total * sizeof(float)), *p = out;
    for (int h = 0; out && h < drt_engine_num_heads(e); h++) {
        const float *data;
        drt_tensor_desc d;
        drt_engine_head(e, h, &data, &d);
        size_t k = (size_t)n * d.c * d.h * d.w;
        memcpy(p, data, k * sizeof(float));
        p += k;
    }
    *count = total;
    return out;
}

#endif
