/* libFuzzer target: plan headers and model-section records with valid checksums. A valid plan of
 * tests/fuzz/corpus/cfg/tiny-yolo.cfg is built once; each input overwrites its header after the magic
 * (input bytes 0..95 -> file bytes 8..103: format, sizes, version, device, precision, batch, threads,
 * pass bits, section offsets) and then the model section from its start (counts, sizes, layer records:
 * YOLO anchors, scale_x_y, new_coords...). The checksum is recomputed, so every mutation reaches the
 * field checks; what loads runs once. Needs DRT_ROOT (default: the current directory). The weights are
 * `darkrt synth`'s, seed 1 (the seed tree's tiny-yolo-v0.2.weights holds the same bytes). */
#include "core/fileio.h"
#include "fuzz-common.h"
#ifdef FUZZ_NO_MAIN
#include "fuzz-plan.c"
#else
#define FUZZ_NO_MAIN
#include "fuzz-plan.c"
#undef FUZZ_NO_MAIN
#endif

static uint8_t *fuzz_base_plan;
static size_t fuzz_base_size;

static void fuzz_make_base(void)
{
    const char *root = getenv("DRT_ROOT") ? getenv("DRT_ROOT") : ".";
    char cfg[1024];
    snprintf(cfg, sizeof cfg, "%s/tests/fuzz/corpus/cfg/tiny-yolo.cfg", root);
    drt_load_opts lo = fuzz_load_opts();
    drt_engine_opts o = drt_engine_opts_default();
    o.device = DRT_DEVICE_REF;
    o.threads = 1;
    drt_model *m = NULL;
    drt_engine *e = NULL;
    const char *path = fuzz_write_file("header.plan", (const uint8_t *)"", 0);
    if (drt_model_load_darknet(cfg, NULL, &lo, &m) != DRT_OK || drt_model_synth_weights(m, 1) != DRT_OK ||
        drt_engine_create(m, &o, &e) != DRT_OK ||
        drt_engine_save_plan(e, path) != DRT_OK) {
        fprintf(stderr, "fuzz-plan-header: cannot build the base plan from %s (set DRT_ROOT): %s\n", cfg, drt_last_error());
        abort();
    }
    drt_engine_free(e);
    drt_model_free(m);
    if (drt_read_file(path, (size_t)1 << 30, &fuzz_base_plan, &fuzz_base_size) != DRT_OK) abort();
}

static int fuzz_plan_header(const uint8_t *data, size_t size)
{
    if (!fuzz_base_plan) fuzz_make_base();
    uint8_t *plan = malloc(fuzz_base_size);
    if (!plan) return 0;
    memcpy(plan, fuzz_base_plan, fuzz_base_size);
    size_t head = size < 96 ? size : 96;
    memcpy(plan + 8, data, head);
    uint64_t model_off;
    memcpy(&model_off, fuzz_base_plan + 64, 8); /* the base plan's, whatever the input wrote there */
    size_t rest = size - head, room = fuzz_base_size - (size_t)model_off;
    memcpy(plan + model_off, data + head, rest < room ? rest : room);
    fuzz_plan(plan, fuzz_base_size); /* fixes the checksum, loads, runs */
    free(plan);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) /* as fuzz-plan.c: no oneDNN primitive cache */
{
    (void)argc; (void)argv;
    setenv("DNNL_PRIMITIVE_CACHE_CAPACITY", "0", 1);
    return 0;
}
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_plan_header(data, size); }
#endif
