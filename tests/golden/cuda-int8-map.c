/* The CUDA engine's int8 as the issue asks it (issue 16), on yolo-fastest-1.1 (real weights) and a
 * fixed held-out split (tests/unit/int8-heldout.h: views of four of Darknet's photos calibrate and
 * validate, views of three others are scored); runs on a GPU machine, skipped without one:
 * - build --min-map 0.95's search (every eligible conv a candidate: cuda_int8_all) reaches mAP@0.5
 *   >= 0.95 against the CUDA fp32 engine on the held-out views, and says how many convs it kept;
 * - the searched engine's weights take less device memory than fp16's (int8 really ran);
 * - its plan saved and loaded with neither cuda_int8_all nor the keep list gives the same heads,
 *   bit for bit, without recalibrating (the plan says which convs run int8);
 * - first (the search takes 175-310 s), unless DRT_CUDA_TEST_QUICK: yolov3-416 (synthesised weights) builds as int8
 *   and its heads' error against CUDA fp32 stays near the CPU int8 stand-in's against CPU fp32 (yolov3_case: a gross
 *   check on random weights), and int8 handed from conv to conv is no less accurate than quantized by each conv and
 *   its plan loads (hand_off_case); with zero points (--int8-activations asym) its heads are closer to fp32's than
 *   without, each image of a batch gets what it gets alone (batch_case), and the hand-off into such convs holds the
 *   same way (asym_case).
 * The fp32 truth is the CUDA fp32 engine (cuda-vs-ref checks it against the reference), not the
 * scalar reference engine: that one took most of the 50 s this test used to need. */
#include "unit/int8-heldout.h"
#include "eval/int8-search.h"
#include "graph/model.h"

#include <math.h>
#include <time.h>

static const char *env_or(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v && *v ? v : def;
}

static int failures;

/* acts: drt_engine_opts.int8_activations (auto: sym on CUDA) */
static int max_batch = 1; /* of the engines cuda_engine_acts builds */

static drt_engine *cuda_engine_acts(const drt_model *m, drt_precision prec, const char *calib, const char *keep, int acts,
                                    drt_status *s)
{
    drt_engine_opts o = drt_engine_opts_default();
    o.max_batch = max_batch;
    o.device = DRT_DEVICE_CUDA;
    o.precision = prec;
    o.calib_dir = calib;
    o.int8_keep = keep;
    o.int8_activations = acts;
    o.cuda_int8_all = prec == DRT_PREC_INT8;
    drt_engine *e = NULL;
    *s = drt_engine_create(m, &o, &e);
    return e;
}

static drt_engine *cuda_engine(const drt_model *m, drt_precision prec, const char *calib, const char *keep, drt_status *s)
{
    return cuda_engine_acts(m, prec, calib, keep, DRT_INT8_ACT_AUTO, s);
}

/* max|x - y| over max|x| of n values (the difference alone where x is all 0) */
static double rel_diff(const float *x, const float *y, size_t n)
{
    double mx = 0, md = 0;
    for (size_t i = 0; i < n; i++) {
        mx = fmax(mx, fabs(x[i]));
        md = fmax(md, fabs((double)x[i] - y[i]));
    }
    return mx > 0 ? md / mx : md;
}

