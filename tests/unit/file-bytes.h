/* A whole file into memory and back, for tests that change a plan's bytes and load it again. */
#ifndef UNIT_FILE_BYTES_H
#define UNIT_FILE_BYTES_H

#include <stdio.h>
#include <stdlib.h>

/* path's bytes (malloc'd, their count in *n), or NULL when it cannot be read. */
static inline unsigned char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *d = malloc((size_t)len);
    if (d && fread(d, 1, (size_t)len, f) != (size_t)len) { free(d); d = NULL; }
    fclose(f);
    *n = (size_t)len;
    return d;
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
