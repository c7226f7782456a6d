/* darkrt's internal model: a Darknet-shaped list of layers in topological order, one weight
 * blob, and the YOLO head metadata. Every front end (cfg, ONNX, plan) produces this; every
 * engine consumes it. */
#ifndef DRT_GRAPH_MODEL_H
#define DRT_GRAPH_MODEL_H

#include <stddef.h>
#include "darkrt.h"
#include "graph/act.h"

/* Append-only (plans store these values). */
typedef enum drt_layer_type {
    DRT_LAYER_CONV = 0,     /* conv (+ batchnorm) (+ activation) */
    DRT_LAYER_MAXPOOL = 1,  /* Darknet maxpool: padding = size-1 by default, offset -padding/2 */
    DRT_LAYER_ROUTE = 2,    /* channel concat of inputs, each sliced to group group_id of groups */
    DRT_LAYER_SHORTCUT = 3, /* out = act(inputs[0] + inputs[1]) with Darknet's channel/stride rules; AlexeyAB's
                               weighted or multi-input form (weights_type, several from=): out = act(sum of w_k x
                               inputs[k]) over each input's first channels, the same h x w */
    DRT_LAYER_UPSAMPLE = 4, /* nearest, by stride */
    DRT_LAYER_YOLO = 5,     /* a detection head: its input is the head tensor */
    DRT_LAYER_DROPOUT = 6,  /* identity at inference (also AlexeyAB's [empty] and [silence], and the training-only
                               [contrastive]: training_only set) */
    DRT_LAYER_REORG = 7,    /* YOLOv2's [reorg] (AlexeyAB's reorg_old, pjreddie's reorg): space to depth
                               by stride, with Darknet's own index order */
    DRT_LAYER_AVGPOOL = 8,  /* [avgpool]: the mean of each channel, c x 1 x 1 */
    DRT_LAYER_SCALE_CHANNELS = 9, /* out = act(inputs[0] * inputs[1]): inputs[0] is c x 1 x 1, one factor
                                     per channel of from = inputs[1] (scale_wh=1 is refused) */
    DRT_LAYER_SAM = 10,     /* [sam]: out = act(inputs[0] * inputs[1]) elementwise, the same shapes */
    DRT_LAYER_REORG3D = 11, /* AlexeyAB's [reorg3d]: space to depth by stride, out channel (dy*s + dx)*c + c_in
                               (ONNX SpaceToDepth) */
    DRT_LAYER_ACTIVATION = 12, /* AlexeyAB's [activation]: out = act(input) */
    DRT_LAYER_LOCAL_AVGPOOL = 13, /* [local_avgpool]: maxpool's window (size, stride, padding, offset -padding/2), the
                                     mean of the window's values inside the input (AlexeyAB's forward_local_avgpool_layer) */
    DRT_LAYER_BATCHNORM = 14, /* standalone [batchnorm]: per channel (x - mean) / sqrt(var + eps) * scale + bias by the
                                 model's formula; parameters biases, scales, rolling_mean, rolling_var (filters = c) */
    DRT_LAYER_IMPLICIT = 15, /* AlexeyAB's [implicit] (YOLOR): a learned filters x 1 x 1 tensor, its weights; it reads
                                nothing (inputs[0] is -1, the network input, always there) */
    DRT_LAYER_LOCAL = 16,   /* YOLOv1's [local]: a conv whose weights differ at every output pixel (AlexeyAB's
                               forward_local_layer: filters, size, stride; pad pixels on each side as its im2col_cpu
                               reads pad=, not size/2); parameters biases[filters][oh][ow], then
                               weights[oh * ow][filters][c][size][size] */
    DRT_LAYER_STATE = 17,   /* a [crnn]'s hidden state (AlexeyAB's forward_crnn_layer keeps it in l.state): its output is
                               what layer state_from stored after the previous image of the run state's sequence (zeros
                               at the start and after a reset); inputs[0] is the [crnn]'s input conv, whose output shape
                               it has (it reads nothing) */
    DRT_LAYER_COUNT
} drt_layer_type;


/* Layers of one model, the same for every front end (cfg sections, ONNX nodes, plan records): YOLO
 * networks have < 2000; far more is a hostile file, and the importers' per-layer checks grow with it. */
#define DRT_MAX_LAYERS 20000
#define DRT_MAX_INPUTS 8   /* route layers= entries */
#define DRT_MAX_ANCHORS 32 /* yolo num= */

