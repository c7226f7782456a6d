/* The size of an engine's heads, for tests and benches that keep copies of them. */
#ifndef TESTS_ENGINE_HEADS_H
#define TESTS_ENGINE_HEADS_H

#include <stddef.h>
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

#endif