static double heads_rel_diff(drt_engine *a, drt_engine *b, const float *in)
{
    double worst = 0;
    if (drt_engine_run(a, in, 1) != DRT_OK || drt_engine_run(b, in, 1) != DRT_OK) return 1e30;
    for (int h = 0; h < drt_engine_num_heads(a); h++) {
        const float *x, *y;
        drt_tensor_desc d;
        drt_engine_head(a, h, &x, &d);
        drt_engine_head(b, h, &y, &d);
        worst = fmax(worst, rel_diff(x, y, (size_t)d.c * d.h * d.w));
    }
    return worst;
}

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* The searched engine's plan, saved and loaded with default options: the same heads. */
static void plan_case(const drt_model *m, drt_engine *a, const char *keep)
{
    char path[] = "/tmp/drt-int8-plan-XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) close(fd);
    drt_engine_opts o = drt_engine_opts_default();
    o.device = DRT_DEVICE_CUDA;
    drt_engine *b = NULL;
    if (fd < 0 || drt_engine_save_plan(a, path) != DRT_OK || drt_engine_load_plan(path, &o, &b) != DRT_OK) {
        printf("FAIL int8 plan round trip: %s\n", drt_last_error());
        failures++;
    } else {
        size_t n = (size_t)drt_model_channels(m) * drt_model_width(m) * drt_model_height(m);
        float *in = malloc(n * sizeof *in);
        for (size_t i = 0; i < n; i++) in[i] = (float)((i * 2654435761u) % 1000) / 1000.f;
        double d = heads_rel_diff(a, b, in);
        int bad = d != 0;
        printf("%s int8 plan round trip (keep %.40s; int8 convs and steps from the plan, no calibration): heads "
               "relative diff %.3g\n", bad ? "FAIL" : "ok  ", keep, d);
        failures += bad;
        free(in);
    }
    unlink(path);
    drt_engine_free(b);
}

/* Weights of the searched engine against the fp16 engine's on the device: less when int8 ran. */
static void memory_case(const drt_model *m, drt_engine *q, int int8_convs)
{
    drt_status s;
    drt_engine *h = cuda_engine(m, DRT_PREC_FP16, NULL, NULL, &s);
    drt_engine_memory mq = {0}, mh = {0};
    drt_engine_memory_usage(q, &mq);
    if (h) drt_engine_memory_usage(h, &mh);
    int bad = !h || (int8_convs > 0 && !(mq.device_weights < mh.device_weights));
    printf("%s device weights int8 (%d convs int8) %.3f MiB, fp16 %.3f MiB\n", bad ? "FAIL" : "ok  ", int8_convs,
           mq.device_weights / 1048576.0, mh.device_weights / 1048576.0);
    failures += bad;
    drt_engine_free(h);
}

/* The CPU engine standing in for CUDA's int8 on m (as the --min-map search ranks CUDA's candidates): the same convs in
 * int8 (all but the first, depthwise ones and heads: cuda_int8_all's rule), the same calibration and symmetric code, no
 * bias correction. */
static double cpu_standin_diff(const drt_model *m, const float *in)
{
    drt_engine_opts o = drt_engine_opts_default();
    drt_engine *f = NULL, *q = NULL;
    double d = 1e30;
    if (drt_engine_create(m, &o, &f) == DRT_OK) {
        o.precision = DRT_PREC_INT8;
        o.no_bias_correct = 1;
        o.int8_activations = DRT_INT8_ACT_SYM; /* CUDA's code (the CPU's default is asym) */
        o.int8_keep = "heads,dw,0";
        if (drt_engine_create(m, &o, &q) == DRT_OK) d = heads_rel_diff(f, q, in);
    }
    if (d > 1e29) printf("FAIL cpu stand-in: %s\n", drt_last_error());
    drt_engine_free(f);
    drt_engine_free(q);
    return d;
}

/* yolov3's int8 convs whose output one int8 conv alone reads handing it over in int8 (the default since session 20:
 * cuda-compile.c's hand_off_int8; into convs with a zero point since session 22): q, the default engine with int8
 * activations acts (error d against CUDA fp32 r), against one built with DRT_CUDA_INT8_CHAIN=0 (each conv quantizes its
 * own fp16 input): the heads differ (it ran: its rounding is from fp32, not from the fp16 tensor) and q's are no further
 * from CUDA fp32 than 10% + 0.01 beyond the other's; q's plan saved and loaded gives the same heads, bit for bit. */
