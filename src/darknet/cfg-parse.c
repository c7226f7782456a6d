/* Darknet .cfg sections → darkrt layers, with Darknet's defaults and strict value checks. */
#define _POSIX_C_SOURCE 200809L
#include "darknet/cfg.h"
#include "graph/model.h"
#include "core/error.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct ctx {
    const drt_cfg *cfg;
    drt_cfg_section *sec;
    int index;   /* layer index of this section's first layer (-1 for [net]) */
    int section; /* this section's index among the layer sections (Darknet's layer numbers) */
    const drt_model *m;
    const int *first; /* first[k]: the layer index of section k's first layer, k <= section */
    int warn;    /* print warnings */
    int *bin_output;     /* per layer: an xnor conv with bin_output=1 (its activation becomes linear unless a later
                            layer reads it as AlexeyAB's parser lists: clear_bin_output) */
    drt_conv_fixed blur; /* set by a conv or maxpool with antialiasing: a blur layer follows it */
    int blur_sx, blur_sy; /* the blur's strides (the section's own) */
} ctx;

/* Keys Darknet reads for training only: accepted without a warning. */
static const char *const net_training[] = {
    "batch", "subdivisions", "momentum", "decay", "angle", "saturation", "exposure", "hue",
    "learning_rate", "burn_in", "max_batches", "policy", "steps", "scales", "step", "gamma",
    "power", "inputs", "max_crop", "min_crop", "aspect", "flip", "mosaic", "mixup", "cutmix",
    "blur", "time_steps", "notruth", "random", "adam", "B1", "B2", "eps",
    "jitter", "resize", "label_smooth_eps", "track", "augment_speed", "sequential_subdivisions",
    "try_fix_nan", "loss_scale", "dynamic_minibatch", "optimized_memory", "workspace_size_limit_MB",
    "ema_alpha", "gaussian_noise", "contrastive", "contrastive_jit_flip", "contrastive_color", "unsupervised", "mosaic_bound", "max_chart_loss",
    "rotate", "center", "num_sigmas_reject_badlabels", "adversarial_lr", "attention", "batches_per_cycle",
    NULL};
static const char *const conv_training[] = {"dot", "stopbackward", "train", "learning_rate", "numload", NULL};
static const char *const yolo_training[] = {
    "jitter", "ignore_thresh", "truth_thresh", "random", "iou_normalizer", "cls_normalizer",
    "obj_normalizer", "iou_loss", "iou_thresh_kind", "iou_thresh",
    "max_delta", "max", "counters_per_class", "label_smooth_eps", "objectness_smooth", "resize",
    "focal_loss", "track_history_size", "sim_thresh", "dets_for_track", "dets_for_show",
    "track_ciou_norm", "embedding_layer", "map", "uc_normalizer", "delta_normalizer",
    "bbox_loss", "stopbackward", "show_details", NULL};
static const char *const dropout_training[] = {"dropblock", "dropblock_size_rel", "dropblock_size_abs", NULL};
static const char *const region_training[] = {
    "jitter", "rescore", "object_scale", "noobject_scale", "class_scale", "coord_scale", "thresh", "random",
    "bias_match", "absolute", "log", "sqrt", "max", "focal_loss", "resize", "classfix", "mask_scale", NULL};
static const char *const contrastive_training[] = {"classes", "temperature", "cls_normalizer", "max_delta",
                                                   "contrastive_neg_max", NULL};
static const char *const implicit_training[] = {"mean", "std", NULL};
static const char *const detection_training[] = {
    "rescore", "jitter", "object_scale", "noobject_scale", "class_scale", "coord_scale", "forced", "random", "resize",
    "max", "reorg", NULL};
static const char *const crop_training[] = {"flip", "angle", "saturation", "exposure", "shift", NULL};
/* Keys AlexeyAB's parse_network_cfg reads for every layer, for training only. */
static const char *const layer_training[] = {"onlyforward", "dont_update", "burnin_update", "stopbackward", "train_only_bn",
                                             "learning_rate", NULL};
static const char *const none[] = {NULL};

static drt_cfg_entry *find(ctx *c, const char *key)
{
    for (int i = 0; i < c->sec->n_entries; i++)
        if (strcmp(c->sec->entries[i].key, key) == 0) {
            c->sec->entries[i].used = 1;
            return &c->sec->entries[i];
        }
    return NULL;
}

static drt_status bad(ctx *c, const drt_cfg_entry *e, const char *rule)
{
    return drt_error(DRT_STATUS_PARSE, "%s:%d [%s] %s=%s: %s", c->cfg->path, e->line, c->sec->name,
                     e->key, e->value, rule);
}

static int parse_long(const char *s, long *v)
{
    char *end;
    errno = 0;
    *v = strtol(s, &end, 10);
    return *s && !*end && !errno && *v >= INT_MIN && *v <= INT_MAX;
}

static int parse_float(const char *s, float *v)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (!*s || *end || errno || !isfinite(d) || fabs(d) > 3.0e38) return 0;
    *v = (float)d;
    return 1;
}

/* An integer key in [lo, hi], or def when absent. */
static drt_status get_int(ctx *c, const char *key, int def, long lo, long hi, int *out)
{
    drt_cfg_entry *e = find(c, key);
    *out = def;
    if (!e) return DRT_OK;
    long v;
    if (!parse_long(e->value, &v)) return bad(c, e, "must be an integer");
    if (v < lo || v > hi) {
        char rule[96];
        if (hi == INT_MAX) snprintf(rule, sizeof rule, "must be >= %ld", lo);
        else snprintf(rule, sizeof rule, "must be %ld..%ld", lo, hi);
        if (lo == 1 && hi == INT_MAX) snprintf(rule, sizeof rule, "must be > 0");
        return bad(c, e, rule);
    }
    *out = (int)v;
    return DRT_OK;
}

static drt_status get_float(ctx *c, const char *key, float def, float lo, float hi, float *out)
{
    drt_cfg_entry *e = find(c, key);
    *out = def;
    if (!e) return DRT_OK;
    float v;
    if (!parse_float(e->value, &v)) return bad(c, e, "must be a number");
    if (v < lo || v > hi) {
        char rule[96];
        snprintf(rule, sizeof rule, "must be in [%g, %g]", lo, hi);
        return bad(c, e, rule);
    }
    *out = v;
    return DRT_OK;
}

