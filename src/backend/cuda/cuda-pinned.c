/* Page-locked host memory for frames (drt_device_stages.host_alloc/host_free): the pipeline's
 * workers put decoded pixels there, so the upload copies from them directly and the batch thread
 * copies nothing. Pinned allocation is slow (it maps pages), so freed blocks are kept by size
 * class (powers of two from 1 MiB) and reused; the pool is bounded, and past the bound (or when
 * CUDA refuses) the caller keeps its ordinary memory. With DRT_CUDA_PINNED_SLABS=1 (a debug switch,
 * off until measured on the device) blocks are carved from slabs of 32 MiB: a pipeline's pool holds
 * some 300 blocks of 2-8 MiB, each a cudaHostAlloc and a cudaFreeHost (freed one by one, maybe much of
 * the 0.17-0.3 s between the end of a run and its engine freed on the H200). Thread-safe; freed with
 * the engine. */
#include "backend/cuda/cuda-internal.h"
#include "core/env-switch.h"
#include "core/timeline.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define MIN_SHIFT 20
#define CLASSES 12                 /* 1 MiB .. 2 GiB blocks */
#define SLAB ((size_t)32 << 20)    /* DRT_CUDA_PINNED_SLABS=1: one cudaHostAlloc, blocks of one class (one when larger) */
#define POOL_MAX ((size_t)4 << 30) /* pinned bytes at most */
#define HEADER 256                 /* before each block's data: its class and free-list link */

typedef struct block {
    struct block *next;
    int cls;
    struct block *slab_next; /* the first block of each slab: the next slab (for cudaFreeHost) */
} block;

struct cu_pinned {
    pthread_mutex_t lock;
    size_t slab;             /* SLAB with DRT_CUDA_PINNED_SLABS=1, else 0: each block its own allocation */
    pthread_cond_t made;     /* a slab's blocks are in the pool (or CUDA refused it) */
    unsigned char making[CLASSES]; /* a slab of the class being made: its blocks serve the threads that wait */
    block *free[CLASSES];
    size_t total;            /* bytes of the slabs made or being made */
    block *slabs;            /* every slab's first block */
    int n_slabs;
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
    pthread_cond_init(&fresh->made, NULL);
    fresh->slab = drt_env_switch("DRT_CUDA_PINNED_SLABS", NULL) == 1 ? SLAB : 0;
    cu_pinned *none = NULL;
    if (atomic_compare_exchange_strong(&g->pinned, &none, fresh)) return fresh;
    pthread_mutex_destroy(&fresh->lock); /* another thread made it first */
    pthread_cond_destroy(&fresh->made);
    free(fresh);
    return none;
}

/* A new slab (its bytes reserved under POOL_MAX) for class c: its first block returned, the others
 * freed into the pool; NULL when CUDA refuses (the reservation given back). Outside the lock. */
static block *new_slab(cu_engine *g, cu_pinned *p, int c, size_t slab)
{
    size_t size = (size_t)1 << (MIN_SHIFT + c);
    char *mem = NULL;
    if (cudaSetDevice(g->dev) != cudaSuccess || cudaHostAlloc((void **)&mem, slab, cudaHostAllocDefault) != cudaSuccess) {
        cudaGetLastError();
        mem = NULL;
    }
    block *first = (block *)mem;
    pthread_mutex_lock(&p->lock);
    if (!mem) p->total -= slab;
    for (size_t off = size; mem && off + size <= slab; off += size) {
        block *b = (block *)(mem + off);
        b->cls = c;
        b->next = p->free[c];
        p->free[c] = b;
    }
    if (first) {
        first->cls = c;
        first->slab_next = p->slabs;
        p->slabs = first;
        p->n_slabs++;
    }
    p->making[c] = 0;
    pthread_cond_broadcast(&p->made);
    pthread_mutex_unlock(&p->lock);
    return first;
}

void *drt_cuda_host_alloc(drt_engine *e, size_t bytes)
{
    cu_engine *g = e->impl;
    cu_pinned *p = pool_of(g);
    int c = size_class(bytes);
    if (!p || c == CLASSES) return NULL;
    size_t size = (size_t)1 << (MIN_SHIFT + c), slab = size < p->slab ? p->slab : size;
    pthread_mutex_lock(&p->lock);
    while (p->slab && !p->free[c] && p->making[c]) pthread_cond_wait(&p->made, &p->lock); /* one slab of a class at a
                                                                                            * time: the workers do not
                                                                                            * pin 16 at once */
    block *b = p->free[c];
    if (b) p->free[c] = b->next;
    else if (p->total + slab > POOL_MAX) slab = p->total + size <= POOL_MAX ? size : 0; /* near the bound: one block */
    if (!b && slab) p->total += slab, p->making[c] = p->slab != 0;
    pthread_mutex_unlock(&p->lock);
    if (!b && slab) b = new_slab(g, p, c, slab);
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

/* Every block is back (the pipeline, the only user, is gone before its engine): the slabs freed. */
void drt_cuda_pinned_free(cu_engine *g)
{
    cu_pinned *p = atomic_exchange(&g->pinned, NULL);
    if (!p) return;
    for (block *b = p->slabs, *next; b; b = next) {
        next = b->slab_next;
        cudaFreeHost(b);
    }
    drt_timeline("cuda: page-locked pool freed (%d slabs, %zu MiB)", p->n_slabs, p->total >> 20);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->made);
    free(p);
}
