/* The CUDA engine against the reference pass (skips without a CUDA device), in parts (arguments: any of
 * core layers alexeyab yolov3; none: all of them; DRT_CUDA_TEST_QUICK: core and layers); each part prints its
 * run time. Each model's reference pass runs once for both precisions.
 * - core: fp32 heads within 1e-3 x max|value| of the reference on yolo-fastest-1.1 (real weights, batch 2,
 *   every pass on and the fusion / in-place concat / memory-plan passes off) and yolov3-tiny (batch 2, synthesised);
 *   fp16 detections against the fp32 reference's on Debian's darknet images with yolo-fastest-1.1 (tests/det-near-tie.h:
 *   same classes, IoU >= 0.9, score within 0.02; an unmatched box only where a near-tie explains it: its score
 *   within 0.02 of thresh, or an NMS swap or cascade with an overlapping box of its class on the other side; every
 *   unmatched box is printed with its verdict, the excuses counted); a plan round trip; a device that does not exist
 *   gives DRT_STATUS_NO_DEVICE;
 * - layers: issue 18's layers and activations: tests/alexeyab/layers.cfg (its layers and conv options: [avgpool],
 *   [scale_channels], [sam], [reorg], [reorg3d], [activation], dilation, share_index), layers-b.cfg ([local_avgpool],
 *   [batchnorm]), shortcut-w.cfg, options.cfg (stride_x != stride_y, antialiasing, maxpool_depth, a downsampling
 *   [upsample]) and activations.cfg (every AlexeyAB activation; mish and swish in cuDNN's fused graph at fp16) in
 *   fp32 (1e-3) and fp16 (2e-2); YOLOv1's yolov1/tiny-yolo and t1.test at 256 (AlexeyAB's cfgs, as below: [connected]
 *   as a conv over its whole input, a [detection] head) the same way; xnor.cfg (xnor=1) in fp32 (1e-3; fp16 measured,
 *   bounded at 1 x max only); yolov1.cfg and crnn.cfg refused by name ([local] has no CUDA kernel; the CUDA engine
 *   keeps no [crnn] state between runs);
 * - alexeyab: AlexeyAB's enet-coco (swish, squeeze-and-excitation) and yolov4-sam-mish-csp-reorg-bfm (mish +
 *   residuals, sam, reorg3d) at 256 in fp32 (1e-3) and fp16 (5e-2: fp16 storage through 100+ layers), from
 *   ../shared/reference/alexeyab-darknet/cfg (the device bundle: $DRT_SHARED/alexeyab-cfg), synthesised weights;
 * - yolov3: yolov3-416 (synthesised weights) in fp32 (1e-3) and fp16 (2e-2: fp16 storage through 75 convs).
 * Paths: DRT_SHARED (../shared), DRT_DN_CFG (/usr/share/darknet/cfg), DRT_DN_DATA (.../data). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "darkrt.h"
#include "darkrt/eval.h"
#include "engine/engine.h"
#include "../det-near-tie.h"

static const char *env_or(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v && *v ? v : def;
}

static char shared_dir[1024], cfg_dir[1024], data_dir[1024];
static int failures;

static void fill_random(float *x, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)((seed >> 40) & 0xffffff) / 16777216.f;
    }
}

static drt_model *load(const char *cfg, const char *weights, uint64_t synth_seed, int size)
{
    drt_load_opts lo = drt_load_opts_default();
    lo.warn = 0;
    lo.width = lo.height = size;
    drt_model *m = NULL;
    if (drt_model_load_darknet(cfg, weights, &lo, &m) != DRT_OK) {
        printf("FAIL load %s: %s\n", cfg, drt_last_error());
        failures++;
        return NULL;
    }
    if (!weights && drt_model_synth_weights(m, synth_seed) != DRT_OK) {
        printf("FAIL synth %s: %s\n", cfg, drt_last_error());
        failures++;
        drt_model_free(m);
        return NULL;
    }
    return m;
}

static drt_engine *engine(const drt_model *m, drt_device dev, drt_precision p, int batch, unsigned passes_off,
                          drt_status *status_out)
{
    drt_engine_opts o = drt_engine_opts_default();
    o.device = dev;
    o.precision = p;
    o.max_batch = batch;
    o.passes_off = passes_off;
    drt_engine *e = NULL;
    drt_status s = drt_engine_create(m, &o, &e);
    if (status_out) *status_out = s;
    return e;
}

/* Compares every head of cu's last run with ref's. */
static void compare_heads(const char *name, drt_engine *ref, drt_engine *cu, double tol)
{
    for (int h = 0; h < drt_engine_num_heads(ref); h++) {
        const float *a, *b;
        drt_tensor_desc da, db;
        drt_engine_head(ref, h, &a, &da);
        drt_engine_head(cu, h, &b, &db);
        drt_eval_diff d = {0};
        drt_eval_diff_add(&d, a, b, (size_t)da.n * da.c * da.h * da.w);
        double rel = drt_eval_diff_relative(&d);
        int bad = memcmp(&da, &db, sizeof da) != 0 || !(rel <= tol);
        printf("%s %s head %d (%dx%dx%dx%d): max|diff| %.3g, max|ref| %.3g, relative %.3g (limit %.0e)\n",
               bad ? "FAIL" : "ok  ", name, h, da.n, da.c, da.h, da.w, d.max_abs_diff, d.max_abs_ref, rel, tol);
        failures += bad;
    }
}