static void hand_off_case(const drt_model *v3, drt_engine *r, drt_engine *q, double d, const float *in, int acts,
                          const char *what)
{
    drt_status s;
    setenv("DRT_CUDA_INT8_CHAIN", "0", 1);
    drt_engine *w = q && r ? cuda_engine_acts(v3, DRT_PREC_INT8, NULL, NULL, acts, &s) : NULL;
    unsetenv("DRT_CUDA_INT8_CHAIN");
    double e = w ? heads_rel_diff(q, w, in) : 1e30, dw = w ? heads_rel_diff(r, w, in) : 1e30;
    int bad = !(e > 0 && e < 1e29 && d <= 1.1 * dw + 0.01);
    printf("%s yolov3-416 int8 hand-off (%s): heads vs the engine without it: relative diff %.4f (> 0: it ran); vs CUDA "
           "fp32 %.4f with it, %.4f without (limit 1.1x + 0.01)%s%s\n", bad ? "FAIL" : "ok  ", what, e, d, dw,
           w ? "" : ": ", w ? "" : drt_last_error());
    failures += bad;
    char label[64];
    snprintf(label, sizeof label, "none; %s, hand-off", what);
    if (q) plan_case(v3, q, label);
    drt_engine_free(w);
}

/* Every batch item of a run against the same image run alone: cuDNN's plans differ by batch size, and an operand the
 * same for every image is what its fused int8 kernels got wrong (session 23: a padded conv's per-pixel border fix,
 * read past its end at batch 3 and 32; since then zero points go only into convs that pad nothing). The engine with
 * zero points and the hand-off at batch 3: each item's heads within 1% of max|value| of its run alone (exact int32
 * sums; the float epilogue's rounding may move a code). Call B (session 23): 0. */
static void batch_case(const drt_model *v3, const float *in)
{
    enum { N = 3 };
    drt_status s;
    max_batch = N;
    drt_engine *qb = cuda_engine_acts(v3, DRT_PREC_INT8, NULL, NULL, DRT_INT8_ACT_ASYM, &s);
    max_batch = 1;
    size_t per = (size_t)3 * drt_model_width(v3) * drt_model_height(v3);
    float *x = malloc(N * per * sizeof *x), *alone[8] = {NULL};
    int heads = qb ? drt_engine_num_heads(qb) : 0, ran = qb && x && heads <= 8;
    for (size_t i = 0; ran && i < N * per; i++) x[i] = i < per ? in[i] : (float)((i * 40503u) % 997) / 997.f;
    for (int b = 0; ran && b < N; b++) { /* each image alone: keep its heads */
        ran = drt_engine_run(qb, x + b * per, 1) == DRT_OK;
        for (int h = 0; ran && h < heads; h++) {
            const float *y;
            drt_tensor_desc d;
            drt_engine_head(qb, h, &y, &d);
            size_t n = (size_t)d.c * d.h * d.w;
            if (b == 0) ran = (alone[h] = malloc(N * n * sizeof(float))) != NULL;
            if (ran) memcpy(alone[h] + b * n, y, n * sizeof(float));
        }
    }
    double worst = ran && drt_engine_run(qb, x, N) == DRT_OK ? 0 : 1e30;
    for (int h = 0; worst < 1e29 && h < heads; h++) {
        const float *y;
        drt_tensor_desc d;
        drt_engine_head(qb, h, &y, &d);
        size_t n = (size_t)d.c * d.h * d.w;
        for (int b = 0; b < N; b++) worst = fmax(worst, rel_diff(alone[h] + b * n, y + b * n, n));
    }
    int bad = !(worst < 0.01);
    printf("%s yolov3-416 int8 with zero points at batch %d: each item's heads vs the image run alone: relative diff %.2g "
           "(limit 0.01)%s%s\n", bad ? "FAIL" : "ok  ", N, worst, qb ? "" : ": ", qb ? "" : drt_last_error());
    failures += bad;
    for (int h = 0; h < 8; h++) free(alone[h]);
    free(x);
    drt_engine_free(qb);
}

/* Zero points (--int8-activations asym, sessions 21-23): the input of every int8 conv that pads nothing quantized as
 * rint(x / step) + zp (or so written by the conv before: the hand-off), zp folded into the conv's bias
 * (src/engine/int8-zero-point.c); convs that pad stay sym (cuda-compile.c says why).
 * qa's heads differ from the sym engine q's (it ran), sit closer to CUDA fp32 r than q's do (error d: the point of the
 * 256 codes over [lo, hi]; on the CPU u8 with a zero point took yolov4-tiny from 0.75 to 0.93,
 * bench/results/int8-fakequant.md) and under 0.25; the hand-off case with it, its plan included. */
