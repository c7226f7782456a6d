/* What a --min-map search's CPU candidates cost, and whether their bias corrections changed: one calibration
 * measured as the search measures it (the 1st, 3rd... of at most 28 images of CALIB_DIR, one thread, DRT_CPU_TUNE=0's
 * untuned kernels), then engines built from it as the search's ranking builds them: "every conv but j in fp32",
 * bias correction on. Per engine: its build's CPU time and an FNV-1a hash of its bias corrections (the floats
 * added to each conv's bias), so two builds of this program can be compared candidate by candidate.
 * Built against BUILD/libdarkrt.a by hand (no Makefile rule), as bench/int8-fakequant.sh builds its program:
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Isrc -o build/bench/int8-bias-time bench/int8-bias-time.c build/libdarkrt.a \
 *      $(make -s print-libs) -pthread
 *   [V=1] int8-bias-time CFG WEIGHTS CALIB_DIR [J...]     (no J: "none" (every conv in int8) and the first 3 convs;
 *                                                         V=1: the builds' logs on stderr) */
#include "backend/cpu/cpu.h"
#include "core/clock.h"
#include "darkrt.h"
#include "engine/calib.h"
#include "engine/engine.h"
#include "graph/model.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t fnv(const void *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ ((const unsigned char *)p)[i]) * 1099511628211ull;
    return h;
}

/* "none" and every conv but j (j < 0: every conv in int8). */
static char *keep_all_but(const drt_model *m, int j)
{
    char *t = malloc(8 + (size_t)m->n_layers * 8);
    int len = sprintf(t, "none");
    for (int i = 0; j >= 0 && i < m->n_layers; i++)
        if (i != j && m->layers[i].type == DRT_LAYER_CONV) len += sprintf(t + len, ",%d", i);
    return t;
}

static int build(const drt_model *m, const drt_engine_opts *o, const drt_calib *c, int j)
{
    drt_engine_opts k = *o;
    char *keep = keep_all_but(m, j);
    k.int8_keep = keep;
    drt_engine *e = NULL;
    double t0 = drt_clock_ms(1);
    drt_status s = drt_engine_create_calibrated(m, &k, c, &e);
    double ms = drt_clock_ms(1) - t0;
    free(keep);
    if (s != DRT_OK) {
        fprintf(stderr, "int8-bias-time: conv %d: %s\n", j, drt_last_error());
        return 1;
    }
    const cpu_state *st = e->impl;
    size_t n = drt_calib_channel_offset(e->model, e->model->n_layers + 1);
    printf("candidate %-5d build %8.2f s CPU  corrections %016llx\n", j, ms / 1e3,
           st->bias_corr ? (unsigned long long)fnv(st->bias_corr, n * sizeof(float)) : 0ull);
    fflush(stdout);
    drt_engine_free(e);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: int8-bias-time CFG WEIGHTS CALIB_DIR [J...]\n");
        return 2;
    }
    drt_model *m = NULL;
    drt_load_opts lo = drt_load_opts_default();
    if (drt_model_load_darknet(argv[1], argv[2], &lo, &m) != DRT_OK) {
        fprintf(stderr, "int8-bias-time: %s\n", drt_last_error());
        return 1;
    }
    drt_engine_opts o = drt_engine_opts_default();
    o.device = DRT_DEVICE_CPU;
    o.precision = DRT_PREC_INT8;
    o.threads = 1;
    o.no_tune = 1;
    o.calib_dir = argv[3];
    o.calib_max_images = 28;
    o.calib_half = 1;
    o.verbose = getenv("V") != NULL; /* the builds' logs (bias correction: how many fp32 passes) */
    drt_calib *c = NULL;
    double t0 = drt_clock_ms(1);
    if (drt_calib_measure(m, &o, NULL, &c) != DRT_OK) {
        fprintf(stderr, "int8-bias-time: calibration: %s\n", drt_last_error());
        return 1;
    }
    printf("calibration: %d images, %.2f s CPU\n", c->n, (drt_clock_ms(1) - t0) / 1e3);
    int fails = 0;
    if (argc == 4) {
        int n = 0;
        fails += build(m, &o, c, -1);
        for (int i = 0; i < m->n_layers && n < 3; i++)
            if (m->layers[i].type == DRT_LAYER_CONV) fails += build(m, &o, c, i), n++;
    }
    for (int a = 4; a < argc; a++) fails += build(m, &o, c, atoi(argv[a]));
    drt_calib_free(c);
    drt_model_free(m);
    return fails ? 1 : 0;
}
