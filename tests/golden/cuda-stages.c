/* Pre- and postprocessing on the GPU against the host's (skips without a CUDA device). Independent
 * reference: the host stages (src/vision, themselves checked against Darknet by darknet-letterbox,
 * darknet-decode and darknet-detect). On one CUDA engine and the same images:
 * - GPU letterbox (and stretch): the heads after it equal the heads after the host's letterbox, bit for bit;
 * - GPU decode + host NMS, and GPU decode + GPU NMS: the same detections as the host, bit for bit
 *   (class, score and box), at Darknet's threshold, at 0.01 (thousands of candidates through the GPU
 *   NMS) and at 0.0005 (past the device's 4096 candidates: the host takes over for that image);
 * - batches of 7 mixed-size images and single images; yolo-fastest-1.1 (real weights, fp32 and fp16)
 *   and, unless DRT_CUDA_TEST_QUICK, yolov3-416 (synthesised weights, fp16, three heads);
 * - a CPU engine asked for device stages refuses with DRT_STATUS_UNSUPPORTED;
 * - staged runs (drt_engine_stage, the --min-map search's and darkrt bench's timing) run the input staged last,
 *   not an earlier one: its heads, copied back after two staged runs, equal drt_engine_run's bit for bit.
 * Paths: DRT_SHARED (../shared), DRT_DN_CFG (/usr/share/darknet/cfg), DRT_DN_DATA (.../data). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "darkrt.h"
#include "engine/engine.h"
#include "same-results.h"

#define N_IMAGES 7
static const char *const image_names[N_IMAGES] = {"dog", "person", "horses", "eagle", "giraffe", "kite", "scream"};
static drt_image *images[N_IMAGES];
static int failures;

static const char *env_or(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v && *v ? v : def;
}

static drt_engine *make_engine(const drt_model *m, drt_device dev, drt_precision p, int batch, drt_status *s)
{
    drt_engine_opts o = drt_engine_opts_default();
    o.device = dev;
    o.precision = p;
    o.max_batch = batch;
    drt_engine *e = NULL;
    *s = drt_engine_create(m, &o, &e);
    return e;
}

/* The first n images through the host stages, then through each GPU combination. */
static void stages_case(const char *name, drt_engine *e, int first, int n, drt_resize resize, float thresh)
{
    drt_detect_opts host = drt_detect_opts_default();
    host.resize = resize;
    host.thresh = thresh;
    drt_detections *want[N_IMAGES] = {0}, *got[N_IMAGES] = {0};
    const drt_image *const *ims = (const drt_image *const *)images + first;
    if (drt_detect_batch(e, ims, n, &host, want, NULL) != DRT_OK) {
        printf("FAIL %s: host stages: %s\n", name, drt_last_error());
        failures++;
        return;
    }
    size_t n_heads = 0, n_heads2 = 0;
    float *heads = copy_heads(e, n, &n_heads);
    int total = 0;
    for (int i = 0; i < n; i++) total += want[i]->count;
    static const char *const pre_words[] = {"cpu", "gpu"}, *const post_words[] = {"cpu", "gpu-decode", "gpu"};
    for (int pre = 0; pre < 2; pre++)
        for (int post = 0; post < 3; post++) {
            if (!pre && !post) continue;
            drt_detect_opts o = host;
            drt_detect_parse_pre(pre_words[pre], &o);
            drt_detect_parse_post(post_words[post], &o);
            drt_stage_times t[N_IMAGES];
            int bad = drt_detect_batch(e, ims, n, &o, got, t) != DRT_OK;
            if (bad) {
                printf("FAIL %s pre %s post %s: %s\n", name, pre_words[pre], post_words[post], drt_last_error());
                failures++;
                continue;
            }
            int differ = 0;
            for (int i = 0; i < n; i++) differ += !same_dets(want[i], got[i]);
            if (post == 0) { /* the heads came back: after a GPU letterbox they are the host-letterbox heads */
                float *h2 = copy_heads(e, n, &n_heads2);
                differ += n_heads2 != n_heads || memcmp(h2, heads, n_heads * sizeof(float)) != 0;
                free(h2);
            }
            printf("%s %s pre %-3s post %-10s: %d images, %d detections%s (post %.3f ms/image)\n",
                   differ ? "FAIL" : "ok  ", name, pre_words[pre], post_words[post], n, total,
                   differ ? ", different from the host's" : ", as the host's", t[0].postprocess_ms);
            failures += differ != 0;
            for (int i = 0; i < n; i++) {
                drt_detections_free(got[i]);
                got[i] = NULL;
            }
        }
    free(heads);
    for (int i = 0; i < n; i++) drt_detections_free(want[i]);
}

