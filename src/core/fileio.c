/* Whole-file reads and atomic writes. */
#define _POSIX_C_SOURCE 200809L
#include "core/fileio.h"
#include "core/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

drt_status drt_read_file(const char *path, size_t max_bytes, unsigned char **data_out, size_t *size_out)
{
    *data_out = NULL;
    *size_out = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) return drt_error_errno(DRT_STATUS_IO, "%s: cannot open", path);
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(fp);
        return drt_error(DRT_STATUS_IO, "%s: not a regular file", path);
    }
    if ((unsigned long long)st.st_size > max_bytes) {
        fclose(fp);
        return drt_error(DRT_STATUS_OOM, "%s: %lld bytes: larger than the %zu-byte limit", path,
                         (long long)st.st_size, max_bytes);
    }
    size_t size = (size_t)st.st_size;
    unsigned char *data = malloc(size + 1);
    if (!data) {
        fclose(fp);
        return drt_error(DRT_STATUS_OOM, "%s: cannot allocate %zu bytes", path, size + 1);
    }
    size_t got = fread(data, 1, size, fp);
    int err = ferror(fp);
    fclose(fp);
    if (got != size || err) {
        free(data);
        return drt_error(DRT_STATUS_IO, "%s: read %zu of %zu bytes", path, got, size);
    }
    data[size] = 0;
    *data_out = data;
    *size_out = size;
    return DRT_OK;
}

drt_status drt_atomic_open(drt_atomic_file *af, const char *path)
{
    memset(af, 0, sizeof *af);
    size_t n = strlen(path) + 32;
    af->final_path = strdup(path);
    af->tmp_path = malloc(n);
    if (!af->final_path || !af->tmp_path) {
        drt_atomic_abort(af);
        return drt_error(DRT_STATUS_OOM, "%s: out of memory", path);
    }
    snprintf(af->tmp_path, n, "%s.tmp-%ld", path, (long)getpid());
    af->fp = fopen(af->tmp_path, "wb");
    if (!af->fp) {
        drt_status s = drt_error_errno(DRT_STATUS_IO, "%s: cannot create", path);
        drt_atomic_abort(af);
        return s;
    }
    return DRT_OK;
}

drt_status drt_atomic_commit(drt_atomic_file *af)
{
    drt_status s = DRT_OK;
    int bad = ferror(af->fp);
    if (fclose(af->fp) != 0 || bad) s = drt_error_errno(DRT_STATUS_IO, "%s: write failed", af->final_path);
    af->fp = NULL;
    if (s == DRT_OK && rename(af->tmp_path, af->final_path) != 0)
        s = drt_error_errno(DRT_STATUS_IO, "%s: cannot rename into place", af->final_path);
    if (s != DRT_OK) remove(af->tmp_path);
    free(af->final_path);
    free(af->tmp_path);
    memset(af, 0, sizeof *af);
    return s;
}

void drt_atomic_abort(drt_atomic_file *af)
{
    if (af->fp) fclose(af->fp);
    if (af->tmp_path) remove(af->tmp_path);
    free(af->final_path);
    free(af->tmp_path);
    memset(af, 0, sizeof *af);
}

drt_status drt_write_file_atomic(const char *path, const void *data, size_t size)
{
    drt_atomic_file af;
    DRT_TRY(drt_atomic_open(&af, path));
    if (size && fwrite(data, 1, size, af.fp) != size) {
        drt_status s = drt_error_errno(DRT_STATUS_IO, "%s: write failed", path);
        drt_atomic_abort(&af);
        return s;
    }
    return drt_atomic_commit(&af);
}
