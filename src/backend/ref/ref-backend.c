/* The reference engine (device "ref"): runs drt_ref_forward on each image of a batch in turn
 * and copies the tensors entering each [yolo] layer into the heads. A run state is the slots of
 * the layer outputs and a stateful model's recurrent states; the engine's and each context's are their own. */
#include "backend/ref/ref.h"
#include "core/error.h"
#include "engine/engine.h"

#include <stdlib.h>
#include <string.h>

typedef struct ref_state {
    float **outs;   /* one slot per layer, reused across runs */
    drt_states states; /* [crnn] states carried from image to image */
} ref_state;

static drt_status ctx_create(const drt_engine *e, float *const *heads, void **out)
{
    (void)heads; /* ctx_run gets them */
    const drt_model *m = e->model;
    ref_state *st = calloc(1, sizeof *st);
    if (st) st->outs = calloc((size_t)(m->n_layers ? m->n_layers : 1), sizeof *st->outs);
    if (!st || !st->outs) {
        free(st);
        return drt_error(DRT_STATUS_OOM, "reference engine: out of memory");
    }
    drt_status s = drt_states_alloc(m, &st->states);
    if (s != DRT_OK) {
        free(st->outs);
        free(st);
        return s;
    }
    *out = st;
    return DRT_OK;
}

static drt_status create(drt_engine *e, const void *plan_blob, size_t plan_size)
{
    (void)plan_blob;
    (void)plan_size;
    const drt_model *m = e->model;
    if (e->opts.precision != DRT_PREC_FP32)
        return drt_error(DRT_STATUS_UNSUPPORTED, "%s: the reference engine computes fp32 only, not %s",
                         m->source ? m->source : "model", drt_precision_name(e->opts.precision));
    DRT_TRY(drt_ref_check_model(m));
    void *st = NULL;
    DRT_TRY(ctx_create(e, e->heads, &st));
    e->impl = st;
    return DRT_OK;
}

static drt_status ctx_run(const drt_engine *e, void *state, const float *input, int batch, float *const *heads)
{
    ref_state *st = state;
    const drt_model *m = e->model;
    size_t image = (size_t)m->channels * m->height * m->width;
    for (int b = 0; b < batch; b++) {
        drt_status s = drt_ref_forward(m, input + image * b, st->outs, &st->states, 0);
        for (int h = 0; s == DRT_OK && h < e->n_heads; h++) {
            int src = m->layers[e->head_layers[h]].inputs[0];
            const drt_tensor_desc *d = &e->head_desc[h];
            size_t n = (size_t)d->c * d->h * d->w;
            memcpy(heads[h] + n * b, src < 0 ? input + image * b : st->outs[src], n * sizeof(float));
        }
        drt_ref_free_outputs(m, st->outs);
        if (s != DRT_OK) return s;
    }
    return DRT_OK;
}

static drt_status run(drt_engine *e, const float *input, int batch) { return ctx_run(e, e->impl, input, batch, e->heads); }

static void ctx_free(const drt_engine *e, void *state)
{
    ref_state *st = state;
    if (!st) return;
    drt_ref_free_outputs(e->model, st->outs);
    drt_states_free(&st->states);
    free(st->outs);
    free(st);
}

static void reset_state(const drt_engine *e, void *state)
{
    ref_state *st = state ? state : e->impl;
    drt_states_reset(e->model, &st->states);
}

static void destroy(drt_engine *e)
{
    ctx_free(e, e->impl);
    e->impl = NULL;
}

static void memory(const drt_engine *e, drt_engine_memory *out)
{
    out->host_weights = e->model->n_params * sizeof(float);
    drt_ref_activation_bytes(e->model, &out->host_activations, &out->naive_activations);
}

const drt_backend drt_backend_ref = {
    .name = "ref",
    .device = DRT_DEVICE_REF,
    .create = create,
    .run = run,
    .destroy = destroy,
    .memory = memory,
    .ctx_create = ctx_create,
    .ctx_run = ctx_run,
    .ctx_free = ctx_free,
    .reset_state = reset_state,
};
