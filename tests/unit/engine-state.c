/* A stateful model (tests/alexeyab/crnn.cfg: [crnn]) keeps its hidden state per run state: two contexts and the
 * engine's own, interleaved, each give the heads of its own sequence run alone (bit for bit, ref and cpu engines);
 * drt_context_reset_state / drt_engine_reset_state start a sequence again, and without a reset the same image gives
 * other heads (the state carried). A model without [crnn] is not stateful, its reset a no-op; the cuda engine, and any
 * backend without reset_state, refuses a stateful model (naming the [crnn]'s line); a pipeline starts a sequence, and
 * drt_pipeline_start_sequence another (check_pipelines). Its heads against AlexeyAB's on a sequence:
 * tests/cli/alexeyab.sh. */
#include "darkrt.h"
#include "backend/registry.h"
#include "engine-heads.h"
#include "unit/check.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 3 /* images a sequence */

static float *images(const drt_model *m, uint32_t seed)
{
    size_t n = (size_t)N * drt_model_channels(m) * drt_model_width(m) * drt_model_height(m);
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = (float)((seed = seed * 1664525u + 1013904223u) >> 8) / 16777216.f;
    return x;
}

/* Both heads of a run through the engine (ctx NULL) or a context, concatenated into out (malloc'd). */
static float *heads_of(drt_engine *e, drt_context *ctx, const float *x, size_t *n_out)
{
    drt_status s = ctx ? drt_context_run(ctx, x, 1) : drt_engine_run(e, x, 1);
    CHECK(s == DRT_OK, "%s", drt_last_error());
    size_t n = heads_floats(e);
    float *out = malloc(n * sizeof *out);
    if (out) take_heads(e, ctx, 1, out);
    *n_out = n;
    return out;
}

static void check_device(const drt_model *m, drt_device dev)
{
    const char *name = drt_device_name(dev);
    drt_engine_opts o = drt_engine_opts_default();
    o.device = dev;
    drt_engine *e = NULL;
    drt_context *c1 = NULL, *c2 = NULL;
    if (drt_engine_create(m, &o, &e) != DRT_OK || drt_context_create(e, &c1) != DRT_OK ||
        drt_context_create(e, &c2) != DRT_OK) {
        CHECK(0, "%s: %s", name, drt_last_error());
        goto done;
    }
    size_t per = (size_t)drt_model_channels(m) * drt_model_width(m) * drt_model_height(m), n;
    float *a = images(m, 1), *b = images(m, 2), *ha[N], *hb[N];
    for (int k = 0; k < N; k++) ha[k] = heads_of(e, NULL, a + per * k, &n); /* sequence a alone */
    CHECK(drt_engine_reset_state(e) == DRT_OK, "%s", drt_last_error());
    for (int k = 0; k < N; k++) hb[k] = heads_of(e, NULL, b + per * k, &n); /* sequence b alone */
    CHECK(drt_engine_reset_state(e) == DRT_OK, "%s", drt_last_error());
    /* interleaved: c1 runs a, c2 runs b, the engine's own runs b meanwhile */
    for (int k = 0; k < N; k++) {
        size_t n1, n2, n3;
        float *g1 = heads_of(e, c1, a + per * k, &n1), *g3 = heads_of(e, NULL, b + per * k, &n3);
        float *g2 = heads_of(e, c2, b + per * k, &n2);
        CHECK(!memcmp(g1, ha[k], n * sizeof *g1), "%s: context 1, image %d: not sequence a's heads", name, k);
        CHECK(!memcmp(g2, hb[k], n * sizeof *g2), "%s: context 2, image %d: not sequence b's heads", name, k);
        CHECK(!memcmp(g3, hb[k], n * sizeof *g3), "%s: the engine's own, image %d: not sequence b's heads", name, k);
        free(g1), free(g2), free(g3);
    }
    /* the state carried: image a0 after the sequence is not a0 from the start; after a reset it is */
    size_t n1;
    float *again = heads_of(e, c1, a, &n1);
    CHECK(memcmp(again, ha[0], n * sizeof *again) != 0, "%s: image 0 again gives its first heads: no state carried", name);
    free(again);
    CHECK(drt_context_reset_state(c1) == DRT_OK, "%s", drt_last_error());
    again = heads_of(e, c1, a, &n1);
    CHECK(!memcmp(again, ha[0], n * sizeof *again), "%s: after a reset, image 0 does not give its first heads", name);
    free(again);
    printf("%s: %d images a sequence, two contexts and the engine's own interleaved, %zu head values each\n", name, N, n);
    for (int k = 0; k < N; k++) free(ha[k]), free(hb[k]);
    free(a), free(b);
done:
    drt_context_free(c1);
    drt_context_free(c2);
    drt_engine_free(e);
}