static void asym_case(const drt_model *v3, drt_engine *r, drt_engine *q, double d, const float *in)
{
    drt_status s;
    drt_engine *qa = r ? cuda_engine_acts(v3, DRT_PREC_INT8, NULL, NULL, DRT_INT8_ACT_ASYM, &s) : NULL;
    double e = qa && q ? heads_rel_diff(q, qa, in) : 1e30, da = qa ? heads_rel_diff(r, qa, in) : 1e30;
    int bad = !(e > 0 && e < 1e29 && da < d && da < 0.25);
    printf("%s yolov3-416 int8 with zero points: heads vs CUDA fp32 relative diff %.4f against sym's %.4f (limit: below "
           "it and 0.25); vs sym's heads %.4f (> 0: it ran)%s%s\n", bad ? "FAIL" : "ok  ", da, d, e, qa ? "" : ": ",
           qa ? "" : drt_last_error());
    failures += bad;
    batch_case(v3, in);
    if (qa) hand_off_case(v3, r, qa, da, in, DRT_INT8_ACT_ASYM, "zero points");
    drt_engine_free(qa);
}

/* A gross check of int8 through yolov3's 72 eligible convs on synthesised weights: CUDA int8's heads against CUDA fp32
 * within 25% (and 0.02) of the CPU stand-in's against CPU fp32 (the same quantization, another implementation: a
 * broken CUDA int8 path is off by O(1)), and under 0.25 of max|value|. An absolute 0.1 alone failed on calibration
 * noise (session 18: CUDA 0.1127, the CPU stand-in 0.1105 on the same 8 synthetic images; 0.0943 on Darknet's photos). */
