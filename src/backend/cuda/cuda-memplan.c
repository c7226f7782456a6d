/* Activation memory planning: buffers whose lifetimes (op ranges) do not overlap share memory
 * in one arena; greedy by size, each at the lowest offset free over its whole lifetime. */
#ifdef DRT_HAVE_CUDA
#include "backend/cuda/cuda-internal.h"

#include <stdlib.h>

static int overlaps(const cu_buf *a, const cu_buf *b) { return a->first <= b->last && b->first <= a->last; }

static int by_size_desc(const void *x, const void *y, void *base)
{
    const cu_buf *bufs = base;
    size_t a = bufs[*(const int *)x].bytes, b = bufs[*(const int *)y].bytes;
    return a < b ? 1 : (a > b ? -1 : (*(const int *)x - *(const int *)y));
}

size_t drt_cuda_memplan(cu_buf *bufs, int n, size_t *naive_out)
{
    int *order = malloc(sizeof(int) * (size_t)(n ? n : 1));
    int *placed = malloc(sizeof(int) * (size_t)(n ? n : 1));
    size_t naive = 0, top = 0;
    for (int i = 0; i < n; i++) naive += bufs[i].bytes;
    *naive_out = naive;
    if (!order || !placed) { /* no plan: one region each */
        free(order);
        free(placed);
        for (int i = 0; i < n; i++) bufs[i].offset = i ? bufs[i - 1].offset + bufs[i - 1].bytes : 0;
        return naive;
    }
    for (int i = 0; i < n; i++) order[i] = i;
    qsort_r(order, (size_t)n, sizeof(int), by_size_desc, bufs);
    int n_placed = 0;
    for (int oi = 0; oi < n; oi++) {
        cu_buf *b = &bufs[order[oi]];
        size_t off = 0;
        for (int moved = 1; moved;) { /* bump past every live, overlapping placed buffer */
            moved = 0;
            for (int j = 0; j < n_placed; j++) {
                const cu_buf *p = &bufs[placed[j]];
                if (!overlaps(b, p)) continue;
                if (off < p->offset + p->bytes && p->offset < off + b->bytes) {
                    off = p->offset + p->bytes;
                    moved = 1;
                }
            }
        }
        b->offset = off;
        if (off + b->bytes > top) top = off + b->bytes;
        placed[n_placed++] = order[oi];
    }
    free(order);
    free(placed);
    return top;
}
#else
typedef int drt_cuda_memplan_unused;
#endif
