/* The C side of bench/python-overhead.py: per-call times of what engine.detect(frame) and
 * engine.detect(path) do, written against the C API directly.
 *   python-overhead CFG WEIGHTS IMAGE CALLS THREADS  ->  "frame MS" and "file MS" lines, one per call
 * frame: an 8-bit BGR buffer (a camera's or OpenCV's) converted to darkrt's float image, then
 * drt_detect_image; file: drt_image_load, then drt_detect_image. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "darkrt.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* What a C user with an 8-bit BGR frame writes: Darknet's v / 255., planar RGB. */
static drt_status from_bgr(const unsigned char *px, int w, int h, drt_image **out)
{
    drt_status s = drt_image_create(w, h, 3, out);
    if (s != DRT_OK) return s;
    float lut[256];
    for (int i = 0; i < 256; i++) lut[i] = (float)(i / 255.);
    size_t plane = (size_t)w * (size_t)h;
    float *r = (*out)->data, *g = r + plane, *b = g + plane;
    for (size_t i = 0; i < plane; i++) {
        b[i] = lut[px[3 * i]];
        g[i] = lut[px[3 * i + 1]];
        r[i] = lut[px[3 * i + 2]];
    }
    return DRT_OK;
}

static int fail(drt_status s)
{
    fprintf(stderr, "python-overhead: %s\n", drt_last_error()[0] ? drt_last_error() : drt_status_str(s));
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: python-overhead CFG WEIGHTS IMAGE CALLS THREADS\n");
        return 2;
    }
    int calls = atoi(argv[4]);
    drt_model *m = NULL;
    drt_engine *e = NULL;
    drt_image *im = NULL, *frame_im = NULL;
    drt_detections *d = NULL;
    drt_engine_opts o = drt_engine_opts_default();
    o.threads = atoi(argv[5]);
    drt_detect_opts dopts = drt_detect_opts_default();
    drt_status s = drt_model_load(argv[1], argv[2], NULL, &m);
    if (s == DRT_OK) s = drt_engine_create(m, &o, &e);
    if (s == DRT_OK) s = drt_image_load(argv[3], &im);
    if (s != DRT_OK) return fail(s);
    dopts.resize = drt_detect_model_resize(m);
    size_t plane = (size_t)im->w * (size_t)im->h;
    unsigned char *bgr = malloc(3 * plane);
    for (size_t i = 0; bgr && i < plane; i++)
        for (int k = 0; k < 3; k++) bgr[3 * i + (size_t)k] = (unsigned char)(im->data[(size_t)(2 - k) * plane + i] * 255.f + .5f);
    for (int i = 0; bgr && s == DRT_OK && i < calls; i++) {
        double t0 = now_ms();
        s = from_bgr(bgr, im->w, im->h, &frame_im);
        if (s == DRT_OK) s = drt_detect_image(e, frame_im, &dopts, &d, NULL);
        drt_image_free(frame_im);
        drt_detections_free(d);
        double t1 = now_ms();
        if (s == DRT_OK) s = drt_image_load(argv[3], &frame_im);
        if (s == DRT_OK) s = drt_detect_image(e, frame_im, &dopts, &d, NULL);
        drt_image_free(frame_im);
        drt_detections_free(d);
        printf("frame %.4f\nfile %.4f\n", t1 - t0, now_ms() - t1);
    }
    free(bgr);
    drt_image_free(im);
    drt_engine_free(e);
    drt_model_free(m);
    return s == DRT_OK ? 0 : fail(s);
}