/* Convs whose weights are fixed by Darknet itself, not read from the weights file. Append-only (plans). */
typedef enum drt_conv_fixed {
    DRT_FIXED_NONE = 0,
    DRT_FIXED_BLUR3 = 1, /* antialiasing=1: AlexeyAB's blur after a conv run at stride 1, depthwise 3x3
                            [1 2 1; 2 4 2; 1 2 1] / 16, pad 1, with the conv's strides */
    DRT_FIXED_BLUR2 = 2, /* antialiasing=2: depthwise 2x2 of 1/4, pad 0 */
    DRT_FIXED_SUM = 3,   /* [upsample] stride=-s (AlexeyAB's downsampling): depthwise s x s, stride s, every tap
                            fixed_scale (the sum of each s x s cell times scale) */
    DRT_FIXED_CROP = 4,  /* [crop] at inference (AlexeyAB's forward_crop_layer, not training): the centre
                            crop_height x crop_width of the input, times fixed_scale (2, or 1 with noadjust=1) plus
                            1 - fixed_scale; a depthwise size x size conv, size = the margin + 1, its one tap at
                            ((size - 1) / 2, (size - 1) / 2); only as the first layer, with equal margins */
    DRT_FIXED_COUNT
} drt_conv_fixed;

typedef struct drt_shape {
    int c, h, w;
} drt_shape;

static inline size_t drt_shape_size(drt_shape s) { return (size_t)s.c * (size_t)s.h * (size_t)s.w; }

typedef struct drt_layer {
    drt_layer_type type;
    int line; /* cfg line of the section header (0 when not from a cfg), for messages */
    drt_shape out;
    /* Inputs as layer indices, -1 for the network input. conv, maxpool, upsample, yolo,
     * dropout, avgpool: one input. route: the listed layers, in order. shortcut, scale_channels, sam:
     * {previous, from}. */
    int n_inputs;
    int inputs[DRT_MAX_INPUTS];
    drt_act act; /* conv, shortcut, scale_channels, sam */

    /* conv */
    int filters, size, stride, pad, groups; /* pad: pixels on each side (cfg pad=1 means size/2) */
    int stride_y; /* conv, maxpool: the vertical stride (AlexeyAB's stride_y); stride is the horizontal one
                     (stride_x). A front end may leave it 0: drt_model_infer_shapes sets it to stride */
    drt_conv_fixed fixed; /* conv: built-in weights, none in the weights file (drt_model_alloc_params fills them) */
    float fixed_scale;    /* conv fixed = DRT_FIXED_SUM: the weight of every tap ([upsample] scale=) */
    int dilation; /* conv: 0 or 1 none; d > 1: taps d apart and pad x d pixels on each side (AlexeyAB's
                     im2col_cpu_ext), the output size without d, so only with 2 x pad = size - 1 */
    int batch_normalize;
    /* maxpool, local_avgpool: size, stride as above; padding is Darknet's total (default size-1) */
    int padding;
    int depth_channels; /* maxpool_depth=1 (AlexeyAB): out channel g = the max over input channels g, g + n, g + 2n,
                           ... at each pixel, n = out_channels = this (size, stride, padding unused); 0: none */
    /* route */
    int route_groups, route_group_id;
    /* yolo */
    int classes, num, n_mask;
    int mask[DRT_MAX_ANCHORS];
    float anchors[2 * DRT_MAX_ANCHORS];
    float scale_x_y;
    int new_coords;
    drt_nms_kind nms_kind; /* AlexeyAB's [yolo] nms_kind; the last head's is the model's */
    float beta_nms;        /* diounms's exponent (AlexeyAB's default 0.6) */
    int region; /* a YOLOv2 [region] head (YOLO layer type): softmax classes, anchors in grid cells */
    int gaussian; /* a [Gaussian_yolo] head (YOLO layer type): 9 + classes planes per anchor (x, sigma x, y,
                     sigma y, w, sigma w, h, sigma h, objectness, classes); scores x (1 - mean sigma) */
    /* conv: 1 + the earlier conv whose parameters it uses (AlexeyAB's share_index: none in the weights
     * file; its views point into that conv's), 0 for its own */
    int share;
    /* conv: flipped=1 (AlexeyAB): the file stores the kernel transposed, [c/groups*size*size][filters] */
    int flipped;
    /* dropout: the section was AlexeyAB's [contrastive], a training-time embedding loss whose CPU forward does
     * nothing at inference (nothing may read it) */
    int training_only;
    /* shortcut: AlexeyAB's weights_type (0 none, 1 per_feature: one weight per input, 2 per_channel: one per input
     * and channel) and weights_normalization (0 none, 1 relu, 2 softmax); weights: [input][1 or c] */
    int weights_type, weights_norm;
    /* conv: YOLOv1's [connected] (AlexeyAB's make_connected_layer): drt_model_infer_shapes sets size to the input's
     * h = w (pad 0, stride 1: one output pixel), weights [filters][c][h][w] as its [outputs][inputs]; the file
     * holds biases, weights, then scales, rolling_mean, rolling_var (load_connected_weights) */
    int connected;
    /* yolo: YOLOv1's [detection] head, its side (0: not one): the input holds side x side x classes class
     * probabilities, then side x side x num objectness, then side x side x num x 4 box values
     * (get_detection_detections); det_sqrt: w, h are squared; det_softmax: softmax over each cell's classes */
    int detection, det_sqrt, det_softmax;
    /* conv: xnor=1 as AlexeyAB's detector runs it (fuse_conv_batchnorm, then calculate_binary_weights; src/graph/xnor.h):
     * out = act((2 popcount(xnor(w' > 0, x > 0)) - K) x mean|w'_f| + b'_f), w', b' the batchnorm-fused weights and bias,
     * K = c x size x size, padding read as x <= 0. bin_output=1 is applied by the cfg parser (act linear) */
    int xnor;
    /* state: the later layer whose output becomes this state after each image (a [crnn]'s sum) */
    int state_from;

    /* conv weights: views into model->params, in Darknet's file order (biases, then scales,
     * rolling_mean, rolling_var when batch_normalize, then weights[filters][c/groups][size][size]).
     * [connected] convs: biases, weights, then the batchnorm three. [local]: biases, weights.
     * [batchnorm]: biases, scales, rolling_mean, rolling_var of its filters = c channels. Weighted [shortcut],
     * [implicit]: weights only. */
    float *biases, *scales, *rolling_mean, *rolling_var, *weights;
    size_t n_weights;
} drt_layer;

