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

/* What a backend measured from a calibration while building one engine and can reuse for the next built from it
 * (the CPU's bias correction: its fp32 pass, src/backend/cpu/cpu-bias.c): p, the backend's, NULL until then; freed
 * by drop(p) with the calibration. Engines built from one calibration are built one at a time. */
typedef struct drt_calib_cache {
    void *p;
    void (*drop)(void *p);
} drt_calib_cache;

/* One calibration: the images and the thresholds the calibrating backend's fp32 engine measured on them
 * (drt_calib_measure). An int8 build measures its own; a --min-map search measures one and builds every
 * candidate from it (drt_engine_create_calibrated): the same numbers, measured once. */
typedef struct drt_calib {
    float *inputs; /* n preprocessed images (drt_calib_inputs), for the CPU's bias correction */
    int n;
    float *thr;    /* each tensor's clipping threshold (tensor 0: the network input, layer + 1: a layer's
                    * output; 0: the calibrating engine never stores it), n_layers + 1 floats */
    float *cthr;   /* each channel's: its max |x|, at most its tensor's threshold (0: never stored);
                    * tensor t's from drt_calib_channel_offset(m, t) on */
    float *range;  /* range[2 t], [2 t + 1]: tensor t's smallest and largest value (+-inf: never stored), measured
                    * in the thresholds' pass (drt_calibrate_ranges) */
    drt_calib_cache *bias; /* the CPU's bias correction's (allocated with the calibration) */
} drt_calib;

/* Measures a calibration of m by opts (calib_dir or the documented fallback, calib_method, calib_half,
 * calib_max_images; the calibrating fp32 engine takes the rest of opts: calib.c's tensor_thresholds). The
 * caller frees it with drt_calib_free. */
drt_status drt_calib_measure(const drt_model *m, const drt_engine_opts *opts, FILE *log, drt_calib **out);
void drt_calib_free(drt_calib *c);

/* The int8 steps (threshold / 127) of each tensor (1 where never stored) and, with channel_steps_out,
 * of each channel (a channel never observed: its tensor's step) of a calibration. Engines use the
 * channels' where a tensor is read channel by channel (depthwise convs: src/backend/cpu/cpu-conv.c).
 * malloc'd. */
drt_status drt_calib_steps(const drt_model *m, const drt_calib *c, float **steps_out, float **channel_steps_out);

/* ranges_out[2 t], [2 t + 1]: c's range of tensor t widened to hold 0 and clipped to its threshold (steps[t] x 127,
 * drt_calib_steps'); [0, 0] where never stored. For u8 activations with a zero point
 * (drt_engine_opts.int8_activations asym; src/engine/calib-range.c). malloc'd. */
drt_status drt_calibrate_ranges(const drt_model *m, const drt_calib *c, const float *steps, float **ranges_out);

/* drt_calib_steps's tensor steps, measured afresh by opts over the images in calib_dir (tests). */
drt_status drt_calibrate_tensor_steps(const drt_model *m, const drt_engine_opts *opts, const char *calib_dir,
                                      FILE *log, float **steps_out);

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

/* thr_out[layer + 1]: the clipping threshold of each layer's output (thr_out[0]: the network input) of a
 * calibration; layers the calibrating engine never stores get their inputs' (see calib.c). malloc'd,
 * n_layers + 1 floats. */
drt_status drt_calib_layer_thresholds(const drt_model *m, const drt_calib *c, float **thr_out);
/* The gaps of both: iv[2 t], [2 t + 1] each tensor's interval ([+inf, -inf]: never stored); an absorbed conv's output
 * takes its shortcut's, a never-stored route's (dropout's, batchnorm's) its earlier inputs' union. */
void drt_calib_fill_gaps(const drt_model *m, float *iv);
/* Each layer output's [lo, hi] (ranges_out[2 t], [2 t + 1], t = layer + 1; 0: the input), for zero points on an
 * engine that reads thr from drt_calib_layer_thresholds: held 0, clipped to thr[t], gaps filled as thr's. malloc'd. */
drt_status drt_calib_layer_ranges(const drt_model *m, const drt_calib *c, const float *thr, float **ranges_out);

#endif
