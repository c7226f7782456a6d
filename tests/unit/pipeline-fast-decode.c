/* Fast decode (DRT_IMAGE_DECODE_FAST): JPEGs decoded at 1/2, 1/4, 1/8 scale by libjpeg's DCT scaling
 * when the picture stays at least as large as its letterbox in the network input. On Darknet's
 * sample photos and yolo-fastest-1.1 (real weights, 320x320, CPU engine):
 * - the scale is the largest of 8, 4, 2 that the rule allows (computed here from the header's size)
 *   and the pixels are those of the full decode averaged over scale x scale blocks, within a small
 *   mean difference (the DCT scaling is a low-pass of the same picture);
 * - through the pipeline, each result has the picture's size; photos too small to scale get every
 *   box equal to today's path (drt_image_load + drt_detect_batch), scaled ones boxes matched to it
 *   (same class, IoU >= 0.5) for most of them, in the picture's coordinates;
 * - keep_image (drawing) with fast decode is refused. */
#include "darkrt.h"
#include "core/fileio.h"
#include "graph/model.h"
#include "same-results.h"
#include "test-models.h"
#include "unit/check.h"
#include "vision/vision.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const names[] = {"dog", "eagle", "giraffe", "horses", "kite", "person", "scream"};
#define N_NAMES 7
#define NET 320

static drt_engine *make_engine(void)
{
    char cfg[1200], w[1200];
    if (!yolo_fastest_paths(cfg, w, sizeof cfg)) return NULL;
    drt_model *m = load_yolo_fastest();
    if (!m) return NULL;
    drt_engine_opts eo = drt_engine_opts_default();
    eo.max_batch = 4;
    eo.threads = 2;
    eo.no_tune = 1;
    drt_engine *e = NULL;
    if (m->width == NET && m->height == NET && drt_engine_create(m, &eo, &e) != DRT_OK) printf("engine: %s\n", drt_last_error());
    drt_model_free(m);
    return e;
}

/* The scale the rule gives: the letterbox divides both sides by the larger of w/NET, h/NET. */
static int expected_scale(int w, int h)
{
    double most = fmax((double)w / NET, (double)h / NET);
    int d = 8;
    while (d > 1 && d > most) d /= 2;
    return d;
}

/* Returns the scale used (1: not scaled). */
static int check_decode(const char *path)
{
    unsigned char *data;
    size_t size;
    drt_u8_pixels full, fit;
    if (drt_read_file(path, 1 << 26, &data, &size) != DRT_OK) {
        CHECK(0, "%s: %s", path, drt_last_error());
        return 1;
    }
    int ok = drt_jpeg_decode_u8(path, data, size, &full) == DRT_OK;
    ok = ok && drt_jpeg_decode_u8_fit(path, data, size, NULL, NET, NET, 1, &fit) == DRT_OK;
    free(data);
    if (!ok) {
        CHECK(0, "%s: %s", path, drt_last_error());
        return 1;
    }
    int d = expected_scale(full.w, full.h);
    CHECK(fit.w == (full.w + d - 1) / d && fit.h == (full.h + d - 1) / d && fit.n == full.n,
          "%s: %dx%d at 1/%d should be %dx%d, got %dx%d", path, full.w, full.h, d, (full.w + d - 1) / d,
          (full.h + d - 1) / d, fit.w, fit.h);
    CHECK(d == 1 ? !fit.full_w && !fit.scale : fit.full_w == full.w && fit.full_h == full.h && fit.scale == d,
          "%s: full size %dx%d scale %d, want %dx%d scale %d", path, fit.full_w, fit.full_h, fit.scale, full.w, full.h, d);
    double diff = 0;
    long count = 0;
    for (int y = 0; y + 1 < fit.h && y + 1 < full.h / d; y++) /* whole blocks only */
        for (int x = 0; x + 1 < fit.w && x + 1 < full.w / d; x++)
            for (int k = 0; k < fit.n; k++) {
                double sum = 0;
                for (int j = 0; j < d; j++)
                    for (int i = 0; i < d; i++) sum += full.data[((size_t)(y * d + j) * full.w + x * d + i) * full.n + k];
                diff += fabs(sum / (d * d) - fit.data[((size_t)y * fit.w + x) * fit.n + k]);
                count++;
            }
    diff = count ? diff / count : 0;
    CHECK(d == 1 ? diff == 0 : diff < 4.0, "%s: 1/%d: mean difference %.3f from the full decode's block means", path, d, diff);
    printf("%s: %dx%d, scale 1/%d, mean difference from the block means %.3f\n", path, full.w, full.h, d, diff);
    free(full.data);
    free(fit.data);
    return d;
}

