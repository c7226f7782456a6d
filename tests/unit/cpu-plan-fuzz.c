/* Plan loading against corrupted plans that still carry a valid checksum (so the parser, not
 * the checksum, must catch them): random byte changes in the header, the model section and the
 * CPU section. Every load must either fail with an error message or produce an engine that
 * runs; never crash or read out of bounds (run under ASan). Deterministic seed. */
#include "darkrt.h"
#include "engine/plan.h"
#include "graph/model.h"
#include "test-models.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ITERATIONS 300

static int write_file(const char *path, const unsigned char *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(d, 1, n, f);
    return fclose(f) || w != n ? -1 : 0;
}

int main(void)
{
    char cfg[1200], w[1200];
    if (!yolo_fastest_paths(cfg, w, sizeof cfg)) { printf("skipped: yolo-fastest-1.1 missing\n"); return 77; }
    drt_load_opts lo = drt_load_opts_default();
    lo.warn = 0;
    lo.width = lo.height = 96; /* small: many loads */
    drt_model *m;
    drt_engine *e;
    drt_engine_opts o = drt_engine_opts_default();
    o.threads = 2;
    o.no_tune = 1;
    char path[] = "/tmp/drt-plan-fuzz-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) { printf("FAIL: mkstemp\n"); return 1; }
    close(fd);
    if (drt_model_load_darknet(cfg, w, &lo, &m) != DRT_OK || drt_engine_create(m, &o, &e) != DRT_OK ||
        drt_engine_save_plan(e, path) != DRT_OK) {
        printf("FAIL: %s\n", drt_last_error());
        return 1;
    }
    drt_engine_free(e);
    float var0[4]; /* the first batchnorm's variances, to find them in the plan */
    int bn_layer = 0;
    while (bn_layer < m->n_layers && !m->layers[bn_layer].batch_normalize) bn_layer++;
    memcpy(var0, m->layers[bn_layer].rolling_var, sizeof var0);
    drt_model_free(m);
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    size_t n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *orig = malloc(n), *buf = malloc(n);
    if (fread(orig, 1, n, f) != n) { printf("FAIL: read back\n"); return 1; }
    fclose(f);
    size_t ck = drt_plan_checksum_offset();
    float *in = calloc((size_t)3 * 96 * 96, sizeof(float));
    int refused = 0, ran = 0, fails = 0;
    uint64_t r = 42;
    for (int it = 0; it < ITERATIONS; it++) {
        memcpy(buf, orig, n);
        int changes = 1 + it % 4;
        for (int k = 0; k < changes; k++) {
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            /* mostly the structured parts: the header, the layer records, the CPU section at the end */
            size_t span = it % 3 == 0 ? 160 : it % 3 == 1 ? 8192 : 512;
            size_t pos = it % 3 == 2 ? n - 1 - (r >> 33) % span : (r >> 33) % span;
            if (pos >= ck && pos < ck + 8) continue;
            if (pos < n) buf[pos] ^= (unsigned char)(1u << ((r >> 20) % 8)) | (unsigned char)(r >> 40);
        }
        uint64_t c = drt_plan_checksum(buf, n);
        memcpy(buf + ck, &c, 8);
        if (write_file(path, buf, n)) { printf("FAIL: write\n"); return 1; }
        drt_engine *pe = NULL;
        drt_status s = drt_engine_load_plan(path, &o, &pe);
        if (s != DRT_OK) {
            refused++;
            if (!drt_last_error()[0]) { printf("FAIL: iteration %d: refused without a message\n", it); fails++; }
            continue;
        }
        if (drt_engine_run(pe, in, 1) == DRT_OK) ran++;
        drt_engine_free(pe);
    }
    /* A negative variance with a valid checksum: the weights reader refuses it, so must the plan. */
    memcpy(buf, orig, n);
    unsigned char *at = memmem(buf, n, var0, sizeof var0);
    if (!at) { printf("FAIL: the first batchnorm's variances are not in the plan\n"); fails++; }
    else {
        memcpy(at, &(float){-0.5f}, sizeof(float));
        uint64_t c = drt_plan_checksum(buf, n);
        memcpy(buf + ck, &c, 8);
        drt_engine *pe = NULL;
        if (write_file(path, buf, n) || drt_engine_load_plan(path, &o, &pe) == DRT_OK ||
            !strstr(drt_last_error(), "rolling variance")) {
            printf("FAIL: a plan with a negative variance: %s\n", pe ? "loaded" : drt_last_error());
            drt_engine_free(pe);
            fails++;
        } else printf("negative variance refused: %s\n", drt_last_error());
    }
    unlink(path);
    free(orig);
    free(buf);
    free(in);
    printf("%d corrupted plans: %d refused with a message, %d loaded and ran, none crashed\n", ITERATIONS, refused, ran);
    if (refused == 0) { printf("FAIL: no corruption was detected\n"); fails++; }
    printf("%s\n", fails ? "FAILED" : "all checks passed");
    return fails ? 1 : 0;
}
