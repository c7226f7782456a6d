/* Reading a plan's model without building an engine (what `darkrt inspect` does): a CUDA plan is
 * read on a machine without a GPU. The CUDA plan is a CPU plan whose header says cuda, fp16,
 * batch 32 (checksum refreshed): its model must read back, with and without its parameters, the
 * same as the model it was built from, while loading it as an engine must fail. */
#include "darkrt.h"
#include "engine/plan.h"
#include "graph/model.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* plan_header (src/engine/plan.c): magic[8], format, header_size, version[16], then device,
 * device_index, precision, max_batch as uint32. */
#define OFF_DEVICE 32
#define OFF_PRECISION 40
#define OFF_BATCH 44

static int fail(const char *what)
{
    printf("FAIL: %s (%s)\n", what, drt_last_error());
    return 1;
}

static unsigned char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *d = malloc(*n);
    if (d && fread(d, 1, *n, f) != *n) { free(d); d = NULL; }
    fclose(f);
    return d;
}

/* Rewrites the header to a CUDA fp16 batch-32 plan; 0 on success. */
static int make_cuda_header(const char *path)
{
    size_t n;
    unsigned char *d = read_all(path, &n);
    uint32_t dev, batch, v;
    if (!d) return -1;
    memcpy(&dev, d + OFF_DEVICE, 4);
    memcpy(&batch, d + OFF_BATCH, 4);
    if (dev != DRT_DEVICE_CPU || batch != 1) { free(d); return -2; } /* the layout moved: update the offsets */
    v = DRT_DEVICE_CUDA; memcpy(d + OFF_DEVICE, &v, 4);
    v = DRT_PREC_FP16; memcpy(d + OFF_PRECISION, &v, 4);
    v = 32; memcpy(d + OFF_BATCH, &v, 4);
    uint64_t ck = drt_plan_checksum(d, n);
    memcpy(d + drt_plan_checksum_offset(), &ck, 8);
    FILE *f = fopen(path, "wb");
    int bad = !f || fwrite(d, 1, n, f) != n;
    if (f && fclose(f)) bad = 1;
    free(d);
    return bad ? -1 : 0;
}

static int same_layers(const drt_model *a, const drt_model *b)
{
    if (a->n_layers != b->n_layers || a->width != b->width || a->height != b->height || a->n_params != b->n_params)
        return 0;
    for (int i = 0; i < a->n_layers; i++)
        if (a->layers[i].type != b->layers[i].type || a->layers[i].out.c != b->layers[i].out.c ||
            a->layers[i].out.w != b->layers[i].out.w || a->layers[i].act != b->layers[i].act)
            return 0;
    return 1;
}

int main(void)
{
    const char *data = getenv("DRT_DATA"), *cfg_dir = getenv("DRT_DN_CFG");
    char w[1100], cfg[1100];
    snprintf(w, sizeof w, "%s/yolov3-tiny.weights", data ? data : ".");
    snprintf(cfg, sizeof cfg, "%s/yolov3-tiny.cfg", cfg_dir && *cfg_dir ? cfg_dir : "/usr/share/darknet/cfg");
    if (access(w, R_OK)) { printf("skipped: %s missing (tests/prepare-data.sh)\n", w); return 77; }
    setenv("DRT_CPU_TUNE", "0", 0);
    drt_load_opts lo = drt_load_opts_default();
    lo.warn = 0;
    lo.width = lo.height = 128;
    drt_model *m, *layers_only, *full;
    drt_engine *e;
    drt_engine_opts o = drt_engine_opts_default();
    o.threads = 1;
    char path[] = "/tmp/drt-plan-inspect-XXXXXX.plan";
    int fd = mkstemps(path, 5);
    if (fd < 0) return fail("mkstemp");
    close(fd);
    if (drt_model_load_darknet(cfg, w, &lo, &m) != DRT_OK ||
        drt_engine_create(m, &o, &e) != DRT_OK || drt_engine_save_plan(e, path) != DRT_OK)
        return fail("build the CPU plan");
    drt_engine_free(e);
    int rc = make_cuda_header(path);
    if (rc) { printf("FAIL: rewrite the plan header (%d)\n", rc); return 1; }
    drt_plan_info pi;
    if (drt_plan_read_model(path, 0, &layers_only, &pi) != DRT_OK) return fail("read the CUDA plan's layers");
    if (pi.device != DRT_DEVICE_CUDA || pi.precision != DRT_PREC_FP16 || pi.max_batch != 32) {
        printf("FAIL: plan info %d/%d/%d, expected cuda/fp16/32\n", (int)pi.device, (int)pi.precision, pi.max_batch);
        return 1;
    }
    if (!same_layers(m, layers_only) || layers_only->params) { printf("FAIL: layers-only model differs\n"); return 1; }
    if (drt_model_load(path, NULL, NULL, &full) != DRT_OK) return fail("drt_model_load of the CUDA plan");
    if (!same_layers(m, full) || memcmp(m->params, full->params, sizeof(float) * m->n_params)) {
        printf("FAIL: the plan's model differs from the one it was built from\n");
        return 1;
    }
    if (drt_engine_load_plan(path, NULL, &e) == DRT_OK) { printf("FAIL: a CPU section loaded as a CUDA engine\n"); return 1; }
    printf("CUDA plan read without an engine: %d layers, %zu parameters; engine load refused: %s\n", full->n_layers,
           full->n_params, drt_last_error());
    drt_model_free(m);
    drt_model_free(layers_only);
    drt_model_free(full);
    unlink(path);
    return 0;
}
