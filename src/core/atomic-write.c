/* Atomic outputs: a short-named temporary beside the target, renamed into place on commit. Symlinks
 * are followed (the target is replaced, the link stays); devices, FIFOs and "-" are written directly. */
#define _POSIX_C_SOURCE 200809L
#include "core/fileio.h"
#include "core/error.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A failed allocation inside the C library (mkstemp, realpath, fdopen) is out of memory, not I/O. */
static drt_status io_status(void) { return errno == ENOMEM ? DRT_STATUS_OOM : DRT_STATUS_IO; }

enum { MAX_LINK_HOPS = 40, TMP_BASE_BYTES = 32 };

/* Where a dangling symlink points (the file the write will create), following at most 40 links. */
static char *dangling_target(const char *path)
{
    char *cur = strdup(path);
    for (int hop = 0; cur && hop < MAX_LINK_HOPS; hop++) {
        struct stat st;
        if (lstat(cur, &st) != 0) return errno == ENOENT ? cur : (free(cur), NULL);
        if (!S_ISLNK(st.st_mode)) break;
        char link[PATH_MAX];
        ssize_t n = readlink(cur, link, sizeof link - 1);
        if (n < 0) break;
        link[n] = 0;
        const char *slash = strrchr(cur, '/');
        size_t dir = link[0] == '/' || !slash ? 0 : (size_t)(slash - cur) + 1;
        char *next = malloc(dir + (size_t)n + 1);
        if (next) memcpy(next, cur, dir), memcpy(next + dir, link, (size_t)n + 1);
        free(cur);
        cur = next;
    }
    free(cur);
    return NULL;
}

/* The file a write to path replaces: path itself, or a symlink's final target. */
static char *resolve_output(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISLNK(st.st_mode)) return strdup(path);
    char *real = realpath(path, NULL);
    return real ? real : dangling_target(path);
}

/* Names "<dir>/<first 32 bytes of the name>.tmp-XXXXXX": short, so a 255-byte output name still has a
 * temporary. Created O_EXCL with mode 0666 so the umask applies as it would to the output itself. */
static int create_temporary(const char *final, char **tmp_out)
{
    const char *slash = strrchr(final, '/');
    size_t dir = slash ? (size_t)(slash - final) + 1 : 0, base = strlen(final + dir);
    if (base > TMP_BASE_BYTES) base = TMP_BASE_BYTES;
    char *tmp = malloc(dir + base + 16);
    if (!tmp) return errno = ENOMEM, -1;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t seed = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid() << 20 ^ (uint64_t)(uintptr_t)tmp;
    for (int attempt = 0; attempt < 100; attempt++) {
        char suffix[7];
        for (int i = 0; i < 6; i++, seed = seed * 6364136223846793005ull + 1442695040888963407ull)
            suffix[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[(seed >> 33) % 36];
        suffix[6] = 0;
        snprintf(tmp, dir + base + 16, "%.*s%.*s.tmp-%s", (int)dir, final, (int)base, final + dir, suffix);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) return *tmp_out = tmp, fd;
        if (errno != EEXIST) break;
    }
    int err = errno;
    free(tmp);
    return errno = err, -1;
}

/* "-", character devices, FIFOs, and /dev or /proc names (like /dev/stdout) take the bytes directly:
 * renaming a file over them would replace the device or link with a regular file. */
static drt_status open_direct(drt_atomic_file *af, const char *path)
{
    af->direct = 1;
    if (!strcmp(path, "-")) {
        af->fp = stdout;
        return DRT_OK;
    }
    struct stat st;
    if (stat(path, &st) == 0 && (S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISSOCK(st.st_mode)))
        return drt_error(DRT_STATUS_IO, "%s: is a %s: outputs are files, character devices or FIFOs", path,
                         S_ISDIR(st.st_mode) ? "directory" : S_ISBLK(st.st_mode) ? "block device" : "socket");
    af->fp = fopen(path, "wb");
    if (!af->fp) return drt_error_errno(io_status(), "%s: cannot open for writing", path);
    return DRT_OK;
}

