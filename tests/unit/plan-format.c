/* A plan's layers are a file format (issue 17), not a drt_layer dump: for cfgs that set every kind of layer
 * field (AlexeyAB's options, weighted shortcuts, Gaussian heads, flipped kernels, ...), the model read back
 * from a plan equals the one it was built from, field for field and parameter for parameter, and a plan
 * loaded and saved again is the same file, byte for byte (ref and cpu engines). A record whose enum, array
 * count or length is out of range, and a plan of format 1, are refused with one line naming the layer and
 * the field (checksum rewritten, so the record check is what refuses). */
#include "darkrt.h"
#include "unit/check.h"
#include "core/fileio.h"
#include "engine/plan.h"
#include "engine/plan-layer.h"
#include "graph/model.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

/* l's stored fields only: the parameter views cleared, anchors past the 2 x num a plan keeps zeroed. */
static void stored(const drt_layer *l, drt_layer *out)
{
    memcpy(out, l, sizeof *out);
    out->biases = out->scales = out->rolling_mean = out->rolling_var = out->weights = NULL;
    int keep = l->num > 0 && l->num <= DRT_MAX_ANCHORS ? 2 * l->num : 0;
    for (int k = keep; k < 2 * DRT_MAX_ANCHORS; k++) out->anchors[k] = 0;
}

static void same_model(const char *name, const drt_model *a, const drt_model *b)
{
    CHECK(a->n_layers == b->n_layers && a->width == b->width && a->height == b->height && a->channels == b->channels &&
          a->bn == b->bn && a->resize == b->resize && a->n_params == b->n_params, "%s: model header differs", name);
    if (a->n_layers != b->n_layers || a->n_params != b->n_params) return;
    for (int i = 0; i < a->n_layers; i++) {
        drt_layer x, y;
        stored(&a->layers[i], &x);
        stored(&b->layers[i], &y);
        CHECK(!memcmp(&x, &y, sizeof x), "%s: layer %d (%s) differs after the plan", name, i, drt_layer_type_name(x.type));
    }
    CHECK(!memcmp(a->params, b->params, sizeof(float) * a->n_params), "%s: parameters differ after the plan", name);
}

static int read_all(const char *p, unsigned char **d, size_t *n)
{
    if (drt_read_file(p, (size_t)1 << 30, d, n) == DRT_OK) return 0;
    printf("FAIL: read %s: %s\n", p, drt_last_error());
    failures++;
    return -1;
}

/* Builds cfg on device, saves plan A, compares its model with the cfg's, loads A and saves B == A. */
static void round_trip(const char *name, const char *cfg, drt_device device)
{
    char a[128], b[128];
    snprintf(a, sizeof a, "%s/%s-%d-a.plan", dir, name, (int)device);
    snprintf(b, sizeof b, "%s/%s-%d-b.plan", dir, name, (int)device);
    drt_load_opts lo = drt_load_opts_default();
    lo.warn = 0;
    drt_engine_opts o = drt_engine_opts_default();
    o.device = device;
    o.threads = 1;
    drt_model *m = NULL, *back = NULL;
    drt_engine *e = NULL;
    unsigned char *da = NULL, *db = NULL;
    size_t na = 0, nb = 0;
    if (drt_model_load_darknet(cfg, NULL, &lo, &m) != DRT_OK || drt_model_synth_weights(m, 7) != DRT_OK ||
        drt_engine_create(m, &o, &e) != DRT_OK || drt_engine_save_plan(e, a) != DRT_OK) {
        printf("FAIL: %s %s: build: %s\n", name, drt_device_name(device), drt_last_error());
        failures++;
        goto done;
    }
    drt_engine_free(e);
    e = NULL;
    if (drt_plan_read_model(a, 1, &back, NULL) != DRT_OK) {
        printf("FAIL: %s: read model: %s\n", name, drt_last_error());
        failures++;
        goto done;
    }
    same_model(name, m, back);
    if (drt_engine_load_plan(a, NULL, &e) != DRT_OK || drt_engine_save_plan(e, b) != DRT_OK) {
        printf("FAIL: %s %s: load and save again: %s\n", name, drt_device_name(device), drt_last_error());
        failures++;
        goto done;
    }
    if (read_all(a, &da, &na) || read_all(b, &db, &nb)) goto done;
    CHECK(na == nb && !memcmp(da, db, na), "%s %s: plan saved again differs (%zu and %zu bytes)", name,
          drt_device_name(device), na, nb);
    printf("ok: %s %s: %d layers, %zu bytes, model and file round-trip\n", name, drt_device_name(device), m->n_layers, na);
done:
    free(da);
    free(db);
    drt_engine_free(e);
    drt_model_free(m);
    drt_model_free(back);
    unlink(a);
    unlink(b);
}

