/* int8 accuracy of the CPU engine: yolo-fastest-1.1's int8 detections on the Debian darknet
 * images reach mAP@0.5 >= 0.95 against the fp32 reference engine's detections. Calibration is
 * two-fold so no image is scored by an engine calibrated on it: images 0-3 calibrate the
 * engine that scores images 4-6, and images 4-6 the one that scores 0-3. The default method
 * (max) must reach 0.95; entropy and percentile are reported with looser regression bounds. */
#include "darkrt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const images[] = {"dog", "person", "horses", "eagle", "giraffe", "kite", "scream"};
#define N_IMAGES 7
#define SPLIT 4

static int make_calib_dir(char *dir, size_t size, int lo, int hi)
{
    snprintf(dir, size, "/tmp/drt-calib-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    for (int i = lo; i < hi; i++) {
        char src[256], dst[512];
        snprintf(src, sizeof src, "/usr/share/darknet/data/%s.jpg", images[i]);
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

static drt_engine *engine(const drt_model *m, drt_device dev, drt_precision prec, const char *calib, int method)
{
    drt_engine_opts o = drt_engine_opts_default();
    o.device = dev;
    o.precision = prec;
    o.calib_dir = calib;
    o.calib_method = method;
    o.threads = 2;
    drt_engine *e = NULL;
    if (drt_engine_create(m, &o, &e) != DRT_OK) printf("FAIL: engine: %s\n", drt_last_error());
    return e;
}

static double run_fold_map(const drt_model *m, drt_engine *ref, int method)
{
    drt_eval_map *map = NULL;
    drt_eval_map_create(0.5, &map);
    drt_detect_opts dopts = drt_detect_opts_default();
    for (int fold = 0; fold < 2; fold++) {
        int clo = fold ? SPLIT : 0, chi = fold ? N_IMAGES : SPLIT;
        char dir[64];
        if (make_calib_dir(dir, sizeof dir, clo, chi)) { printf("FAIL: cannot make a calibration directory\n"); return -1; }
        drt_engine *q = engine(m, DRT_DEVICE_CPU, DRT_PREC_INT8, dir, method);
        remove_calib_dir(dir, clo, chi);
        if (!q) return -1;
        for (int i = 0; i < N_IMAGES; i++) {
            if (i >= clo && i < chi) continue; /* scored by the other fold's engine */
            char path[256];
            snprintf(path, sizeof path, "/usr/share/darknet/data/%s.jpg", images[i]);
            drt_image *img;
            drt_detections *dr = NULL, *dq = NULL;
            if (drt_image_load(path, &img) != DRT_OK || drt_detect_image(ref, img, &dopts, &dr, NULL) != DRT_OK ||
                drt_detect_image(q, img, &dopts, &dq, NULL) != DRT_OK) {
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
    printf("int8 (%s calibration) mAP@0.5 vs fp32 reference: %.4f over %d classes\n",
           method == DRT_CALIB_PERCENTILE ? "percentile" : method == DRT_CALIB_ENTROPY ? "entropy" : "max", v, nc);
    return v;
}

int main(void)
{
    const char *root = getenv("DRT_ROOT"), *shared = getenv("DRT_SHARED");
    char sh[1024], cfg[1100], w[1100];
    snprintf(sh, sizeof sh, "%s/../shared", root ? root : ".");
    if (!shared) shared = sh;
    snprintf(cfg, sizeof cfg, "%s/models/yolo-fastest-1.1/yolo-fastest-1.1.cfg", shared);
    snprintf(w, sizeof w, "%s/models/yolo-fastest-1.1/yolo-fastest-1.1.weights", shared);
    if (access(cfg, R_OK) || access(w, R_OK) || access("/usr/share/darknet/data/dog.jpg", R_OK)) {
        printf("skipped: yolo-fastest-1.1 or the darknet images are missing\n");
        return 77;
    }
    setenv("DRT_CPU_TUNE", "0", 0);
    drt_load_opts lo = drt_load_opts_default();
    lo.warn = 0;
    drt_model *m;
    if (drt_model_load_darknet(cfg, w, &lo, &m) != DRT_OK) { printf("FAIL: %s\n", drt_last_error()); return 1; }
    drt_engine *ref = engine(m, DRT_DEVICE_REF, DRT_PREC_FP32, NULL, 0);
    int fails = !ref;
    /* the default (max) must reach 0.95; the others are reported and guarded against regressions */
    static const double need[3] = {0.95, 0.80, 0.90};
    for (int method = 0; ref && method < 3; method++) {
        double v = run_fold_map(m, ref, method);
        if (v < need[method]) { printf("FAIL: mAP %.4f < %.2f\n", v, need[method]); fails++; }
    }
    drt_engine_free(ref);
    drt_model_free(m);
    printf("%s\n", fails ? "FAILED" : "all checks passed");
    return fails ? 1 : 0;
}
