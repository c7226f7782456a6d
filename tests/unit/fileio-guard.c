/* The input guard (core/fileio.c): with it on, every file opened through drt_open_input is refused as an output
 * (drt_fileio_check_not_input), through the set's growth (64 slots, doubled at half full: 3000 inputs cross six
 * growths), a file opened twice counts once, other files and new names pass, and with the guard off nothing is
 * refused. 3000 inputs opened on 4 threads at once: the set is shared under one lock. */
#include "core/fileio.h"
#include "unit/check.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N_FILES 3000
#define THREADS 4

static char dir[] = "/tmp/drt-fileio-guard-XXXXXX";

static void path_of(int i, char *out, size_t n) { snprintf(out, n, "%s/%d.jpg", dir, i); }

/* Opens every THREADS-th input from its index (the even ones twice), as decode workers do. */
static void *open_some(void *arg)
{
    for (int i = (int)(long)arg; i < N_FILES; i += THREADS) {
        char p[128];
        path_of(i, p, sizeof p);
        for (int k = 0; k < (i % 2 ? 1 : 2); k++) {
            int fd;
            size_t size;
            if (drt_open_input(p, &fd, &size) == DRT_OK) close(fd);
        }
    }
    return NULL;
}

static int refused(int i)
{
    char p[128];
    path_of(i, p, sizeof p);
    return drt_fileio_check_not_input(p, p) != DRT_OK;
}

int main(void)
{
    if (!mkdtemp(dir)) { printf("FAIL: mkdtemp\n"); return 1; }
    for (int i = 0; i <= N_FILES; i++) { /* file N_FILES is never opened */
        char p[128];
        path_of(i, p, sizeof p);
        FILE *f = fopen(p, "wb");
        CHECK(f && fputc(i & 0xff, f) != EOF && fclose(f) == 0, "cannot write %s", p);
    }
    drt_fileio_guard_inputs(1);
    pthread_t th[THREADS];
    for (long t = 0; t < THREADS; t++) CHECK(pthread_create(&th[t], NULL, open_some, (void *)t) == 0, "pthread_create");
    for (int t = 0; t < THREADS; t++) pthread_join(th[t], NULL);
    int missed = 0;
    for (int i = 0; i < N_FILES; i++) missed += !refused(i);
    CHECK(missed == 0, "%d of %d inputs not refused as outputs", missed, N_FILES);
    CHECK(!refused(N_FILES), "a file never opened is refused");
    char fresh[160];
    snprintf(fresh, sizeof fresh, "%s/new.json", dir);
    CHECK(drt_fileio_check_not_input(fresh, fresh) == DRT_OK, "a new name is refused");
    drt_fileio_guard_inputs(0);
    CHECK(!refused(0), "the guard off still refuses an input");
    for (int i = 0; i <= N_FILES; i++) {
        char p[128];
        path_of(i, p, sizeof p);
        unlink(p);
    }
    rmdir(dir);
    return DONE();
}
