/* Every plan field is input (issue 19 items 1 and 7): a plan whose checksum is valid but whose header
 * asks for 100000 threads, unknown pass bits or device 5000, or whose YOLO layer holds a negative or
 * zero anchor, a NaN or negative scale_x_y or new_coords=12345, or whose names disagree with the
 * classes, is refused with one message naming the field; drt_engine_create refuses the same threads.
 * The unchanged plan loads (the patches, not the file, are what is refused). */
#include "darkrt.h"
#include "unit/check.h"
#include "core/fileio.h"
#include "engine/plan.h"
#include "engine/plan-layer.h"
#include "graph/model.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned char *orig;
static size_t n_orig;
static char path[64];

static int write_file(const char *p, const unsigned char *d, size_t n)
{
    FILE *f = fopen(p, "wb");
    if (!f) return -1;
    size_t w = fwrite(d, 1, n, f);
    return fclose(f) || w != n ? -1 : 0;
}

/* Copies the plan, writes `n` bytes of `v` at `at`, fixes the checksum and loads it: the load must
 * fail with a message holding `want` (or succeed when want is NULL). */
static void expect(const char *name, size_t at, const void *v, size_t n, const char *want)
{
    unsigned char *buf = malloc(n_orig);
    memcpy(buf, orig, n_orig);
    if (v) memcpy(buf + at, v, n);
    uint64_t c = drt_plan_checksum(buf, n_orig);
    memcpy(buf + drt_plan_checksum_offset(), &c, 8);
    write_file(path, buf, n_orig);
    free(buf);
    drt_engine *e = NULL;
    drt_status s = drt_engine_load_plan(path, NULL, &e);
    drt_engine_free(e);
    if (!want && s == DRT_OK) printf("ok: %s: loads\n", name);
    else if (!want) printf("FAIL: %s: %s\n", name, drt_last_error()), failures++;
    else if (s == DRT_OK) printf("FAIL: %s: loaded\n", name), failures++;
    else if (!strstr(drt_last_error(), want) || strchr(drt_last_error(), '\n'))
        printf("FAIL: %s: message lacks '%s': %s\n", name, want, drt_last_error()), failures++;
    else printf("ok: %s: %s\n", name, drt_last_error());
}

/* Offset of the yolo layer's record (src/engine/plan-layer.c): found by its anchors, which no other bytes of
 * the plan repeat. */
static size_t yolo_record(const drt_model *m, int *layer_out)
{
    for (int i = 0; i < m->n_layers; i++) {
        const drt_layer *l = &m->layers[i];
        if (l->type != DRT_LAYER_YOLO) continue;
        size_t n = sizeof(float) * 2 * (size_t)l->num; /* stored little endian, as this host holds them */
        for (size_t off = 0; off + n <= n_orig; off++)
            if (!memcmp(orig + off, l->anchors, n)) return *layer_out = i, off - (size_t)drt_plan_layer_field_offset(l, "anchors");
    }
    return 0;
}

int main(void)
{
    const char *root = getenv("DRT_ROOT");
    char cfg[1024], w[1024];
    snprintf(cfg, sizeof cfg, "%s/tests/fuzz/corpus/cfg/tiny-yolo.cfg", root ? root : ".");
    const char *data = getenv("DRT_DATA"); /* the fuzz seed tree of tests/prepare-data.sh */
    snprintf(w, sizeof w, "%s/fuzz-seeds/corpus/weights/tiny-yolo-v0.2.weights", data ? data : "build-asan/testdata");
    snprintf(path, sizeof path, "/tmp/drt-plan-fields-%ld.plan", (long)getpid());
    drt_load_opts lo = drt_load_opts_default();
    lo.warn = 0;
    drt_engine_opts o = drt_engine_opts_default();
    o.device = DRT_DEVICE_REF;
    o.threads = 3;                     /* recognisable in the header */
    o.passes_off = DRT_PASS_MEMPLAN; /* likewise */
    drt_model *m;
    drt_engine *e;
    if (drt_model_load_darknet(cfg, w, &lo, &m) != DRT_OK || drt_engine_create(m, &o, &e) != DRT_OK ||
        drt_engine_save_plan(e, path) != DRT_OK) {
        printf("FAIL: %s\n", drt_last_error());
        return 1;
    }
    drt_engine_free(e);
    if (drt_read_file(path, (size_t)1 << 30, &orig, &n_orig) != DRT_OK) return printf("FAIL: read back: %s\n", drt_last_error()), 1;

    /* header: ... device, device_index, precision, max_batch, threads, passes_off (uint32 each) */
    size_t threads_at = 0;
    for (size_t k = 0; k + 8 <= 96; k += 4)
        if (!memcmp(orig + k, &(uint32_t[]){3, DRT_PASS_MEMPLAN}, 8)) threads_at = k;
    if (!threads_at) return printf("FAIL: threads and passes_off not found in the header\n"), 1;
    expect("the plan as saved", 0, NULL, 0, NULL);
    expect("threads=100000", threads_at, &(uint32_t){100000}, 4, "threads 100000");
    expect("threads=20000", threads_at, &(uint32_t){20000}, 4, "threads 20000");
    expect("passes_off=0x80000000", threads_at + 4, &(uint32_t){0x80000000u}, 4, "passes-off bits 0x80000000");
    expect("device_index=5000", threads_at - 12, &(uint32_t){5000}, 4, "device index 5000");

    int yl = -1;
    size_t rec = yolo_record(m, &yl);
    if (!rec) return printf("FAIL: the yolo layer's record not found\n"), 1;
    const drt_layer *l = &m->layers[yl];
    size_t anchors = rec + (size_t)drt_plan_layer_field_offset(l, "anchors");
    size_t sxy = rec + (size_t)drt_plan_layer_field_offset(l, "scale_x_y"), nc = rec + (size_t)drt_plan_layer_field_offset(l, "new_coords");
    expect("anchor -10", anchors, &(float){-10}, 4, "anchor 0 is -10");
    expect("anchor 0", anchors + 4, &(float){0}, 4, "anchors hold a 0");
    expect("anchor inf", anchors, &(float){INFINITY}, 4, "anchor 0 is inf");
    expect("scale_x_y NaN", sxy, &(float){NAN}, 4, "scale_x_y=nan");
    expect("scale_x_y -1", sxy, &(float){-1}, 4, "scale_x_y=-1");
    expect("new_coords 12345", nc, &(int32_t){12345}, 4, "new_coords=12345");

    o.threads = 100000;
    drt_status s = drt_engine_create(m, &o, &e);
    if (s == DRT_STATUS_INVALID_ARG && strstr(drt_last_error(), "threads 100000")) printf("ok: engine_create threads=100000: %s\n", drt_last_error());
    else printf("FAIL: engine_create threads=100000: %s\n", s == DRT_OK ? "accepted" : drt_last_error()), failures++;
    if (s == DRT_OK) drt_engine_free(e);
    drt_model_free(m);
    free(orig);
    unlink(path);
    return DONE();
}
