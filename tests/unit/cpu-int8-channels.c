/* int8 steps per channel where depthwise convs read (src/backend/cpu/cpu-compile.c): yolo-fastest-1.1
 * (real weights) with its depthwise convs in int8 (int8_keep "heads"), calibrated on four of
 * Darknet's photos (dog, eagle, giraffe, scream), run on three others (horses, kite, person)
 * against the fp32 CPU engine:
 * - with steps per channel the heads' relative L1 error is lower, and mAP@0.5 (ranked down to
 *   0.005 against fp32's at 0.25) higher, than the same engine rebuilt with one step per tensor
 *   (the same calibration, channel steps left out);
 * - the engine says which convs use them, and its plan keeps them: saved and loaded without
 *   calibration images, the same heads bit for bit. */
#include "backend/cpu/cpu.h"
#include "engine/calib.h"
#include "graph/model.h"
#include "test-models.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const scored[] = {"horses", "kite", "person"};

typedef struct score { double err, map; } score;

/* Heads' relative L1 error against fp32's and mAP@0.5 over the scored photos. */
static score run(const drt_model *m, drt_engine *ref, drt_engine *q, const char *data)
{
    score r = {-1, -1};
    drt_detect_opts dt = drt_detect_opts_for_model(m), dq = dt;
    dq.thresh = 0.005f;
    drt_eval_map *em = NULL;
    if (drt_eval_map_create(0.5, &em) != DRT_OK) return r;
    double diff = 0, sum = 0;
    for (int i = 0; i < 3; i++) {
        char p[1200];
        snprintf(p, sizeof p, "%s/%s.jpg", data, scored[i]);
        drt_image *img = NULL;
        drt_detections *a = NULL, *b = NULL;
        int bad = drt_image_load(p, &img) != DRT_OK || drt_detect_image(ref, img, &dt, &a, NULL) != DRT_OK;
        float **keep = calloc((size_t)drt_engine_num_heads(ref), sizeof *keep);
        for (int h = 0; !bad && h < drt_engine_num_heads(ref); h++) {
            const float *x;
            drt_tensor_desc d;
            drt_engine_head(ref, h, &x, &d);
            size_t n = (size_t)d.c * d.h * d.w;
            if ((keep[h] = malloc(n * sizeof(float)))) memcpy(keep[h], x, n * sizeof(float));
        }
        bad = bad || drt_detect_image(q, img, &dq, &b, NULL) != DRT_OK || drt_eval_map_add(em, a, b) != DRT_OK;
        for (int h = 0; !bad && h < drt_engine_num_heads(q); h++) {
            const float *y;
            drt_tensor_desc d;
            drt_engine_head(q, h, &y, &d);
            for (size_t k = 0; keep[h] && k < (size_t)d.c * d.h * d.w; k++) {
                diff += fabs((double)y[k] - keep[h][k]);
                sum += fabs((double)keep[h][k]);
            }
        }
        for (int h = 0; h < drt_engine_num_heads(ref); h++) free(keep[h]);
        free(keep);
        drt_detections_free(a);
        drt_detections_free(b);
        drt_image_free(img);
        if (bad) {
            printf("FAIL: %s: %s\n", p, drt_last_error());
            drt_eval_map_free(em);
            return r;
        }
    }
    r.err = sum > 0 ? diff / sum : -1;
    if (drt_eval_map_compute(em, &r.map, NULL) != DRT_OK) r.map = -1;
    drt_eval_map_free(em);
    return r;
}

static int count_channel_convs(const cpu_state *st)
{
    int n = 0;
    for (int i = 0; i < st->g->n; i++) {
        const drt_layer *l = &st->m->layers[i];
        n += l->type == DRT_LAYER_CONV && st->conv[i] && st->conv[i]->prec == DRT_PREC_INT8 && st->channel_steps[DRT_XT(l->inputs[0])];
    }
    return n;
}