static unsigned char *plan;
static size_t n_plan;
static drt_model *model; /* the plan's own, for the records' offsets */

/* Offset of layer i's record: after the model section's header (9 uint32, uint64 n_params, the source string). */
static size_t record_of(int i)
{
    uint64_t off;
    memcpy(&off, plan + 64, 8); /* plan_header's model_off (tests/fuzz/seeds/plan-regressions.py's HEADER) */
    uint32_t n;
    memcpy(&n, plan + off + 44, 4);
    off += 48 + (n == 0xffffffffu ? 0 : n);
    for (int k = 0; k < i; k++) off += drt_plan_layer_size(&model->layers[k]);
    return (size_t)off;
}

/* Writes v at `at` of a copy (checksum rewritten) and reads its model: refused, one line holding want. */
static void refused(const char *what, size_t at, uint32_t v, const char *want)
{
    char p[128];
    snprintf(p, sizeof p, "%s/patched.plan", dir);
    unsigned char *d = malloc(n_plan);
    memcpy(d, plan, n_plan);
    memcpy(d + at, &v, 4);
    uint64_t c = drt_plan_checksum(d, n_plan);
    memcpy(d + drt_plan_checksum_offset(), &c, 8);
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(d, 1, n_plan, f) != n_plan) printf("FAIL: write %s\n", p), failures++;
    if (f) fclose(f);
    free(d);
    drt_model *m = NULL;
    drt_status s = drt_plan_read_model(p, 0, &m, NULL);
    drt_model_free(m);
    if (s == DRT_OK) printf("FAIL: %s: accepted\n", what), failures++;
    else if (!strstr(drt_last_error(), want) || strchr(drt_last_error(), '\n') || !strstr(drt_last_error(), p))
        printf("FAIL: %s: message lacks '%s' or the path: %s\n", what, want, drt_last_error()), failures++;
    else printf("ok: %s: %s\n", what, drt_last_error());
    unlink(p);
}

static size_t field(int layer, const char *name)
{
    return record_of(layer) + (size_t)drt_plan_layer_field_offset(&model->layers[layer], name);
}