int main(void)
{
    drt_engine *e = make_engine();
    if (!e || access("/usr/share/darknet/data/dog.jpg", R_OK) != 0) {
        printf("skip: needs yolo-fastest-1.1 weights (../shared/models) and /usr/share/darknet/data\n");
        return 77;
    }
    char paths[N_NAMES][256];
    int scale[N_NAMES], scaled = 0;
    drt_detections *ref[N_NAMES] = {0};
    int ref_w[N_NAMES], ref_h[N_NAMES];
    for (int i = 0; i < N_NAMES; i++) {
        snprintf(paths[i], sizeof paths[i], "/usr/share/darknet/data/%s.jpg", names[i]);
        scale[i] = check_decode(paths[i]);
        scaled += scale[i] > 1;
        drt_image *im;
        CHECK(drt_image_load(paths[i], &im) == DRT_OK, "%s: %s", paths[i], drt_last_error());
        ref_w[i] = im->w, ref_h[i] = im->h;
        CHECK(drt_detect_batch(e, (const drt_image *const *)&im, 1, NULL, &ref[i], NULL) == DRT_OK, "detect: %s", drt_last_error());
        drt_image_free(im);
    }
    CHECK(scaled >= 2 && scaled < N_NAMES, "%d of %d samples scaled: the check needs both kinds", scaled, N_NAMES);

    drt_pipeline_opts o = drt_pipeline_opts_default();
    o.workers = 2;
    o.image_decode = DRT_IMAGE_DECODE_FAST;
    drt_pipeline *p;
    CHECK(drt_pipeline_create(e, &o, &p) == DRT_OK, "create: %s", drt_last_error());
    for (int i = 0; i < N_NAMES; i++) drt_pipeline_submit_file(p, paths[i], NULL);
    drt_pipeline_close(p);
    drt_pipeline_result *r;
    drt_eval_agreement a = {0};
    int i = 0;
    while (drt_pipeline_next(p, &r) == DRT_OK && r) {
        CHECK(r->status == DRT_OK, "%s: %s", paths[i], r->error);
        CHECK(r->width == ref_w[i] && r->height == ref_h[i], "%s: result %dx%d, the picture is %dx%d", paths[i], r->width,
              r->height, ref_w[i], ref_h[i]);
        if (r->dets && scale[i] == 1) CHECK(same_dets(r->dets, ref[i]), "%s: not scaled, so every box as today's", paths[i]);
        if (r->dets && scale[i] > 1) drt_eval_match(ref[i], r->dets, 0.5, NULL, &a);
        for (int k = 0; r->dets && k < r->dets->count; k++)
            CHECK(r->dets->items[k].x2 <= ref_w[i] && r->dets->items[k].y2 <= ref_h[i], "%s: box %d outside the picture", paths[i], k);
        drt_pipeline_result_free(r);
        i++;
    }
    drt_pipeline_free(p);
    CHECK(i == N_NAMES, "%d results for %d files", i, N_NAMES);
    double share = a.ref_count ? (double)a.matched / a.ref_count : 0;
    printf("scaled photos: %d of %d boxes of today's path matched (IoU >= 0.5), mean IoU %.3f\n", a.matched, a.ref_count,
           drt_eval_agreement_mean_iou(&a));
    CHECK(a.ref_count >= 5 && share >= 0.8 && drt_eval_agreement_mean_iou(&a) >= 0.85, "fast decode's boxes too far from today's");

    o.keep_image = 1;
    CHECK(drt_pipeline_create(e, &o, &p) == DRT_STATUS_UNSUPPORTED && !p, "fast decode with keep_image must be refused");
    for (int k = 0; k < N_NAMES; k++) drt_detections_free(ref[k]);
    drt_engine_free(e);
    return DONE();
}