int main(void)
{
    const char *data = sample_dir();
    drt_model *m = NULL;
    int rc = load_yolo_fastest_with_samples(&m);
    if (rc) return rc;
    char dir[] = "/tmp/drt-int8-channels-XXXXXX";
    int fails = calib_photos_link(dir) != 0;
    drt_engine_opts o = drt_engine_opts_default();
    o.no_tune = 1;
    drt_engine *ref = NULL, *q = NULL, *loaded = NULL;
    fails += drt_engine_create(m, &o, &ref) != DRT_OK;
    o.precision = DRT_PREC_INT8;
    o.calib_dir = dir;
    o.int8_keep = "heads";
    o.no_bias_correct = 1; /* the per-tensor engine below is built from the steps alone: compare like with like */
    o.int8_activations = DRT_INT8_ACT_SYM; /* steps per channel are s8's: asym's u8 tensors have one step and zero point */
    fails += fails || drt_engine_create(m, &o, &q) != DRT_OK;
    if (fails) {
        printf("FAIL: engines: %s\n", drt_last_error());
        return 1;
    }
    cpu_state *with = q->impl;
    int n_dw = count_channel_convs(with);
    printf("%s %d int8 depthwise convs read steps per channel\n", n_dw > 0 ? "ok  " : "FAIL", n_dw);
    fails += n_dw == 0;
    score a = run(m, ref, q, data);

    /* the plan: saved, loaded without the calibration images, the same heads */
    char plan[] = "/tmp/drt-int8-channels-plan-XXXXXX";
    int fd = mkstemp(plan);
    if (fd >= 0) close(fd);
    drt_engine_opts lopts = drt_engine_opts_default();
    if (fd < 0 || drt_engine_save_plan(q, plan) != DRT_OK || drt_engine_load_plan(plan, &lopts, &loaded) != DRT_OK) {
        printf("FAIL plan: %s\n", drt_last_error());
        fails++;
    } else {
        size_t n = (size_t)3 * drt_model_width(m) * drt_model_height(m);
        float *in = malloc(n * sizeof *in);
        for (size_t i = 0; i < n; i++) in[i] = (float)((i * 2654435761u) % 1000) / 1000.f;
        int same = drt_engine_run(q, in, 1) == DRT_OK && drt_engine_run(loaded, in, 1) == DRT_OK &&
                   count_channel_convs(loaded->impl) == n_dw;
        for (int h = 0; same && h < drt_engine_num_heads(q); h++) {
            const float *x, *y;
            drt_tensor_desc d;
            drt_engine_head(q, h, &x, &d);
            drt_engine_head(loaded, h, &y, &d);
            same = !memcmp(x, y, sizeof(float) * (size_t)d.c * d.h * d.w);
        }
        printf("%s plan saved and loaded: %d convs with steps per channel, heads %s\n", same ? "ok  " : "FAIL",
               count_channel_convs(loaded->impl), same ? "identical" : "differ");
        fails += !same;
        free(in);
    }
    unlink(plan);
    drt_engine_free(loaded);

    /* the same engine with one step per tensor: the calibration's tensor steps only */
    float *steps = NULL;
    cpu_state *without = NULL;
    if (drt_calibrate_tensor_steps(m, &o, dir, NULL, &steps) != DRT_OK ||
        drt_cpu_state_create(m, &o, NULL, steps, NULL, NULL, NULL, NULL, &without) != DRT_OK) {
        printf("FAIL: the per-tensor engine: %s\n", drt_last_error());
        fails++;
    } else {
        q->impl = without;
        score b = run(m, ref, q, data);
        int bad = !(a.err >= 0 && a.err < b.err && a.map > b.map);
        printf("%s depthwise convs in int8, held-out photos: steps per channel: heads' L1 error %.4f, mAP@0.5 %.4f; "
               "one step per tensor: %.4f, %.4f\n", bad ? "FAIL" : "ok  ", a.err, a.map, b.err, b.map);
        fails += bad;
        q->impl = with;
        drt_cpu_state_free(without);
    }
    free(steps);
    drt_engine_free(q);
    drt_engine_free(ref);
    calib_photos_remove(dir);
    drt_model_free(m);
    printf("%s\n", fails ? "FAILED" : "all checks passed");
    return fails ? 1 : 0;
}
