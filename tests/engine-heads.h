/* The size of an engine's heads and copies of them, for tests and benches that keep them. */
#ifndef TESTS_ENGINE_HEADS_H
#define TESTS_ENGINE_HEADS_H

#include <stddef.h>
#include <string.h>
#include "darkrt.h"

/* Floats in one item's heads, all heads together. */
static inline size_t heads_floats(const drt_engine *e)
{
    size_t n = 0;
    for (int h = 0; h < drt_engine_num_heads(e); h++) {
        drt_tensor_desc d;
        drt_engine_head(e, h, NULL, &d);
        n += (size_t)d.c * d.h * d.w;
    }
    return n;
}

/* The heads of the last run of n items (the engine's own when c is NULL), item-major into out
 * (n x heads_floats(e) floats). */
static inline void take_heads(const drt_engine *e, const drt_context *c, int n, float *out)
{
    for (int i = 0; i < n; i++)
        for (int h = 0; h < drt_engine_num_heads(e); h++) {
            const float *p;
            drt_tensor_desc d;
            if (c) drt_context_head(c, h, &p, &d);
            else drt_engine_head(e, h, &p, &d);
            size_t k = (size_t)d.c * d.h * d.w;
            memcpy(out, p + (size_t)i * k, k * sizeof(float));
            out += k;
        }
}

#endif
