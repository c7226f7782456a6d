/* The CPU engine (fp32) against the reference forward pass: every head within
 * 1e-4 x max|ref| for yolo-fastest-1.1 (real weights), yolov3-tiny, yolov3-spp and yolov3
 * (synthesised weights), tests/alexeyab/activations.cfg (every AlexeyAB activation) and layers.cfg
 * (avgpool, scale_channels, sam, reorg3d, reorg; weights synthesised here), layers-b.cfg (local_avgpool,
 * batchnorm), options.cfg (stride_x != stride_y, antialiasing, maxpool_depth, downsampling upsample), shortcut-w.cfg (multi-input and weighted
 * shortcuts, implicit), route-add.cfg (a fused shortcut
 * from a one-layer route whose source is read again later), yolov1.cfg ([crop], [local], [connected]), xnor.cfg (xnor=1: the
 * step and the lowered conv against the counted signs), with every pass on and with each pass off in turn; crnn.cfg and
 * AlexeyAB's yolov3-tiny_occlusion_track ([crnn]: recurrent) on a sequence of 3 different images as one batch, every
 * item's heads (the state carried from item to item). */
#include "darkrt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

/* The last configuration forces darkrt's Winograd F(2x2,3x3) on every eligible 3x3 conv. */
static const unsigned pass_bits[] = {0, DRT_PASS_FOLD_BN, DRT_PASS_FUSE_ACT, DRT_PASS_FUSE_ADD,
                                     DRT_PASS_CONCAT_INPLACE, DRT_PASS_DCE, DRT_PASS_MEMPLAN, 0};
static const char *const pass_names[] = {"all passes on", "fold-bn off", "fuse-act off", "fuse-add off",
                                         "concat-inplace off", "dce off", "memplan off", "winograd forced"};
#define N_CONFIGS 8

/* n images, each different (the generator runs on). */
static float *make_input(const drt_model *m, int n_images)
{
    size_t n = (size_t)drt_model_channels(m) * drt_model_width(m) * drt_model_height(m) * (size_t)n_images;
    float *x = malloc(sizeof(float) * n);
    uint32_t r = 12345;
    for (size_t i = 0; i < n; i++) {
        r = r * 1664525u + 1013904223u;
        x[i] = (float)(r >> 8) / 16777216.f;
    }
    return x;
}

/* Runs an engine on a batch of n images; copies its heads (every item) into out[h] (malloc'd). */
static int run_engine(const drt_model *m, drt_device dev, unsigned passes_off, int winograd, const float *in, int n_images,
                      float **out, size_t *sizes)
{
    drt_engine_opts o = drt_engine_opts_default();
    o.max_batch = n_images;
    o.winograd = winograd;
    o.no_tune = 1; /* timing choices are covered elsewhere; keep this test fast */
    o.device = dev;
    o.passes_off = passes_off;
    o.threads = 2;
    drt_engine *e;
    drt_status s = drt_engine_create(m, &o, &e);
    if (s == DRT_OK) s = drt_engine_run(e, in, n_images);
    if (s != DRT_OK) {
        printf("FAIL: %s engine: %s\n", drt_device_name(dev), drt_last_error());
        drt_engine_free(e);
        return -1;
    }
    int n = drt_engine_num_heads(e);
    for (int h = 0; h < n; h++) {
        const float *d;
        drt_tensor_desc desc;
        drt_engine_head(e, h, &d, &desc);
        sizes[h] = (size_t)desc.c * desc.h * desc.w * (size_t)n_images;
        out[h] = malloc(sizeof(float) * sizes[h]);
        memcpy(out[h], d, sizeof(float) * sizes[h]);
    }
    drt_engine_free(e);
    return n;
}

/* weights NULL: synthesised (seed 1). */
static int check_seq(const char *name, const char *cfg, const char *weights, int size, int all_configs, int n_images)
{
    if (access(cfg, R_OK) || (weights && access(weights, R_OK))) {
        printf("skipped %s: %s or %s missing\n", name, cfg, weights);
        return 0;
    }
    drt_load_opts lo = drt_load_opts_default();
    lo.warn = 0;
    lo.width = lo.height = size;
    drt_model *m;
    if (drt_model_load_darknet(cfg, weights, &lo, &m) != DRT_OK || (!weights && drt_model_synth_weights(m, 1) != DRT_OK)) {
        printf("FAIL: %s: %s\n", name, drt_last_error());
        return 1;
    }
    float *in = make_input(m, n_images), *ref[16] = {0};
    size_t sizes[16];
    int fails = 0, nh = run_engine(m, DRT_DEVICE_REF, 0, 0, in, n_images, ref, sizes);
    if (nh <= 0) fails++;
    for (int c = 0; c < N_CONFIGS && nh > 0; c++) {
        if (!all_configs && c > 0 && c < N_CONFIGS - 1) continue;
        float *got[16] = {0};
        size_t gs[16];
        int wino = c == N_CONFIGS - 1 ? DRT_WINOGRAD_FORCE : DRT_WINOGRAD_AUTO;
        int n = run_engine(m, DRT_DEVICE_CPU, pass_bits[c], wino, in, n_images, got, gs);
        if (n != nh) { fails++; continue; }
        for (int h = 0; h < nh; h++) {
            double maxref = 0, maxdiff = 0;
            for (size_t i = 0; i < sizes[h]; i++) {
                maxref = fmax(maxref, fabs(ref[h][i]));
                double d = fabs((double)ref[h][i] - got[h][i]);
                maxdiff = isnan(d) ? INFINITY : fmax(maxdiff, d);
            }
            int ok = maxdiff <= 1e-4 * maxref && maxref > 0;
            printf("%s %s: %dx%d %s head %d: max|diff| %.3g, max|ref| %.3g, ratio %.2g\n", ok ? "ok" : "FAIL", name, size,
                   size, pass_names[c], h, maxdiff, maxref, maxdiff / (maxref > 0 ? maxref : 1));
            fails += !ok;
            free(got[h]);
        }
    }
    for (int h = 0; h < nh; h++) free(ref[h]);
    free(in);
    drt_model_free(m);
    return fails;
}

