/* Run states of the CPU engine: the engine's own (over the compiled state's buffers) and each
 * context's (its own activations, conversion and Winograd buffers, scratchpad, stream). oneDNN
 * primitives and weights are shared: a primitive runs concurrently given separate memories and a
 * user scratchpad each. */
#include "backend/cpu/cpu.h"
#include "core/error.h"

#include <stdlib.h>
#include <string.h>

static char *alloc_buffer(size_t bytes, drt_status *s)
{
    if (!bytes || *s != DRT_OK) return NULL;
    char *p = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!p) *s = drt_error(DRT_STATUS_OOM, "cpu context: cannot allocate %zu bytes", bytes);
    return p;
}

/* A memory like `like` at the place in x's buffers where `like` sits in the state's. */
static drt_status memory_like(const cpu_state *st, const cpu_exec *x, dnnl_memory_t like, dnnl_memory_t *out)
{
    const dnnl_memory_desc_t *md;
    void *h = NULL;
    if (dnnl_memory_get_memory_desc(like, &md) != dnnl_success || dnnl_memory_get_data_handle(like, &h) != dnnl_success)
        return drt_error(DRT_STATUS_INTERNAL, "cpu context: oneDNN memory query failed");
    char *p = h, *at;
    if (p && p == st->tmp_in) at = x->tmp_in;
    else if (p && p == st->tmp_out) at = x->tmp_out;
    else {
        DRT_ASSERT(p >= st->arena && p < st->arena + st->arena_bytes);
        at = x->arena + (p - st->arena);
    }
    if (dnnl_memory_create(out, md, st->eng, at) != dnnl_success) return drt_error(DRT_STATUS_OOM, "cpu context: oneDNN memory");
    return DRT_OK;
}

static drt_status own_buffers(const cpu_state *st, cpu_exec *x)
{
    drt_status s = DRT_OK;
    x->arena = alloc_buffer(st->arena_bytes, &s);
    x->tmp_in = alloc_buffer(st->tmp_in_bytes, &s);
    x->tmp_out = alloc_buffer(st->tmp_out_bytes, &s);
    x->wino_v = alloc_buffer(st->wino_v ? st->wino_v_bytes : 0, &s);
    x->wino_m = alloc_buffer(st->wino_m ? st->wino_m_bytes : 0, &s);
    if (s != DRT_OK) return s;
    memset(x->arena, 0, st->arena_bytes); /* as the engine's: padding reads zeros */
    const dnnl_memory_desc_t *md;
    if (dnnl_memory_get_memory_desc(st->scratch, &md) != dnnl_success ||
        dnnl_memory_create(&x->scratch, md, st->eng, DNNL_MEMORY_ALLOCATE) != dnnl_success)
        return drt_error(DRT_STATUS_OOM, "cpu context: cannot allocate %zu bytes of scratchpad", st->scratch_bytes);
    if (dnnl_stream_create(&x->stream, st->eng, dnnl_stream_default_flags) != dnnl_success)
        return drt_error(DRT_STATUS_INTERNAL, "cpu context: oneDNN stream creation failed");
    return DRT_OK;
}

drt_status drt_cpu_exec_init(const cpu_state *st, int use_state_buffers, cpu_exec *x)
{
    memset(x, 0, sizeof *x);
    x->n = st->g->n;
    x->own_buffers = !use_state_buffers;
    x->observed = use_state_buffers; /* the engine's own */
    if (use_state_buffers) {
        x->arena = st->arena, x->tmp_in = st->tmp_in, x->tmp_out = st->tmp_out;
        x->wino_v = st->wino_v, x->wino_m = st->wino_m;
        x->scratch = st->scratch, x->stream = st->stream;
    } else {
        DRT_TRY(own_buffers(st, x));
    }
    size_t n = (size_t)x->n + 1;
    x->src = calloc(n, sizeof *x->src);
    x->dst = calloc(n, sizeof *x->dst);
    x->wv = calloc(n, sizeof *x->wv);
    x->wm = calloc(n, sizeof *x->wm);
    if (!x->src || !x->dst || !x->wv || !x->wm) return drt_error(DRT_STATUS_OOM, "cpu context: out of memory");
    DRT_TRY(drt_states_alloc(st->m, &x->states));
    for (int i = 0; i < x->n; i++) {
        const cpu_conv *c = st->conv[i];
        if (!c) continue;
        if (c->wino) DRT_TRY(drt_cpu_wino_memories(st, c->wino, x->wino_v, x->wino_m, &x->wv[i], &x->wm[i]));
        else if (!c->dw8) {
            DRT_TRY(memory_like(st, x, c->src, &x->src[i]));
            DRT_TRY(memory_like(st, x, c->dst, &x->dst[i]));
        }
    }
    return DRT_OK;
}

void drt_cpu_exec_release(cpu_exec *x)
{
    dnnl_memory_t *lists[] = {x->src, x->dst, x->wv, x->wm};
    for (size_t k = 0; k < 4; k++) {
        for (int i = 0; lists[k] && i < x->n; i++)
            if (lists[k][i]) dnnl_memory_destroy(lists[k][i]);
        free(lists[k]);
    }
    drt_states_free(&x->states);
    if (x->own_buffers) {
        if (x->scratch) dnnl_memory_destroy(x->scratch);
        if (x->stream) dnnl_stream_destroy(x->stream);
        free(x->arena);
        free(x->tmp_in);
        free(x->tmp_out);
        free(x->wino_v);
        free(x->wino_m);
    }
    memset(x, 0, sizeof *x);
}

void drt_cpu_exec_reset_states(const cpu_state *st, cpu_exec *x)
{
    drt_states_reset(st->m, &x->states);
}
