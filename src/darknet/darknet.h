/* Internals shared by the Darknet front end's files. */
#ifndef DRT_DARKNET_DARKNET_H
#define DRT_DARKNET_DARKNET_H

#include "graph/model.h"

/* Reads a .weights file into the model (shapes inferred, params not yet allocated): checks the
 * header and that the size matches the cfg exactly before allocating, then one read. */
drt_status drt_darknet_read_weights(drt_model *model, const char *weights_path);

/* FLOPs of one layer as Darknet counts them (2 x multiply-adds of a conv; 0 for others). */
double drt_layer_flops(const drt_model *model, int i);

/* synth --head-scale, --head-shift, --box-scale: scales each detection head conv's weights and biases by scale (its box
 * coordinates' by scale x box_scale), then adds shift to its objectness and class biases (every anchor), of weights
 * already set; DRT_STATUS_UNSUPPORTED when a head's input is not its own conv without batchnorm. */
drt_status drt_model_synth_head(drt_model *model, float scale, float shift, float box_scale);

#endif
