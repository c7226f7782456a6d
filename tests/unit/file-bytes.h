/* A whole file into memory and back, for tests that change a plan's bytes and load it again. */
#ifndef UNIT_FILE_BYTES_H
#define UNIT_FILE_BYTES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/fileio.h"
#include "engine/plan.h"

#include <string.h>

/* path's bytes (drt_read_file's malloc'd copy, their count in *n), or NULL when it cannot be read. */
static inline unsigned char *read_all(const char *path, size_t *n)
{
    unsigned char *d = NULL;
    *n = 0;
    return drt_read_file(path, SIZE_MAX, &d, n) == DRT_OK ? d : NULL;
}

/* Writes the n bytes at d to path: 0, or -1 on any failure. */
static inline int write_all(const char *path, const unsigned char *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(d, 1, n, f);
    return fclose(f) || w != n ? -1 : 0;
}

/* The n bytes of plan written to path with bytes at..at+vn replaced by val (NULL: byte `at` flipped), the
 * checksum rewritten when fix_checksum: 0, or -1 when it could not be written. */
static inline int write_changed_plan(const char *path, const unsigned char *plan, size_t n, size_t at, const void *val,
                                     size_t vn, int fix_checksum)
{
    unsigned char *d = malloc(n);
    if (!d) return -1;
    memcpy(d, plan, n);
    if (val) memcpy(d + at, val, vn);
    else d[at] ^= 0x5a;
    if (fix_checksum) {
        uint64_t c = drt_plan_checksum(d, n);
        memcpy(d + drt_plan_checksum_offset(), &c, 8);
    }
    int rc = write_all(path, d, n);
    free(d);
    return rc;
}

#endif