/* A comma-separated list of integers (or floats when f is not NULL). */
static drt_status get_list(ctx *c, const drt_cfg_entry *e, int *iv, float *fv, int max, int *n_out)
{
    char item[64];
    int n = 0;
    const char *p = e->value;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        while (len && (*p == ' ' || *p == '\t')) { p++; len--; }
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t')) len--;
        if (len == 0 && !comma && n > 0) break; /* a trailing comma, as Darknet allows */
        if (n >= max) {
            char rule[64];
            snprintf(rule, sizeof rule, "more than %d entries", max);
            return bad(c, e, rule);
        }
        if (len == 0 || len >= sizeof item) return bad(c, e, fv ? "must be a list of numbers" : "must be a list of integers");
        memcpy(item, p, len);
        item[len] = 0;
        long v;
        if (fv ? !parse_float(item, &fv[n]) : !parse_long(item, &v))
            return bad(c, e, fv ? "must be a list of numbers" : "must be a list of integers");
        if (!fv) iv[n] = (int)v;
        n++;
        if (!comma) break;
        p = comma + 1;
    }
    *n_out = n;
    return DRT_OK;
}

/* Keys darkrt knows but does not implement: only their neutral value is accepted. */
static drt_status require_default(ctx *c, const char *key, const char *neutral)
{
    drt_cfg_entry *e = find(c, key);
    if (!e || strcmp(e->value, neutral) == 0) return DRT_OK;
    return drt_error(DRT_STATUS_UNSUPPORTED, "%s:%d [%s] %s=%s: not supported by darkrt (only %s)",
                     c->cfg->path, e->line, c->sec->name, key, e->value, neutral);
}

/* A section's strides as AlexeyAB's parse_maxpool reads them: stride_x and stride_y default to stride. */
static drt_status get_strides(ctx *c, drt_layer *l, int *plain)
{
    DRT_TRY(get_int(c, "stride", 1, 1, INT_MAX, plain)); /* drt_model_infer_shapes: at most 64 */
    DRT_TRY(get_int(c, "stride_y", *plain, 1, INT_MAX, &l->stride_y));
    return get_int(c, "stride_x", *plain, 1, INT_MAX, &l->stride);
}

/* antialiasing= (AlexeyAB's make_convolutional_layer and make_maxpool_layer): the layer runs at stride 1,
 * then a fixed depthwise blur (3x3, or 2x2 for antialiasing=2) with the layer's strides follows it. */
static drt_status get_antialiasing(ctx *c, drt_layer *l)
{
    int aa;
    DRT_TRY(get_int(c, "antialiasing", 0, 0, INT_MAX, &aa));
    if (!aa) return DRT_OK;
    c->blur = aa == 2 ? DRT_FIXED_BLUR2 : DRT_FIXED_BLUR3;
    c->blur_sx = l->stride;
    c->blur_sy = l->stride_y;
    l->stride = l->stride_y = 1;
    return DRT_OK;
}

#define DONTLOAD_WHY "AlexeyAB's Darknet skips this layer's weights and runs it with its random initial values"

/* Keys whose non-zero values change results in a way darkrt does not reproduce. */
static drt_status refuse_nonzero(ctx *c, const char *key, const char *why)
{
    drt_cfg_entry *e = find(c, key);
    long v;
    if (!e) return DRT_OK;
    if (!parse_long(e->value, &v)) return bad(c, e, "must be an integer");
    if (v == 0) return DRT_OK;
    return drt_error(DRT_STATUS_UNSUPPORTED, "%s:%d [%s] %s=%s: not supported by darkrt (%s; use 0)", c->cfg->path,
                     e->line, c->sec->name, key, e->value, why);
}

static drt_status get_act(ctx *c, const char *def, drt_act *out)
{
    drt_cfg_entry *e = find(c, "activation");
    int a = drt_act_parse(e ? e->value : def);
    if (a < 0)
        return bad(c, e, "unknown activation (darkrt has AlexeyAB's linear, leaky, relu, logistic, mish, swish, hard_mish, "
                         "relu6, elu, selu, gelu, tanh, hardtan, lhtan, loggy, ramp, stair, plse, relie)");
    *out = (drt_act)a;
    return DRT_OK;
}

/* A layer reference (relative when negative, in Darknet's layer numbers: cfg sections) resolved to the
 * index of that section's last darkrt layer (an antialiased layer's blur). */
static drt_status resolve(ctx *c, const drt_cfg_entry *e, int ref, int *out)
{
    int idx = ref < 0 ? c->section + ref : ref;
    char rule[160];
    if (idx < 0) {
        snprintf(rule, sizeof rule, "layer %d refers to layer %d, before the first layer", ref, idx);
        return bad(c, e, rule);
    }
    if (idx >= c->section) {
        snprintf(rule, sizeof rule, "layer %d is not before this layer (%d): only earlier layers can be used",
                 ref, c->section);
        return bad(c, e, rule);
    }
    const drt_layer *l = &c->m->layers[c->first[idx + 1] - 1];
    if (l->fixed && l->fixed != DRT_FIXED_SUM && (l->stride > 1 || l->stride_y > 1))
        return drt_error(DRT_STATUS_UNSUPPORTED, "%s:%d [%s] %s=%s: layer %d is antialiased with a stride: not supported "
                         "(AlexeyAB's Darknet reads it there at its unblurred size)", c->cfg->path, e->line, c->sec->name,
                         e->key, e->value, idx);
    *out = c->first[idx + 1] - 1;
    return DRT_OK;
}

static drt_status parse_net(ctx *c, drt_model *m)
{
    DRT_TRY(get_int(c, "width", 0, 1, 65536, &m->width));
    DRT_TRY(get_int(c, "height", 0, 1, 65536, &m->height));
    DRT_TRY(get_int(c, "channels", 0, 1, 64, &m->channels));
    if (!m->width || !m->height || !m->channels)
        return drt_error(DRT_STATUS_PARSE, "%s:%d [%s]: width, height and channels must all be set", c->cfg->path,
                         c->sec->line, c->sec->name);
    int letter_box;
    DRT_TRY(get_int(c, "letter_box", 0, 0, INT_MAX, &letter_box));
    m->resize = letter_box ? DRT_RESIZE_LETTERBOX : DRT_RESIZE_STRETCH; /* AlexeyAB's test_detector */
    drt_cfg_entry *b = find(c, "batch");
    long v;
    m->batch = (b && parse_long(b->value, &v) && v > 0) ? (int)v : 1;
    return DRT_OK;
}