static int is_direct(const char *path)
{
    struct stat st;
    if (!strcmp(path, "-") || !strncmp(path, "/dev/", 5) || !strncmp(path, "/proc/", 6)) return 1;
    return stat(path, &st) == 0 && !S_ISREG(st.st_mode);
}

drt_status drt_atomic_open(drt_atomic_file *af, const char *path)
{
    memset(af, 0, sizeof *af);
    if (!path || !*path) return drt_error(DRT_STATUS_INVALID_ARG, "write: no output file name");
    af->final_path = strdup(path);
    if (!af->final_path) return drt_error(DRT_STATUS_OOM, "%s: out of memory", path);
    drt_status s = DRT_OK;
    if (is_direct(path)) {
        if ((s = open_direct(af, path)) != DRT_OK) drt_atomic_abort(af);
        return s;
    }
    if ((s = drt_fileio_check_not_input(path, path)) != DRT_OK) goto fail;
    char *target = resolve_output(path);
    if (!target) {
        s = drt_error_errno(io_status(), "%s: cannot resolve the symlink", path);
        goto fail;
    }
    sigset_t saved; /* a signal between creating and registering would leave the temporary behind */
    drt_tmp_block_signals(1, &saved);
    int fd = create_temporary(target, &af->tmp_path);
    if (fd >= 0) af->slot = drt_tmp_register(af->tmp_path);
    drt_tmp_block_signals(0, &saved);
    free(target);
    if (fd < 0) {
        s = drt_error_errno(io_status(), "%s: cannot create", path);
        goto fail;
    }
    af->fp = fdopen(fd, "wb");
    if (!af->fp) {
        close(fd);
        s = drt_error_errno(io_status(), "%s: cannot create", path);
        goto fail;
    }
    return DRT_OK;
fail:
    drt_atomic_abort(af);
    return s;
}

/* Closes the stream (flushing stdout instead of closing it); nonzero on a write error. */
static int close_output(drt_atomic_file *af)
{
    int bad = ferror(af->fp);
    if (af->fp == stdout) bad |= fflush(stdout) != 0;
    else bad |= fclose(af->fp) != 0;
    af->fp = NULL;
    return bad;
}

static void release(drt_atomic_file *af)
{
    if (af->tmp_path) remove(af->tmp_path);
    drt_tmp_unregister(af->slot);
    free(af->final_path);
    free(af->tmp_path);
    memset(af, 0, sizeof *af);
}

drt_status drt_atomic_commit(drt_atomic_file *af)
{
    drt_status s = DRT_OK;
    if (close_output(af)) s = drt_error_errno(io_status(), "%s: write failed", af->final_path);
    if (s == DRT_OK && !af->direct) {
        char *target = resolve_output(af->final_path);
        if (!target) s = drt_error_errno(io_status(), "%s: cannot resolve the symlink", af->final_path);
        if (s == DRT_OK) s = drt_fileio_check_not_input(target, af->final_path);
        if (s == DRT_OK && rename(af->tmp_path, target) != 0)
            s = drt_error_errno(io_status(), "%s: cannot rename into place", af->final_path);
        if (s == DRT_OK) free(af->tmp_path), af->tmp_path = NULL; /* renamed: nothing to remove */
        free(target);
    }
    release(af);
    return s;
}

void drt_atomic_abort(drt_atomic_file *af)
{
    if (af->fp) close_output(af);
    release(af);
}

drt_status drt_write_file_atomic(const char *path, const void *data, size_t size)
{
    drt_atomic_file af;
    DRT_TRY(drt_atomic_open(&af, path));
    if (size && fwrite(data, 1, size, af.fp) != size) {
        drt_status s = drt_error_errno(io_status(), "%s: write failed", path);
        drt_atomic_abort(&af);
        return s;
    }
    return drt_atomic_commit(&af);
}
