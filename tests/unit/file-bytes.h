/* A whole file into memory and back, for tests that change a plan's bytes and load it again. */
#ifndef UNIT_FILE_BYTES_H
#define UNIT_FILE_BYTES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/fileio.h"

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

#endif
