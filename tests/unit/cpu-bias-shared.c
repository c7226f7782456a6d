/* int8 bias correction measures its fp32 engine's sums once per calibration and keeps them in it (drt_calib.bias,
 * src/backend/cpu/cpu-bias.c) for the next engine built from it, summing again only a quantization of a conv's input
 * that no engine before needed; and step 2 starts the int8 engine from the fp32 engine's buffers at the last checkpoint
 * before its first int8 layer: each engine's corrections must be the ones a build that calibrates and measures for
 * itself and runs step 2 from the input makes (a fresh build with max_activation_bytes set: no checkpoints).
 * yolo-fastest-1.1 (real weights), CPU int8, one thread, calibrated on 2 of the 4 photos (calib_max_images 4,
 * calib_half 1, as the search's split). Engines built from one calibration, in this order:
 *   "none" (every conv in int8: makes the sums), conv 2 alone in int8 (a depthwise conv: its input by its tensor's step,
 *   where "none" read it by steps per channel: summed by the first pass too), conv 60 alone (step 2 from a checkpoint),
 *   "heads,dw" (the default), "none" with asym activations (u8 inputs with zero points: a second pass), "none,0,1",
 *   conv 2 alone again.
 * Each: its corrections (the floats added to the biases) and its heads on the calibration's 2 images the same bytes as
 * the fresh build's; the fp32 passes made so far (its verbose log) 1, 1, 1, 1, 2, 2, 2; conv 60 alone's step 2 not
 * from the input. Controls: the corrections are not all 0, and "none"'s differ from conv 2 alone's (what is compared
 * depends on the engine). */
#include "backend/cpu/cpu.h"
#include "engine/calib.h"
#include "engine/engine.h"
#include "engine-heads.h"
#include "graph/model.h"
#include "test-models.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fp32 passes the last verbose bias correction said it made and the layer its step 2 started at (-1: not said). */
static int passes = -1, start = -1;
static void take_passes(drt_log_level level, const char *message, void *user)
{
    (void)level, (void)user;
    const char *at = strstr(message, "the fp32 engine's sums ");
    if (at && (at = strchr(at, '('))) passes = atoi(at + 1);
    if ((at = strstr(message, "(from layer "))) start = atoi(at + strlen("(from layer "));
}

/* Whether a and b run to the same heads on the calibration's images. */
static int same_heads(drt_engine *a, drt_engine *b, const drt_calib *c, const drt_model *m)
{
    size_t per = (size_t)3 * drt_model_width(m) * drt_model_height(m), n = heads_floats(a);
    float *ha = malloc(n * sizeof *ha), *hb = malloc(n * sizeof *hb);
    int same = ha && hb;
    for (int k = 0; same && k < c->n; k++) {
        same = drt_engine_run(a, c->inputs + per * (size_t)k, 1) == DRT_OK && drt_engine_run(b, c->inputs + per * (size_t)k, 1) == DRT_OK;
        if (same) take_heads(a, NULL, 1, ha), take_heads(b, NULL, 1, hb), same = !memcmp(ha, hb, n * sizeof *ha);
    }
    free(ha);
    free(hb);
    return same;
}

static const float *corrections(const drt_engine *e) { return ((const cpu_state *)e->impl)->bias_corr; }

