/* Detection on an engine: options, decode of every head and NMS on the host. */
#include "vision/vision.h"
#include "core/error.h"
#include "core/opts.h"
#include "engine/engine.h"

#include <stdlib.h>
#include <string.h>

drt_detect_opts drt_detect_opts_default(void)
{
    return (drt_detect_opts){.size = sizeof(drt_detect_opts), .thresh = .25f, .nms = .45f,
                             .resize = DRT_RESIZE_LETTERBOX, .pre = DRT_STAGE_HOST, .decode = DRT_STAGE_HOST,
                             .nms_place = DRT_STAGE_HOST, .nms_kind = DRT_NMS_IOU, .beta_nms = .6f};
}

drt_detect_opts drt_detect_opts_for_model(const drt_model *model)
{
    drt_detect_opts o = drt_detect_opts_default();
    o.resize = drt_detect_model_resize(model);
    o.nms_kind = drt_detect_model_nms(model, &o.beta_nms);
    return o;
}

drt_nms_kind drt_detect_model_nms(const drt_model *model, float *beta_out)
{
    drt_nms_kind kind = DRT_NMS_IOU;
    float beta = .6f;
    for (int i = 0; model && i < model->n_layers; i++) {
        const drt_layer *l = &model->layers[i];
        if (l->type != DRT_LAYER_YOLO) continue; /* AlexeyAB's test_detector: the last head's */
        kind = (unsigned)l->nms_kind < DRT_NMS_COUNT ? l->nms_kind : DRT_NMS_IOU;
        beta = l->beta_nms > 0 ? l->beta_nms : .6f; /* a model made without a cfg says nothing */
    }
    if (beta_out) *beta_out = beta;
    return kind;
}

int drt_detect_parse_pre(const char *word, drt_detect_opts *opts)
{
    if (!word || !opts || !DRT_OPTS_HAS(opts, drt_detect_opts, pre)) return -1;
    if (!strcmp(word, "cpu")) opts->pre = DRT_STAGE_HOST;
    else if (!strcmp(word, "gpu")) opts->pre = DRT_STAGE_DEVICE;
    else return -1;
    return 0;
}

int drt_detect_parse_post(const char *word, drt_detect_opts *opts)
{
    if (!word || !opts || !DRT_OPTS_HAS(opts, drt_detect_opts, nms_place)) return -1;
    if (!strcmp(word, "cpu")) opts->decode = opts->nms_place = DRT_STAGE_HOST;
    else if (!strcmp(word, "gpu")) opts->decode = opts->nms_place = DRT_STAGE_DEVICE;
    else if (!strcmp(word, "gpu-decode")) opts->decode = DRT_STAGE_DEVICE, opts->nms_place = DRT_STAGE_HOST;
    else return -1;
    return 0;
}

drt_resize drt_detect_model_resize(const drt_model *model)
{
    return model && (unsigned)model->resize < DRT_RESIZE_COUNT ? model->resize : DRT_RESIZE_LETTERBOX;
}

void drt_detections_free(drt_detections *dets)
{
    if (!dets) return;
    free(dets->items);
    free(dets);
}

