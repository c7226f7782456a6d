/* Out-of-memory paths of the loaders and writers: allocation number N fails, for every N a call makes
 * (malloc, calloc, realloc, strdup, ... are wrapped at link time: OOM_WRAP in the Makefile). Each failure
 * must come back as DRT_STATUS_OOM with a message: no crash, no leak (LeakSanitizer checked after each N),
 * and no output file or temporary left behind by a failed write. Then every 2nd..5th allocation fails. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "darkrt.h"

#include <jpeglib.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define LEAK_CHECK() __lsan_do_recoverable_leak_check()
#else
#define LEAK_CHECK() 0
#endif

/* ---- the failing allocator ---- */
void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
int __real_posix_memalign(void **p, size_t a, size_t n);
void *__real_aligned_alloc(size_t a, size_t n);

static long n_allocs;   /* allocations since arming */
static long fail_at;    /* one-shot: this allocation fails (0: none) */
static long fail_every; /* periodic: every k-th allocation fails (0: none) */
static int armed;
static long n_failed;

static int must_fail(void)
{
    if (!__atomic_load_n(&armed, __ATOMIC_RELAXED)) return 0;
    long k = __atomic_add_fetch(&n_allocs, 1, __ATOMIC_RELAXED);
    if ((fail_at && k == fail_at) || (fail_every && k % fail_every == 0)) {
        __atomic_add_fetch(&n_failed, 1, __ATOMIC_RELAXED);
        errno = ENOMEM;
        return 1;
    }
    return 0;
}

void *__wrap_malloc(size_t n) { return must_fail() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t k, size_t n) { return must_fail() ? NULL : __real_calloc(k, n); }
void *__wrap_realloc(void *p, size_t n) { return must_fail() ? NULL : __real_realloc(p, n); }
char *__wrap_strdup(const char *s) { return must_fail() ? NULL : __real_strdup(s); }
char *__wrap_strndup(const char *s, size_t n) { return must_fail() ? NULL : __real_strndup(s, n); }
int __wrap_posix_memalign(void **p, size_t a, size_t n) { return must_fail() ? ENOMEM : __real_posix_memalign(p, a, n); }
void *__wrap_aligned_alloc(size_t a, size_t n) { return must_fail() ? NULL : __real_aligned_alloc(a, n); }

/* libjpeg takes its memory from these (its jmemnobs.c, called through the PLT). Defined here and
 * exported (OOM_WRAP), they replace libjpeg's own, so libjpeg's allocations fail on demand too.
 * libpng and protobuf-c are given darkrt's allocator through their APIs. */
static long jpeg_allocs; /* proof that the replacement is in effect */
void *jpeg_get_small(j_common_ptr cinfo, size_t n)
{
    (void)cinfo;
    jpeg_allocs++;
    return malloc(n);
}
void *jpeg_get_large(j_common_ptr cinfo, size_t n) { return jpeg_get_small(cinfo, n); }
void jpeg_free_small(j_common_ptr cinfo, void *p, size_t n)
{
    (void)cinfo;
    (void)n;
    free(p);
}
void jpeg_free_large(j_common_ptr cinfo, void *p, size_t n) { jpeg_free_small(cinfo, p, n); }

/* ---- the scenarios ---- */
static char root[1024], seeds[1024], tmpdir[256];
static char cfg_path[1200], weights_path[1200], onnx_path[1200], names_path[1200];
static char fastest_cfg[1200], fastest_weights[1200];
static drt_model *model;   /* tiny-yolo with weights, loaded unarmed */
static drt_image *image;   /* a decoded seed image, unarmed */
static drt_engine *engine; /* a reference engine of model, unarmed */
static const char *image_path;
static char out_path[512];
static int failures;

static drt_status load_cfg(void)
{
    drt_model *m;
    drt_status s = drt_model_load_darknet(cfg_path, NULL, NULL, &m);
    drt_model_free(m);
    return s;
}

static drt_status load_weights(void)
{
    drt_model *m;
    drt_status s = drt_model_load_darknet(cfg_path, weights_path, NULL, &m);
    drt_model_free(m);
    return s;
}

static drt_status load_fastest(void)
{
    drt_model *m;
    drt_status s = drt_model_load_darknet(fastest_cfg, fastest_weights, NULL, &m);
    drt_model_free(m);
    return s;
}

static drt_status load_onnx(void)
{
    drt_model *m;
    drt_status s = drt_model_load_onnx(onnx_path, NULL, &m);
    drt_model_free(m);
    return s;
}

static drt_status load_image(void)
{
    drt_image *im;
    drt_status s = drt_image_load(image_path, &im);
    drt_image_free(im);
    return s;
}

static drt_status set_names(void)
{
    return drt_model_set_names_file(model, names_path);
}

static drt_status export_onnx(void)
{
    drt_onnx_opts o = drt_onnx_opts_default();
    return drt_model_export_onnx(model, out_path, &o);
}

