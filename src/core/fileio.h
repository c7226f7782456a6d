/* Whole-file reads and atomic writes (temporary file + rename: never a half-written output). */
#ifndef DRT_CORE_FILEIO_H
#define DRT_CORE_FILEIO_H

#include <stddef.h>
#include <stdio.h>
#include "darkrt/status.h"

/* Reads a whole file into a malloc'd buffer (NUL-terminated past size). Refuses files larger
 * than max_bytes. */
drt_status drt_read_file(const char *path, size_t max_bytes, unsigned char **data_out, size_t *size_out);

/* Atomic output: open writes to "<path>.tmp-<pid>"; commit fsyncs nothing but renames into place;
 * abort removes the temporary. Exactly one of commit/abort must follow a successful open. */
typedef struct drt_atomic_file {
    FILE *fp;
    char *final_path;
    char *tmp_path;
} drt_atomic_file;

drt_status drt_atomic_open(drt_atomic_file *af, const char *path);
drt_status drt_atomic_commit(drt_atomic_file *af);
void drt_atomic_abort(drt_atomic_file *af);

/* Writes a buffer atomically. */
drt_status drt_write_file_atomic(const char *path, const void *data, size_t size);

#endif