static float clampf(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

drt_status drt_detections_from_candidates(const drt_candidates *c, int img_w, int img_h, int unclipped,
                                          drt_detections **out)
{
    *out = NULL;
    drt_detections *d = calloc(1, sizeof *d);
    if (d && c->count) d->items = malloc(c->count * sizeof *d->items);
    if (!d || (c->count && !d->items)) {
        drt_detections_free(d);
        return drt_error(DRT_STATUS_OOM, "detect: out of memory");
    }
    for (size_t i = 0; i < c->count; i++) {
        const drt_candidate *k = &c->items[i];
        d->items[i] = unclipped ? (drt_detection){k->class_id, k->score, k->x1, k->y1, k->x2, k->y2}
                                : (drt_detection){k->class_id, k->score, clampf(k->x1, 0, img_w), clampf(k->y1, 0, img_h),
                                                  clampf(k->x2, 0, img_w), clampf(k->y2, 0, img_h)};
    }
    d->count = (int)c->count;
    *out = d;
    return DRT_OK;
}

/* Head h of e's model for batch item `item` in `data` (its shape `d`), with its [yolo] parameters. */
static drt_status yolo_head_in(const drt_engine *e, int h, const float *data, const drt_tensor_desc *d, int item,
                               drt_yolo_head *hd)
{
    const drt_layer *l = &e->model->layers[e->head_layers[h]];
    size_t values = (size_t)d->c * d->h * d->w, side = (size_t)l->detection;
    if (l->detection ? values != side * side * (size_t)(5 * l->num + l->classes) || l->n_mask != l->num
                     : l->n_mask < 1 || l->n_mask > 32 || d->c != l->n_mask * (l->classes + (l->gaussian ? 9 : 5)))
        return drt_error(DRT_STATUS_INVALID_ARG, "%s: [yolo] line %d: %d channels for %d anchors of %d classes",
                         e->model->source ? e->model->source : "model", l->line, d->c, l->n_mask, l->classes);
    *hd = (drt_yolo_head){.w = d->w, .h = d->h, .n = l->n_mask, .classes = l->classes, .region = l->region,
                          .gaussian = l->gaussian, .detection = l->detection > 0, .det_sqrt = l->det_sqrt,
                          .det_softmax = l->det_softmax,
                          .scale_x_y = l->scale_x_y > 0 ? l->scale_x_y : 1.f, .new_coords = l->new_coords};
    hd->data = data + (size_t)item * values;
    if (l->detection) hd->w = hd->h = l->detection; /* its cells, not the head tensor's c x 1 x 1 */
    for (int a = 0; a < l->n_mask; a++) {
        int m = l->mask[a];
        if (m < 0 || m >= l->num || m >= DRT_MAX_ANCHORS)
            return drt_error(DRT_STATUS_INVALID_ARG, "[yolo] line %d: mask %d: must be 0..%d", l->line, m, l->num - 1);
        hd->anchors[2 * a] = l->anchors[2 * m];
        hd->anchors[2 * a + 1] = l->anchors[2 * m + 1];
    }
    return DRT_OK;
}

drt_status drt_engine_yolo_head(const drt_engine *e, int h, int item, drt_yolo_head *hd)
{
    return yolo_head_in(e, h, e->heads[h], &e->head_desc[h], item, hd);
}

/* Detections of batch item `item` from the heads of e's own context (ctx NULL) or of ctx. */
static drt_status decode_heads(const drt_engine *e, const drt_context *ctx, int item, int img_w, int img_h,
                               const drt_detect_opts *o, drt_detections **dets_out)
{
    drt_candidates c = {0};
    drt_status s = DRT_OK;
    for (int h = 0; s == DRT_OK && h < e->n_heads; h++) {
        const float *data = e->heads[h];
        drt_tensor_desc d = e->head_desc[h];
        if (ctx) s = drt_context_head(ctx, h, &data, &d);
        drt_yolo_head hd;
        if (s == DRT_OK) s = yolo_head_in(e, h, data, &d, item, &hd);
        if (s == DRT_OK)
            s = drt_yolo_decode_head(&hd, e->model->width, e->model->height, img_w, img_h, o->resize, o->thresh, &c);
    }
    if (s == DRT_OK) {
        drt_nms_rule rule = drt_nms_rule_of(o, img_w, img_h);
        drt_nms_per_class(&c, &rule);
        s = drt_detections_from_candidates(&c, img_w, img_h, o->unclipped, dets_out);
    }
    free(c.items);
    return s;
}

drt_status drt_detect_decode_context(const drt_engine *e, const drt_context *ctx, int item, int img_w, int img_h,
                                     const drt_detect_opts *o, drt_detections **dets_out)
{
    *dets_out = NULL;
    drt_tensor_desc d = {0};
    if (e->n_heads) DRT_TRY(drt_context_head(ctx, 0, NULL, &d));
    if (img_w < 1 || img_h < 1 || item < 0 || (e->n_heads && item >= d.n))
        return drt_error(DRT_STATUS_INVALID_ARG, "detect: image %dx%d or batch item %d out of range", img_w, img_h, item);
    return decode_heads(e, ctx, item, img_w, img_h, o, dets_out);
}

drt_status drt_detect_decode(const drt_engine *e, int item, int img_w, int img_h, const drt_detect_opts *opts,
                             drt_detections **dets_out)
{
    DRT_ARG(dets_out, "dets_out");
    *dets_out = NULL;
    DRT_ARG(e, "engine");
    drt_detect_opts o = drt_detect_opts_default();
    DRT_TRY(drt_opts_copy(&o, sizeof o, opts, "detect: drt_detect_opts"));
    if (img_w < 1 || img_h < 1 || item < 0 || (e->n_heads && item >= e->head_desc[0].n))
        return drt_error(DRT_STATUS_INVALID_ARG, "detect: image %dx%d or batch item %d out of range",
                         img_w, img_h, item);
    return decode_heads(e, NULL, item, img_w, img_h, &o, dets_out);
}

drt_status drt_detect_image(drt_engine *e, const drt_image *image, const drt_detect_opts *opts,
                            drt_detections **dets_out, drt_stage_times *times)
{
    DRT_ARG(dets_out, "dets_out");
    *dets_out = NULL;
    DRT_ARG(e, "engine");
    DRT_ARG(image, "image");
    return drt_detect_batch(e, &image, 1, opts, dets_out, times);
}
