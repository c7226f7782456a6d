/* Page-locked host memory for frames (drt_device_stages.host_alloc/host_free): the pipeline's
 * workers put decoded pixels there, so the upload copies from them directly and the batch thread
 * copies nothing. Pinned allocation is slow (it maps pages), so freed blocks are kept by size
 * class (powers of two from 1 MiB) and reused; the pool is bounded, and past the bound (or when
 * CUDA refuses) the caller keeps its ordinary memory. Thread-safe; freed with the engine. */
#include "backend/cuda/cuda-internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define MIN_SHIFT 20
#define CLASSES 12                 /* 1 MiB .. 2 GiB blocks */
#define POOL_MAX ((size_t)4 << 30) /* pinned bytes at most */
#define HEADER 256                 /* before each block's data: its class and free-list link */

typedef struct block {
    struct block *next;
    int cls;
} block;

struct cu_pinned {
    pthread_mutex_t lock;
    block *free[CLASSES];
    size_t total;
};

static int size_class(size_t bytes)
{
    int c = 0;
    while (c < CLASSES && ((size_t)1 << (MIN_SHIFT + c)) - HEADER < bytes) c++;
    return c;
}

static cu_pinned *pool_of(cu_engine *g)
{
    cu_pinned *p = atomic_load(&g->pinned);
    if (p) return p;
    cu_pinned *fresh = calloc(1, sizeof *fresh);
    if (!fresh) return NULL;
    pthread_mutex_init(&fresh->lock, NULL);
    cu_pinned *none = NULL;
    if (atomic_compare_exchange_strong(&g->pinned, &none, fresh)) return fresh;
    pthread_mutex_destroy(&fresh->lock); /* another thread made it first */
    free(fresh);
    return none;
}

void *drt_cuda_host_alloc(drt_engine *e, size_t bytes)
{
    cu_engine *g = e->impl;
    cu_pinned *p = pool_of(g);
    int c = size_class(bytes);
    if (!p || c == CLASSES) return NULL;
    size_t size = (size_t)1 << (MIN_SHIFT + c);
    pthread_mutex_lock(&p->lock);
    block *b = p->free[c];
    if (b) p->free[c] = b->next;
    else if (p->total + size <= POOL_MAX) p->total += size;
    else size = 0;
    pthread_mutex_unlock(&p->lock);
    if (!b && size) {
        if (cudaSetDevice(g->dev) != cudaSuccess || cudaHostAlloc((void **)&b, size, cudaHostAllocDefault) != cudaSuccess) {
            cudaGetLastError();
            pthread_mutex_lock(&p->lock);
            p->total -= size;
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        b->cls = c;
    }
    return b ? (char *)b + HEADER : NULL;
}

void drt_cuda_host_free(drt_engine *e, void *ptr)
{
    if (!ptr) return;
    cu_pinned *p = atomic_load(&((cu_engine *)e->impl)->pinned);
    block *b = (block *)((char *)ptr - HEADER);
    pthread_mutex_lock(&p->lock);
    b->next = p->free[b->cls];
    p->free[b->cls] = b;
    pthread_mutex_unlock(&p->lock);
}

/* Every block is back (the pipeline, the only user, is gone before its engine). */
void drt_cuda_pinned_free(cu_engine *g)
{
    cu_pinned *p = atomic_exchange(&g->pinned, NULL);
    if (!p) return;
    for (int c = 0; c < CLASSES; c++)
        for (block *b = p->free[c], *next; b; b = next) {
            next = b->next;
            cudaFreeHost(b);
        }
    pthread_mutex_destroy(&p->lock);
    free(p);
}
