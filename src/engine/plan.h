/* Plan file internals shared with tests: the checksum (xxh64 over the file with the checksum
 * field read as zero) and where the sections lie. */
#ifndef DRT_ENGINE_PLAN_H
#define DRT_ENGINE_PLAN_H

#include <stddef.h>
#include <stdint.h>

/* The checksum a plan file of `size` bytes must carry. */
uint64_t drt_plan_checksum(const void *file, size_t size);
/* Byte offset of the checksum field in the header. */
size_t drt_plan_checksum_offset(void);

#endif