/* drt_engine_stage of input b after input a, two staged runs, then the heads copied back (the stages' run from the
 * device's input, heads to the host): drt_engine_run's heads of b. */
static void staged_case(const char *name, drt_engine *e, const drt_model *m, int n)
{
    size_t per = (size_t)drt_model_channels(m) * drt_model_width(m) * drt_model_height(m), k = 0, k2 = 0;
    float *a = malloc(per * n * sizeof(float)), *b = malloc(per * n * sizeof(float)), *want = NULL, *got = NULL;
    for (size_t i = 0; a && b && i < per * n; i++) a[i] = (float)(i % 251) / 251.f, b[i] = (float)((i * 7) % 239) / 239.f;
    drt_status s = a && b ? drt_engine_run(e, b, n) : DRT_STATUS_OOM;
    if (s == DRT_OK) want = copy_heads(e, n, &k);
    if (s == DRT_OK) s = drt_engine_stage(e, a, n);
    if (s == DRT_OK) s = drt_engine_stage(e, b, n);
    for (int r = 0; s == DRT_OK && r < 2; r++) s = drt_engine_run_staged(e, n);
    if (s == DRT_OK) s = e->backend->stages->run(e, NULL, NULL, n, 1);
    if (s == DRT_OK) got = copy_heads(e, n, &k2);
    int bad = s != DRT_OK || !want || !got || k != k2 || memcmp(want, got, k * sizeof(float));
    printf("%s %s: staged runs (b%d) give drt_engine_run's heads%s%s\n", bad ? "FAIL" : "ok  ", name, n,
           s != DRT_OK ? ": " : "", s != DRT_OK ? drt_last_error() : "");
    failures += bad;
    free(a), free(b), free(want), free(got);
}

static void model_case(const char *name, const drt_model *m, drt_precision p, int quick)
{
    drt_status s;
    drt_engine *e = make_engine(m, DRT_DEVICE_CUDA, p, N_IMAGES, &s);
    if (!e) {
        printf("FAIL %s: create: %s\n", name, drt_last_error());
        failures++;
        return;
    }
    char label[128];
    snprintf(label, sizeof label, "%s %s b7 thresh 0.25", name, drt_precision_name(p));
    stages_case(label, e, 0, N_IMAGES, DRT_RESIZE_LETTERBOX, .25f);
    snprintf(label, sizeof label, "%s %s b1 stretch", name, drt_precision_name(p));
    stages_case(label, e, 2, 1, DRT_RESIZE_STRETCH, .25f);
    snprintf(label, sizeof label, "%s %s", name, drt_precision_name(p));
    staged_case(label, e, m, 3);
    if (!quick) {
        snprintf(label, sizeof label, "%s %s b7 thresh 0.01", name, drt_precision_name(p));
        stages_case(label, e, 0, N_IMAGES, DRT_RESIZE_LETTERBOX, .01f);
        snprintf(label, sizeof label, "%s %s b3 thresh 0.0005", name, drt_precision_name(p));
        stages_case(label, e, 0, 3, DRT_RESIZE_LETTERBOX, .0005f);
    }
    drt_engine_free(e);
}

