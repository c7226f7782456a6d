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

static size_t place(drt_xgraph *g, const item *items, int k, size_t *end)
{
    /* lowest offset that clears every placed, lifetime-overlapping buffer */
    size_t off = 0;
    for (int moved = 1; moved;) {
        moved = 0;
        for (int j = 0; j < k; j++) {
            int u = items[j].t;
            if (!overlap(g, items[k].t, u)) continue;
            size_t lo = g->offset[u], hi = lo + items[j].size;
            if (off < hi && lo < off + items[k].size) {
                off = hi;
                moved = 1;
            }
        }
    }
    if (off + items[k].size > *end) *end = off + items[k].size;
    return off;
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
    if (on) {
        qsort(items, (size_t)n, sizeof *items, by_size_desc);
        for (int k = 0; k < n; k++) g->offset[items[k].t] = place(g, items, k, &end);
    } else {
        for (int k = 0; k < n; k++) {
            g->offset[items[k].t] = end;
            end += items[k].size;
        }
    }
    g->arena_bytes = end;
    free(items);
    drt_xgraph_logf(g, "pass memplan: %s: %d buffer(s), %.2f MiB per image planned vs %.2f MiB naive (one buffer per layer)",
                    on ? "on" : "off", n, end / 1048576.0, g->naive_bytes / 1048576.0);
    return DRT_OK;
}
