/* 8-bit frames letterboxed on the GPU (drt_detect_frames with pre on the device: the bytes are
 * uploaded, not floats) against today's path, drt_image_load + drt_detect_batch with the host's
 * letterbox (skips without a CUDA device). yolo-fastest-1.1 (real weights), fp16 and fp32, batch 7
 * of Darknet's sample images, as RGB8, as BGR8 with padded rows, and a batch of 3 (partial):
 * - the heads equal the host path's bit for bit (decode on the host);
 * - the detections equal it bit for bit (class, score, box) with decode and NMS on the host and on
 *   the GPU, at thresholds 0.25 and 0.01. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "darkrt.h"
#include "same-results.h"
#include "test-models.h"
#include "vision/vision.h"

#define N 7
static const char *const names[N] = {"dog", "person", "horses", "eagle", "giraffe", "kite", "scream"};
static int failures;

/* A copy of an RGB8 frame as BGR8 with `pad` spare bytes a row (the caller frees data). */
static drt_frame to_bgr_padded(const drt_frame *f, int pad)
{
    size_t stride = (size_t)f->w * 3 + pad;
    unsigned char *d = calloc(stride * f->h, 1);
    for (int y = 0; d && y < f->h; y++)
        for (int x = 0; x < f->w; x++)
            for (int c = 0; c < 3; c++) d[stride * y + 3 * x + c] = f->data[(size_t)f->w * 3 * y + 3 * x + 2 - c];
    return (drt_frame){.w = f->w, .h = f->h, .format = DRT_PIXEL_BGR8, .data = d, .stride = stride};
}

static void compare(const char *what, drt_engine *e, drt_image **ims, const drt_frame *const *frames, int n,
                    float thresh, int post_device)
{
    drt_detect_opts host = drt_detect_opts_default(), dev;
    host.thresh = thresh;
    dev = host;
    dev.pre = DRT_STAGE_DEVICE;
    if (post_device) dev.decode = dev.nms_place = DRT_STAGE_DEVICE;
    drt_detections *want[N] = {0}, *got[N] = {0};
    float *hw = NULL, *hg = NULL;
    size_t n_hw = 0, n_hg = 0;
    int ok = drt_detect_batch(e, (const drt_image *const *)ims, n, &host, want, NULL) == DRT_OK;
    if (ok) hw = copy_heads(e, n, &n_hw);
    ok = ok && drt_detect_frames(e, frames, n, &dev, NULL, got, NULL) == DRT_OK;
    if (ok && !post_device) hg = copy_heads(e, n, &n_hg);
    int same = ok;
    for (int i = 0; ok && i < n; i++) same &= same_dets(want[i], got[i]);
    int heads_same = post_device || (hw && hg && n_hw == n_hg && !memcmp(hw, hg, n_hw * sizeof(float)));
    int count = 0;
    for (int i = 0; ok && i < n; i++) count += want[i]->count;
    if (!ok || !same || !heads_same) failures++;
    printf("%s %-44s thresh %.2f post %-4s: %d images, %d detections%s%s\n", ok && same && heads_same ? "ok  " : "FAIL",
           what, thresh, post_device ? "gpu" : "host", n, count, !ok ? drt_last_error() : same ? "" : ", detections differ",
           heads_same ? (post_device ? "" : ", heads bit-identical") : ", heads differ");
    for (int i = 0; i < n; i++) {
        drt_detections_free(want[i]);
        drt_detections_free(got[i]);
    }
    free(hw);
    free(hg);
}

static int run_precision(const drt_model *m, drt_precision p, drt_image **ims, drt_frame *rgb, drt_frame *bgr)
{
    drt_engine *e;
    int rc = cuda_engine(m, p, N, &e);
    if (rc) return rc;
    const drt_frame *fr[N], *fb[N];
    for (int i = 0; i < N; i++) fr[i] = &rgb[i], fb[i] = &bgr[i];
    char what[64];
    for (int post = 0; post < 2; post++)
        for (int t = 0; t < 2; t++) {
            float thresh = t ? 0.01f : 0.25f;
            snprintf(what, sizeof what, "%s RGB8 batch %d", drt_precision_name(p), N);
            compare(what, e, ims, fr, N, thresh, post);
            snprintf(what, sizeof what, "%s BGR8 stride+13 batch %d", drt_precision_name(p), N);
            compare(what, e, ims, fb, N, thresh, post);
            snprintf(what, sizeof what, "%s RGB8 batch 3 of max %d", drt_precision_name(p), N);
            compare(what, e, ims + 4, fr + 4, 3, thresh, post);
        }
    drt_engine_free(e);
    return 0;
}

int main(void)
{
    char path[1200];
    const char *data = sample_dir();
    drt_model *m = load_yolo_fastest();
    if (!m) {
        printf("%s\nskipped: yolo-fastest-1.1 missing\n", drt_last_error());
        return 77;
    }
    drt_image *ims[N];
    drt_frame rgb[N], bgr[N];
    for (int i = 0; i < N; i++) {
        snprintf(path, sizeof path, "%s/%s.jpg", data, names[i]);
        if (drt_image_load(path, &ims[i]) != DRT_OK || drt_frame_load(path, &rgb[i]) != DRT_OK) {
            printf("FAIL %s\n", drt_last_error());
            return 1;
        }
        bgr[i] = to_bgr_padded(&rgb[i], 13);
    }
    int rc = run_precision(m, DRT_PREC_FP16, ims, rgb, bgr);
    if (rc == 0) rc = run_precision(m, DRT_PREC_FP32, ims, rgb, bgr);
    for (int i = 0; i < N; i++) {
        drt_image_free(ims[i]);
        drt_frame_release(&rgb[i]);
        free((void *)bgr[i].data);
    }
    drt_model_free(m);
    if (rc == 77) printf("skipped: no CUDA device\n");
    return rc ? rc : failures ? 1 : 0;
}