/* The reference pass once on a random input, then the CUDA engine in fp32 (tol32 > 0) and fp16 (tol16 > 0). */
static void heads_case(const char *name, const drt_model *m, int batch, unsigned passes_off, double tol32,
                       double tol16, uint64_t seed)
{
    size_t n = (size_t)batch * drt_model_channels(m) * drt_model_height(m) * drt_model_width(m);
    float *in = malloc(n * sizeof(float));
    fill_random(in, n, seed);
    drt_engine *ref = engine(m, DRT_DEVICE_REF, DRT_PREC_FP32, batch, 0, NULL);
    if (!ref || drt_engine_run(ref, in, batch) != DRT_OK) {
        printf("FAIL %s: reference: %s\n", name, drt_last_error());
        failures++;
        goto done;
    }
    for (int fp16 = 0; fp16 < 2; fp16++) {
        double tol = fp16 ? tol16 : tol32;
        if (!(tol > 0)) continue;
        char label[160];
        snprintf(label, sizeof label, "%s %s b%d", name, fp16 ? "fp16" : "fp32", batch);
        drt_engine *cu = engine(m, DRT_DEVICE_CUDA, fp16 ? DRT_PREC_FP16 : DRT_PREC_FP32, batch, passes_off, NULL);
        if (!cu || drt_engine_run(cu, in, batch) != DRT_OK) {
            printf("FAIL %s: cuda: %s\n", label, drt_last_error());
            failures++;
        } else {
            compare_heads(label, ref, cu, tol);
        }
        drt_engine_free(cu);
    }
done:
    drt_engine_free(ref);
    free(in);
}

/* fp16 CUDA detections against fp32 reference detections, Darknet's thresholds; differences only by near-ties
 * (tests/det-near-tie.h, margin 0.02: the score tolerance). */
static void detections_case(const drt_model *m)
{
    static const char *const images[] = {"dog", "person", "horses", "eagle", "giraffe", "kite", "scream"};
    drt_engine *ref = engine(m, DRT_DEVICE_REF, DRT_PREC_FP32, 1, 0, NULL);
    drt_engine *cu = engine(m, DRT_DEVICE_CUDA, DRT_PREC_FP16, 1, 0, NULL);
    near_tie_result sum = {0};
    if (!ref || !cu) {
        printf("FAIL detections: create: %s\n", drt_last_error());
        failures++;
        goto done;
    }
    for (size_t i = 0; i < sizeof images / sizeof *images; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s.jpg", data_dir, images[i]);
        drt_image *im = NULL;
        drt_detections *dr = NULL, *dc = NULL;
        drt_detect_opts o = drt_detect_opts_default(), oc = o;
        near_tie_rule rule = {.thresh = o.thresh, .nms = o.nms, .margin = .02f, .match_iou = .9};
        oc.thresh = o.thresh - rule.margin; /* the engine may score a borderline box just under thresh */
        if (drt_image_load(path, &im) != DRT_OK || drt_detect_image(ref, im, &o, &dr, NULL) != DRT_OK ||
            drt_detect_image(cu, im, &oc, &dc, NULL) != DRT_OK) {
            printf("FAIL %s: %s\n", path, drt_last_error());
            failures++;
        } else {
            near_tie_result r;
            int unexcused = near_tie_compare(dr, dc, &rule, stdout, images[i], &r);
            int bad = unexcused != 0 || r.max_score_delta > rule.margin;
            printf("%s fp16 detections %-8s ref %2d, cuda %2d (from thresh - 0.02), matched %2d (IoU >= 0.9, mean %.4f, "
                   "max score diff %.4f), missing %d, extra %d; excused: thresh %d, NMS tie %d, NMS cascade %d; "
                   "unexcused %d\n", bad ? "FAIL" : "ok  ", images[i], dr->count, dc->count, r.matched, r.mean_iou,
                   r.max_score_delta, r.missing, r.extra, r.excused_thresh, r.excused_tie, r.excused_cascade, unexcused);
            failures += bad;
            sum.excused_thresh += r.excused_thresh;
            sum.excused_tie += r.excused_tie;
            sum.excused_cascade += r.excused_cascade;
        }
        drt_detections_free(dr);
        drt_detections_free(dc);
        drt_image_free(im);
    }
    printf("fp16 detections: %d box(es) excused in all (thresh %d, NMS tie %d, NMS cascade %d)\n",
           sum.excused_thresh + sum.excused_tie + sum.excused_cascade, sum.excused_thresh, sum.excused_tie,
           sum.excused_cascade);
done:
    drt_engine_free(ref);
    drt_engine_free(cu);
}

