/* drt_context: a context's run of a batch equals the engine's own run (bit for bit, ref and cpu
 * engines), two contexts keep their own heads, and bad calls are refused with a message.
 * tests/cli/tsan-contexts.sh runs contexts in parallel threads. */
#include "darkrt.h"
#include "unit/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char cfg_text[] =
    "[net]\nwidth=32\nheight=32\nchannels=3\n"
    "[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\nstride=1\npad=1\nactivation=leaky\n"
    "[maxpool]\nsize=2\nstride=2\n"
    "[convolutional]\nbatch_normalize=1\nfilters=16\nsize=3\nstride=1\npad=1\nactivation=leaky\n"
    "[convolutional]\nsize=1\nstride=1\npad=1\nfilters=18\nactivation=linear\n"
    "[yolo]\nmask=0,1,2\nanchors=10,14, 23,27, 37,58\nclasses=1\nnum=3\n";

static int same_head(const float *a, const float *b, const drt_tensor_desc *d)
{
    return !memcmp(a, b, (size_t)d->n * d->c * d->h * d->w * sizeof *a);
}

static void check(const drt_model *m, drt_device dev, const float *in, const float *other)
{
    const char *name = drt_device_name(dev);
    drt_engine_opts o = drt_engine_opts_default();
    o.device = dev;
    o.max_batch = 2;
    o.threads = 1;
    drt_engine *e = NULL;
    drt_context *a = NULL, *b = NULL;
    CHECK(drt_engine_create(m, &o, &e) == DRT_OK, "%s engine: %s", name, drt_last_error());
    if (!e) return;
    CHECK(drt_context_create(e, &a) == DRT_OK && drt_context_create(e, &b) == DRT_OK, "%s contexts: %s", name, drt_last_error());
    CHECK(drt_context_run(a, in, 2) == DRT_OK && drt_context_run(b, other, 1) == DRT_OK, "%s run: %s", name, drt_last_error());
    CHECK(drt_engine_run(e, in, 2) == DRT_OK, "%s engine run", name);
    const float *pe, *pa, *pb;
    drt_tensor_desc de, da, db;
    drt_engine_head(e, 0, &pe, &de);
    drt_context_head(a, 0, &pa, &da);
    drt_context_head(b, 0, &pb, &db);
    CHECK(da.n == 2 && db.n == 1 && de.n == 2 && same_head(pe, pa, &de), "%s: context batch 2 = engine batch 2", name);
    CHECK(pa != pb && pa != pe && memcmp(pa, pb, (size_t)db.c * db.h * db.w * sizeof *pa), "%s: each context its own heads", name);
    CHECK(drt_engine_run(e, other, 1) == DRT_OK && !memcmp(pb, (drt_engine_head(e, 0, &pe, &de), pe),
                                                             (size_t)db.c * db.h * db.w * sizeof *pb), "%s: context b = engine on b's input", name);
    CHECK(drt_context_run(a, in, 3) == DRT_STATUS_INVALID_ARG && strstr(drt_last_error(), "batch 3"), "%s: batch 3 refused", name);
    CHECK(drt_context_head(a, 1, &pa, &da) == DRT_STATUS_INVALID_ARG && !pa, "%s: head 1 refused", name);
    drt_context_free(a);
    drt_context_free(b);
    drt_engine_free(e);
}

int main(void)
{
    char dir[] = "/tmp/engine-contexts-XXXXXX", cfg[64];
    if (!mkdtemp(dir)) return 1;
    snprintf(cfg, sizeof cfg, "%s/tiny.cfg", dir);
    FILE *f = fopen(cfg, "w");
    if (!f || fputs(cfg_text, f) < 0 || fclose(f) != 0) return 1;
    drt_load_opts lo = drt_load_opts_default();
    lo.warn = 0;
    drt_model *m = NULL;
    if (drt_model_load_darknet(cfg, NULL, &lo, &m) != DRT_OK || drt_model_synth_weights(m, 5) != DRT_OK) return 1;
    size_t n = 3 * 32 * 32;
    float *in = malloc(2 * n * sizeof *in), *other = malloc(n * sizeof *other);
    for (size_t i = 0; i < 2 * n; i++) in[i] = (float)((i * 7919) % 1000) / 1000.f;
    for (size_t i = 0; i < n; i++) other[i] = (float)((i * 104729) % 997) / 997.f;
    check(m, DRT_DEVICE_REF, in, other);
    check(m, DRT_DEVICE_CPU, in, other);
    drt_context *c = (drt_context *)1;
    CHECK(drt_context_create(NULL, &c) == DRT_STATUS_INVALID_ARG && !c, "no engine refused");
    free(in);
    free(other);
    drt_model_free(m);
    remove(cfg);
    rmdir(dir);
    return DONE();
}
