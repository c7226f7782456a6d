/* Engine objects: pick the backend for a device, own a model copy and the head buffers. */
#include "engine/engine.h"
#include "engine/calib.h"
#include "backend/registry.h"
#include "core/error.h"
#include "core/opts.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const precision_names[DRT_PREC_COUNT] = {"fp32", "fp16", "bf16", "int8"};

const char *drt_device_name(drt_device d)
{
    const drt_backend_entry *e = drt_backend_entry_of(d);
    return e ? e->name : "?";
}
const char *drt_precision_name(drt_precision p) { return (unsigned)p < DRT_PREC_COUNT ? precision_names[p] : "?"; }

int drt_device_parse(const char *name, int *index_out)
{
    if (index_out) *index_out = 0;
    DRT_ARG_OR(name, "name", -1);
    for (int i = 0; i < drt_backend_count(); i++) {
        const drt_backend_entry *e = drt_backend_entry_of((drt_device)i);
        size_t n = strlen(e->name);
        if (strncasecmp(name, e->name, n) != 0) continue;
        if (name[n] == '\0') return i;
        if (name[n] == ':' && (e->flags & DRT_BACKEND_INDEXED)) {
            char *end;
            long k = strtol(name + n + 1, &end, 10);
            if (name[n + 1] && !*end && k >= 0 && k < 64) {
                if (index_out) *index_out = (int)k;
                return i;
            }
        }
    }
    return -1;
}

int drt_precision_parse(const char *name)
{
    DRT_ARG_OR(name, "name", -1);
    for (int i = 0; i < DRT_PREC_COUNT; i++)
        if (strcasecmp(name, precision_names[i]) == 0) return i;
    return -1;
}

/* Host memory for the heads of one engine: batch 128 of yolov3-608 is 0.9 GiB. */
#define DRT_MAX_HEAD_BYTES (4.0 * 1073741824.0)

drt_engine_opts drt_engine_opts_default(void)
{
    return (drt_engine_opts){.size = sizeof(drt_engine_opts), .device = DRT_DEVICE_CPU,
                             .precision = DRT_PREC_FP32, .max_batch = 1};
}

/* DRT_BACKEND_ZERO_POINTS: asym by default; with _ASKED: when asked. */
static int takes_zero_points(drt_device d, unsigned which)
{
    const drt_backend_entry *be = drt_backend_entry_of(d);
    return be && (be->flags & which);
}

int drt_int8_activations_of(const drt_engine_opts *o)
{
    if (o->int8_activations != DRT_INT8_ACT_AUTO) return o->int8_activations;
    return takes_zero_points(o->device, DRT_BACKEND_ZERO_POINTS) ? DRT_INT8_ACT_ASYM : DRT_INT8_ACT_SYM;
}

static drt_status create_owned(drt_model *model, const drt_engine_opts *opts, const drt_calib *calib, const void *blob,
                               size_t blob_size, drt_engine **out)
{
    *out = NULL;
    drt_engine_opts o = drt_engine_opts_default();
    drt_status s = drt_opts_copy(&o, sizeof o, opts, "engine: drt_engine_opts");
    if (s != DRT_OK) {
        drt_model_free(model);
        return s;
    }
    const char *calib_dir = o.calib_dir, *int8_keep = o.int8_keep;
    if (o.max_batch <= 0) o.max_batch = 1;
    if (o.max_batch > 4096 || o.threads < 0 || o.threads > DRT_MAX_THREADS) {
        drt_model_free(model);
        return drt_error(DRT_STATUS_INVALID_ARG, "engine: batch %d, threads %d: must be 1..4096 and 0..%d", o.max_batch,
                         o.threads, DRT_MAX_THREADS);
    }
    const drt_backend *b = NULL;
    if (o.int8_activations < DRT_INT8_ACT_AUTO || o.int8_activations > DRT_INT8_ACT_SYM)
        s = drt_error(DRT_STATUS_INVALID_ARG, "engine: int8_activations %d: must be 0 (auto), 1 (asym) or 2 (sym)",
                      o.int8_activations);
    else if (o.int8_activations == DRT_INT8_ACT_ASYM &&
             !takes_zero_points(o.device, DRT_BACKEND_ZERO_POINTS | DRT_BACKEND_ZERO_POINTS_ASKED))
        s = drt_error(DRT_STATUS_UNSUPPORTED, "engine: int8 activations asym (a zero point): the %s engine takes none",
                      drt_device_name(o.device));
    else if ((unsigned)o.precision < DRT_PREC_COUNT) s = drt_backend_get(o.device, &b);
    else s = drt_error(DRT_STATUS_INVALID_ARG, "engine: unknown precision %d", (int)o.precision);
    if (s != DRT_OK) {
        drt_model_free(model);
        return s;
    }
    int state = drt_model_first_state(model);
    if (state >= 0 && !b->reset_state) {
        s = drt_error(DRT_STATUS_UNSUPPORTED, "%s: [crnn] (line %d) is recurrent: its hidden state carries from one image "
                      "to the next, and the %s engine keeps no state between runs (the ref and cpu engines do)",
                      model->source ? model->source : "model", model->layers[state].line, b->name);
        drt_model_free(model);
        return s;
    }
    drt_engine *e = calloc(1, sizeof *e);
    if (!e) {
        drt_model_free(model);
        return drt_error(DRT_STATUS_OOM, "engine: out of memory");
    }
    e->backend = b;
    e->model = model;
    e->opts = o;
    e->opts.calib_dir = NULL;
    e->opts.int8_keep = NULL;
    e->n_heads = drt_model_heads(model, e->head_layers, DRT_MAX_HEADS);
    if (e->n_heads > DRT_MAX_HEADS)
        s = drt_error(DRT_STATUS_UNSUPPORTED, "%s: %d [yolo] layers: darkrt supports up to %d",
                      model->source ? model->source : "model", e->n_heads, DRT_MAX_HEADS);
    double head_bytes = 0; /* host heads for max_batch images: refused before allocating when absurd */
    for (int i = 0; s == DRT_OK && i < e->n_heads; i++)
        head_bytes += (double)drt_shape_size(drt_model_input_shape(model, e->head_layers[i])) * o.max_batch * sizeof(float);
    if (s == DRT_OK && head_bytes > DRT_MAX_HEAD_BYTES)
        s = drt_error(DRT_STATUS_INVALID_ARG, "%s: batch %d: the heads alone need %.1f GiB of host memory (at most %.0f GiB)",
                      model->source ? model->source : "model", o.max_batch, head_bytes / 1073741824.0,
                      DRT_MAX_HEAD_BYTES / 1073741824.0);
    for (int i = 0; s == DRT_OK && i < e->n_heads; i++) {
        drt_shape sh = drt_model_input_shape(model, e->head_layers[i]);
        e->head_desc[i] = (drt_tensor_desc){o.max_batch, sh.c, sh.h, sh.w};
        e->heads[i] = calloc(drt_shape_size(sh) * (size_t)o.max_batch, sizeof(float));
        if (!e->heads[i]) s = drt_error(DRT_STATUS_OOM, "engine: out of memory for head %d", i);
    }
    if (s == DRT_OK) {
        e->opts.calib_dir = calib_dir; /* visible to create() only */
        e->opts.int8_keep = int8_keep;
        e->calib = calib;
        s = b->create(e, blob, blob_size);
        e->opts.calib_dir = NULL;
        e->opts.int8_keep = NULL;
        e->calib = NULL;
    }
    if (s != DRT_OK) {
        e->impl = NULL;
        drt_engine_free(e);
        return s;
    }
    *out = e;
    return DRT_OK;
}