static void yolov3_case(drt_load_opts lo)
{
    char cfg[1100];
    snprintf(cfg, sizeof cfg, "%s/yolov3.cfg", env_or("DRT_DN_CFG", "/usr/share/darknet/cfg"));
    drt_model *v3 = NULL;
    lo.width = lo.height = 416;
    if (drt_model_load_darknet(cfg, NULL, &lo, &v3) != DRT_OK || drt_model_synth_weights(v3, 7) != DRT_OK) {
        printf("FAIL yolov3: %s\n", drt_last_error());
        failures++;
        drt_model_free(v3);
        return;
    }
    drt_status s;
    drt_engine *q = cuda_engine(v3, DRT_PREC_INT8, NULL, NULL, &s), *r = cuda_engine(v3, DRT_PREC_FP32, NULL, NULL, &s);
    size_t n = (size_t)3 * drt_model_width(v3) * drt_model_height(v3);
    float *in = malloc(n * sizeof *in);
    for (size_t i = 0; i < n; i++) in[i] = (float)((i * 2654435761u) % 1000) / 1000.f;
    double d = q && r ? heads_rel_diff(r, q, in) : 1e30, c = cpu_standin_diff(v3, in);
    int bad = !(d < 0.25 && d <= 1.25 * c + 0.02);
    printf("%s yolov3-416 int8 heads vs CUDA fp32: relative diff %.4f (the CPU stand-in's %.4f; limit min(0.25, 1.25x + 0.02))%s%s\n",
           bad ? "FAIL" : "ok  ", d, c, q ? "" : ": ", q ? "" : drt_last_error());
    failures += bad;
    asym_case(v3, r, q, d, in);
    hand_off_case(v3, r, q, d, in, DRT_INT8_ACT_AUTO, "sym");
    free(in);
    drt_engine_free(q);
    drt_engine_free(r);
    drt_model_free(v3);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* a device call cut at its limit still has every line printed */
    char sh[1024], cfg[1100], w[1100], dog[1100];
    snprintf(sh, sizeof sh, "%s/../shared", env_or("DRT_ROOT", "."));
    const char *shared = env_or("DRT_SHARED", sh), *data = env_or("DRT_DN_DATA", "/usr/share/darknet/data");
    snprintf(cfg, sizeof cfg, "%s/models/yolo-fastest-1.1/yolo-fastest-1.1.cfg", shared);
    snprintf(w, sizeof w, "%s/models/yolo-fastest-1.1/yolo-fastest-1.1.weights", shared);
    snprintf(dog, sizeof dog, "%s/dog.jpg", data);
    if (access(cfg, R_OK) || access(w, R_OK) || access(dog, R_OK)) {
        printf("skipped: yolo-fastest-1.1 or the darknet images are missing\n");
        return 77;
    }
    double t0 = seconds();
    drt_load_opts lo = drt_load_opts_default();
    lo.warn = 0;
    drt_model *m;
    if (drt_model_load_darknet(cfg, w, &lo, &m) != DRT_OK) { printf("FAIL: %s\n", drt_last_error()); return 1; }
    drt_status s;
    drt_engine *truth = cuda_engine(m, DRT_PREC_FP32, NULL, NULL, &s);
    if (!truth) {
        drt_model_free(m);
        if (s == DRT_STATUS_NO_DEVICE || s == DRT_STATUS_UNSUPPORTED) {
            printf("%s\nno CUDA device\n", drt_last_error());
            return 77;
        }
        printf("FAIL cuda fp32 engine: %s\n", drt_last_error());
        return 1;
    }
    /* yolov3's checks first: a device call cut at its limit still has them (the search below takes 175-310 s) */
    if (!getenv("DRT_CUDA_TEST_QUICK")) yolov3_case(lo);
    char tmp[] = "/tmp/drt-int8-heldout-XXXXXX", calib[64], score[64];
    if (!mkdtemp(tmp)) { printf("FAIL: mkdtemp\n"); return 1; }
    snprintf(calib, sizeof calib, "%s/calib", tmp);
    snprintf(score, sizeof score, "%s/score", tmp);
    int views = !heldout_views(calib, data, heldout_calib, 4) && !heldout_views(score, data, heldout_score, 3);
    if (!views) {
        printf("FAIL: the held-out views: %s\n", drt_last_error());
        failures++;
    }
    /* build --min-map 0.95 --calib CALIB (validation: the calibration views, split by the search) */
    drt_engine_opts o = drt_engine_opts_default();
    o.device = DRT_DEVICE_CUDA;
    o.precision = DRT_PREC_INT8;
    o.calib_dir = calib;
    o.cuda_int8_all = 1;
    drt_int8_search_opts so = {.min_map = 0.95, .val_dir = calib, .log = stdout};
    drt_int8_search_result r = {0};
    double t1 = seconds();
    if (views && drt_int8_search(m, &o, &so, &r) != DRT_OK) { /* whatever yolov3's checks said */
        printf("FAIL: the --min-map search: %s\n", drt_last_error());
        failures++;
    }
    drt_engine *q = r.keep ? cuda_engine(m, DRT_PREC_INT8, calib, r.keep, &s) : NULL;
    if (r.keep && !q) { printf("FAIL: the searched engine: %s\n", drt_last_error()); failures++; }
    if (q) {
        int n = 0;
        double v = heldout_map(m, truth, q, score, &n);
        int bad = !(v >= 0.95);
        printf("%s --min-map 0.95: %d of %d eligible convs kept in fp16 (%s), %d engines built in %.1f s: mAP@0.5 %.4f on "
               "%d held-out views (validation %.4f, bound %.4f; every eligible conv in int8 there %.4f)\n",
               bad ? "FAIL" : "ok  ", r.kept, r.convs, r.keep, r.builds, seconds() - t1, v, n, r.map, r.bound, r.map_int8);
        failures += bad;
        memory_case(m, q, r.convs - r.kept);
        plan_case(m, q, r.keep);
    }
    drt_engine_free(q);
    drt_int8_search_result_clear(&r);
    drt_engine_free(truth);
    heldout_remove(calib);
    heldout_remove(score);
    rmdir(tmp);
    drt_model_free(m);
    printf("(%.1f s)\n", seconds() - t0);
    printf(failures ? "%d check(s) failed\n" : "all checks passed\n", failures);
    return failures ? 1 : 0;
}
