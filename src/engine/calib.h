/* int8 calibration shared by the engines: clipping thresholds from the fp32 CPU engine run over
 * calibration images (src/backend/cpu/cpu-calib.c). */
#ifndef DRT_ENGINE_CALIB_H
#define DRT_ENGINE_CALIB_H

#include <stdio.h>
#include "engine/engine.h"

/* thr_out[layer + 1]: the clipping threshold of each layer's output (thr_out[0]: the network
 * input), by opts->calib_method over the images in calib_dir (or the documented synthetic
 * fallback). malloc'd, n_layers + 1 floats. */
drt_status drt_calibrate_layer_thresholds(const drt_model *m, const drt_engine_opts *opts, const char *calib_dir,
                                          FILE *log, float **thr_out);

#endif