/* The boxes of frames [from, n) of n random frames through a new pipeline on e (cpu, batches of `batch`), concatenated
 * into out (at most max); a new sequence starts at frame `restart` (drt_pipeline_start_sequence; -1: none), and with
 * `bad` its first item is a file that does not decode (the frames' indices then run one higher). Their count. */
static int pipeline_boxes(drt_engine *e, int batch, const unsigned char *rgb, int w, int h, int n, int restart, int bad,
                          int from, drt_detection *out, int max)
{
    drt_pipeline_opts o = drt_pipeline_opts_default();
    o.workers = 2;
    o.batch = batch;
    o.max_in_flight = n + 1; /* all submitted before any result is taken */
    drt_pipeline *p = NULL;
    int got = 0;
    if (drt_pipeline_create(e, &o, &p) != DRT_OK) {
        CHECK(0, "pipeline: %s", drt_last_error());
        return 0;
    }
    for (int k = 0; k < n; k++) {
        drt_frame f = {.w = w, .h = h, .format = DRT_PIXEL_RGB8, .data = rgb + (size_t)k * w * h * 3};
        if (k == restart) CHECK(drt_pipeline_start_sequence(p) == DRT_OK, "%s", drt_last_error());
        if (k == restart && bad) CHECK(drt_pipeline_submit_file(p, "no-such-dir/bad.jpg", NULL) == DRT_OK, "%s",
                                       drt_last_error());
        CHECK(drt_pipeline_submit_frame(p, &f, NULL) == DRT_OK, "%s", drt_last_error());
    }
    drt_pipeline_close(p);
    CHECK(drt_pipeline_start_sequence(p) != DRT_OK, "start_sequence after close accepted");
    drt_pipeline_result *r;
    while (drt_pipeline_next(p, &r) == DRT_OK && r) {
        CHECK((r->status == DRT_OK) == !(bad && r->index == restart), "item %lld: %s", r->index, r->error);
        for (int i = 0; r->index >= from && r->dets && i < r->dets->count && got < max; i++) out[got++] = r->dets->items[i];
        drt_pipeline_result_free(r);
    }
    drt_pipeline_free(p);
    return got;
}

/* A pipeline is a sequence from a zero state: two pipelines one after another on one engine give the same boxes.
 * drt_pipeline_start_sequence starts another within one: frames b after frames a and a restart give b's boxes of a
 * pipeline on b alone (in batches of 4: the restart also cuts the batch a2 b0 would share), and without the restart
 * other boxes (the state carried); so do they in batches of 1 with a bad item first after the restart (its batch
 * runs nothing, and still resets). */