static drt_status parse_conv(ctx *c, drt_layer *l)
{
    int pad;
    DRT_TRY(get_int(c, "filters", 1, 1, INT_MAX, &l->filters));
    DRT_TRY(get_int(c, "size", 1, 1, INT_MAX, &l->size));
    /* AlexeyAB's parse_convolutional: stride_x and stride_y override stride; each left out is stride */
    int stride;
    DRT_TRY(get_strides(c, l, &stride));
    DRT_TRY(get_int(c, "pad", 0, 0, INT_MAX, &pad)); /* Darknet: any non-zero value means size/2 */
    DRT_TRY(get_int(c, "padding", 0, 0, INT_MAX, &l->pad));
    DRT_TRY(get_int(c, "groups", 1, 1, INT_MAX, &l->groups));
    DRT_TRY(get_int(c, "batch_normalize", 0, 0, 1, &l->batch_normalize));
    DRT_TRY(get_act(c, "logistic", &l->act));
    if (pad) l->pad = l->size / 2; /* Darknet: pad=1 overrides padding */
    DRT_TRY(get_int(c, "flipped", 0, 0, 1, &l->flipped));
    DRT_TRY(refuse_nonzero(c, "dontload", "AlexeyAB's Darknet skips this layer's parameters and runs it with its random "
                           "initial values"));
    DRT_TRY(refuse_nonzero(c, "dontloadscales", "AlexeyAB's Darknet skips this layer's batchnorm parameters and runs "
                           "it with its initial scales"));
    DRT_TRY(get_int(c, "dilation", 1, 1, 64, &l->dilation));
    if (l->size == 1) l->dilation = 1; /* AlexeyAB's parse_convolutional */
    if (l->dilation > 1 && 2 * l->pad != l->size - 1)
        return bad(c, find(c, "dilation"), "needs pad=1 and an odd size (AlexeyAB's output size ignores dilation, its "
                                           "im2col pads pad x dilation)");
    DRT_TRY(require_default(c, "binary", "0"));
    DRT_TRY(get_int(c, "xnor", 0, 0, 1, &l->xnor));
    int bin_output;
    DRT_TRY(get_int(c, "bin_output", 0, 0, 1, &bin_output));
    if (l->xnor) l->groups = 1; /* AlexeyAB's make_convolutional_layer: groups off for XNOR (and so its weights) */
    c->bin_output[c->index] = l->xnor && bin_output; /* calculate_binary_weights: xnor convs only */
    DRT_TRY(get_antialiasing(c, l));
    if (l->xnor && c->blur)
        return bad(c, find(c, "antialiasing"), "not supported with xnor=1 (AlexeyAB's blur layer reads the binary "
                                               "conv at stride 1)");
    DRT_TRY(require_default(c, "deform", "0"));
    drt_cfg_entry *e = find(c, "share_index");
    long share; /* AlexeyAB: absolute when >= 0, else relative; the default -1000000000 means none */
    if (e && (!parse_long(e->value, &share))) return bad(c, e, "must be an integer");
    if (e && share != -1000000000) {
        int k = share >= 0 ? (int)share : c->section + (int)share;
        if (k < 0 || k >= c->section) return bad(c, e, "must name an earlier layer");
        l->share = c->first[k] + 1; /* an antialiased conv's own parameters: its first layer */
    }
    return DRT_OK;
}

static drt_status parse_maxpool(ctx *c, drt_layer *l)
{
    int stride;
    DRT_TRY(get_strides(c, l, &stride));
    DRT_TRY(get_int(c, "size", stride, 1, INT_MAX, &l->size)); /* AlexeyAB: the default size is stride=, not stride_x */
    DRT_TRY(get_int(c, "padding", l->size - 1, 0, INT_MAX, &l->padding));
    int depth;
    DRT_TRY(get_int(c, "maxpool_depth", 0, 0, INT_MAX, &depth));
    DRT_TRY(get_int(c, "out_channels", 1, 1, 65536, &l->depth_channels));
    if (!depth) l->depth_channels = 0;
    DRT_TRY(get_antialiasing(c, l));
    if (depth && c->blur) /* forward_maxpool_layer returns before its blur; the next layer reads the blur's size */
        return drt_error(DRT_STATUS_UNSUPPORTED, "%s:%d [maxpool] antialiasing=%s: not supported with maxpool_depth=1 "
                         "(AlexeyAB's Darknet skips the blur of a maxpool_depth layer)", c->cfg->path,
                         find(c, "antialiasing")->line, find(c, "antialiasing")->value);
    return DRT_OK;
}

static drt_status parse_route(ctx *c, drt_layer *l)
{
    drt_cfg_entry *e = find(c, "layers");
    if (!e)
        return drt_error(DRT_STATUS_PARSE, "%s:%d [route]: layers= is required", c->cfg->path, c->sec->line);
    int refs[DRT_MAX_INPUTS];
    DRT_TRY(get_list(c, e, refs, NULL, DRT_MAX_INPUTS, &l->n_inputs));
    for (int k = 0; k < l->n_inputs; k++) DRT_TRY(resolve(c, e, refs[k], &l->inputs[k]));
    DRT_TRY(get_int(c, "groups", 1, 1, INT_MAX, &l->route_groups));
    DRT_TRY(get_int(c, "group_id", 0, 0, l->route_groups - 1, &l->route_group_id));
    return DRT_OK;
}

/* Inputs {previous, from=} and the activation (default linear) of a two-input layer. */
static drt_status parse_from(ctx *c, drt_layer *l, const char *one_integer)
{
    drt_cfg_entry *e = find(c, "from");
    if (!e)
        return drt_error(DRT_STATUS_PARSE, "%s:%d [%s]: from= is required", c->cfg->path, c->sec->line, c->sec->name);
    long ref;
    if (!parse_long(e->value, &ref)) return bad(c, e, one_integer);
    l->n_inputs = 2;
    l->inputs[0] = c->index - 1;
    DRT_TRY(resolve(c, e, (int)ref, &l->inputs[1]));
    return get_act(c, "linear", &l->act);
}

/* AlexeyAB's parse_shortcut: from= one or more layers, weights_type none|per_feature|per_layer|per_channel,
 * weights_normalization none|relu|avg_relu|softmax. */
