/* An engine's plan load reads the parameters with pread into their buffer and hashes them there
 * (plan.c, hashed_read), the rest of the checksum from the mapping. On a ref plan of yolov3-tiny
 * with synthesised weights (35 MB: three 16 MiB checksum chunks, crossed inside the parameters):
 * - the loaded model's parameters equal the built model's, byte for byte, and the file's checksum
 *   is the one drt_plan_read_model (the whole mapping hashed first) accepts;
 * - one byte changed anywhere (header fields after the checksum, a layer record, the first, a middle,
 *   a chunk-crossing and the last parameter, the names, the backend section) is refused as
 *   "checksum mismatch", also where the changed record no longer parses;
 * - a NaN written into a conv's parameters (checksum rewritten) is refused by the finite check
 *   naming that layer and float, at the first float of a 4096-float block, in the middle of one,
 *   and at the last parameter. */
#include "darkrt.h"
#include "engine/plan.h"
#include "graph/model.h"
#include "unit/check.h"
#include "unit/file-bytes.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


/* The plan with byte `at` changed (checksum kept, or rewritten when fix): the load's error text, or NULL. */
static const char *load_changed(const unsigned char *plan, size_t n, const char *path, size_t at, const void *val,
                                size_t vn, int fix)
{
    CHECK(write_changed_plan(path, plan, n, at, val, vn, fix) == 0, "%s: not written", path);
    drt_engine *e = NULL;
    drt_status s = drt_engine_load_plan(path, NULL, &e);
    if (s == DRT_OK) {
        drt_engine_free(e);
        return NULL;
    }
    return drt_last_error();
}

int main(void)
{
    const char *dn = getenv("DRT_DN_CFG");
    char cfg[1024], plan[64], bad[64];
    snprintf(cfg, sizeof cfg, "%s/yolov3-tiny.cfg", dn && *dn ? dn : "/usr/share/darknet/cfg");
    snprintf(plan, sizeof plan, "/tmp/plan-load-read-%d.plan", (int)getpid());
    snprintf(bad, sizeof bad, "/tmp/plan-load-read-%d-bad.plan", (int)getpid());
    drt_model *m = NULL;
    if (access(cfg, R_OK) != 0) {
        printf("skip: %s not found (Debian's darknet cfgs)\n", cfg);
        return 77;
    }
    drt_load_opts lo = drt_load_opts_default();
    CHECK(drt_model_load(cfg, NULL, &lo, &m) == DRT_OK && drt_model_synth_weights(m, 7) == DRT_OK, "%s: %s", cfg, drt_last_error());
    if (!m) return DONE();
    drt_engine_opts eo = drt_engine_opts_default();
    eo.device = DRT_DEVICE_REF;
    drt_engine *e = NULL;
    CHECK(drt_engine_create(m, &eo, &e) == DRT_OK && drt_engine_save_plan(e, plan) == DRT_OK, "build: %s", drt_last_error());
    drt_engine_free(e);
    size_t n = 0;
    unsigned char *file = read_all(plan, &n);
    CHECK(file && n > ((size_t)32 << 20), "plan: %zu bytes, want over 32 MiB (three checksum chunks)", n);
    if (!file) return DONE();

    e = NULL;
    CHECK(drt_engine_load_plan(plan, NULL, &e) == DRT_OK, "load: %s", drt_last_error());
    const drt_model *lm = e ? drt_engine_model(e) : NULL;
    CHECK(lm && lm->n_params == m->n_params && !memcmp(lm->params, m->params, m->n_params * sizeof(float)),
          "loaded parameters differ from the built model's");
    drt_engine_free(e);
    drt_model *rm = NULL;
    CHECK(drt_plan_read_model(plan, 1, &rm, NULL) == DRT_OK && rm && !memcmp(rm->params, m->params, m->n_params * sizeof(float)),
          "the mapping's reader: %s", drt_last_error());
    drt_model_free(rm);

    /* where the parameters lie in the file: found by their bytes (they are unique: synthesised) */
    const unsigned char *hit = memmem(file, n, m->params, 4096);
    CHECK(hit != NULL, "parameters not found in the file");
    size_t p0 = hit ? (size_t)(hit - file) : 0, pn = m->n_params * sizeof(float);
    size_t chunk = (size_t)16 << 20, cross = drt_plan_checksum_offset() + 8 + chunk; /* the first chunk boundary */
    size_t where[] = {drt_plan_checksum_offset() + 8, p0 - 40, p0, p0 + pn / 2, cross - 1, cross, p0 + pn - 1, p0 + pn + 2, n - 1};
    const char *what[] = {"header after the checksum", "a layer record", "the first parameter", "a middle parameter",
                          "before a chunk boundary", "at a chunk boundary", "the last parameter byte", "the names", "the backend section"};
    for (size_t k = 0; hit && k < sizeof where / sizeof *where; k++) {
        const char *err = load_changed(file, n, bad, where[k], NULL, 0, 0);
        CHECK(err && strstr(err, "checksum mismatch") && strstr(err, bad), "%s (byte %zu) changed: %s", what[k], where[k],
              err ? err : "loaded");
    }

    /* a NaN with a valid checksum: the finite check names the layer and the float */
    const float nan = NAN;
    size_t floats[] = {4096, 4096 + 1234, m->n_params - 1};
    for (size_t k = 0; hit && k < sizeof floats / sizeof *floats; k++) {
        const drt_layer *l = NULL;
        int li = -1;
        for (int i = 0; i < m->n_layers; i++) {
            const drt_layer *c = &m->layers[i];
            if (c->biases && c->biases >= m->params && floats[k] >= (size_t)(c->biases - m->params) &&
                floats[k] < (size_t)(c->biases - m->params) + drt_layer_param_count(m, c))
                l = c, li = i;
        }
        CHECK(l != NULL, "float %zu: no layer holds it", floats[k]);
        if (!l) continue;
        char want[96], line[32] = "";
        if (l->line > 0) snprintf(line, sizeof line, " (cfg line %d)", l->line);
        snprintf(want, sizeof want, "layer %d%s float %zu of", li, line, floats[k] - (size_t)(l->biases - m->params));
        const char *err = load_changed(file, n, bad, p0 + floats[k] * sizeof(float), &nan, sizeof nan, 1);
        CHECK(err && strstr(err, want) && strstr(err, "must be finite"), "NaN at float %zu: want '%s', got: %s", floats[k], want,
              err ? err : "loaded");
    }
    unlink(plan);
    unlink(bad);
    free(file);
    drt_model_free(m);
    return DONE();
}