static int check_model(const char *name, const char *cfg, const char *weights, int size, int all_configs)
{
    return check_seq(name, cfg, weights, size, all_configs, 1);
}

int main(void)
{
    const char *root = getenv("DRT_ROOT"), *data = getenv("DRT_DATA");
    char fcfg[1024], fw[1024], w[1024];
    const char *shared = getenv("DRT_SHARED");
    char sh[1024];
    snprintf(sh, sizeof sh, "%s/../shared", root ? root : ".");
    if (!shared) shared = sh;
    snprintf(fcfg, sizeof fcfg, "%s/models/yolo-fastest-1.1/yolo-fastest-1.1.cfg", shared);
    snprintf(fw, sizeof fw, "%s/models/yolo-fastest-1.1/yolo-fastest-1.1.weights", shared);
    int fails = check_model("yolo-fastest-1.1", fcfg, fw, 320, 1);
    snprintf(fcfg, sizeof fcfg, "%s/tests/alexeyab/activations.cfg", root ? root : ".");
    fails += check_model("activations", fcfg, NULL, 32, 1);
    snprintf(fcfg, sizeof fcfg, "%s/tests/alexeyab/layers.cfg", root ? root : ".");
    fails += check_model("layers", fcfg, NULL, 64, 1);
    snprintf(fcfg, sizeof fcfg, "%s/tests/alexeyab/layers-b.cfg", root ? root : ".");
    fails += check_model("layers-b", fcfg, NULL, 64, 1);
    snprintf(fcfg, sizeof fcfg, "%s/tests/alexeyab/options.cfg", root ? root : ".");
    fails += check_model("options", fcfg, NULL, 64, 1);
    snprintf(fcfg, sizeof fcfg, "%s/tests/alexeyab/shortcut-w.cfg", root ? root : ".");
    fails += check_model("shortcut-w", fcfg, NULL, 64, 1);
    snprintf(fcfg, sizeof fcfg, "%s/tests/alexeyab/route-add.cfg", root ? root : ".");
    fails += check_model("route-add", fcfg, NULL, 32, 1);
    snprintf(fcfg, sizeof fcfg, "%s/tests/alexeyab/yolov1.cfg", root ? root : ".");
    fails += check_model("yolov1", fcfg, NULL, 72, 1);
    snprintf(fcfg, sizeof fcfg, "%s/tests/alexeyab/xnor.cfg", root ? root : ".");
    fails += check_model("xnor", fcfg, NULL, 64, 1);
    snprintf(fcfg, sizeof fcfg, "%s/tests/alexeyab/crnn.cfg", root ? root : ".");
    fails += check_seq("crnn (3 images)", fcfg, NULL, 64, 1, 3);
    snprintf(fcfg, sizeof fcfg, "%s/reference/alexeyab-darknet/cfg/yolov3-tiny_occlusion_track.cfg", shared);
    fails += check_seq("yolov3-tiny_occlusion_track (3 images)", fcfg, NULL, 128, 0, 3);
    if (data) {
        snprintf(w, sizeof w, "%s/yolov3-tiny.weights", data);
        fails += check_model("yolov3-tiny", "/usr/share/darknet/cfg/yolov3-tiny.cfg", w, 416, 1);
        snprintf(w, sizeof w, "%s/yolov3-spp.weights", data);
        fails += check_model("yolov3-spp", "/usr/share/darknet/cfg/yolov3-spp.cfg", w, SANITIZED ? 256 : 416, 1);
        snprintf(w, sizeof w, "%s/yolov3.weights", data);
        fails += check_model("yolov3", "/usr/share/darknet/cfg/yolov3.cfg", w, SANITIZED ? 320 : 416, !SANITIZED);
    }
    printf("%s\n", fails ? "FAILED" : "all checks passed");
    return fails ? 1 : 0;
}
