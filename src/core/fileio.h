/* Reading inputs (regular files only, never blocking on a FIFO) and writing outputs (temporary file +
 * rename: never a half-written output; devices, FIFOs and "-" written directly). */
#ifndef DRT_CORE_FILEIO_H
#define DRT_CORE_FILEIO_H

#include <stddef.h>
#include <stdio.h>
#include "darkrt/status.h"

/* Opens an input for reading: refuses anything but a regular file before any blocking read (a FIFO
 * is opened non-blocking, checked by fstat and closed). On success *fd_out is a blocking descriptor
 * and *size_out the file's size. The file is remembered as an input (drt_fileio_guard_inputs). */
drt_status drt_open_input(const char *path, int *fd_out, size_t *size_out);

/* drt_open_input as a FILE opened "rb". */
drt_status drt_fopen_input(const char *path, FILE **fp_out, size_t *size_out);

/* Reads a whole file into a malloc'd buffer (NUL-terminated past size). Refuses files larger
 * than max_bytes. */
drt_status drt_read_file(const char *path, size_t max_bytes, unsigned char **data_out, size_t *size_out);

/* When on (the CLI turns it on), every input opened above is remembered by device and inode, and an
 * output that is the same file as one of them is refused at open and at commit, so a command never
 * overwrites its own input. Off by default: a library caller may rewrite the files it read. */
void drt_fileio_guard_inputs(int on);

/* Atomic output. open resolves symlinks (the output replaces the link's target, the link stays),
 * creates a short-named temporary beside the target and registers it for removal on SIGINT, SIGTERM,
 * SIGHUP and SIGPIPE; commit renames it into place; abort removes it. "-" (stdout), character
 * devices, FIFOs and names under /dev and /proc are written directly (direct = 1): commit flushes
 * and closes, abort only closes. Exactly one of commit/abort must follow a successful open. */
typedef struct drt_atomic_file {
    FILE *fp;
    char *final_path;
    char *tmp_path;
    int direct;
    int slot; /* index in the temporary registry + 1; 0 when not registered */
} drt_atomic_file;

drt_status drt_atomic_open(drt_atomic_file *af, const char *path);
drt_status drt_atomic_commit(drt_atomic_file *af);
void drt_atomic_abort(drt_atomic_file *af);

/* Writes a buffer atomically. */
drt_status drt_write_file_atomic(const char *path, const void *data, size_t size);

/* Internal to src/core: the input guard's check, and the registry of live temporaries that a
 * signal handler removes. */
drt_status drt_fileio_check_not_input(const char *output, const char *shown);
int drt_tmp_register(const char *tmp_path);
/* Blocks the cleanup signals (block 1, saving the mask in *saved, a sigset_t) or restores them (0), so a
 * temporary is never created without being registered; installs the handlers first. */
void drt_tmp_block_signals(int block, void *saved);
void drt_tmp_unregister(int slot);

#endif
