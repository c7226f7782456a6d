/* Opening and reading inputs: regular files only, and a record of them for the input guard. */
#define _POSIX_C_SOURCE 200809L
#include "core/fileio.h"
#include "core/error.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct file_id {
    dev_t dev;
    ino_t ino;
    int used;
} file_id;

/* The inputs opened while the guard is on: a set of (device, inode), open addressing with linear probing, at most
 * half full. A list scanned on every open took 0.3-0.6 s of a 24000-image detect, under the lock its decode
 * workers share (session 19). */
static pthread_mutex_t guard_lock = PTHREAD_MUTEX_INITIALIZER;
static int guard_on;
static file_id *inputs;
static size_t n_inputs, cap_inputs; /* cap_inputs: 0 or a power of two */

static size_t slot_of(const file_id *set, size_t cap, dev_t dev, ino_t ino)
{
    uint64_t h = ((uint64_t)dev * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)ino * 0xBF58476D1CE4E5B9ull);
    size_t i = (size_t)(h ^ (h >> 29)) & (cap - 1);
    while (set[i].used && (set[i].dev != dev || set[i].ino != ino)) i = (i + 1) & (cap - 1);
    return i;
}

static int known_input(dev_t dev, ino_t ino)
{
    return cap_inputs && inputs[slot_of(inputs, cap_inputs, dev, ino)].used;
}

void drt_fileio_guard_inputs(int on)
{
    pthread_mutex_lock(&guard_lock);
    guard_on = on;
    if (!on) {
        free(inputs);
        inputs = NULL;
        n_inputs = cap_inputs = 0;
    }
    pthread_mutex_unlock(&guard_lock);
}

/* Out of memory growing the set: the input goes unrecorded (the guard is a courtesy, not a reason to fail a read). */
static void remember_input(const struct stat *st)
{
    pthread_mutex_lock(&guard_lock);
    if (guard_on && !known_input(st->st_dev, st->st_ino) && 2 * (n_inputs + 1) > cap_inputs) {
        size_t cap = cap_inputs ? 2 * cap_inputs : 64;
        file_id *grown = calloc(cap, sizeof *grown);
        for (size_t i = 0; grown && i < cap_inputs; i++)
            if (inputs[i].used) grown[slot_of(grown, cap, inputs[i].dev, inputs[i].ino)] = inputs[i];
        if (grown) free(inputs), inputs = grown, cap_inputs = cap;
    }
    if (guard_on && 2 * (n_inputs + 1) <= cap_inputs) {
        file_id *f = &inputs[slot_of(inputs, cap_inputs, st->st_dev, st->st_ino)];
        if (!f->used) *f = (file_id){st->st_dev, st->st_ino, 1}, n_inputs++;
    }
    pthread_mutex_unlock(&guard_lock);
}

drt_status drt_fileio_check_not_input(const char *output, const char *shown)
{
    struct stat st;
    if (stat(output, &st) != 0 || !S_ISREG(st.st_mode)) return DRT_OK; /* a new file, or written directly */
    pthread_mutex_lock(&guard_lock);
    int same = guard_on && known_input(st.st_dev, st.st_ino);
    pthread_mutex_unlock(&guard_lock);
    if (same)
        return drt_error(DRT_STATUS_INVALID_ARG, "%s: the output is the same file as an input: refusing to overwrite it", shown);
    return DRT_OK;
}

drt_status drt_open_input(const char *path, int *fd_out, size_t *size_out)
{
    *fd_out = -1;
    *size_out = 0;
    if (!path) return drt_error(DRT_STATUS_INVALID_ARG, "open: no file name (NULL)");
    /* O_NONBLOCK: opening a FIFO must not wait for a writer before fstat can refuse it. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return drt_error_errno(DRT_STATUS_IO, "%s: cannot open", path);
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return drt_error(DRT_STATUS_IO, "%s: not a regular file", path);
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        drt_status s = drt_error_errno(DRT_STATUS_IO, "%s: cannot open", path);
        close(fd);
        return s;
    }
    remember_input(&st);
    *fd_out = fd;
    *size_out = (size_t)st.st_size;
    return DRT_OK;
}

drt_status drt_fopen_input(const char *path, FILE **fp_out, size_t *size_out)
{
    *fp_out = NULL;
    int fd;
    DRT_TRY(drt_open_input(path, &fd, size_out));
    *fp_out = fdopen(fd, "rb");
    if (*fp_out) return DRT_OK;
    drt_status s = drt_error_errno(DRT_STATUS_OOM, "%s: cannot open", path);
    close(fd);
    return s;
}

drt_status drt_read_file(const char *path, size_t max_bytes, unsigned char **data_out, size_t *size_out)
{
    *data_out = NULL;
    *size_out = 0;
    FILE *fp;
    size_t size;
    DRT_TRY(drt_fopen_input(path, &fp, &size));
    if (size > max_bytes) {
        fclose(fp);
        return drt_error(DRT_STATUS_OOM, "%s: %zu bytes: larger than the %zu-byte limit", path, size, max_bytes);
    }
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
