#include "vision/png-memory.h"

#include <stdlib.h>

png_voidp drt_png_malloc(png_structp png, png_alloc_size_t n)
{
    void *p = malloc(n ? n : 1);
    volatile int *failed = png_get_mem_ptr(png);
    if (!p && failed) *failed = 1;
    return p;
}

void drt_png_free(png_structp png, png_voidp p)
{
    (void)png;
    free(p);
}
