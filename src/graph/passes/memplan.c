/* Pass memplan: every buffer lives from its first write to its last read; buffers whose
 * lifetimes do not overlap share arena memory (greedy, largest first, lowest free offset). */
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

typedef struct item { int t; size_t size; } item;

static int by_size_desc(const void *a, const void *b)
{
    const item *x = a, *y = b;
    if (x->size != y->size) return x->size < y->size ? 1 : -1;
    return x->t - y->t;
}

static int overlap(const drt_xgraph *g, int a, int b) { return g->first[a] <= g->last[b] && g->first[b] <= g->last[a]; }

/* Placed buffers by lifetime, so that placing one looks only at those alive at the same time (looking at
 * all of them made planning quadratic in the layers): short-lived ones (fewer than SPAN steps) in a list
 * per first step, long-lived ones in one list. */
#define SPAN 64
typedef struct placed {
    int *head, *next; /* per step: the first short-lived item starting there; per item: the next one */
    int *longs, n_long;
} placed;

typedef struct span { size_t lo, hi; } span;

static int by_lo(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* The lowest offset where items[k] clears every placed buffer alive at the same time. */
static size_t place(drt_xgraph *g, const item *items, int k, placed *p, span *spans)
{
    int t = items[k].t, m = 0, from = g->first[t] - SPAN + 1;
    for (int s = from > 0 ? from : 0; s <= g->last[t] && s <= g->nt; s++)
        for (int j = p->head[s]; j >= 0; j = p->next[j])
            if (overlap(g, t, items[j].t)) spans[m++] = (span){g->offset[items[j].t], g->offset[items[j].t] + items[j].size};
    for (int i = 0; i < p->n_long; i++) {
        int j = p->longs[i];
        if (overlap(g, t, items[j].t)) spans[m++] = (span){g->offset[items[j].t], g->offset[items[j].t] + items[j].size};
    }
    qsort(spans, (size_t)m, sizeof *spans, by_lo);
    size_t off = 0;
    for (int i = 0; i < m && spans[i].lo < off + items[k].size; i++)
        if (spans[i].hi > off) off = spans[i].hi;
    if (g->last[t] - g->first[t] + 1 >= SPAN) {
        p->longs[p->n_long++] = k;
    } else {
        p->next[k] = p->head[g->first[t]];
        p->head[g->first[t]] = k;
    }
    return off;
}

/* Greedy placement, largest first, each at its lowest free offset. */
static drt_status place_all(drt_xgraph *g, item *items, int n, size_t *end)
{
    placed p = {0};
    p.head = malloc(sizeof *p.head * ((size_t)g->nt + 2));
    p.next = malloc(sizeof *p.next * ((size_t)n + 1));
    p.longs = malloc(sizeof *p.longs * ((size_t)n + 1));
    span *spans = malloc(sizeof *spans * ((size_t)n + 1));
    drt_status s = DRT_OK;
    if (!p.head || !p.next || !p.longs || !spans) {
        s = drt_error(DRT_STATUS_OOM, "memplan: out of memory");
        goto done;
    }
    for (int i = 0; i < g->nt + 2; i++) p.head[i] = -1;
    qsort(items, (size_t)n, sizeof *items, by_size_desc);
    for (int k = 0; k < n; k++) {
        size_t off = place(g, items, k, &p, spans);
        g->offset[items[k].t] = off;
        if (off + items[k].size > *end) *end = off + items[k].size;
    }
done:
    free(p.head);
    free(p.next);
    free(p.longs);
    free(spans);
    return s;
}

drt_status drt_pass_memplan(drt_xgraph *g, size_t (*bytes_of)(const drt_xgraph *g, int t, void *ctx), void *ctx)
{
    lifetimes(g);
    item *items = malloc(sizeof *items * (size_t)g->nt);
    if (!items) return drt_error(DRT_STATUS_OOM, "memplan: out of memory");
    int n = 0;
    g->naive_bytes = 0;
    for (int t = 0; t < g->nt; t++) {
        int live = t == 0 || g->node[t - 1].live;
        int is_identity = t > 0 && g->node[t - 1].identity;
        if (live && !is_identity) g->naive_bytes += align_up(bytes_of(g, t, ctx));
        if (g->root[t] != t || g->last[t] < 0) continue;
        items[n++] = (item){t, align_up(bytes_of(g, t, ctx))};
    }
    int on = drt_xgraph_pass_on(g, DRT_PASS_MEMPLAN);
    size_t end = 0;
    drt_status s = DRT_OK;
    if (on) {
        s = place_all(g, items, n, &end);
    } else {
        for (int k = 0; k < n; k++) {
            g->offset[items[k].t] = end;
            end += items[k].size;
        }
    }
    g->arena_bytes = end;
    free(items);
    if (s != DRT_OK) return s;
    drt_xgraph_logf(g, "pass memplan: %s: %d buffer(s), %.2f MiB per image planned vs %.2f MiB naive (one buffer per layer)",
                    on ? "on" : "off", n, end / 1048576.0, g->naive_bytes / 1048576.0);
    return DRT_OK;
}
