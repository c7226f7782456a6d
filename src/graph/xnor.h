/* xnor=1 convs as AlexeyAB's detector runs them on the CPU: fuse_conv_batchnorm, calculate_binary_weights
 * (binarize_weights of the fused weights), then forward_convolutional_layer's bit-packed path:
 *   out = act((2 popcount(xnor(w' > 0, x > 0)) - K) x mean|w'_f| + b'_f),  K = c x size x size,
 * w', b' the batchnorm-fused weights and bias, padding read as 0 bits (as x <= 0).
 * With s(v) = v > 0 ? 1 : -1 the popcount term is sum_k s(w'_k) s(x_k). With the step h(x) = x > 0 ? 1 : 0
 * (s(x) = 2 h(x) - 1; zero padding of h reads as -1) it is a plain conv of h(x):
 *   sum_k s(w'_k) s(x_k) = conv(h(x), 2 s(w')) - sum_k s(w'_k),
 * integer weights and bias (float32 sums of integers below 2^24 are exact), then x mean|w'_f| + b'_f per filter:
 * the form the CPU engine and the ONNX export run (the reference pass counts the signs directly). */
#ifndef DRT_GRAPH_XNOR_H
#define DRT_GRAPH_XNOR_H

#include "graph/model.h"

/* Filter f of xnor conv l: the signs s(w') of its batchnorm-fused weights (bn: the model's formula) into
 * sign[c x size x size], its fused bias into *bias; returns mean|w'|. */
float drt_xnor_filter(drt_bn_formula bn, const drt_layer *l, int f, float *sign, float *bias);

/* The plain-conv form of layer l: w[filters][c x size x size] = 2 s(w'), cbias[f] = -sum_k s(w'_k) (the conv's
 * bias), then y = conv x mul[f] + add[f] (mean|w'|, b'). */
void drt_xnor_lower(drt_bn_formula bn, const drt_layer *l, float *w, float *cbias, float *mul, float *add);

/* The step before the lowered conv: x > 0 ? 1 : 0 (NaN: 0, as AlexeyAB's float_to_bit). */
static inline float drt_xnor_step(float x) { return x > 0 ? 1.f : 0.f; }

#endif