/* A plan saved and loaded gives the same heads; its CUDA section is refused for another GPU. */
static void plan_case(const drt_model *m)
{
    char path[] = "/tmp/drt-cuda-plan-XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) close(fd);
    drt_engine *a = engine(m, DRT_DEVICE_CUDA, DRT_PREC_FP16, 1, 0, NULL), *b = NULL;
    drt_engine_opts o = drt_engine_opts_default();
    o.device = DRT_DEVICE_CUDA;
    if (!a || drt_engine_save_plan(a, path) != DRT_OK || drt_engine_load_plan(path, &o, &b) != DRT_OK) {
        printf("FAIL plan round trip: %s\n", drt_last_error());
        failures++;
    } else {
        size_t n = (size_t)drt_model_channels(m) * drt_model_height(m) * drt_model_width(m);
        float *in = malloc(n * sizeof(float));
        fill_random(in, n, 9);
        drt_eval_diff d = {0};
        int bad = drt_engine_run(a, in, 1) != DRT_OK || drt_engine_run(b, in, 1) != DRT_OK;
        for (int h = 0; !bad && h < drt_engine_num_heads(a); h++) {
            const float *x, *y;
            drt_tensor_desc dx, dy;
            drt_engine_head(a, h, &x, &dx);
            drt_engine_head(b, h, &y, &dy);
            drt_eval_diff_add(&d, x, y, (size_t)dx.n * dx.c * dx.h * dx.w);
        }
        /* the loaded plan must make the same choices (same CUDA section); fp16 kernels may still
         * differ in the last bits between runs (split reductions), hence the fp16 tolerance */
        void *blob = NULL, *blob_b = NULL;
        size_t size = 0, size_b = 0;
        int same = a->backend->serialize(a, &blob, &size) == DRT_OK && b->backend->serialize(b, &blob_b, &size_b) == DRT_OK &&
                   size == size_b && memcmp(blob, blob_b, size) == 0;
        bad = bad || !same || !(drt_eval_diff_relative(&d) <= 2e-2);
        printf("%s plan round trip (fp16): same algorithm choices %s, heads relative diff %.3g\n", bad ? "FAIL" : "ok  ",
               same ? "yes" : "NO", drt_eval_diff_relative(&d));
        failures += bad;
        free(in);
        free(blob_b);
        uint32_t name_len = 0;
        if (blob && size > 24) memcpy(&name_len, (char *)blob + 16, 4); /* magic, precision, max_batch, then the GPU's name */
        if (blob && name_len < 256 && size > 20 + (size_t)name_len) {
            static const char other[] = "NVIDIA GeForce GTX 480";
            uint32_t other_len = sizeof other - 1;
            size_t size2 = size - name_len + other_len;
            char *b2 = malloc(size2);
            memcpy(b2, blob, 16);
            memcpy(b2 + 16, &other_len, 4);
            memcpy(b2 + 20, other, other_len);
            memcpy(b2 + 20 + other_len, (char *)blob + 20 + name_len, size - 20 - name_len);
            drt_status s = a->backend->check_plan(b2, size2, "test.plan");
            free(b2);
            bad = s != DRT_STATUS_UNSUPPORTED || !strstr(drt_last_error(), "GTX 480");
            printf("%s plan for another GPU: %s\n", bad ? "FAIL" : "ok  ", drt_last_error());
            failures += bad;
        }
        free(blob);
    }
    drt_engine_free(a);
    drt_engine_free(b);
    unlink(path);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static void part_core(void)
{
    char cfg[2048], weights[2048];
    snprintf(cfg, sizeof cfg, "%s/models/yolo-fastest-1.1/yolo-fastest-1.1.cfg", shared_dir);
    snprintf(weights, sizeof weights, "%s/models/yolo-fastest-1.1/yolo-fastest-1.1.weights", shared_dir);
    drt_model *fastest = load(cfg, weights, 0, 0);
    if (fastest) {
        drt_engine_opts o = drt_engine_opts_default();
        o.device = DRT_DEVICE_CUDA;
        o.device_index = 63;
        drt_engine *e = NULL;
        drt_status s = drt_engine_create(fastest, &o, &e);
        int bad = s != DRT_STATUS_NO_DEVICE || e;
        printf("%s cuda:63: %s\n", bad ? "FAIL" : "ok  ", drt_last_error());
        failures += bad;
        drt_engine_free(e);

        heads_case("yolo-fastest-1.1", fastest, 2, 0, 1e-3, 0, 1);
        heads_case("yolo-fastest-1.1 no-fusion/concat/memplan", fastest, 2,
                   DRT_PASS_FUSE_ADD | DRT_PASS_CONCAT_INPLACE | DRT_PASS_MEMPLAN | DRT_PASS_DCE, 1e-3, 0, 2);
        detections_case(fastest);
        plan_case(fastest);
    }
    drt_model_free(fastest);

    snprintf(cfg, sizeof cfg, "%s/yolov3-tiny.cfg", cfg_dir);
    drt_model *tiny = load(cfg, NULL, 7, 416);
    if (tiny) heads_case("yolov3-tiny", tiny, 2, 0, 1e-3, 0, 3);
    drt_model_free(tiny);
}

/* AlexeyAB's cfg/NAME.cfg: ../shared/reference, or the device bundle's copy. */
static const char *ab_cfg(char *cfg, size_t cap, const char *name)
{
    snprintf(cfg, cap, "%s/reference/alexeyab-darknet/cfg/%s.cfg", shared_dir, name);
    if (access(cfg, R_OK) != 0) snprintf(cfg, cap, "%s/alexeyab-cfg/%s.cfg", shared_dir, name);
    return cfg;
}

static void part_layers(void)
{
    static const char *const small[] = {"layers", "activations", "layers-b", "shortcut-w", "options"};
    for (size_t i = 0; i < sizeof small / sizeof *small; i++) {
        char cfg[2048], name[96];
        snprintf(cfg, sizeof cfg, "%s/tests/alexeyab/%s.cfg", env_or("DRT_ROOT", "."), small[i]);
        drt_model *sm = load(cfg, NULL, 11, 0);
        snprintf(name, sizeof name, "%s.cfg", small[i]);
        if (sm) heads_case(name, sm, 2, 0, 1e-3, 2e-2, 6);
        drt_model_free(sm);
    }
    /* YOLOv1: [connected] (a conv over its whole input, with batchnorm in tiny-yolo) and a [detection] head */
    static const char *const yolov1[] = {"yolov1/tiny-yolo", "t1.test"};
    char cfg[2048], name[96];
    for (size_t i = 0; i < sizeof yolov1 / sizeof *yolov1; i++) {
        drt_model *am = load(ab_cfg(cfg, sizeof cfg, yolov1[i]), NULL, 12, 256);
        snprintf(name, sizeof name, "%s-256", yolov1[i]);
        if (am) heads_case(name, am, 1, 0, 1e-3, 2e-2, 7);
        drt_model_free(am);
    }
    /* xnor=1 convs (the step kernel, then the lowered conv with its scale folded in): fp32 within 1e-3; fp16 stores
     * activations near 0 with other signs, each flip moving an output by 2 mean|w'|: measured, bounded at 1 x max. */
    snprintf(cfg, sizeof cfg, "%s/tests/alexeyab/xnor.cfg", env_or("DRT_ROOT", "."));
    drt_model *xm = load(cfg, NULL, 11, 0);
    if (xm) heads_case("xnor.cfg", xm, 2, 0, 1e-3, 1.0, 6);
    drt_model_free(xm);
    /* No CUDA kernel for YOLOv1's [local], and no state kept between runs for [crnn]: the engine refuses each by name
     * (the ref and CPU engines run them). */
    static const char *const refused[][2] = {{"yolov1", "[local]"}, {"crnn", "[crnn]"}};
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        snprintf(cfg, sizeof cfg, "%s/tests/alexeyab/%s.cfg", env_or("DRT_ROOT", "."), refused[i][0]);
        drt_model *rm = load(cfg, NULL, 11, 0);
        drt_status st = DRT_OK;
        drt_engine *e = rm ? engine(rm, DRT_DEVICE_CUDA, DRT_PREC_FP32, 1, 0, &st) : NULL;
        int ok = rm && !e && st == DRT_STATUS_UNSUPPORTED && strstr(drt_last_error(), refused[i][1]);
        printf("%s %s.cfg: the CUDA engine refuses %s: %s\n", ok ? "ok  " : "FAIL", refused[i][0], refused[i][1],
               e ? "built" : drt_last_error());
        failures += !ok;
        drt_engine_free(e);
        drt_model_free(rm);
    }
}