static drt_status parse_shortcut(ctx *c, drt_layer *l)
{
    drt_cfg_entry *e = find(c, "from");
    if (!e) return drt_error(DRT_STATUS_PARSE, "%s:%d [shortcut]: from= is required", c->cfg->path, c->sec->line);
    int refs[DRT_MAX_INPUTS - 1], n;
    DRT_TRY(get_list(c, e, refs, NULL, DRT_MAX_INPUTS - 1, &n));
    l->n_inputs = 1 + n;
    l->inputs[0] = c->index - 1;
    for (int k = 0; k < n; k++) DRT_TRY(resolve(c, e, refs[k], &l->inputs[1 + k]));
    DRT_TRY(get_act(c, "linear", &l->act));
    if ((e = find(c, "weights_type"))) {
        if (!strcmp(e->value, "per_feature") || !strcmp(e->value, "per_layer")) l->weights_type = 1;
        else if (!strcmp(e->value, "per_channel")) l->weights_type = 2;
        else if (strcmp(e->value, "none")) return bad(c, e, "must be none, per_feature, per_layer or per_channel");
    }
    e = find(c, "weights_normalization");
    if (l->weights_type) { /* AlexeyAB's parse_shortcut fails on anything else with weights, none and absent included */
        const char *v = e ? e->value : "none";
        if (!strcmp(v, "relu") || !strcmp(v, "avg_relu")) l->weights_norm = 1;
        else if (!strcmp(v, "softmax")) l->weights_norm = 2;
        else if (e) return bad(c, e, "must be relu, avg_relu or softmax with weights_type (AlexeyAB's parse_shortcut fails otherwise)");
        else return drt_error(DRT_STATUS_PARSE, "%s:%d [shortcut]: weights_type needs weights_normalization=relu, avg_relu "
                              "or softmax (AlexeyAB's parse_shortcut fails without it)", c->cfg->path, c->sec->line);
        DRT_TRY(refuse_nonzero(c, "dontload", DONTLOAD_WHY));
    }
    return DRT_OK;
}

/* The activation of a layer whose forward calls AlexeyAB's activate_array ([scale_channels], [sam],
 * [activation]): its activate() has no case for mish, swish, hard_mish, relu6 and returns 0 for them. */
static drt_status activate_array_act(ctx *c, drt_layer *l)
{
    if (l->act == DRT_ACT_MISH || l->act == DRT_ACT_SWISH || l->act == DRT_ACT_HARD_MISH || l->act == DRT_ACT_RELU6)
        return drt_error(DRT_STATUS_UNSUPPORTED, "%s:%d [%s] activation=%s: not supported (AlexeyAB's Darknet computes 0 "
                         "for it in this layer)", c->cfg->path, find(c, "activation")->line, c->sec->name, drt_act_name(l->act));
    return DRT_OK;
}

/* [scale_channels] and [sam]: previous x from, then the activation. */
static drt_status parse_product(ctx *c, drt_layer *l)
{
    DRT_TRY(parse_from(c, l, "must be one integer"));
    DRT_TRY(activate_array_act(c, l));
    if (l->type == DRT_LAYER_SCALE_CHANNELS) DRT_TRY(require_default(c, "scale_wh", "0"));
    return DRT_OK;
}

/* nms_kind and beta_nms as AlexeyAB's parse_yolo reads them: an unknown kind means default. */
static drt_status get_nms(ctx *c, drt_layer *l)
{
    DRT_TRY(get_float(c, "beta_nms", .6f, 1e-6f, 100.f, &l->beta_nms));
    drt_cfg_entry *e = find(c, "nms_kind");
    int kind = e ? drt_nms_kind_parse(e->value) : DRT_NMS_IOU;
    if (kind < 0) {
        if (c->warn)
            drt_warn("%s:%d [%s] nms_kind=%s: unknown, IoU NMS (default) is used as in AlexeyAB's Darknet",
                     c->cfg->path, e->line, c->sec->name, e->value);
        kind = DRT_NMS_IOU;
    }
    l->nms_kind = (drt_nms_kind)kind;
    return DRT_OK;
}

static drt_status parse_yolo(ctx *c, drt_layer *l)
{
    DRT_TRY(get_int(c, "classes", 20, 1, 100000, &l->classes));
    DRT_TRY(get_int(c, "num", 1, 1, DRT_MAX_ANCHORS, &l->num));
    DRT_TRY(get_float(c, "scale_x_y", 1.f, 0.f, 100.f, &l->scale_x_y));
    DRT_TRY(get_int(c, "new_coords", 0, 0, 1, &l->new_coords));
    DRT_TRY(get_nms(c, l));
    drt_cfg_entry *e = find(c, "mask");
    if (e) {
        DRT_TRY(get_list(c, e, l->mask, NULL, DRT_MAX_ANCHORS, &l->n_mask));
        for (int k = 0; k < l->n_mask; k++)
            if (l->mask[k] < 0 || l->mask[k] >= l->num) return bad(c, e, "each mask entry must be 0..num-1");
    } else {
        l->n_mask = l->num;
        for (int k = 0; k < l->num; k++) l->mask[k] = k;
    }
    e = find(c, "anchors");
    if (e) {
        int n;
        DRT_TRY(get_list(c, e, NULL, l->anchors, 2 * DRT_MAX_ANCHORS, &n));
        if (n < 2 * l->num) {
            char rule[96];
            snprintf(rule, sizeof rule, "has %d numbers: must be 2 x num = %d", n, 2 * l->num);
            return bad(c, e, rule);
        }
        if (n > 2 * l->num && c->warn) /* AlexeyAB's parse_yolo reads the first 2 x num */
            drt_warn("%s:%d [%s] anchors: %d numbers, the first 2 x num = %d are used as in AlexeyAB's Darknet",
                     c->cfg->path, e->line, c->sec->name, n, 2 * l->num);
        for (int k = 0; k < n; k++)
            if (!(l->anchors[k] > 0)) return bad(c, e, "anchors must be > 0");
    } else {
        for (int k = 0; k < 2 * l->num; k++) l->anchors[k] = .5f; /* Darknet's default */
    }
    return DRT_OK;
}

/* YOLOv2's [region]: a YOLO head with softmax classes and anchors in grid cells (coords=4, softmax=1
 * as every YOLOv2 cfg has them; softmax trees and other coords are refused). */