static drt_status save_weights(void) { return drt_model_save_weights(model, out_path); }
static drt_status save_png(void) { return drt_image_save_png(image, out_path); }

static drt_status create_and_run(void)
{
    drt_engine_opts o = drt_engine_opts_default();
    o.device = DRT_DEVICE_REF;
    drt_engine *e;
    drt_status s = drt_engine_create(model, &o, &e);
    if (s == DRT_OK) {
        size_t n = (size_t)drt_model_width(model) * drt_model_height(model) * drt_model_channels(model);
        float *in = __real_calloc(n, sizeof(float));
        s = drt_engine_run(e, in, 1);
        free(in);
    }
    drt_engine_free(e);
    return s;
}

static drt_status detect(void)
{
    drt_detect_opts o = drt_detect_opts_default();
    o.thresh = 0.001f;
    drt_detections *d;
    drt_status s = drt_detect_image(engine, image, &o, &d, NULL);
    drt_detections_free(d);
    return s;
}

static drt_status plan_round_trip(void)
{
    drt_status s = drt_engine_save_plan(engine, out_path);
    if (s != DRT_OK) return s;
    drt_engine *e;
    drt_engine_opts o = drt_engine_opts_default();
    s = drt_engine_load_plan(out_path, &o, &e);
    drt_engine_free(e);
    unlink(out_path);
    return s;
}

/* Whether a failed write left its output or a temporary behind in tmpdir. */
static const char *leftover_file(void)
{
    static char name[256];
    DIR *d = opendir(tmpdir);
    struct dirent *de;
    const char *found = NULL;
    while (d && (de = readdir(d)))
        if (strncmp(de->d_name, "out.", 4) == 0) {
            snprintf(name, sizeof name, "%s", de->d_name);
            found = name;
        }
    if (d) closedir(d);
    return found;
}

typedef struct scenario {
    const char *name;
    drt_status (*run)(void);
    int writes;    /* writes out_path: a failure must leave nothing behind */
    long max_runs; /* 0: every allocation fails once; else about this many, evenly spread (time) */
} scenario;

/* Runs one armed call; returns 0, or 1 when the contract was broken (reported). */
static int one_run(const scenario *sc, long at, long every)
{
    if (sc->writes) unlink(out_path);
    n_allocs = 0;
    n_failed = 0;
    fail_at = at;
    fail_every = every;
    __atomic_store_n(&armed, 1, __ATOMIC_RELAXED);
    drt_status s = sc->run();
    __atomic_store_n(&armed, 0, __ATOMIC_RELAXED);
    const char *why = NULL;
    if (s != DRT_OK && !drt_last_error()[0]) why = "failed with no message";
    if (s != DRT_OK && s != DRT_STATUS_OOM) why = "failed with another status than out of memory";
    if (s != DRT_OK && sc->writes && leftover_file()) why = "left a file behind after failing";
    if (LEAK_CHECK()) why = "leaked (report above)";
    if (!why) return 0;
    printf("FAIL: %s with allocation %s%ld failing: %s (%s: %s)\n", sc->name, every ? "every " : "#",
           every ? every : at, why, drt_status_str(s), drt_last_error());
    return 1;
}

static void run_scenario(const scenario *sc)
{
    const char *only = getenv("OOM_ONLY"); /* debugging: run the scenarios whose name contains this */
    if (only && *only && !strstr(sc->name, only)) return;
    n_allocs = 0;
    fail_at = fail_every = 0;
    __atomic_store_n(&armed, 1, __ATOMIC_RELAXED);
    drt_status s = sc->run();
    __atomic_store_n(&armed, 0, __ATOMIC_RELAXED);
    long total = n_allocs;
    if (s != DRT_OK) {
        printf("skip: %-22s does not succeed without failures: %s: %s\n", sc->name, drt_status_str(s), drt_last_error());
        return;
    }
    long cap = sc->max_runs ? sc->max_runs : 1000, step = total > cap ? total / cap + 1 : 1, runs = 0;
    int bad = 0;
    for (long at = 1; at <= total && !bad; at += step) {
        bad = one_run(sc, at, 0);
        runs++;
    }
    for (long every = 2; every <= 5 && !bad; every++) bad = one_run(sc, 0, every);
    if (sc->writes) unlink(out_path);
    failures += bad;
    printf("%s %-22s %5ld allocations, %5ld runs with one failing (step %ld) and 4 with every 2nd..5th failing\n",
           bad ? "FAIL:" : "ok:  ", sc->name, total, runs, step);
}

