/* Pass memplan: every buffer lives from its first write to its last read; buffers whose
 * lifetimes do not overlap share arena memory (greedy, largest first, lowest free offset).
 * drt_memplan_place is that placement for every backend (the CUDA engine places its op buffers with it). */
#include "graph/passes/passes.h"
#include "core/error.h"

#include <stdlib.h>

#define ALIGN 64
#define MAXR 64

static size_t align_up(size_t n) { return (n + ALIGN - 1) / ALIGN * ALIGN; }

static void lifetimes(drt_xgraph *g)
{
    for (int t = 0; t < g->nt; t++) {
        g->first[t] = g->nt + 1;
        g->last[t] = -1;
    }
    int readers[MAXR];
    for (int t = 0; t < g->nt; t++) {
        int live = t == 0 || g->node[t - 1].live;
        if (!live) continue;
        int r = g->root[t];
        if (t < g->first[r]) g->first[r] = t;
        if (t > g->last[r]) g->last[r] = t;
        int n = drt_xgraph_readers(g, t, readers, MAXR);
        for (int k = 0; k < n && k < MAXR; k++)
            if (readers[k] + 1 > g->last[r]) g->last[r] = readers[k] + 1;
        if (n > MAXR) g->last[r] = g->nt; /* too many to list: keep it to the end */
    }
}

static int overlap(const drt_mem_item *a, const drt_mem_item *b) { return a->first <= b->last && b->first <= a->last; }

static int by_size_desc(const void *x, const void *y, void *base)
{
    const drt_mem_item *items = base;
    int a = *(const int *)x, b = *(const int *)y;
    if (items[a].bytes != items[b].bytes) return items[a].bytes < items[b].bytes ? 1 : -1;
    return a - b;
}

/* Placed buffers by lifetime, so that placing one looks only at those alive at the same time (looking at
 * all of them made planning quadratic in the layers): short-lived ones (fewer than SPAN steps) in a list
 * per first step, long-lived ones in one list. */
#define SPAN 64
typedef struct placed {
    int *head, *next; /* per step: the first short-lived item starting there; per item: the next one */
    int *longs, n_long;
    int steps;
} placed;

typedef struct span { size_t lo, hi; } span;

static int by_lo(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* The lowest offset where items[k] clears every placed buffer alive at the same time. */
static size_t place(const drt_mem_item *items, int k, placed *p, span *spans)
{
    const drt_mem_item *it = &items[k];
    int m = 0, from = it->first - SPAN + 1;
    for (int s = from > 0 ? from : 0; s <= it->last && s < p->steps; s++)
        for (int j = p->head[s]; j >= 0; j = p->next[j])
            if (overlap(it, &items[j])) spans[m++] = (span){items[j].offset, items[j].offset + items[j].bytes};
    for (int i = 0; i < p->n_long; i++) {
        int j = p->longs[i];
        if (overlap(it, &items[j])) spans[m++] = (span){items[j].offset, items[j].offset + items[j].bytes};
    }
    qsort(spans, (size_t)m, sizeof *spans, by_lo);
    size_t off = 0;
    for (int i = 0; i < m && spans[i].lo < off + it->bytes; i++)
        if (spans[i].hi > off) off = spans[i].hi;
    if (it->last - it->first + 1 >= SPAN || it->first < 0) {
        p->longs[p->n_long++] = k;
    } else {
        p->next[k] = p->head[it->first];
        p->head[it->first] = k;
    }
    return off;
}

/* Greedy placement, largest first (ties: lower index), each at its lowest free offset. */
static drt_status place_all(drt_mem_item *items, int n, size_t *end)
{
    placed p = {0};
    for (int k = 0; k < n; k++)
        if (items[k].last + 1 > p.steps) p.steps = items[k].last + 1;
    p.head = malloc(sizeof *p.head * ((size_t)p.steps + 1));
    p.next = malloc(sizeof *p.next * ((size_t)n + 1));
    p.longs = malloc(sizeof *p.longs * ((size_t)n + 1));
    int *order = malloc(sizeof *order * ((size_t)n + 1));
    span *spans = malloc(sizeof *spans * ((size_t)n + 1));
    drt_status s = DRT_OK;
    if (!p.head || !p.next || !p.longs || !order || !spans) {
        s = drt_error(DRT_STATUS_OOM, "memplan: out of memory");
        goto done;
    }
    for (int i = 0; i <= p.steps; i++) p.head[i] = -1;
    for (int k = 0; k < n; k++) order[k] = k;
    qsort_r(order, (size_t)n, sizeof *order, by_size_desc, items);
    for (int k = 0; k < n; k++) {
        drt_mem_item *it = &items[order[k]];
        it->offset = place(items, order[k], &p, spans);
        if (it->offset + it->bytes > *end) *end = it->offset + it->bytes;
    }
done:
    free(p.head);
    free(p.next);
    free(p.longs);
    free(order);
    free(spans);
    return s;
}

drt_status drt_memplan_place(drt_mem_item *items, int n, int on, size_t *arena_out)
{
    size_t end = 0;
    *arena_out = 0;
    if (on) DRT_TRY(place_all(items, n, &end));
    else
        for (int k = 0; k < n; k++) {
            items[k].offset = end;
            end += items[k].bytes;
        }
    *arena_out = end;
    return DRT_OK;
}

drt_status drt_pass_memplan(drt_xgraph *g, size_t (*bytes_of)(const drt_xgraph *g, int t, void *ctx), void *ctx)
{
    lifetimes(g);
    drt_mem_item *items = malloc(sizeof *items * (size_t)g->nt);
    int *tensor = malloc(sizeof *tensor * (size_t)g->nt);
    if (!items || !tensor) {
        free(items);
        free(tensor);
        return drt_error(DRT_STATUS_OOM, "memplan: out of memory");
    }
    int n = 0;
    g->naive_bytes = 0;
    for (int t = 0; t < g->nt; t++) {
        int live = t == 0 || g->node[t - 1].live;
        int is_identity = t > 0 && g->node[t - 1].identity;
        if (live && !is_identity) g->naive_bytes += align_up(bytes_of(g, t, ctx));
        if (g->root[t] != t || g->last[t] < 0) continue;
        tensor[n] = t;
        items[n++] = (drt_mem_item){align_up(bytes_of(g, t, ctx)), g->first[t], g->last[t], 0};
    }
    int on = drt_xgraph_pass_on(g, DRT_PASS_MEMPLAN);
    drt_status s = drt_memplan_place(items, n, on, &g->arena_bytes);
    for (int k = 0; s == DRT_OK && k < n; k++) g->offset[tensor[k]] = items[k].offset;
    free(items);
    free(tensor);
    DRT_TRY(s);
    drt_xgraph_logf(g, "pass memplan: %s: %d buffer(s), %.2f MiB per image planned vs %.2f MiB naive (one buffer per layer)",
                    on ? "on" : "off", n, g->arena_bytes / 1048576.0, g->naive_bytes / 1048576.0);
    return DRT_OK;
}
