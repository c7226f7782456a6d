/* int8 accuracy of the CPU engine: yolo-fastest-1.1's int8 detections on the Debian darknet
 * images reach mAP@0.5 >= 0.95 against the fp32 reference engine's detections. Calibration is
 * two-fold so no image is scored by an engine calibrated on it: images 0-3 calibrate the
 * engine that scores images 4-6, and images 4-6 the one that scores 0-3.
 * - The calibration methods alone (no bias correction, s8 activations: sym), both sides' detections at 0.25: max must
 *   reach 0.95; entropy and percentile are reported with looser regression bounds. (With u8 activations, asym, max
 *   scored 0.838 here, entropy 0.909, percentile 0.963: 7 photos at 0.25, boxes near the threshold decide; held out,
 *   on both folds of bench/int8-asym-folds.sh, asym's heads are closer to fp32's on every set.)
 * - The default build (max, bias-corrected: src/backend/cpu/cpu-bias.c; asym activations since session 18) and the
 *   same with sym, scored as issue 16 asks (its
 *   detections ranked down to 0.005 against fp32's at 0.25) must reach 0.95. At 0.25 on both sides it
 *   scores 0.87 here (boxes near 0.25 cross it on 7 images); on the 70 held-out views of
 *   bench/int8-heldout.sh it scores higher than without the correction, ranked and at 0.25
 *   (bench/results/int8-accuracy.md). */
#include "test-models.h"
#include "unit/int8-map.h"

int main(void)
{
    char cfg[1200], w[1200];
    if (!yolo_fastest_paths(cfg, w, sizeof cfg) || access("/usr/share/darknet/data/dog.jpg", R_OK)) {
        printf("skipped: yolo-fastest-1.1 or the darknet images are missing\n");
        return 77;
    }
    int8_map_base.no_tune = 1;
    int8_map_base.no_bias_correct = 1;
    int8_map_base.int8_activations = DRT_INT8_ACT_SYM;
    drt_load_opts lo = drt_load_opts_default();
    lo.warn = 0;
    drt_model *m;
    if (drt_model_load_darknet(cfg, w, &lo, &m) != DRT_OK) { printf("FAIL: %s\n", drt_last_error()); return 1; }
    drt_engine *ref = int8_map_engine(m, DRT_DEVICE_REF, DRT_PREC_FP32, NULL, 0);
    int fails = !ref;
    /* the default (max) must reach 0.95; the others are reported and guarded against regressions */
    static const double need[3] = {0.95, 0.80, 0.90};
    for (int method = 0; ref && method < 3; method++) {
        double v = run_fold_map(m, ref, DRT_DEVICE_CPU, method);
        if (v < need[method]) { printf("FAIL: mAP %.4f < %.2f\n", v, need[method]); fails++; }
    }
    int8_map_base.no_bias_correct = 0;
    int8_map_base.ranked = 1;
    static const int acts[2] = {DRT_INT8_ACT_AUTO, DRT_INT8_ACT_SYM}; /* the default (asym), and sym */
    for (int k = 0; ref && k < 2; k++) {
        int8_map_base.int8_activations = acts[k];
        double v = run_fold_map(m, ref, DRT_DEVICE_CPU, DRT_CALIB_MAX);
        if (v < 0.95) { printf("FAIL: the default build%s, ranked: mAP %.4f < 0.95\n", k ? " with sym" : "", v); fails++; }
    }
    drt_engine_free(ref);
    drt_model_free(m);
    printf("%s\n", fails ? "FAILED" : "all checks passed");
    return fails ? 1 : 0;
}