int main(void)
{
    drt_model *m = NULL;
    int rc = load_yolo_fastest_with_samples(&m);
    if (rc) return rc;
    char dir[] = "/tmp/drt-bias-shared-XXXXXX";
    if (calib_photos_link(dir) != 0) {
        printf("FAIL: the calibration folder\n");
        return 1;
    }
    drt_set_log_callback(take_passes, NULL);
    drt_engine_opts o = drt_engine_opts_default();
    o.precision = DRT_PREC_INT8;
    o.threads = 1;
    o.no_tune = 1;
    o.verbose = 1;
    o.calib_dir = dir;
    o.calib_max_images = 4;
    o.calib_half = 1;
    /* conv 2 alone in int8, conv 60 alone */
    char alone[2][1024];
    for (int a = 0; a < 2; a++) {
        int len = snprintf(alone[a], sizeof alone[a], "none");
        for (int i = 0; i < m->n_layers; i++)
            if (i != (a ? 60 : 2) && m->layers[i].type == DRT_LAYER_CONV)
                len += snprintf(alone[a] + len, sizeof alone[a] - (size_t)len, ",%d", i);
    }
    static const struct { const char *what, *keep; int alone, asym, passes; } builds[] = {
        {"none", "none", -1, 0, 1},       {"conv 2 alone", NULL, 0, 0, 1},       {"conv 60 alone", NULL, 1, 0, 1},
        {"heads,dw", "heads,dw", -1, 0, 1}, {"none, asym", "none", -1, 1, 2}, {"none,0,1", "none,0,1", -1, 0, 2},
        {"conv 2 alone again", NULL, 0, 0, 2},
    };
    size_t nc = drt_calib_channel_offset(m, m->n_layers + 1);
    float *first = malloc(nc * sizeof *first), *second = malloc(nc * sizeof *second);
    drt_calib *c = NULL;
    int fails = !first || !second || drt_calib_measure(m, &o, NULL, &c) != DRT_OK;
    if (fails) printf("FAIL: calibration: %s\n", drt_last_error());
    for (int b = 0; !fails && b < (int)(sizeof builds / sizeof builds[0]); b++) {
        drt_engine_opts k = o;
        k.int8_keep = builds[b].keep ? builds[b].keep : alone[builds[b].alone];
        k.int8_activations = builds[b].asym ? DRT_INT8_ACT_ASYM : DRT_INT8_ACT_SYM;
        drt_engine_opts bounded = k; /* no checkpoints: step 2 from the input */
        bounded.max_activation_bytes = (size_t)1 << 40;
        drt_engine *fresh = NULL, *shared = NULL;
        if (drt_engine_create_calibrated(m, &k, c, &shared) != DRT_OK || drt_engine_create(m, &bounded, &fresh) != DRT_OK) {
            printf("FAIL %s: engines: %s\n", builds[b].what, drt_last_error());
            fails++;
        } else {
            int same = corrections(shared) && corrections(fresh) && !memcmp(corrections(shared), corrections(fresh), nc * sizeof(float));
            int heads = same_heads(shared, fresh, c, m);
            printf("%s %s: corrections %s, heads %s\n", same && heads ? "ok  " : "FAIL", builds[b].what,
                   same ? "identical to a fresh build's" : "differ from a fresh build's", heads ? "identical" : "differ");
            fails += !same || !heads;
            if (b == 0) memcpy(first, corrections(shared), nc * sizeof(float));
            if (b == 1) memcpy(second, corrections(shared), nc * sizeof(float));
        }
        drt_engine_free(fresh);
        drt_engine_free(shared);
    }
    /* the passes the shared builds make: the same builds from a new calibration, alone, the log read after each */
    drt_calib_free(c);
    c = NULL;
    if (!fails && drt_calib_measure(m, &o, NULL, &c) != DRT_OK) printf("FAIL: calibration: %s\n", drt_last_error()), fails++;
    for (int b = 0; !fails && b < (int)(sizeof builds / sizeof builds[0]); b++) {
        drt_engine_opts k = o;
        k.int8_keep = builds[b].keep ? builds[b].keep : alone[builds[b].alone];
        k.int8_activations = builds[b].asym ? DRT_INT8_ACT_ASYM : DRT_INT8_ACT_SYM;
        drt_engine *shared = NULL;
        passes = start = -1;
        if (drt_engine_create_calibrated(m, &k, c, &shared) != DRT_OK) printf("FAIL %s: %s\n", builds[b].what, drt_last_error()), fails++;
        else {
            int ok = passes == builds[b].passes && (builds[b].alone != 1 || start > 0);
            printf("%s %s: %d fp32 pass%s of the shared sums so far (want %d), step 2 from layer %d\n", ok ? "ok  " : "FAIL",
                   builds[b].what, passes, passes == 1 ? "" : "es", builds[b].passes, start);
            fails += !ok;
        }
        drt_engine_free(shared);
    }
    int nonzero = 0;
    for (size_t i = 0; !fails && i < nc; i++) nonzero += first[i] != 0.f;
    if (!fails) {
        int differ = memcmp(first, second, nc * sizeof(float)) != 0;
        printf("%s control: %d of %zu corrections not 0; \"none\"'s %s conv 2 alone's\n", nonzero && differ ? "ok  " : "FAIL", nonzero,
               nc, differ ? "differ from" : "equal");
        fails += !nonzero || !differ;
    }
    drt_calib_free(c);
    free(first);
    free(second);
    drt_model_free(m);
    calib_photos_remove(dir);
    return fails ? 1 : 0;
}