static int setup(void)
{
    const char *r = getenv("DRT_ROOT");
    snprintf(root, sizeof root, "%s", r && *r ? r : ".");
    snprintf(cfg_path, sizeof cfg_path, "%s/tests/fuzz/corpus/cfg/tiny-yolo.cfg", root);
    const char *d = getenv("DRT_DATA"); /* the fuzz seed tree of tests/prepare-data.sh */
    snprintf(seeds, sizeof seeds, "%s/fuzz-seeds/corpus", d && *d ? d : "build-asan/testdata");
    snprintf(weights_path, sizeof weights_path, "%s/weights/tiny-yolo-v0.2.weights", seeds);
    snprintf(onnx_path, sizeof onnx_path, "%s/onnx/tiny-yolo-op13.onnx", seeds);
    const char *shared = getenv("DRT_SHARED");
    snprintf(fastest_cfg, sizeof fastest_cfg, "%s/models/yolo-fastest-1.1/yolo-fastest-1.1.cfg",
             shared && *shared ? shared : "../shared");
    if (!shared || !*shared)
        snprintf(fastest_cfg, sizeof fastest_cfg, "%s/../shared/models/yolo-fastest-1.1/yolo-fastest-1.1.cfg", root);
    snprintf(fastest_weights, sizeof fastest_weights, "%.*sweights", (int)(strlen(fastest_cfg) - 3), fastest_cfg);
    snprintf(tmpdir, sizeof tmpdir, "%s/drt-oom-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) return 1;
    snprintf(names_path, sizeof names_path, "%s/names.txt", tmpdir);
    FILE *fp = fopen(names_path, "w");
    if (!fp) return 1;
    fputs("person\n", fp);
    fclose(fp);
    if (drt_model_load_darknet(cfg_path, weights_path, NULL, &model) != DRT_OK) {
        printf("cannot load %s: %s\n", cfg_path, drt_last_error());
        return 1;
    }
    return 0;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (setup()) return 1;
    static const char *const images[] = {"rgb.png", "rgb16.png", "palette2.png", "interlaced.png", "rgb.jpg",
                                         "progressive.jpg", "exif-orient6.jpg", "rgb24.bmp", "rgb.ppm"};
    static char image_paths[9][1200];
    const scenario loaders[] = {
        {"cfg", load_cfg, 0, 0}, {"cfg+weights", load_weights, 0, 0}, {"onnx import", load_onnx, 0, 0},
    };
    for (size_t i = 0; i < sizeof loaders / sizeof loaders[0]; i++) run_scenario(&loaders[i]);
    if (access(fastest_cfg, R_OK) == 0 && access(fastest_weights, R_OK) == 0) {
        const scenario f = {"yolo-fastest-1.1", load_fastest, 0, 100};
        run_scenario(&f);
    }
    for (size_t i = 0; i < sizeof images / sizeof images[0]; i++) {
        snprintf(image_paths[i], sizeof image_paths[i], "%s/image/%s", seeds, images[i]);
        image_path = image_paths[i];
        const scenario sc = {images[i], load_image, 0, 0};
        run_scenario(&sc);
    }
    if (!jpeg_allocs) {
        printf("FAIL: libjpeg did not allocate through the test's jpeg_get_small: its failures were not injected\n");
        failures++;
    }
    image_path = image_paths[0];
    if (drt_image_load(image_path, &image) != DRT_OK) printf("cannot load %s: %s\n", image_path, drt_last_error());
    drt_engine_opts eo = drt_engine_opts_default();
    eo.device = DRT_DEVICE_REF;
    if (drt_engine_create(model, &eo, &engine) != DRT_OK) printf("no reference engine: %s\n", drt_last_error());
    snprintf(out_path, sizeof out_path, "%s/out.onnx", tmpdir);
    const scenario onnx_out = {"onnx export", export_onnx, 1, 0};
    run_scenario(&onnx_out);
    snprintf(out_path, sizeof out_path, "%s/out.weights", tmpdir);
    const scenario weights_out = {"weights save", save_weights, 1, 0};
    run_scenario(&weights_out);
    const scenario engine_sc = {"ref engine create+run", create_and_run, 0, 0};
    run_scenario(&engine_sc);
    if (image) {
        snprintf(out_path, sizeof out_path, "%s/out.png", tmpdir);
        const scenario png_out = {"png save", save_png, 1, 0};
        run_scenario(&png_out);
    }
    if (image && engine) {
        const scenario det = {"detect", detect, 0, 0};
        run_scenario(&det);
    }
    if (engine) {
        snprintf(out_path, sizeof out_path, "%s/out.plan", tmpdir);
        const scenario plan = {"plan save+load", plan_round_trip, 1, 0};
        run_scenario(&plan);
    }
    const scenario names = {"names file", set_names, 0, 0};
    run_scenario(&names);
    drt_engine_free(engine);
    drt_image_free(image);
    drt_model_free(model);
    unlink(names_path);
    rmdir(tmpdir);
    if (failures) printf("%d scenario(s) broke the out-of-memory contract\n", failures);
    else printf("no crash, leak or leftover file with any allocation failing\n");
    return failures ? 1 : 0;
}