static drt_status parse_region(ctx *c, drt_layer *l)
{
    int coords, softmax;
    DRT_TRY(get_int(c, "classes", 20, 1, 100000, &l->classes));
    DRT_TRY(get_int(c, "num", 1, 1, DRT_MAX_ANCHORS, &l->num));
    DRT_TRY(get_int(c, "coords", 4, 4, 4, &coords));
    DRT_TRY(get_int(c, "softmax", 0, 1, 1, &softmax));
    DRT_TRY(require_default(c, "background", "0"));
    drt_cfg_entry *e = find(c, "tree");
    if (e) return drt_error(DRT_STATUS_UNSUPPORTED, "%s:%d [region] tree=%s: not supported by darkrt (softmax trees, "
                            "YOLO9000)", c->cfg->path, e->line, e->value);
    if ((e = find(c, "map")))
        return drt_error(DRT_STATUS_UNSUPPORTED, "%s:%d [region] map=%s: not supported by darkrt", c->cfg->path, e->line, e->value);
    l->region = 1;
    l->n_mask = l->num;
    for (int k = 0; k < l->num; k++) l->mask[k] = k;
    for (int k = 0; k < 2 * l->num; k++) l->anchors[k] = .5f; /* Darknet's default */
    if ((e = find(c, "anchors"))) {
        int n; /* AlexeyAB reads at most 2 x num numbers */
        DRT_TRY(get_list(c, e, NULL, l->anchors, 2 * DRT_MAX_ANCHORS, &n));
        if (n < 2 * l->num) return bad(c, e, "must have 2 x num numbers");
        for (int k = 0; k < 2 * l->num; k++)
            if (!(l->anchors[k] > 0)) return bad(c, e, "anchors must be > 0");
    }
    return DRT_OK;
}

/* [contrastive]: yolo_layer= must name a [yolo] layer, as AlexeyAB's parse_contrastive requires. */
static drt_status parse_contrastive(ctx *c)
{
    drt_cfg_entry *e = find(c, "yolo_layer");
    long ref;
    if (!e) return drt_error(DRT_STATUS_PARSE, "%s:%d [contrastive]: yolo_layer= is required (AlexeyAB's Darknet fails "
                             "without it)", c->cfg->path, c->sec->line);
    if (!parse_long(e->value, &ref)) return bad(c, e, "must be an integer");
    int idx = ref < 0 ? c->section + (int)ref : (int)ref; /* Darknet's layer numbers: cfg sections */
    if (idx < 0 || idx >= c->section || strcmp(c->cfg->sections[idx + 1].name, "yolo"))
        return bad(c, e, "must name an earlier [yolo] layer (AlexeyAB's parse_contrastive)");
    return DRT_OK;
}

/* [upsample]: nearest by stride; AlexeyAB's stride < 0 (reverse) downsamples: each output is scale x the sum of
 * its -stride x -stride cell (upsample_cpu backwards), a conv with fixed weights here. */
static drt_status parse_upsample(ctx *c, drt_layer *l)
{
    int stride;
    float scale;
    DRT_TRY(get_int(c, "stride", 2, INT_MIN, INT_MAX, &stride)); /* drt_model_infer_shapes: at most 64 */
    DRT_TRY(get_float(c, "scale", 1.f, -3.0e38f, 3.0e38f, &scale));
    if (stride == 0 || stride < -64)
        return bad(c, find(c, "stride"), stride ? "must be -64..-1 to downsample" : "must not be 0 (> 0 upsamples, < 0 downsamples)");
    if (stride > 0 && scale != 1.f) /* a number: scale=1.0 is 1 */
        return drt_error(DRT_STATUS_UNSUPPORTED, "%s:%d [upsample] scale=%s: not supported by darkrt with stride > 0 (only 1)",
                         c->cfg->path, find(c, "scale")->line, find(c, "scale")->value);
    l->stride = stride;
    if (stride > 0) return DRT_OK;
    *l = (drt_layer){.type = DRT_LAYER_CONV, .line = l->line, .n_inputs = 1, .inputs = {l->inputs[0]}, .act = DRT_ACT_LINEAR,
                     .size = -stride, .stride = -stride, .stride_y = -stride, .fixed = DRT_FIXED_SUM, .fixed_scale = scale,
                     .scale_x_y = 1.f, .beta_nms = .6f, .route_groups = 1}; /* filters and groups: the input's channels */
    return DRT_OK;
}

/* YOLOv1's [detection] (AlexeyAB's parse_detection): a head of side x side cells, num boxes each. */
static drt_status parse_detection(ctx *c, drt_layer *l)
{
    int coords;
    DRT_TRY(get_int(c, "classes", 1, 1, 100000, &l->classes));
    DRT_TRY(get_int(c, "num", 1, 1, DRT_MAX_ANCHORS, &l->num));
    DRT_TRY(get_int(c, "side", 7, 1, 1024, &l->detection));
    DRT_TRY(get_int(c, "coords", 1, 4, 4, &coords)); /* get_detection_detections reads 4 box values */
    DRT_TRY(get_int(c, "sqrt", 0, 0, 1, &l->det_sqrt));
    DRT_TRY(get_int(c, "softmax", 0, 0, 1, &l->det_softmax));
    l->n_mask = l->num;
    for (int k = 0; k < l->num; k++) l->mask[k] = k;
    for (int k = 0; k < 2 * l->num; k++) l->anchors[k] = .5f; /* unused: its boxes are cell-relative */
    return DRT_OK;
}

/* [crop] at inference: forward_crop_layer's centre crop, x 2 - 1 (x 1 + 0 with noadjust=1), a fixed conv here. It
 * must read the network input, whose size the parser knows, and keep the same margin on both axes. */
