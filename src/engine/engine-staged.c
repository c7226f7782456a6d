/* Timing runs as a detection pipeline pays for them (engine.h: drt_engine_stage). */
#include "core/error.h"
#include "engine/engine.h"

int drt_engine_stages_on_device(const drt_engine *e)
{
    return e->backend->stages && e->backend->stages->run;
}

drt_status drt_engine_stage(drt_engine *e, const float *input, int batch)
{
    DRT_ARG(e, "engine");
    DRT_ARG(input, "input");
    if (batch < 1 || batch > e->opts.max_batch)
        return drt_error(DRT_STATUS_INVALID_ARG, "engine stage: batch %d: must be 1..%d (the engine's max batch)", batch,
                         e->opts.max_batch);
    e->staged = input;
    if (!drt_engine_stages_on_device(e)) return DRT_OK;
    for (int h = 0; h < e->n_heads; h++) e->head_desc[h].n = batch;
    return e->backend->stages->run(e, NULL, input, batch, 0);
}

drt_status drt_engine_run_staged(drt_engine *e, int batch)
{
    DRT_ARG(e, "engine");
    if (!e->staged) return drt_error(DRT_STATUS_INVALID_ARG, "engine run_staged: nothing staged (drt_engine_stage first)");
    if (!drt_engine_stages_on_device(e)) return drt_engine_run(e, e->staged, batch);
    if (batch < 1 || batch > e->opts.max_batch)
        return drt_error(DRT_STATUS_INVALID_ARG, "engine run_staged: batch %d: must be 1..%d (the engine's max batch)",
                         batch, e->opts.max_batch);
    return e->backend->stages->run(e, NULL, NULL, batch, 0);
}
