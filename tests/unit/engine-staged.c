/* drt_engine_stage / drt_engine_run_staged on a host engine (the --min-map search and darkrt bench time with them):
 * a staged run is drt_engine_run of the input staged last (heads bit for bit equal), a batch outside 1..max_batch and
 * a run before any stage are refused with a message. The device side (input kept on the GPU, heads left there):
 * tests/golden/cuda-stages' staged case. */
#include "darkrt.h"
#include "engine/engine.h"
#include "same-results.h"
#include "unit/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    const char *cfg = "[net]\nwidth=32\nheight=32\nchannels=3\n"
                      "[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\nstride=2\npad=1\nactivation=leaky\n"
                      "[convolutional]\nfilters=18\nsize=1\nstride=1\npad=1\nactivation=linear\n"
                      "[yolo]\nmask=0,1\nanchors=10,14, 23,27\nclasses=4\nnum=2\n";
    char path[] = "/tmp/engine-staged-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f || fputs(cfg, f) < 0 || fclose(f)) return printf("FAIL: %s: cannot write the cfg\n", path), 1;
    drt_model *m = NULL;
    drt_load_opts lo = drt_load_opts_default();
    lo.warn = 0;
    CHECK(drt_model_load_darknet(path, NULL, &lo, &m) == DRT_OK, "%s", drt_last_error());
    unlink(path);
    CHECK(m && drt_model_synth_weights(m, 3) == DRT_OK, "%s", drt_last_error());
    drt_engine_opts o = drt_engine_opts_default();
    o.max_batch = 2;
    o.threads = 1;
    drt_engine *e = NULL;
    CHECK(drt_engine_create(m, &o, &e) == DRT_OK, "%s", drt_last_error());
    size_t per = 3 * 32 * 32, k = 0, k2 = 0;
    float *a = malloc(2 * per * sizeof(float)), *b = malloc(2 * per * sizeof(float));
    for (size_t i = 0; i < 2 * per; i++) a[i] = (float)(i % 97) / 97.f, b[i] = (float)(i % 89) / 89.f;

    CHECK(drt_engine_run_staged(e, 2) == DRT_STATUS_INVALID_ARG && strstr(drt_last_error(), "nothing staged"),
          "a run before any stage: %s", drt_last_error());
    CHECK(drt_engine_stage(e, a, 3) == DRT_STATUS_INVALID_ARG && strstr(drt_last_error(), "batch 3"),
          "batch past max_batch: %s", drt_last_error());
    CHECK(drt_engine_run(e, b, 2) == DRT_OK, "%s", drt_last_error());
    float *want = copy_heads(e, 2, &k);
    CHECK(drt_engine_stage(e, a, 2) == DRT_OK && drt_engine_stage(e, b, 2) == DRT_OK, "%s", drt_last_error());
    CHECK(drt_engine_run(e, a, 2) == DRT_OK, "%s", drt_last_error()); /* other heads in between */
    CHECK(drt_engine_run_staged(e, 2) == DRT_OK, "%s", drt_last_error());
    float *got = copy_heads(e, 2, &k2);
    CHECK(want && got && k == k2 && !memcmp(want, got, k * sizeof(float)), "staged heads differ from drt_engine_run's");
    CHECK(drt_engine_run_staged(e, 0) == DRT_STATUS_INVALID_ARG, "batch 0 taken");
    free(a), free(b), free(want), free(got);
    drt_engine_free(e);
    drt_model_free(m);
    return DONE();
}
