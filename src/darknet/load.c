/* Loading models: Darknet cfg (+ weights), and the dispatcher by file type. */
#include "darknet/cfg.h"
#include "darknet/darknet.h"
#include "core/error.h"
#include "core/opts.h"
#include "engine/plan.h"

#include <string.h>
#include <strings.h>

/* pjreddie's Darknet (Debian's) reads neither letter_box nor nms_kind: it always letterboxes
 * and suppresses by IoU. --bn pjreddie selects all of its semantics at once. */
static void pjreddie_semantics(drt_model *m)
{
    m->resize = DRT_RESIZE_LETTERBOX;
    for (int i = 0; i < m->n_layers; i++) m->layers[i].nms_kind = DRT_NMS_IOU;
}

/* A [crop] first layer keeps its crop_width x crop_height under a size override, as in AlexeyAB's Darknet: its fixed
 * kernel becomes the new margin + 1 (cfg-parse.c made it from the cfg's size). */
static drt_status resize_crop(drt_model *m, int cfg_w, int cfg_h)
{
    drt_layer *l = &m->layers[0];
    if (m->n_layers < 1 || l->type != DRT_LAYER_CONV || l->fixed != DRT_FIXED_CROP) return DRT_OK;
    return drt_cfg_crop_size(m->source, l->line, cfg_w - l->size + 1, cfg_h - l->size + 1, m->width, m->height,
                             "input (size override)", &l->size);
}

drt_status drt_model_load_darknet(const char *cfg_path, const char *weights_path, const drt_load_opts *opts,
                                  drt_model **model_out)
{
    DRT_ARG(model_out, "model_out");
    *model_out = NULL;
    DRT_ARG(cfg_path, "cfg_path");
    drt_load_opts o = drt_load_opts_default();
    DRT_TRY(drt_opts_copy(&o, sizeof o, opts, "load: drt_load_opts"));
    if ((unsigned)o.bn >= DRT_BN_COUNT) return drt_error(DRT_STATUS_INVALID_ARG, "load: bn formula %d: unknown", (int)o.bn);
    if (o.width < 0 || o.height < 0 || o.width > 65536 || o.height > 65536)
        return drt_error(DRT_STATUS_INVALID_ARG, "load: size override %dx%d: must be 0..65536", o.width, o.height);
    drt_cfg cfg;
    DRT_TRY(drt_cfg_read(cfg_path, &cfg));
    drt_model *m = NULL;
    drt_status s = drt_cfg_to_model(&cfg, o.warn, &m);
    drt_cfg_release(&cfg);
    if (s != DRT_OK) return s;
    m->bn = o.bn;
    if (o.bn == DRT_BN_PJREDDIE) pjreddie_semantics(m);
    int cfg_w = m->width, cfg_h = m->height;
    if (o.width) m->width = o.width;
    if (o.height) m->height = o.height;
    if ((s = resize_crop(m, cfg_w, cfg_h)) != DRT_OK || (s = drt_model_infer_shapes(m)) != DRT_OK) goto fail;
    s = weights_path ? drt_darknet_read_weights(m, weights_path) : drt_model_alloc_params(m);
    if (s != DRT_OK) goto fail;
    *model_out = m;
    return DRT_OK;
fail:
    drt_model_free(m);
    return s;
}

static int has_suffix(const char *path, const char *suffix)
{
    size_t n = strlen(path), k = strlen(suffix);
    return n >= k && strcasecmp(path + n - k, suffix) == 0;
}

drt_status drt_model_load(const char *path, const char *weights_path, const drt_load_opts *opts, drt_model **model_out)
{
    DRT_ARG(model_out, "model_out");
    *model_out = NULL;
    DRT_ARG(path, "path");
    int onnx = has_suffix(path, ".onnx"), plan = has_suffix(path, ".plan");
    if ((onnx || plan) && weights_path)
        return drt_error(DRT_STATUS_INVALID_ARG, "%s: weights %s: only a Darknet cfg takes a separate weights file",
                         path, weights_path);
    if (onnx) return drt_model_load_onnx(path, opts, model_out);
    if (plan) return drt_plan_read_model(path, 1, model_out, NULL); /* no engine: no device needed */
    return drt_model_load_darknet(path, weights_path, opts, model_out);
}
