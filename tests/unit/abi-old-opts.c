/* Options structs from an older caller: every function taking one reads only the `size` bytes the
 * caller declares (the struct is placed against a PROT_NONE page, so one byte more faults with or
 * without sanitizers), gives the fields it lacks their defaults (the same results as the full
 * default struct), and refuses a size of 0: loaders, export, engines, plans, detection, video. Uses the public header only, as a program would. */
#include "darkrt.h"
#include "same-results.h"
#include "unit/check.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const char cfg_text[] =
    "[net]\nwidth=32\nheight=32\nchannels=3\n"
    "[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\nstride=2\npad=1\nactivation=leaky\n"
    "[convolutional]\nsize=1\nstride=1\npad=1\nfilters=18\nactivation=linear\n"
    "[yolo]\nmask=0,1,2\nanchors=10,14, 23,27, 37,58\nclasses=1\nnum=3\n";

/* An older caller's struct: the fields of `full` before offset `end`, its size rounded up to the
 * struct's alignment (as the older sizeof was), ending where a PROT_NONE page begins. */
static void *old_struct(const void *full, size_t end)
{
    size_t size = (end + 7) & ~(size_t)7;
    long page = sysconf(_SC_PAGESIZE);
    unsigned char *p = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED || mprotect(p + page, (size_t)page, PROT_NONE) != 0) {
        printf("mmap failed\n");
        exit(1);
    }
    unsigned char *s = p + page - size;
    memcpy(s, full, size);
    memcpy(s, &size, sizeof size);
    return s;
}

static drt_model *load_cfg(const char *cfg, const drt_load_opts *lo)
{
    drt_model *m = NULL;
    drt_status s = drt_model_load_darknet(cfg, NULL, lo, &m);
    CHECK(s == DRT_OK, "load with drt_load_opts of size %zu: %s", lo ? lo->size : 0, drt_last_error());
    if (m) drt_model_synth_weights(m, 7);
    return m;
}

static void check_loaders(const char *cfg, const char *onnx)
{
    drt_load_opts full = drt_load_opts_default();
    full.warn = 0;
    drt_load_opts *old = old_struct(&full, offsetof(drt_load_opts, width)); /* before the size override */
    drt_model *m = load_cfg(cfg, old), *o = NULL;
    CHECK(m && drt_model_width(m) == 32 && drt_model_height(m) == 32, "input size not the cfg's");
    drt_onnx_opts ofull = drt_onnx_opts_default();
    drt_onnx_opts *oold = old_struct(&ofull, offsetof(drt_onnx_opts, fold_bn));
    CHECK(m && drt_model_export_onnx(m, onnx, oold) == DRT_OK, "export: %s", drt_last_error());
    CHECK(drt_model_load_onnx(onnx, old, &o) == DRT_OK, "load_onnx: %s", drt_last_error());
    CHECK(o && drt_model_width(o) == 32, "onnx input size");
    drt_model_free(o);
    o = NULL;
    CHECK(drt_model_load(onnx, NULL, old, &o) == DRT_OK, "load (dispatch): %s", drt_last_error());
    drt_model_free(o);
    drt_load_opts zero = {0};
    o = (drt_model *)1;
    CHECK(drt_model_load_darknet(cfg, NULL, &zero, &o) == DRT_STATUS_INVALID_ARG && !o &&
              strstr(drt_last_error(), "size 0"), "size 0 refused: %s", drt_last_error());
    CHECK(drt_model_export_onnx(m, onnx, (const drt_onnx_opts *)&zero) == DRT_STATUS_INVALID_ARG, "export size 0");
    drt_model_free(m);
}

/* Detections of `img` through detect_image, detect_batch and detect_decode with old-size
 * detect options, each equal to the full struct's. */