static drt_status parse_crop(ctx *c, drt_layer *l)
{
    int ch, cw, noadjust;
    DRT_TRY(get_int(c, "crop_height", 1, 1, 65536, &ch));
    DRT_TRY(get_int(c, "crop_width", 1, 1, 65536, &cw));
    DRT_TRY(get_int(c, "noadjust", 0, INT_MIN, INT_MAX, &noadjust));
    const drt_model *m = c->m;
    if (c->index != 0)
        return drt_error(DRT_STATUS_UNSUPPORTED, "%s:%d [crop]: not supported after other layers (darkrt runs a [crop] "
                         "as the first layer only)", c->cfg->path, c->sec->line);
    int size = 0; /* set by drt_cfg_crop_size when it returns DRT_OK (gcc -O2 cannot tell) */
    DRT_TRY(drt_cfg_crop_size(c->cfg->path, c->sec->line, cw, ch, m->width, m->height, "input", &size));
    *l = (drt_layer){.type = DRT_LAYER_CONV, .line = l->line, .n_inputs = 1, .inputs = {-1}, .act = DRT_ACT_LINEAR,
                     .size = size, .stride = 1, .stride_y = 1, .fixed = DRT_FIXED_CROP,
                     .fixed_scale = noadjust ? 1.f : 2.f, .scale_x_y = 1.f, .beta_nms = .6f, .route_groups = 1};
    return DRT_OK;
}

drt_status drt_cfg_crop_size(const char *path, int line, int cw, int ch, int w, int h, const char *input, int *size_out)
{
    if (ch > h || cw > w || h - ch != w - cw || h - ch > 63)
        return drt_error(DRT_STATUS_UNSUPPORTED, "%s:%d [crop] crop_width=%d crop_height=%d: must fit the %dx%d %s with the "
                         "same margin on both axes, at most 63 (AlexeyAB reads outside a smaller input; darkrt's crop is a "
                         "kernel of the margin + 1, at most 64)", path, line, cw, ch, w, h, input);
    *size_out = h - ch + 1;
    return DRT_OK;
}

/* YOLOv1's [connected]: a conv over the whole input (drt_model_infer_shapes sets its size). */
static drt_status parse_connected(ctx *c, drt_layer *l)
{
    l->type = DRT_LAYER_CONV;
    l->connected = 1;
    l->stride = 1;
    DRT_TRY(get_int(c, "output", 1, 1, 65536, &l->filters));
    DRT_TRY(get_int(c, "batch_normalize", 0, 0, 1, &l->batch_normalize));
    return get_act(c, "logistic", &l->act);
}

/* YOLOv1's [local] (AlexeyAB's parse_local): pad= is pixels here, as its im2col_cpu reads it. */
static drt_status parse_local(ctx *c, drt_layer *l)
{
    l->type = DRT_LAYER_LOCAL;
    DRT_TRY(get_int(c, "filters", 1, 1, 65536, &l->filters));
    DRT_TRY(get_int(c, "size", 1, 1, 64, &l->size));
    DRT_TRY(get_int(c, "stride", 1, 1, 64, &l->stride));
    l->stride_y = l->stride;
    DRT_TRY(get_int(c, "pad", 0, 0, 64, &l->pad));
    return get_act(c, "logistic", &l->act);
}

/* [crnn] becomes CRNN_LAYERS darkrt layers: AlexeyAB's forward_crnn_layer at inference (batch 1, time_steps 1) is
 *   in = input_layer(x); self = self_layer(state); state = [shortcut=1: state +] in + self; out = output_layer(state)
 * three convs of the same size, pad, groups, batchnorm and activation; l.state is zeros at first and is reset only in
 * training, so it carries from one image to the next. The parameters follow the convs' order, as load_weights reads
 * them. A route naming the section gets the last layer, the output conv. */
#define CRNN_LAYERS 5
static drt_status parse_crnn(ctx *c, drt_layer *l)
{
    int size, stride, pad, padding, output, hidden, groups, bn, shortcut;
    drt_act act;
    DRT_TRY(get_int(c, "size", 3, 1, 64, &size));
    DRT_TRY(get_int(c, "stride", 1, 1, INT_MAX, &stride));
    DRT_TRY(get_int(c, "pad", 0, 0, INT_MAX, &pad));
    DRT_TRY(get_int(c, "padding", 0, 0, INT_MAX, &padding));
    if (pad) padding = size / 2;
    DRT_TRY(get_int(c, "output", 1, 1, 65536, &output));
    DRT_TRY(get_int(c, "hidden", 1, 1, 65536, &hidden));
    DRT_TRY(get_int(c, "groups", 1, 1, 65536, &groups));
    DRT_TRY(get_int(c, "batch_normalize", 0, 0, 1, &bn));
    DRT_TRY(get_int(c, "shortcut", 0, 0, 1, &shortcut));
    DRT_TRY(get_act(c, "logistic", &act));
    DRT_TRY(require_default(c, "dilation", "1"));
    DRT_TRY(refuse_nonzero(c, "xnor", "XNOR binary convs"));
    if (stride != 1 || 2 * padding != size - 1) /* its state, the input conv's output, is the self conv's input */
        return drt_error(DRT_STATUS_UNSUPPORTED, "%s:%d [crnn] size=%d stride=%d padding=%d: not supported (AlexeyAB's "
                         "make_crnn_layer asserts the three convs keep the input's size: stride=1, pad=1, odd size)",
                         c->cfg->path, c->sec->line, size, stride, padding);
    int i = c->index;
    drt_layer conv = *l; /* parse_layer's defaults: line, input, groups */
    conv.type = DRT_LAYER_CONV;
    conv.size = size, conv.stride = conv.stride_y = 1, conv.pad = padding, conv.groups = groups;
    conv.batch_normalize = bn, conv.act = act, conv.filters = hidden;
    l[0] = conv; /* input_layer: x -> hidden */
    l[1] = (drt_layer){.type = DRT_LAYER_STATE, .line = l->line, .n_inputs = 1, .inputs = {i}, .state_from = i + 3,
                       .scale_x_y = 1.f, .beta_nms = .6f, .groups = 1, .route_groups = 1};
    conv.inputs[0] = i + 1;
    l[2] = conv; /* self_layer: state -> hidden */
    l[3] = (drt_layer){.type = DRT_LAYER_SHORTCUT, .line = l->line, .n_inputs = 2 + shortcut, .inputs = {i + 2, i},
                       .act = DRT_ACT_LINEAR, .scale_x_y = 1.f, .beta_nms = .6f, .groups = 1, .route_groups = 1};
    if (shortcut) l[3].inputs[2] = i + 1; /* state + in + self */
    conv.inputs[0] = i + 3, conv.filters = output;
    l[4] = conv; /* output_layer: new state -> output */
    return DRT_OK;
}

