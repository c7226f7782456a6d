/* Contexts: run states of one engine (the backend's activations and scratch, the heads), so
 * threads share the engine's compiled state and weights. */
#include "engine/engine.h"
#include "core/error.h"

#include <stdlib.h>

struct drt_context {
    const drt_engine *engine;
    void *state; /* the backend's run state */
    drt_tensor_desc head_desc[DRT_MAX_HEADS];
    float *heads[DRT_MAX_HEADS];
};

void drt_context_free(drt_context *c)
{
    if (!c) return;
    if (c->state) c->engine->backend->ctx_free(c->engine, c->state);
    for (int i = 0; i < DRT_MAX_HEADS; i++) free(c->heads[i]);
    free(c);
}

drt_status drt_context_create(const drt_engine *e, drt_context **out)
{
    DRT_ARG(out, "ctx_out");
    *out = NULL;
    DRT_ARG(e, "engine");
    if (!e->backend->ctx_create)
        return drt_error(DRT_STATUS_UNSUPPORTED, "context: the %s engine runs only through its own context "
                         "(one engine per thread)", e->backend->name);
    drt_context *c = calloc(1, sizeof *c);
    if (!c) return drt_error(DRT_STATUS_OOM, "context: out of memory");
    c->engine = e;
    drt_status s = DRT_OK;
    for (int i = 0; s == DRT_OK && i < e->n_heads; i++) {
        const drt_tensor_desc *d = &e->head_desc[i]; /* its n changes with the engine's own runs: not read */
        c->head_desc[i] = (drt_tensor_desc){e->opts.max_batch, d->c, d->h, d->w};
        size_t n = (size_t)e->opts.max_batch * c->head_desc[i].c * c->head_desc[i].h * c->head_desc[i].w;
        if (!(c->heads[i] = calloc(n, sizeof(float)))) s = drt_error(DRT_STATUS_OOM, "context: out of memory for head %d", i);
    }
    if (s == DRT_OK) s = e->backend->ctx_create(e, c->heads, &c->state);
    if (s != DRT_OK) {
        drt_context_free(c);
        return s;
    }
    *out = c;
    return DRT_OK;
}

drt_status drt_context_run(drt_context *c, const float *input, int batch)
{
    DRT_ARG(c, "ctx");
    DRT_ARG(input, "input");
    const drt_engine *e = c->engine;
    if (batch < 1 || batch > e->opts.max_batch)
        return drt_error(DRT_STATUS_INVALID_ARG, "context run: batch %d: must be 1..%d (the engine's max batch)",
                         batch, e->opts.max_batch);
    for (int i = 0; i < e->n_heads; i++) c->head_desc[i].n = batch;
    return e->backend->ctx_run(e, c->state, input, batch, c->heads);
}

drt_status drt_context_reset_state(drt_context *c)
{
    DRT_ARG(c, "ctx");
    if (c->engine->backend->reset_state) c->engine->backend->reset_state(c->engine, c->state);
    return DRT_OK;
}

drt_status drt_context_head(const drt_context *c, int head, const float **data_out, drt_tensor_desc *desc_out)
{
    if (data_out) *data_out = NULL;
    DRT_ARG(c, "ctx");
    if (head < 0 || head >= c->engine->n_heads)
        return drt_error(DRT_STATUS_INVALID_ARG, "context: head %d: must be 0..%d", head, c->engine->n_heads - 1);
    if (data_out) *data_out = c->heads[head];
    if (desc_out) *desc_out = c->head_desc[head];
    return DRT_OK;
}

void *drt_context_state(const drt_context *c) { return c->state; }

void drt_context_set_batch(drt_context *c, int n)
{
    for (int i = 0; i < c->engine->n_heads; i++) c->head_desc[i].n = n;
}
