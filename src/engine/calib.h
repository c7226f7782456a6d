/* int8 calibration, once for every backend: clipping thresholds measured on the calibrating
 * backend's fp32 engine (the registry's DRT_BACKEND_CALIBRATES row, through run_observed) over
 * calibration images (src/engine/calib.c). */
#ifndef DRT_ENGINE_CALIB_H
#define DRT_ENGINE_CALIB_H

#include <stdint.h>
#include <stdio.h>
#include "engine/engine.h"

/* The |x| histograms thresholds are chosen from: DRT_CALIB_BINS bins of equal width over [0, amax]. */
#define DRT_CALIB_BINS 2048

/* The clipping threshold `method` (enum drt_calib_method) picks from one tensor's histogram (tests). */
float drt_calib_threshold(const uint32_t *hist, float amax, int method);

/* steps_out[tensor]: the int8 step (threshold / 127) of each tensor (tensor 0: the network input,
 * layer + 1: a layer's output; 1 where the calibrating engine never stores the tensor), by
 * opts->calib_method over the images in calib_dir (or the documented fallback). malloc'd,
 * n_layers + 1 floats. */
drt_status drt_calibrate_tensor_steps(const drt_model *m, const drt_engine_opts *opts, const char *calib_dir,
                                      FILE *log, float **steps_out);

/* drt_calibrate_tensor_steps's steps over the n preprocessed images at inputs (drt_calib_inputs: loaded
 * once for the calibration and the CPU's bias correction), and each channel's (its max |x|, capped at its
 * tensor's threshold, / 127; a channel never observed: its tensor's step) in channel_steps_out: one array,
 * tensor t's channels from drt_calib_channel_offset(m, t) on (the model's channel counts: the
 * input's, then each layer's output). Engines use them where a tensor is read channel by channel
 * (depthwise convs: src/backend/cpu/cpu-conv.c). malloc'd. */
drt_status drt_calibrate_steps(const drt_model *m, const drt_engine_opts *opts, const float *inputs, int n, FILE *log,
                               float **steps_out, float **channel_steps_out);
/* Where tensor t's channels start in a channel-step array; drt_calib_channel_offset(m, n_layers + 1)
 * is its length. */
size_t drt_calib_channel_offset(const drt_model *m, int t);
/* Tensor t's channels: the input's for 0, layer t - 1's output's after. */
static inline int drt_calib_tensor_channels(const drt_model *m, int t)
{
    return t == 0 ? m->channels : m->layers[t - 1].out.c;
}

/* The calibration images, preprocessed for m (n_out x channels x height x width floats, malloc'd):
 * up to max_images (0: 16) of calib_dir, else the real photos at hand, else 8 synthetic images;
 * half (drt_engine_opts.calib_half) 1 or 2: of those real images, the 1st, 3rd... or the 2nd, 4th... only;
 * says which on the log once per count (and each path on log when not NULL). m must take 3 channels. */
drt_status drt_calib_inputs(const drt_model *m, const char *calib_dir, int method, int max_images, int half, FILE *log,
                            float **inputs_out, int *n_out);

/* thr_out[layer + 1]: the clipping threshold of each layer's output (thr_out[0]: the network
 * input), by opts->calib_method over the images in calib_dir (or the documented synthetic
 * fallback); layers the calibrating engine never stores get their inputs' (see calib.c).
 * malloc'd, n_layers + 1 floats. */
drt_status drt_calibrate_layer_thresholds(const drt_model *m, const drt_engine_opts *opts, const char *calib_dir,
                                          FILE *log, float **thr_out);

#endif