static void check_pipelines(const drt_model *m)
{
    int w = drt_model_width(m), h = drt_model_height(m);
    size_t frame = (size_t)w * h * 3;
    unsigned char *rgb = malloc(2 * N * frame);
    uint32_t r = 7;
    for (size_t i = 0; i < 2 * N * frame; i++) rgb[i] = (unsigned char)((r = r * 1664525u + 1013904223u) >> 24);
    drt_engine_opts o = drt_engine_opts_default();
    o.max_batch = 4;
    drt_engine *e = NULL;
    enum { MAX = 1 << 14 };
    drt_detection *a = malloc(MAX * sizeof *a), *b = malloc(MAX * sizeof *b), *c = malloc(MAX * sizeof *c);
    if (drt_engine_create(m, &o, &e) == DRT_OK) {
        int na = pipeline_boxes(e, 1, rgb, w, h, N, -1, 0, 0, a, MAX), nb = pipeline_boxes(e, 1, rgb, w, h, N, -1, 0, 0, b, MAX);
        CHECK(na > 0, "no boxes: the comparison proves nothing");
        CHECK(na == nb && !memcmp(a, b, (size_t)na * sizeof *a), "a second pipeline on the engine: %d boxes, not the "
              "first's %d (its sequence did not start from zeros)", nb, na);
        printf("pipelines: two on one engine, %d frames each: %d and %d boxes\n", N, na, nb);
        int alone = pipeline_boxes(e, 4, rgb + N * frame, w, h, N, -1, 0, 0, a, MAX);
        int restarted = pipeline_boxes(e, 4, rgb, w, h, 2 * N, N, 0, N, b, MAX);
        int carried = pipeline_boxes(e, 4, rgb, w, h, 2 * N, -1, 0, N, c, MAX);
        CHECK(alone > 0, "no boxes: the comparison proves nothing");
        CHECK(restarted == alone && !memcmp(a, b, (size_t)alone * sizeof *a), "frames b after a and start_sequence: %d "
              "boxes, not those of b alone (%d)", restarted, alone);
        CHECK(carried != alone || memcmp(a, c, (size_t)alone * sizeof *a), "frames b after a without start_sequence: the "
              "boxes of b alone (no state carried: the restart proves nothing)");
        /* batches of 1: the restart's batch holds the bad item alone, nothing to run, and must still reset */
        int after_bad = pipeline_boxes(e, 1, rgb, w, h, 2 * N, N, 1, N + 1, c, MAX);
        CHECK(after_bad == alone && !memcmp(a, c, (size_t)alone * sizeof *a), "frames b after a, start_sequence and a bad "
              "first item, batches of 1: %d boxes, not those of b alone (%d)", after_bad, alone);
        printf("start_sequence: %d frames b alone %d boxes, after %d frames a and a restart %d, without it %d, after a "
               "restart with a bad first item (batches of 1) %d\n", N, alone, N, restarted, carried, after_bad);
    } else {
        CHECK(0, "%s", drt_last_error());
    }
    drt_engine_free(e);
    free(a), free(b), free(c), free(rgb);
}

int main(void)
{
    const char *root = getenv("DRT_ROOT");
    char cfg[1024], other[1024];
    snprintf(cfg, sizeof cfg, "%s/tests/alexeyab/crnn.cfg", root ? root : ".");
    snprintf(other, sizeof other, "%s/tests/alexeyab/route-add.cfg", root ? root : ".");
    drt_load_opts lo = drt_load_opts_default();
    lo.warn = 0;
    drt_model *m = NULL, *plain = NULL;
    if (drt_model_load_darknet(cfg, NULL, &lo, &m) != DRT_OK || drt_model_synth_weights(m, 1) != DRT_OK ||
        drt_model_load_darknet(other, NULL, &lo, &plain) != DRT_OK) {
        printf("FAIL: %s\n", drt_last_error());
        return 1;
    }
    CHECK(drt_model_stateful(m) == 1, "crnn.cfg is not stateful");
    CHECK(drt_model_stateful(plain) == 0, "route-add.cfg is stateful");
    check_device(m, DRT_DEVICE_REF);
    check_device(m, DRT_DEVICE_CPU);
    check_pipelines(m);
    drt_engine_opts o = drt_engine_opts_default();
    drt_engine *e = NULL;
    CHECK(drt_engine_create(plain, &o, &e) == DRT_OK && drt_engine_reset_state(e) == DRT_OK, "%s", drt_last_error());
    drt_engine_free(e);
    e = NULL;
    o.device = DRT_DEVICE_CUDA; /* refused by name where the module loads, else the module's own error */
    CHECK(drt_engine_create(m, &o, &e) != DRT_OK, "the cuda engine took a stateful model");
    printf("cuda: %s\n", drt_last_error());
    drt_engine_free(e);
    static drt_backend nostate; /* the ref backend without reset_state, as cuda's: refused naming the first [crnn] */
    static const drt_backend_entry entry = {.name = "nostate", .builtin = &nostate, .precisions = 1u << DRT_PREC_FP32,
                                            .flags = DRT_BACKEND_ONE_THREAD};
    nostate = drt_backend_ref;
    nostate.name = "nostate";
    nostate.reset_state = NULL;
    drt_device dev;
    CHECK(drt_backend_register(&entry, &dev) == DRT_OK, "register: %s", drt_last_error());
    o.device = dev;
    e = NULL;
    CHECK(drt_engine_create(m, &o, &e) != DRT_OK && strstr(drt_last_error(), "crnn.cfg: [crnn] (line 17) is recurrent") &&
          strstr(drt_last_error(), "the nostate engine keeps no state"), "a backend without reset_state: %s", drt_last_error());
    drt_engine_free(e);
    drt_model_free(m);
    drt_model_free(plain);
    return DONE();
}
