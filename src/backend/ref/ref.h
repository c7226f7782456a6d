/* The reference forward pass (the oracle): per-layer kernels with Darknet's exact inference
 * semantics, and a whole-network pass that can keep every layer's output for debugging. */
#ifndef DRT_BACKEND_REF_REF_H
#define DRT_BACKEND_REF_REF_H

#include <stddef.h>
#include "graph/model.h"
#include "graph/states.h"

/* Runs the model on ONE image (input: channels x height x width floats, NCHW).
 * outs: an array of model->n_layers pointers, all NULL on entry. On return outs[i] is layer
 * i's output (drt_shape_size(layers[i].out) floats, malloc'd) when keep_all is set; otherwise
 * only the outputs that feed a [yolo] layer (the heads) are kept. A [yolo] layer itself
 * computes nothing (its outs[] stays NULL): its input is the head tensor.
 * Free with drt_ref_free_outputs, also after a failure.
 * states: the run state's [crnn] states (graph/states.h, NCHW): a state layer outputs its value, and its source's
 * output is copied into it once computed (the next image's state). states NULL: every state reads zeros and
 * nothing is kept (one image from the start of a sequence). */
drt_status drt_ref_forward(const drt_model *model, const float *input, float **outs, const drt_states *states, int keep_all);
void drt_ref_free_outputs(const drt_model *model, float **outs);

/* Bytes of layer outputs alive at once in drt_ref_forward (peak), and with every layer kept. */
void drt_ref_activation_bytes(const drt_model *model, size_t *peak_out, size_t *naive_out);

/* Refuses what the reference pass does not compute (e.g. a route reading a [yolo] layer). */
drt_status drt_ref_check_model(const drt_model *model);

/* Layer kernels. `in` is the layer's input shape; outputs have l->out's shape. */

/* Floats of scratch space drt_ref_conv needs for this layer. */
size_t drt_ref_conv_work_floats(const drt_layer *l, drt_shape in);
/* Convolution (groups), then batchnorm per `bn` or the bias, then the activation. */
void drt_ref_conv(const drt_layer *l, drt_bn_formula bn, drt_shape in, const float *x, float *y,
                  float *work);
/* xnor=1 conv as AlexeyAB's detector runs it (src/graph/xnor.h), then the activation; its scratch floats. */
size_t drt_ref_xnor_work_floats(const drt_layer *l, drt_shape in);
void drt_ref_xnor(const drt_layer *l, drt_bn_formula bn, drt_shape in, const float *x, float *y, float *work);
/* Darknet's maxpool: window offset -padding/2, positions outside the input count as -FLT_MAX. */
void drt_ref_maxpool(const drt_layer *l, drt_shape in, const float *x, float *y);
/* Nearest-neighbour upsample by l->stride. */
/* Darknet's reorg_cpu(x, w, h, c, batch, stride, forward=0, out) on one image. */
void drt_ref_reorg(const drt_layer *l, drt_shape in, const float *x, float *y);
void drt_ref_upsample(const drt_layer *l, drt_shape in, const float *x, float *y);
/* Channel concat of the inputs, each sliced to group route_group_id of route_groups. */
void drt_ref_route(const drt_layer *l, const drt_shape *in_shapes, const float *const *xs, float *y);
/* Darknet's shortcut_cpu: y = act(prev + from) over the smaller channel count, with the
 * integer stride/sample ratio between the two spatial sizes. */
void drt_ref_shortcut(const drt_layer *l, drt_shape prev_shape, const float *prev,
                      drt_shape from_shape, const float *from, float *y);
/* AlexeyAB's weighted or multi-input shortcut: act(sum of drt_shortcut_weight x input) over each input's channels. */
void drt_ref_shortcut_multi(const drt_layer *l, const drt_shape *shapes, const float *const *xs, float *y);
/* AlexeyAB's [reorg3d]: space to depth, out channel (dy*s + dx)*c + c_in. */
void drt_ref_reorg3d(const drt_layer *l, drt_shape in, const float *x, float *y);
/* [avgpool]: each channel's mean (AlexeyAB's forward_avgpool_layer). */
void drt_ref_avgpool(drt_shape in, const float *x, float *y);
/* [local_avgpool]: maxpool's window, the mean of its values inside the input. */
void drt_ref_local_avgpool(const drt_layer *l, drt_shape in, const float *x, float *y);
/* [batchnorm]: (x - mean) / denom * scale + bias per channel, denom by the model's formula (as the conv's). */
void drt_ref_batchnorm(const drt_layer *l, drt_bn_formula bn, const float *x, float *y);
/* YOLOv1's [local]: a conv with its own weights at each output pixel (ref-local.c). */
void drt_ref_local(const drt_layer *l, drt_shape in, const float *x, float *y);
/* [scale_channels] (prev: one factor per channel) and [sam] (prev: elementwise): act(prev * from). */
void drt_ref_product(const drt_layer *l, const float *prev, const float *from, float *y);

#endif
