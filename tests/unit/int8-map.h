/* int8 accuracy on the Debian darknet images, shared by tests/unit/cpu-int8-map.c and
 * tests/golden/cuda-int8-map.c: two-fold calibration (images 0-3 calibrate the engine that
 * scores images 4-6, and the other way round), mAP@0.5 of the int8 detections against the
 * fp32 reference engine's. */
#ifndef DRT_TESTS_INT8_MAP_H
#define DRT_TESTS_INT8_MAP_H

#include "darkrt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <unistd.h>

static const char *const images[] = {"dog", "person", "horses", "eagle", "giraffe", "kite", "scream"};
#define N_IMAGES 7
#define SPLIT 4

/* Debian's darknet images (DRT_DN_DATA overrides, for machines without the package). */
static const char *int8_map_data(void)
{
    const char *d = getenv("DRT_DN_DATA");
    return d && *d ? d : "/usr/share/darknet/data";
}

static int make_calib_dir(char *dir, size_t size, int lo, int hi)
{
    snprintf(dir, size, "/tmp/drt-calib-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    for (int i = lo; i < hi; i++) {
        char src[1024], dst[512], abs_dir[PATH_MAX];
        if (!realpath(int8_map_data(), abs_dir)) return -1; /* the links live in /tmp */
        snprintf(src, sizeof src, "%s/%s.jpg", abs_dir, images[i]);
        snprintf(dst, sizeof dst, "%s/%s.jpg", dir, images[i]);
        if (symlink(src, dst)) return -1;
    }
    return 0;
}

static void remove_calib_dir(const char *dir, int lo, int hi)
{
    for (int i = lo; i < hi; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s.jpg", dir, images[i]);
        unlink(p);
    }
    rmdir(dir);
}

/* Options for every engine a test builds: no_tune, cuda_int8_all, no_bias_correct, int8_activations (the tests set
 * them); ranked: the int8 engine's detections down to 0.005 (scored as a detector against labels), not 0.25. */
static struct { int no_tune, cuda_int8_all, no_bias_correct, int8_activations, ranked; } int8_map_base;

static drt_engine_opts int8_map_opts(void)
{
    drt_engine_opts o = drt_engine_opts_default();
    o.no_tune = int8_map_base.no_tune;
    o.cuda_int8_all = int8_map_base.cuda_int8_all;
    o.no_bias_correct = int8_map_base.no_bias_correct;
    o.int8_activations = int8_map_base.int8_activations;
    return o;
}

static drt_engine *int8_map_engine(const drt_model *m, drt_device dev, drt_precision prec, const char *calib, int method)
{
    drt_engine_opts o = int8_map_opts();
    o.device = dev;
    o.precision = prec;
    o.calib_dir = calib;
    o.calib_method = method;
    o.threads = 2;
    drt_engine *e = NULL;
    if (drt_engine_create(m, &o, &e) != DRT_OK) printf("FAIL: engine: %s\n", drt_last_error());
    return e;
}

static double run_fold_map(const drt_model *m, drt_engine *ref, drt_device dev, int method)
{
    drt_eval_map *map = NULL;
    drt_eval_map_create(0.5, &map);
    drt_detect_opts dopts = drt_detect_opts_default(), qopts = dopts;
    if (int8_map_base.ranked) qopts.thresh = 0.005f;
    for (int fold = 0; fold < 2; fold++) {
        int clo = fold ? SPLIT : 0, chi = fold ? N_IMAGES : SPLIT;
        char dir[64];
        if (make_calib_dir(dir, sizeof dir, clo, chi)) { printf("FAIL: cannot make a calibration directory\n"); return -1; }
        drt_engine *q = int8_map_engine(m, dev, DRT_PREC_INT8, dir, method);
        remove_calib_dir(dir, clo, chi);
        if (!q) return -1;
        for (int i = 0; i < N_IMAGES; i++) {
            if (i >= clo && i < chi) continue; /* scored by the other fold's engine */
            char path[1024];
            snprintf(path, sizeof path, "%s/%s.jpg", int8_map_data(), images[i]);
            drt_image *img;
            drt_detections *dr = NULL, *dq = NULL;
            if (drt_image_load(path, &img) != DRT_OK || drt_detect_image(ref, img, &dopts, &dr, NULL) != DRT_OK ||
                drt_detect_image(q, img, &qopts, &dq, NULL) != DRT_OK) {
                printf("FAIL: %s: %s\n", path, drt_last_error());
                return -1;
            }
            printf("  %-8s fp32 ref %2d detections, int8 %2d\n", images[i], dr->count, dq->count);
            drt_eval_map_add(map, dr, dq);
            drt_detections_free(dr);
            drt_detections_free(dq);
            drt_image_free(img);
        }
        drt_engine_free(q);
    }
    double v = -1;
    int nc = 0;
    drt_eval_map_compute(map, &v, &nc);
    drt_eval_map_free(map);
    printf("%s int8 (%s calibration%s, activations %s) mAP@0.5 vs fp32 reference%s: %.4f over %d classes\n", drt_device_name(dev),
           method == DRT_CALIB_PERCENTILE ? "percentile" : method == DRT_CALIB_ENTROPY ? "entropy" : "max",
           int8_map_base.no_bias_correct ? "" : ", bias-corrected",
           int8_map_base.int8_activations == DRT_INT8_ACT_SYM ? "sym" : int8_map_base.int8_activations == DRT_INT8_ACT_ASYM ? "asym" : "default",
           int8_map_base.ranked ? " (int8 ranked down to 0.005)" : "", v, nc);
    return v;
}

#endif