static void check_detect(drt_engine *e, const drt_image *img, const char *what)
{
    drt_detect_opts full = drt_detect_opts_default();
    full.thresh = 0.05f;
    drt_detect_opts *old = old_struct(&full, offsetof(drt_detect_opts, pre)); /* before stage places */
    drt_detections *want = NULL, *got = NULL, *dec = NULL;
    CHECK(drt_detect_image(e, img, &full, &want, NULL) == DRT_OK, "%s: detect full: %s", what, drt_last_error());
    CHECK(want && want->count > 0, "%s: no detections to compare", what);
    CHECK(drt_detect_image(e, img, old, &got, NULL) == DRT_OK && same_dets(want, got), "%s: detect_image old", what);
    drt_detections_free(got);
    got = NULL;
    const drt_image *imgs[1] = {img};
    CHECK(drt_detect_batch(e, imgs, 1, old, &got, NULL) == DRT_OK && same_dets(want, got), "%s: detect_batch old", what);
    CHECK(drt_detect_decode(e, 0, img->w, img->h, old, &dec) == DRT_OK && same_dets(want, dec), "%s: decode old", what);
    drt_detect_opts *older = old_struct(&full, offsetof(drt_detect_opts, resize));
    CHECK(drt_detect_parse_post("gpu", old) == -1 && drt_detect_parse_pre("gpu", older) == -1,
          "%s: parse_pre/post refuse a struct without those fields", what);
    drt_detect_opts zero = {0};
    drt_detections_free(got);
    got = NULL;
    CHECK(drt_detect_image(e, img, &zero, &got, NULL) == DRT_STATUS_INVALID_ARG && !got, "%s: detect size 0", what);
    drt_detections_free(want);
    drt_detections_free(dec);
}

/* drt_video_open: an image sequence opened with a struct older than `format`. */
static void check_video(const char *dir, const drt_image *img)
{
    char png[96], pattern[96];
    snprintf(png, sizeof png, "%s/0000.png", dir);
    snprintf(pattern, sizeof pattern, "%s/%%04d.png", dir);
    CHECK(drt_image_save_png(img, png) == DRT_OK, "png: %s", drt_last_error());
    drt_video_opts full = drt_video_opts_default();
    drt_video_opts *old = old_struct(&full, offsetof(drt_video_opts, format));
    drt_video *v = NULL;
    drt_video_frame fr = {0};
    CHECK(drt_video_open(pattern, old, &v) == DRT_OK && drt_video_read(v, &fr) == DRT_OK && fr.w == img->w && fr.h == img->h,
          "video with an old drt_video_opts: %s", drt_last_error());
    drt_video_free(v);
    drt_video_opts zero = {0};
    v = (drt_video *)1;
    CHECK(drt_video_open(pattern, &zero, &v) == DRT_STATUS_INVALID_ARG && !v, "video size 0: %s", drt_last_error());
    remove(png);
}

/* drt_pipeline_create (e) or drt_pipeline_create_plan (plan, with an older drt_engine_opts) and
 * drt_pipeline_get_opts with an older struct: one that ends with an older, shorter drt_detect_opts
 * (detect comes last so that it can grow). It reads and writes the old size only; the old detect's
 * threshold takes effect. */
static void check_pipeline(drt_engine *e, const char *plan, const drt_engine_opts *old_eo, const char *png)
{
    drt_pipeline_opts full = drt_pipeline_opts_default();
    full.workers = 1;
    full.detect.thresh = 0.05f;
    full.detect.size = offsetof(drt_detect_opts, beta_nms);
    size_t old_size = offsetof(drt_pipeline_opts, detect) + full.detect.size;
    drt_pipeline_opts *old = old_struct(&full, old_size);
    drt_pipeline *p = NULL;
    drt_pipeline_result *r = NULL;
    drt_status s = e ? drt_pipeline_create(e, old, &p) : drt_pipeline_create_plan(plan, old_eo, old, &p);
    CHECK(s == DRT_OK, "pipeline %s with an old drt_pipeline_opts: %s", e ? "on an engine" : "from a plan", drt_last_error());
    if (!p) return;
    CHECK(drt_pipeline_get_opts(p, old) == DRT_OK && old->workers == 1 &&
              old->size == ((old_size + 7) & ~(size_t)7) && old->detect.thresh == 0.05f,
          "get_opts into the old struct: %s", drt_last_error());
    CHECK(drt_pipeline_submit_file(p, png, NULL) == DRT_OK, "submit: %s", drt_last_error());
    drt_pipeline_close(p);
    CHECK(drt_pipeline_next(p, &r) == DRT_OK && r && r->status == DRT_OK && r->dets && r->dets->count > 0,
          "pipeline result: %s", r ? r->error : drt_last_error());
    drt_pipeline_result_free(r);
    drt_pipeline_free(p);
}

