/* A source's bounded frame queue: a ring of the caller's items (copied in and out by value), each with its
 * decode time, dropping as live-drop.h says. The one queue of the CLI (cli/video-feed.c) and of Python
 * (python/src/video-live.c). Header-only, like live-drop.h: the Python extension links no video module.
 * Not thread-safe: the caller's lock is held around every call. */
#ifndef DRT_VIDEO_LIVE_RING_H
#define DRT_VIDEO_LIVE_RING_H

#include <stdlib.h>
#include <string.h>
#include "video/live-drop.h"

typedef struct drt_live_ring {
    unsigned char *items;   /* `slots` items of `size` bytes */
    double *decoded_ms;     /* each slot's decode time: the rule's wait */
    size_t size;
    int capacity, slots;    /* the depth (live-drop.h); slots: drt_live_slots */
    double fps;
    int head, count;
    long long dropped;      /* dropped by the rule (and freed with free_item) */
    void (*free_item)(void *item);
} drt_live_ring;

/* An empty ring of items of `size` bytes, `capacity` deep, with the rule at the stream's fps (0: the depth
 * alone). A queue that must never drop (a file's) waits for count < capacity before each push.
 * free_item frees a dropped or leftover item. Returns 0, or -1 out of memory. */
static inline int drt_live_ring_init(drt_live_ring *r, size_t size, int capacity, double fps, void (*free_item)(void *))
{
    int slots = drt_live_slots(capacity, fps);
    *r = (drt_live_ring){.size = size, .capacity = capacity, .slots = slots, .fps = fps, .free_item = free_item};
    r->items = calloc((size_t)slots, size);
    r->decoded_ms = calloc((size_t)slots, sizeof *r->decoded_ms);
    if (r->items && r->decoded_ms) return 0;
    free(r->items);
    free(r->decoded_ms);
    *r = (drt_live_ring){0};
    return -1;
}

/* Queues a copy of item, decoded at decoded_ms (not before the last push's), after dropping the oldest
 * items that the rule drops: their wait is measured at this item's decode time. */
static inline void drt_live_ring_push(drt_live_ring *r, const void *item, double decoded_ms)
{
    while (r->count && drt_live_drop(r->count, r->capacity, r->fps, decoded_ms - r->decoded_ms[r->head])) {
        r->free_item(r->items + (size_t)r->head * r->size);
        r->head = (r->head + 1) % r->slots;
        r->count--;
        r->dropped++;
    }
    int tail = (r->head + r->count) % r->slots;
    memcpy(r->items + (size_t)tail * r->size, item, r->size);
    r->decoded_ms[tail] = decoded_ms;
    r->count++;
}

/* Moves the oldest item into out (the caller frees it now). Returns 0 when the ring is empty. */
static inline int drt_live_ring_take(drt_live_ring *r, void *out)
{
    if (!r->count) return 0;
    memcpy(out, r->items + (size_t)r->head * r->size, r->size);
    r->head = (r->head + 1) % r->slots;
    r->count--;
    return 1;
}

/* Frees the items left and the ring (a zeroed or failed ring too). */
static inline void drt_live_ring_free(drt_live_ring *r)
{
    for (int k = 0; k < r->count; k++) r->free_item(r->items + (size_t)((r->head + k) % r->slots) * r->size);
    free(r->items);
    free(r->decoded_ms);
    *r = (drt_live_ring){0};
}

#endif