/* A shortcut in AlexeyAB's weighted or multi-input form (sum of w_k x inputs[k]), not Darknet's add of two. */
static inline int drt_shortcut_multi(const drt_layer *l) { return l->n_inputs > 2 || l->weights_type; }

struct drt_model {
    char *source;        /* the file it came from, for messages */
    int width, height, channels;
    int batch;           /* the file's batch (informational) */
    drt_bn_formula bn;
    int n_layers;
    drt_layer *layers;
    float *params;       /* one blob: every conv's and [batchnorm]'s parameters in Darknet's file order */
    size_t n_params;
    float *fixed_params; /* the fixed convs' built-in weights and zero biases (drt_conv_fixed), not in params */
    int has_weights;     /* 0 when built from a cfg without weights (all zero) */
    int n_names;
    char **names;        /* class names, may be NULL */
    drt_resize resize;   /* preprocessing contract (letterbox by default) */
};

/* Allocates an empty model with n_layers zeroed layers. */
drt_status drt_model_alloc(int n_layers, drt_model **model_out);

/* Computes every layer's output shape from its inputs and checks Darknet's rules (sizes,
 * route and shortcut compatibility, yolo filters = n_mask * (classes + 5)). Messages name
 * model->source and the layer's line. */
drt_status drt_model_infer_shapes(drt_model *model);
/* The same for layers first..n-1 only (the earlier ones already inferred): importers adding one layer at a time. */
drt_status drt_model_infer_shapes_from(drt_model *model, int first);

/* Number of floats layer l has in the weight blob (convs, [batchnorm], weighted [shortcut], [implicit]). */
size_t drt_layer_param_count(const drt_model *model, const drt_layer *l);

/* Allocates model->params for every conv (zeroed) and points the layer views into it; fixed convs'
 * views point into model->fixed_params, filled with their built-in weights. */
drt_status drt_model_alloc_params(drt_model *model);

/* Refuses parameters no engine can use: a NaN or infinite float, a negative batchnorm variance.
 * Every reader of weights (Darknet, ONNX, plans) calls it, so the engines never see them. */
drt_status drt_model_check_params(const drt_model *model, const char *path);

/* Class names (names file, ONNX class_names, plan): one per class of every [yolo] layer. where names
 * the source in the message. Defined in src/darknet/names.c. */
drt_status drt_model_check_names(const drt_model *model, const char *where, int n_names);

/* Input shape of layer i's first input. */
drt_shape drt_model_input_shape(const drt_model *model, int i);

/* The indices of the [yolo] layers, in order; returns their count. */
int drt_model_heads(const drt_model *model, int *idx, int max);

const char *drt_layer_type_name(drt_layer_type t);
const char *drt_act_name(drt_act a);
int drt_act_parse(const char *name); /* -1 if unknown */

/* Batchnorm at inference, per the model's formula: y = x * mul + add. */
void drt_bn_coeffs(drt_bn_formula bn, float scale, float mean, float var, float bias,
                   float *mul, float *add);

/* Applies an activation to one value (reference semantics, Darknet's formulas). */
float drt_act_apply(drt_act a, float x);

/* A weighted [shortcut]'s weight for input k and channel c as AlexeyAB's detector uses it (fuse_conv_batchnorm
 * normalizes the weights once at load: relu: max(w, 0.001) / (1e-4 + the sum over inputs), softmax: exp(w - max)
 * / (1e-4 + the sum); none: w); 1 for an unweighted one. */
float drt_shortcut_weight(const drt_layer *l, int k, int c);

/* Layer i is one of a cfg [crnn]'s five (a state layer from the same section line within 4 of it): messages and inspect
 * name the section. */
int drt_layer_in_crnn(const drt_model *model, int i);

/* The first [crnn] state layer's index, or -1: messages name its section (layers[k].line); drt_model_stateful is k >= 0. */
int drt_model_first_state(const drt_model *model);

/* Deep copy (plans keep their own model). */
drt_status drt_model_clone(const drt_model *src, drt_model **model_out);

#endif