static drt_status parse_layer(ctx *c, drt_layer *l, const char *const **quiet)
{
    const char *n = c->sec->name;
    float prob;
    l->line = c->sec->line;
    l->n_inputs = 1;
    l->inputs[0] = c->index - 1;
    l->groups = l->route_groups = 1;
    l->scale_x_y = 1.f;
    l->beta_nms = .6f;
    *quiet = none;
    if (!strcmp(n, "convolutional") || !strcmp(n, "conv")) {
        l->type = DRT_LAYER_CONV;
        *quiet = conv_training;
        return parse_conv(c, l);
    }
    if (!strcmp(n, "maxpool") || !strcmp(n, "max")) {
        l->type = DRT_LAYER_MAXPOOL;
        return parse_maxpool(c, l);
    }
    if (!strcmp(n, "route")) {
        l->type = DRT_LAYER_ROUTE;
        return parse_route(c, l);
    }
    if (!strcmp(n, "shortcut")) {
        l->type = DRT_LAYER_SHORTCUT;
        return parse_shortcut(c, l);
    }
    if (!strcmp(n, "upsample")) {
        l->type = DRT_LAYER_UPSAMPLE;
        return parse_upsample(c, l);
    }
    if (!strcmp(n, "empty") || !strcmp(n, "silence")) { /* AlexeyAB: the previous layer's output, as is */
        l->type = DRT_LAYER_DROPOUT;
        return DRT_OK;
    }
    if (!strcmp(n, "dropout")) {
        l->type = DRT_LAYER_DROPOUT;
        *quiet = dropout_training;
        return get_float(c, "probability", .5f, 0.f, 1.f, &prob);
    }
    if (!strcmp(n, "yolo")) {
        l->type = DRT_LAYER_YOLO;
        *quiet = yolo_training;
        return parse_yolo(c, l);
    }
    if (!strcmp(n, "Gaussian_yolo")) { /* AlexeyAB's parse_gaussian_yolo: [yolo]'s keys but new_coords */
        l->type = DRT_LAYER_YOLO;
        l->gaussian = 1;
        *quiet = yolo_training;
        DRT_TRY(require_default(c, "new_coords", "0"));
        DRT_TRY(require_default(c, "yolo_point", "center"));
        return parse_yolo(c, l);
    }
    if (!strcmp(n, "region")) {
        l->type = DRT_LAYER_YOLO;
        *quiet = region_training;
        return parse_region(c, l);
    }
    if (!strcmp(n, "reorg")) {
        l->type = DRT_LAYER_REORG;
        DRT_TRY(get_int(c, "stride", 1, 1, 64, &l->stride));
        return require_default(c, "reverse", "0");
    }
    if (!strcmp(n, "reorg3d")) {
        l->type = DRT_LAYER_REORG3D;
        DRT_TRY(get_int(c, "stride", 1, 1, 64, &l->stride));
        return require_default(c, "reverse", "0");
    }
    if (!strcmp(n, "activation")) {
        l->type = DRT_LAYER_ACTIVATION;
        DRT_TRY(get_act(c, "linear", &l->act));
        return activate_array_act(c, l);
    }
    if (!strcmp(n, "local_avgpool")) { /* AlexeyAB's parse_local_avgpool: maxpool's window keys */
        int stride;
        l->type = DRT_LAYER_LOCAL_AVGPOOL;
        DRT_TRY(get_strides(c, l, &stride));
        DRT_TRY(get_int(c, "size", stride, 1, INT_MAX, &l->size));
        return get_int(c, "padding", l->size - 1, 0, INT_MAX, &l->padding);
    }
    if (!strcmp(n, "implicit")) { /* AlexeyAB's parse_implicit: mean, std only initialize it for training */
        l->type = DRT_LAYER_IMPLICIT;
        l->inputs[0] = -1; /* it reads nothing: the network input is always there (and is never a [yolo] layer) */
        *quiet = implicit_training;
        DRT_TRY(get_int(c, "filters", 128, 1, 65536, &l->filters));
        DRT_TRY(refuse_nonzero(c, "dontload", DONTLOAD_WHY));
        return require_default(c, "atoms", "1");
    }
    if (!strcmp(n, "batchnorm")) { /* AlexeyAB's parse_batchnorm reads no key */
        l->type = DRT_LAYER_BATCHNORM;
        return refuse_nonzero(c, "dontload", DONTLOAD_WHY);
    }
    if (!strcmp(n, "contrastive")) { /* forward_contrastive_layer returns at once unless training */
        l->type = DRT_LAYER_DROPOUT;
        l->training_only = 1;
        *quiet = contrastive_training;
        return parse_contrastive(c);
    }
    if (!strcmp(n, "avgpool") || !strcmp(n, "avg")) {
        l->type = DRT_LAYER_AVGPOOL;
        return DRT_OK;
    }
    if (!strcmp(n, "scale_channels") || !strcmp(n, "sam")) {
        l->type = n[1] == 'c' ? DRT_LAYER_SCALE_CHANNELS : DRT_LAYER_SAM;
        return parse_product(c, l);
    }
    if (!strcmp(n, "detection")) {
        l->type = DRT_LAYER_YOLO;
        *quiet = detection_training;
        return parse_detection(c, l);
    }
    if (!strcmp(n, "crop")) {
        *quiet = crop_training;
        return parse_crop(c, l);
    }
    if (!strcmp(n, "connected")) return parse_connected(c, l);
    if (!strcmp(n, "local")) return parse_local(c, l);
    if (!strcmp(n, "crnn")) return parse_crnn(c, l);
    if (!strcmp(n, "net") || !strcmp(n, "network"))
        return drt_error(DRT_STATUS_PARSE, "%s:%d [%s]: only the first section may be [net]", c->cfg->path, c->sec->line, n);
    return drt_error(DRT_STATUS_PARSE, "%s:%d [%s]: unknown section (darkrt reads net, convolutional, maxpool, route, "
                     "shortcut, upsample, dropout, yolo, Gaussian_yolo, region, reorg, reorg3d, avgpool, local_avgpool, scale_channels, sam, "
                     "activation, batchnorm, implicit, contrastive, empty, silence, connected, local, crop, detection, crnn)",
                     c->cfg->path, c->sec->line, n);
}

static int in_list(const char *const *list, const char *key)
{
    for (; *list; list++)
        if (!strcmp(*list, key)) return 1;
    return 0;
}

