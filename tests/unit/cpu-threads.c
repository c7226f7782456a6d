/* drt_engine_opts.threads 0 means OpenMP's default (every core) even after an engine of another count ran on
 * the same thread: build --min-map's timing engines run at 1 thread (src/eval/int8-search.c), and the plan
 * the CLI builds next, with threads 0, was tuned on 1 thread before src/backend/cpu/cpu-features.c restored
 * the default. Engines of 1, then 0 threads on one thread; OpenMP's thread count after each run. Skips (77)
 * where the default is one thread. */
#include "darkrt.h"
#include "unit/check.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

static const char cfg_text[] = "[net]\nwidth=16\nheight=16\nchannels=3\n"
                               "[convolutional]\nsize=3\nstride=1\npad=1\nfilters=18\nactivation=linear\n"
                               "[yolo]\nmask=0,1,2\nanchors=10,14, 23,27, 37,58\nclasses=1\nnum=3\n";

/* Runs a CPU engine of `threads` threads once; OpenMP's thread count for this thread after it (-1: failure). */
static int after_run(drt_model *m, int threads, int (*max_threads)(void))
{
    drt_engine_opts o = drt_engine_opts_default();
    o.threads = threads;
    drt_engine *e = NULL;
    float in[3 * 16 * 16] = {0};
    int ok = drt_engine_create(m, &o, &e) == DRT_OK && drt_engine_run(e, in, 1) == DRT_OK;
    drt_engine_free(e);
    return ok ? max_threads() : -1;
}

int main(void)
{
    int (*max_threads)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "omp_get_max_threads");
    if (!max_threads) {
        printf("skip: no OpenMP in this process\n");
        return 77;
    }
    int def = max_threads();
    if (def < 2) {
        printf("skip: OpenMP's default here is %d thread\n", def);
        return 77;
    }
    char path[] = "/tmp/drt-threads-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    drt_model *m = NULL;
    drt_load_opts lo = drt_load_opts_default();
    lo.warn = 0;
    int ok = f && fputs(cfg_text, f) >= 0 && fclose(f) == 0 && drt_model_load_darknet(path, NULL, &lo, &m) == DRT_OK &&
             drt_model_synth_weights(m, 1) == DRT_OK;
    if (fd >= 0) remove(path);
    CHECK(ok, "model: %s", drt_last_error());
    if (ok) {
        int one = after_run(m, 1, max_threads), zero = after_run(m, 0, max_threads);
        CHECK(one == 1, "after an engine of 1 thread: %d threads", one);
        CHECK(zero == def, "after an engine of 0 threads (OpenMP's default, %d): %d threads", def, zero);
        printf("OpenMP's default %d; after threads 1: %d; after threads 0: %d\n", def, one, zero);
    }
    drt_model_free(m);
    return DONE();
}