int main(void)
{
    const char *root = getenv("DRT_ROOT");
    if (!root) root = ".";
    snprintf(dir, sizeof dir, "/tmp/drt-plan-format-%ld", (long)getpid());
    if (mkdir(dir, 0700)) return printf("FAIL: mkdir %s\n", dir), 1;
    static const char *cfgs[][2] = {
        {"tiny-yolo", "tests/fuzz/corpus/cfg/tiny-yolo.cfg"}, {"tiny-v3", "tests/fuzz/corpus/cfg/tiny-v3.cfg"},
        {"options", "tests/alexeyab/options.cfg"},            {"shortcut-w", "tests/alexeyab/shortcut-w.cfg"},
        {"gaussian", "tests/alexeyab/gaussian.cfg"},          {"flipped", "tests/alexeyab/flipped.cfg"},
        {"layers", "tests/alexeyab/layers.cfg"},              {"layers-b", "tests/alexeyab/layers-b.cfg"},
        {"activations", "tests/alexeyab/activations.cfg"},    {"route-add", "tests/alexeyab/route-add.cfg"},
        {"xnor", "tests/alexeyab/xnor.cfg"},
    };
    for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; i++) {
        char cfg[1024];
        snprintf(cfg, sizeof cfg, "%s/%s", root, cfgs[i][1]);
        round_trip(cfgs[i][0], cfg, DRT_DEVICE_REF);
        if (i < 3) round_trip(cfgs[i][0], cfg, DRT_DEVICE_CPU);
    }

    /* Out-of-range records, in a ref plan of tiny-yolo (layer 0 a conv, layer 5 its first [yolo]). */
    char cfg[1024], p[128];
    snprintf(cfg, sizeof cfg, "%s/tests/fuzz/corpus/cfg/tiny-yolo.cfg", root);
    snprintf(p, sizeof p, "%s/base.plan", dir);
    drt_engine_opts o = drt_engine_opts_default();
    o.device = DRT_DEVICE_REF;
    drt_engine *e = NULL;
    if (drt_model_load_darknet(cfg, NULL, NULL, &model) != DRT_OK || drt_engine_create(model, &o, &e) != DRT_OK ||
        drt_engine_save_plan(e, p) != DRT_OK || read_all(p, &plan, &n_plan))
        return printf("FAIL: base plan: %s\n", drt_last_error()), 1;
    drt_engine_free(e);
    unlink(p);
    int yolo = -1;
    for (int i = 0; i < model->n_layers && yolo < 0; i++)
        if (model->layers[i].type == DRT_LAYER_YOLO) yolo = i;
    if (yolo < 1) return printf("FAIL: no [yolo] layer after layer 0\n"), 1;
    char want[128];
    refused("format 1", 8, 1, "plan format 1: this darkrt reads format 5: rebuild the plan");
    refused("format 3", 8, 3, "plan format 3: this darkrt reads format 5: rebuild the plan"); /* before xnor */
    refused("format 4", 8, 4, "plan format 4: this darkrt reads format 5: rebuild the plan"); /* before [crnn] */
    refused("type 99", field(0, "type"), 99, "layer 0: type=99: must be 0..");
    refused("act -1", field(0, "act"), 0xffffffffu, "layer 0: act=-1: must be 0..");
    refused("fixed 9", field(0, "fixed"), 9, "layer 0: fixed=9: must be 0..");
    snprintf(want, sizeof want, "layer %d: nms_kind=7: must be 0..", yolo);
    refused("nms_kind 7", field(yolo, "nms_kind"), 7, want);
    refused("9 inputs", field(1, "inputs") - 4, 9, "layer 1: inputs holds 9 entries: at most 8");
    snprintf(want, sizeof want, "layer %d: mask holds 33 entries: at most 32", yolo);
    refused("33 masks", field(yolo, "mask") - 4, 33, want);
    snprintf(want, sizeof want, "layer %d: anchors holds 65 entries: at most 64", yolo);
    refused("65 anchors", field(yolo, "anchors") - 4, 65, want);
    refused("record of 12 bytes", record_of(0), 12, "layer 0: record of 12 bytes ends in field inputs");
    refused("record of 2^30 bytes", record_of(0), 1u << 30, "layer 0: record length out of range");
    size_t n0 = drt_plan_layer_size(&model->layers[0]), n1 = drt_plan_layer_size(&model->layers[1]);
    snprintf(want, sizeof want, "layer 1: record of %zu bytes ends in field state_from", n1 - 4);
    refused("record 4 bytes short", record_of(1), (uint32_t)(n1 - 4), want);
    snprintf(want, sizeof want, "layer 0: record of %zu bytes, its fields take %zu", n0 + 4, n0);
    refused("record 4 bytes long", record_of(0), (uint32_t)(n0 + 4), want);
    free(plan);
    drt_model_free(model);
    rmdir(dir);
    return DONE();
}