drt_status drt_engine_create_owned(drt_model *model, const drt_engine_opts *opts, const void *blob, size_t blob_size,
                                   drt_engine **out)
{
    return create_owned(model, opts, NULL, blob, blob_size, out);
}

drt_status drt_engine_create_calibrated(const drt_model *model, const drt_engine_opts *opts, const drt_calib *calib,
                                        drt_engine **out)
{
    DRT_ARG(out, "engine_out");
    *out = NULL;
    DRT_ARG(model, "model");
    drt_model *copy;
    DRT_TRY(drt_model_clone(model, &copy));
    return create_owned(copy, opts, calib, NULL, 0, out);
}

drt_status drt_engine_create(const drt_model *model, const drt_engine_opts *opts, drt_engine **out)
{
    return drt_engine_create_calibrated(model, opts, NULL, out);
}

drt_status drt_engine_run(drt_engine *e, const float *input, int batch)
{
    DRT_ARG(e, "engine");
    DRT_ARG(input, "input");
    if (batch < 1 || batch > e->opts.max_batch)
        return drt_error(DRT_STATUS_INVALID_ARG, "engine run: batch %d: must be 1..%d (the engine's max batch)",
                         batch, e->opts.max_batch);
    for (int i = 0; i < e->n_heads; i++) e->head_desc[i].n = batch;
    return e->backend->run(e, input, batch);
}

drt_status drt_engine_reset_state(drt_engine *e)
{
    DRT_ARG(e, "engine");
    if (e->backend->reset_state) e->backend->reset_state(e, NULL);
    return DRT_OK;
}

int drt_engine_num_heads(const drt_engine *e)
{
    DRT_ARG_OR(e, "engine", 0);
    return e->n_heads;
}

drt_status drt_engine_head(const drt_engine *e, int head, const float **data_out, drt_tensor_desc *desc_out)
{
    if (data_out) *data_out = NULL;
    DRT_ARG(e, "engine");
    if (head < 0 || head >= e->n_heads)
        return drt_error(DRT_STATUS_INVALID_ARG, "engine: head %d: must be 0..%d", head, e->n_heads - 1);
    if (data_out) *data_out = e->heads[head];
    if (desc_out) *desc_out = e->head_desc[head];
    return DRT_OK;
}

const drt_model *drt_engine_model(const drt_engine *e)
{
    DRT_ARG_OR(e, "engine", NULL);
    return e->model;
}

drt_device drt_engine_device(const drt_engine *e)
{
    DRT_ARG_OR(e, "engine", (drt_device)-1);
    return e->opts.device;
}

drt_precision drt_engine_precision(const drt_engine *e)
{
    DRT_ARG_OR(e, "engine", (drt_precision)-1);
    return e->opts.precision;
}

void drt_engine_memory_usage(const drt_engine *e, drt_engine_memory *out)
{
    DRT_ARG_OR(out, "out", );
    memset(out, 0, sizeof *out);
    DRT_ARG_OR(e, "engine", );
    if (e->backend->memory) e->backend->memory(e, out);
}

void drt_engine_free(drt_engine *e)
{
    if (!e) return;
    if (e->impl && e->backend->destroy) e->backend->destroy(e);
    for (int i = 0; i < DRT_MAX_HEADS; i++) free(e->heads[i]);
    drt_model_free(e->model);
    free(e);
}
