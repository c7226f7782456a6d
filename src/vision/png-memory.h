/* libpng allocates through these, so its (and zlib's) allocations go through our malloc: the
 * out-of-memory test (tests/unit/oom-loaders.c) then fails them like ours, and an allocation
 * failure is told apart from a corrupt file. */
#ifndef DRT_VISION_PNG_MEMORY_H
#define DRT_VISION_PNG_MEMORY_H

#include <png.h>

/* mem_ptr (png_create_*_struct_2): NULL, or a volatile int set to 1 when an allocation fails. */
png_voidp drt_png_malloc(png_structp png, png_alloc_size_t n);
void drt_png_free(png_structp png, png_voidp p);

#endif