static drt_model *load(const char *cfg, const char *weights, int size)
{
    drt_load_opts lo = drt_load_opts_default();
    lo.warn = 0;
    lo.width = lo.height = size;
    drt_model *m = NULL;
    if (drt_model_load_darknet(cfg, weights, &lo, &m) != DRT_OK ||
        (!weights && drt_model_synth_weights(m, 11) != DRT_OK)) {
        printf("FAIL load %s: %s\n", cfg, drt_last_error());
        failures++;
        drt_model_free(m);
        return NULL;
    }
    return m;
}

int main(void)
{
    char shared[1024], cfg[2048], weights[2048], path[2048];
    snprintf(shared, sizeof shared, "%s", env_or("DRT_SHARED", ""));
    if (!*shared) snprintf(shared, sizeof shared, "%s/../shared", env_or("DRT_ROOT", "."));
    const char *cfg_dir = env_or("DRT_DN_CFG", "/usr/share/darknet/cfg");
    const char *data_dir = env_or("DRT_DN_DATA", "/usr/share/darknet/data");
    snprintf(cfg, sizeof cfg, "%s/models/yolo-fastest-1.1/yolo-fastest-1.1.cfg", shared);
    snprintf(weights, sizeof weights, "%s/models/yolo-fastest-1.1/yolo-fastest-1.1.weights", shared);
    drt_model *fastest = load(cfg, weights, 0);
    if (!fastest) return 1;
    for (int i = 0; i < N_IMAGES; i++) {
        snprintf(path, sizeof path, "%s/%s.jpg", data_dir, image_names[i]);
        if (drt_image_load(path, &images[i]) != DRT_OK) {
            printf("FAIL %s: %s\n", path, drt_last_error());
            return 1;
        }
    }

    /* a CPU engine has no device stages: refused, no detections */
    drt_status s;
    drt_engine *cpu = make_engine(fastest, DRT_DEVICE_CPU, DRT_PREC_FP32, 1, &s);
    if (cpu) {
        drt_detect_opts o = drt_detect_opts_default();
        drt_detect_parse_post("gpu", &o);
        drt_detections *d = NULL;
        s = drt_detect_image(cpu, images[0], &o, &d, NULL);
        int bad = s != DRT_STATUS_UNSUPPORTED || d;
        printf("%s cpu engine, post on the device: %s\n", bad ? "FAIL" : "ok  ", drt_last_error());
        failures += bad;
        drt_engine_free(cpu);
    }

    drt_engine *probe = make_engine(fastest, DRT_DEVICE_CUDA, DRT_PREC_FP32, 1, &s);
    if (!probe) {
        if (s == DRT_STATUS_NO_DEVICE || s == DRT_STATUS_UNSUPPORTED) {
            printf("%s\nno CUDA device\n", drt_last_error());
            drt_model_free(fastest);
            for (int i = 0; i < N_IMAGES; i++) drt_image_free(images[i]);
            return failures ? 1 : 77;
        }
        printf("FAIL cuda engine: %s\n", drt_last_error());
        return 1;
    }
    drt_engine_free(probe);

    int quick = getenv("DRT_CUDA_TEST_QUICK") != NULL;
    model_case("yolo-fastest-1.1", fastest, DRT_PREC_FP32, quick);
    model_case("yolo-fastest-1.1", fastest, DRT_PREC_FP16, 1);
    drt_model_free(fastest);
    if (!quick) {
        snprintf(cfg, sizeof cfg, "%s/yolov3.cfg", cfg_dir);
        drt_model *v3 = load(cfg, NULL, 416);
        if (v3) model_case("yolov3-416 synth", v3, DRT_PREC_FP16, 1);
        drt_model_free(v3);
    }
    for (int i = 0; i < N_IMAGES; i++) drt_image_free(images[i]);
    printf(failures ? "%d check(s) failed\n" : "all checks passed\n", failures);
    return failures ? 1 : 0;
}