/* Warns about keys nobody read, like Darknet's option_unused, and repeated keys. */
static void warn_unused(ctx *c, const char *const *quiet, int warn)
{
    for (int i = 0; i < c->sec->n_entries; i++) {
        drt_cfg_entry *e = &c->sec->entries[i];
        if (e->used || in_list(quiet, e->key) || in_list(layer_training, e->key)) continue;
        int first = 0;
        for (int k = 0; k < i && !first; k++)
            if (!strcmp(c->sec->entries[k].key, e->key)) first = c->sec->entries[k].line;
        if (!warn) continue;
        if (first)
            drt_warn("%s:%d [%s] %s: repeated key ignored (the first, at line %d, is used as in Darknet)",
                     c->cfg->path, e->line, c->sec->name, e->key, first);
        else
            drt_warn("%s:%d [%s] %s=%s: unknown key ignored", c->cfg->path, e->line, c->sec->name, e->key, e->value);
    }
}

/* A conv or maxpool section whose antialiasing= is not 0 (an upper bound: parse_conv checks the value). */
static int antialiased(const drt_cfg_section *sec)
{
    if (strcmp(sec->name, "convolutional") && strcmp(sec->name, "conv") && strcmp(sec->name, "maxpool") &&
        strcmp(sec->name, "max"))
        return 0;
    for (int i = 0; i < sec->n_entries; i++)
        if (!strcmp(sec->entries[i].key, "antialiasing")) return strcmp(sec->entries[i].value, "0") != 0;
    return 0;
}

/* AlexeyAB's parse_network_cfg keeps bin_output=1 only on a layer that no [route] reads, and that is neither the
 * layer before nor the from= of a [shortcut], [scale_channels] or [sam] (their first from=). */
static void clear_bin_output(const drt_layer *l, int *bin_output)
{
    int n = l->type == DRT_LAYER_ROUTE ? l->n_inputs
            : l->type == DRT_LAYER_SHORTCUT || l->type == DRT_LAYER_SCALE_CHANNELS || l->type == DRT_LAYER_SAM ? 2 : 0;
    for (int k = 0; k < n && k < l->n_inputs; k++)
        if (l->inputs[k] >= 0) bin_output[l->inputs[k]] = 0;
}

drt_status drt_cfg_to_model(const drt_cfg *cfg, int warn, drt_model **model_out)
{
    *model_out = NULL;
    drt_cfg_section *net = &cfg->sections[0];
    if (strcmp(net->name, "net") && strcmp(net->name, "network"))
        return drt_error(DRT_STATUS_PARSE, "%s:%d [%s]: the first section must be [net]", cfg->path, net->line, net->name);
    if (cfg->n_sections < 2)
        return drt_error(DRT_STATUS_PARSE, "%s:%d [%s]: no layers follow", cfg->path, net->line, net->name);
    int n_layers = cfg->n_sections - 1, *first = calloc((size_t)cfg->n_sections, sizeof *first);
    for (int i = 1; i < cfg->n_sections; i++) { /* an antialiased layer adds a blur layer, a [crnn] 4 */
        n_layers += antialiased(&cfg->sections[i]);
        if (!strcmp(cfg->sections[i].name, "crnn")) n_layers += CRNN_LAYERS - 1;
    }
    int *bin_output = calloc((size_t)n_layers, sizeof *bin_output);
    if (!first || !bin_output) {
        free(first);
        free(bin_output);
        return drt_error(DRT_STATUS_OOM, "%s: out of memory", cfg->path);
    }
    drt_model *m = NULL;
    drt_status s = drt_model_alloc(n_layers, &m);
    if (s != DRT_OK) goto fail;
    if (!(m->source = strdup(cfg->path))) {
        s = drt_error(DRT_STATUS_OOM, "%s: out of memory", cfg->path);
        goto fail;
    }
    ctx c = {.cfg = cfg, .sec = net, .index = -1, .section = -1, .m = m, .first = first, .warn = warn,
             .bin_output = bin_output};
    if ((s = parse_net(&c, m)) != DRT_OK) goto fail;
    warn_unused(&c, net_training, warn);
    int i = 0;
    for (int k = 0; k + 1 < cfg->n_sections; k++) {
        const char *const *quiet;
        first[k] = i;
        c = (ctx){.cfg = cfg, .sec = &cfg->sections[k + 1], .index = i, .section = k, .m = m, .first = first, .warn = warn,
                  .bin_output = bin_output};
        if ((s = parse_layer(&c, &m->layers[i], &quiet)) != DRT_OK) goto fail;
        clear_bin_output(&m->layers[i], bin_output);
        for (int j = 0; j < m->layers[i].n_inputs; j++) {
            int src = m->layers[i].inputs[j];
            if (src >= 0 && m->layers[src].training_only) {
                s = drt_error(DRT_STATUS_UNSUPPORTED, "%s:%d [%s]: reads layer %d, a [contrastive] layer: not supported by "
                              "darkrt (its output is not computed at inference)", cfg->path, c.sec->line, c.sec->name, src);
                goto fail;
            }
        }
        warn_unused(&c, quiet, warn);
        if (c.blur) { /* AlexeyAB's input_layer: depthwise, linear, no batchnorm, no parameters in the file */
            const drt_layer *l = &m->layers[i];
            int f = l->type == DRT_LAYER_CONV ? l->filters : 0; /* maxpool: its input's channels, known later */
            i++; /* apart from the literal below, which reads i: one statement may not both change and read it */
            m->layers[i] = (drt_layer){.type = DRT_LAYER_CONV, .line = l->line, .n_inputs = 1, .inputs = {i - 1},
                                         .act = DRT_ACT_LINEAR, .filters = f, .groups = f, .fixed = c.blur,
                                         .size = c.blur == DRT_FIXED_BLUR2 ? 2 : 3, .pad = c.blur == DRT_FIXED_BLUR2 ? 0 : 1,
                                         .stride = c.blur_sx, .stride_y = c.blur_sy, .scale_x_y = 1.f, .beta_nms = .6f,
                                         .route_groups = 1};
        }
        if (!strcmp(c.sec->name, "crnn")) i += CRNN_LAYERS - 1;
        i++;
    }
    first[cfg->n_sections - 1] = i;
    m->n_layers = i;
    for (int j = 0; j < i; j++)
        if (bin_output[j]) m->layers[j].act = DRT_ACT_LINEAR; /* calculate_binary_weights */
    free(first);
    free(bin_output);
    *model_out = m;
    return DRT_OK;
fail:
    free(first);
    free(bin_output);
    drt_model_free(m);
    return s;
}