static void check_engines(const char *cfg, const char *plan, const drt_image *img, const char *png)
{
    drt_load_opts lo = drt_load_opts_default();
    lo.warn = 0;
    drt_model *m = load_cfg(cfg, &lo);
    if (!m) return;
    drt_engine_opts full = drt_engine_opts_default();
    full.threads = 1;
    size_t sizes[] = {offsetof(drt_engine_opts, max_activation_bytes), offsetof(drt_engine_opts, calib_dir)};
    for (int d = DRT_DEVICE_REF; d <= DRT_DEVICE_CPU; d++) {
        full.device = (drt_device)d;
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            drt_engine_opts *old = old_struct(&full, sizes[k]);
            drt_engine *e = NULL, *p = NULL;
            CHECK(drt_engine_create(m, old, &e) == DRT_OK, "%s: create with size %zu: %s", drt_device_name(full.device),
                  sizes[k], drt_last_error());
            if (!e) continue;
            CHECK(drt_engine_device(e) == full.device, "device");
            check_detect(e, img, drt_device_name(full.device));
            CHECK(drt_engine_save_plan(e, plan) == DRT_OK, "save plan: %s", drt_last_error());
            CHECK(drt_engine_load_plan(plan, old, &p) == DRT_OK, "load plan with size %zu: %s", sizes[k], drt_last_error());
            if (p) check_detect(p, img, "plan");
            if (p) check_pipeline(p, NULL, NULL, png);
            check_pipeline(NULL, plan, old, png);
            drt_engine_free(p);
            drt_engine_free(e);
        }
    }
    drt_engine_opts zero = {0};
    drt_engine *e = (drt_engine *)1;
    CHECK(drt_engine_create(m, &zero, &e) == DRT_STATUS_INVALID_ARG && !e, "create size 0: %s", drt_last_error());
    e = (drt_engine *)1;
    CHECK(drt_engine_load_plan(plan, &zero, &e) == DRT_STATUS_INVALID_ARG && !e, "load plan size 0");
    drt_model_free(m);
}

int main(void)
{
    char dir[] = "/tmp/abi-old-opts-XXXXXX", cfg[64], onnx[64], plan[64];
    if (!mkdtemp(dir)) return 1;
    snprintf(cfg, sizeof cfg, "%s/tiny.cfg", dir);
    snprintf(onnx, sizeof onnx, "%s/tiny.onnx", dir);
    snprintf(plan, sizeof plan, "%s/tiny.plan", dir);
    FILE *f = fopen(cfg, "w");
    if (!f || fputs(cfg_text, f) < 0 || fclose(f) != 0) return 1;
    drt_image *img = NULL;
    if (drt_image_create(40, 30, 3, &img) != DRT_OK) return 1;
    for (int i = 0; i < 40 * 30 * 3; i++) img->data[i] = (float)((i * 37) % 101) / 100.0f;
    check_loaders(cfg, onnx);
    char png[64];
    snprintf(png, sizeof png, "%s/img.png", dir);
    if (drt_image_save_png(img, png) != DRT_OK) return 1;
    check_engines(cfg, plan, img, png);
    remove(png);
    check_video(dir, img);
    drt_image_free(img);
    remove(cfg);
    remove(onnx);
    remove(plan);
    rmdir(dir);
    return DONE();
}
