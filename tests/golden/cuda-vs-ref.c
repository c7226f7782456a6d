/* The CUDA engine against the reference pass (skips without a CUDA device):
 * - fp32 heads within 1e-3 x max|value| of the reference on yolo-fastest-1.1 (real weights, batch 2,
 *   every pass on and the fusion / in-place concat / memory-plan passes off), yolov3-tiny (batch 2) and
 *   yolov3-416 (synthesised weights);
 * - fp16 detections equal to the fp32 reference's on Debian's darknet images with yolo-fastest-1.1:
 *   same classes, IoU >= 0.9, score within 0.02 (nothing unmatched above thresh + 0.02);
 * - fp16 heads of yolov3-416 within 2e-2 x max|value| (fp16 storage through 75 convs);
 * - issue 18's layers and activations: tests/alexeyab/layers.cfg (its layers and conv options: [avgpool],
 *   [scale_channels], [sam], [reorg], [reorg3d], [activation], dilation, share_index), layers-b.cfg ([local_avgpool],
 *   [batchnorm]), options.cfg (stride_x != stride_y, antialiasing, maxpool_depth, a downsampling [upsample]) and
 *   activations.cfg (every AlexeyAB activation; mish and swish in cuDNN's fused graph
 *   at fp16) in fp32 (1e-3) and fp16 (2e-2); AlexeyAB's enet-coco (swish, squeeze-and-excitation) and
 *   yolov4-sam-mish-csp-reorg-bfm (mish + residuals, sam, reorg3d) at 256 in fp32 (1e-3) and fp16 (5e-2:
 *   fp16 storage through 100+ layers), from ../shared/reference/alexeyab-darknet/cfg (the device bundle:
 *   $DRT_SHARED/alexeyab-cfg), synthesised weights;
 * - a device that does not exist gives DRT_STATUS_NO_DEVICE.
 * Paths: DRT_SHARED (../shared), DRT_DN_CFG (/usr/share/darknet/cfg), DRT_DN_DATA (.../data). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "darkrt.h"
#include "darkrt/eval.h"
#include "engine/engine.h"

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

/* Runs both engines on the same input and compares every head. */
static void compare_heads(const char *name, drt_engine *ref, drt_engine *cu, const float *in, int batch, double tol)
{
    if (drt_engine_run(ref, in, batch) != DRT_OK || drt_engine_run(cu, in, batch) != DRT_OK) {
        printf("FAIL %s: run: %s\n", name, drt_last_error());
        failures++;
        return;
    }
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

static void heads_case(const char *name, const drt_model *m, drt_precision p, int batch, unsigned passes_off,
                       double tol, uint64_t seed)
{
    size_t n = (size_t)batch * drt_model_channels(m) * drt_model_height(m) * drt_model_width(m);
    float *in = malloc(n * sizeof(float));
    fill_random(in, n, seed);
    drt_status s;
    drt_engine *ref = engine(m, DRT_DEVICE_REF, DRT_PREC_FP32, batch, 0, &s);
    drt_engine *cu = ref ? engine(m, DRT_DEVICE_CUDA, p, batch, passes_off, &s) : NULL;
    if (!ref || !cu) {
        printf("FAIL %s: create: %s\n", name, drt_last_error());
        failures++;
    } else {
        compare_heads(name, ref, cu, in, batch, tol);
    }
    drt_engine_free(ref);
    drt_engine_free(cu);
    free(in);
}

/* fp16 CUDA detections against fp32 reference detections, Darknet's thresholds. */
static void detections_case(const drt_model *m)
{
    static const char *const images[] = {"dog", "person", "horses", "eagle", "giraffe", "kite", "scream"};
    drt_engine *ref = engine(m, DRT_DEVICE_REF, DRT_PREC_FP32, 1, 0, NULL);
    drt_engine *cu = engine(m, DRT_DEVICE_CUDA, DRT_PREC_FP16, 1, 0, NULL);
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
        oc.thresh = o.thresh - .02f; /* the engine may score a borderline box just under thresh */
        if (drt_image_load(path, &im) != DRT_OK || drt_detect_image(ref, im, &o, &dr, NULL) != DRT_OK ||
            drt_detect_image(cu, im, &oc, &dc, NULL) != DRT_OK) {
            printf("FAIL %s: %s\n", path, drt_last_error());
            failures++;
        } else {
            int *match = calloc((size_t)dc->count + 1, sizeof(int));
            drt_eval_agreement ag = {0};
            drt_eval_match(dr, dc, 0.9, match, &ag);
            int extra = 0;
            for (int k = 0; k < dc->count; k++)
                if (match[k] < 0 && dc->items[k].score >= o.thresh + .02f) extra++;
            int bad = ag.missing > 0 || extra > 0 || ag.max_score_delta > .02;
            printf("%s fp16 detections %-8s ref %2d, cuda %2d, matched %2d (IoU >= 0.9, mean %.4f), missing %d, "
                   "extra above thresh+0.02 %d, max score diff %.4f\n", bad ? "FAIL" : "ok  ", images[i], dr->count,
                   dc->count, ag.matched, drt_eval_agreement_mean_iou(&ag), ag.missing, extra, ag.max_score_delta);
            failures += bad;
            free(match);
        }
        drt_detections_free(dr);
        drt_detections_free(dc);
        drt_image_free(im);
    }
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
        if (blob && size > 300) {
            memcpy((char *)blob + 16, "NVIDIA GeForce GTX 480", 23); /* the GPU name field */
            drt_status s = a->backend->check_plan(blob, size, "test.plan");
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

int main(void)
{
    snprintf(shared_dir, sizeof shared_dir, "%s", env_or("DRT_SHARED", ""));
    if (!*shared_dir) snprintf(shared_dir, sizeof shared_dir, "%s/../shared", env_or("DRT_ROOT", "."));
    snprintf(cfg_dir, sizeof cfg_dir, "%s", env_or("DRT_DN_CFG", "/usr/share/darknet/cfg"));
    snprintf(data_dir, sizeof data_dir, "%s", env_or("DRT_DN_DATA", "/usr/share/darknet/data"));
    char cfg[2048], weights[2048];
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

    snprintf(cfg, sizeof cfg, "%s/models/yolo-fastest-1.1/yolo-fastest-1.1.cfg", shared_dir);
    snprintf(weights, sizeof weights, "%s/models/yolo-fastest-1.1/yolo-fastest-1.1.weights", shared_dir);
    drt_model *fastest = load(cfg, weights, 0, 0);
    if (!fastest) return 1;

    {
        drt_engine_opts o = drt_engine_opts_default();
        o.device = DRT_DEVICE_CUDA;
        o.device_index = 63;
        drt_engine *e = NULL;
        s = drt_engine_create(fastest, &o, &e);
        int bad = s != DRT_STATUS_NO_DEVICE || e;
        printf("%s cuda:63: %s\n", bad ? "FAIL" : "ok  ", drt_last_error());
        failures += bad;
        drt_engine_free(e);
    }

    heads_case("yolo-fastest-1.1 fp32 b2", fastest, DRT_PREC_FP32, 2, 0, 1e-3, 1);
    heads_case("yolo-fastest-1.1 fp32 b2 no-fusion/concat/memplan", fastest, DRT_PREC_FP32, 2,
               DRT_PASS_FUSE_ADD | DRT_PASS_CONCAT_INPLACE | DRT_PASS_MEMPLAN | DRT_PASS_DCE, 1e-3, 2);
    detections_case(fastest);
    plan_case(fastest);
    drt_model_free(fastest);

    snprintf(cfg, sizeof cfg, "%s/yolov3-tiny.cfg", cfg_dir);
    drt_model *tiny = load(cfg, NULL, 7, 416);
    if (tiny) heads_case("yolov3-tiny fp32 b2", tiny, DRT_PREC_FP32, 2, 0, 1e-3, 3);
    drt_model_free(tiny);

    static const char *const small[] = {"layers", "activations", "layers-b", "shortcut-w", "options"};
    for (size_t i = 0; i < sizeof small / sizeof *small; i++) {
        snprintf(cfg, sizeof cfg, "%s/tests/alexeyab/%s.cfg", env_or("DRT_ROOT", "."), small[i]);
        drt_model *sm = load(cfg, NULL, 11, 0);
        char name[96];
        snprintf(name, sizeof name, "%s.cfg fp32 b2", small[i]);
        if (sm) heads_case(name, sm, DRT_PREC_FP32, 2, 0, 1e-3, 6);
        snprintf(name, sizeof name, "%s.cfg fp16 b2", small[i]);
        if (sm) heads_case(name, sm, DRT_PREC_FP16, 2, 0, 2e-2, 7);
        drt_model_free(sm);
    }

    if (!getenv("DRT_CUDA_TEST_QUICK")) {
        static const char *const ab[] = {"enet-coco", "yolov4-sam-mish-csp-reorg-bfm"};
        for (size_t i = 0; i < sizeof ab / sizeof *ab; i++) {
            snprintf(cfg, sizeof cfg, "%s/reference/alexeyab-darknet/cfg/%s.cfg", shared_dir, ab[i]);
            if (access(cfg, R_OK) != 0) /* the device bundle's copy */
                snprintf(cfg, sizeof cfg, "%s/alexeyab-cfg/%s.cfg", shared_dir, ab[i]);
            drt_model *am = load(cfg, NULL, 13, 256);
            char name[96];
            snprintf(name, sizeof name, "%s-256 fp32 b1", ab[i]);
            if (am) heads_case(name, am, DRT_PREC_FP32, 1, 0, 1e-3, 8);
            snprintf(name, sizeof name, "%s-256 fp16 b1", ab[i]);
            if (am) heads_case(name, am, DRT_PREC_FP16, 1, 0, 5e-2, 9);
            drt_model_free(am);
        }
        snprintf(cfg, sizeof cfg, "%s/yolov3.cfg", cfg_dir);
        drt_model *v3 = load(cfg, NULL, 7, 416);
        if (v3) {
            heads_case("yolov3-416 fp32 b1", v3, DRT_PREC_FP32, 1, 0, 1e-3, 4);
            heads_case("yolov3-416 fp16 b1", v3, DRT_PREC_FP16, 1, 0, 2e-2, 5);
        }
        drt_model_free(v3);
    }
    printf(failures ? "%d check(s) failed\n" : "all checks passed\n", failures);
    return failures ? 1 : 0;
}