static void part_alexeyab(void)
{
    static const char *const ab[] = {"enet-coco", "yolov4-sam-mish-csp-reorg-bfm"};
    for (size_t i = 0; i < sizeof ab / sizeof *ab; i++) {
        char cfg[2048], name[96];
        drt_model *am = load(ab_cfg(cfg, sizeof cfg, ab[i]), NULL, 13, 256);
        snprintf(name, sizeof name, "%s-256", ab[i]);
        if (am) heads_case(name, am, 1, 0, 1e-3, 5e-2, 8);
        drt_model_free(am);
    }
}

static void part_yolov3(void)
{
    char cfg[2048];
    snprintf(cfg, sizeof cfg, "%s/yolov3.cfg", cfg_dir);
    drt_model *v3 = load(cfg, NULL, 7, 416);
    if (v3) heads_case("yolov3-416", v3, 1, 0, 1e-3, 2e-2, 4);
    drt_model_free(v3);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*run)(void);
        int quick; /* in DRT_CUDA_TEST_QUICK's run */
    } parts[] = {{"core", part_core, 1}, {"layers", part_layers, 1}, {"alexeyab", part_alexeyab, 0},
                 {"yolov3", part_yolov3, 0}};
    enum { N_PARTS = sizeof parts / sizeof *parts };
    int chosen[N_PARTS] = {0};
    for (int a = 1; a < argc; a++) {
        int k = 0;
        while (k < N_PARTS && strcmp(argv[a], parts[k].name)) k++;
        if (k == N_PARTS) {
            printf("cuda-vs-ref: unknown part '%s' (parts: core layers alexeyab yolov3)\n", argv[a]);
            return 2;
        }
        chosen[k] = 1;
    }
    for (int k = 0; k < N_PARTS && argc < 2; k++) chosen[k] = !getenv("DRT_CUDA_TEST_QUICK") || parts[k].quick;

    snprintf(shared_dir, sizeof shared_dir, "%s", env_or("DRT_SHARED", ""));
    if (!*shared_dir) snprintf(shared_dir, sizeof shared_dir, "%s/../shared", env_or("DRT_ROOT", "."));
    snprintf(cfg_dir, sizeof cfg_dir, "%s", env_or("DRT_DN_CFG", "/usr/share/darknet/cfg"));
    snprintf(data_dir, sizeof data_dir, "%s", env_or("DRT_DN_DATA", "/usr/share/darknet/data"));
    char cfg[2048];
    /* the device probe first, on a cfg Debian's darknet package always has: no GPU -> skip */
    snprintf(cfg, sizeof cfg, "%s/yolov3-tiny.cfg", cfg_dir);
    drt_model *probe_model = load(cfg, NULL, 1, 416);
    if (!probe_model) return 1;
    drt_status s;
    drt_engine *probe = engine(probe_model, DRT_DEVICE_CUDA, DRT_PREC_FP32, 1, 0, &s);
    drt_model_free(probe_model);
    if (!probe) {
        if (s == DRT_STATUS_NO_DEVICE || s == DRT_STATUS_UNSUPPORTED) {
            printf("%s\nno CUDA device\n", drt_last_error());
            return 77;
        }
        printf("FAIL cuda engine: %s\n", drt_last_error());
        return 1;
    }
    drt_engine_free(probe);

    for (int k = 0; k < N_PARTS; k++) {
        if (!chosen[k]) continue;
        double t0 = now_s();
        int before = failures;
        parts[k].run();
        printf("part %s: %.1f s, %d failure(s)\n", parts[k].name, now_s() - t0, failures - before);
    }
    printf(failures ? "%d check(s) failed\n" : "all checks passed\n", failures);
    return failures ? 1 : 0;
}
