/* The live queues' ring (src/video/live-ring.h), against answers worked out by hand from live-drop.h's rule:
 * items come out in the order they went in across many wraparounds (of a ring whose slots exceed its depth,
 * so a ring wrapped at its depth fails too); a burst stays up to depth + one second of frames and then drops
 * one oldest item a push; frames that waited longer than the depth lasts drop down to below the depth; an
 * unknown rate drops at the depth alone; every item is freed exactly once: dropped ones by the ring as they
 * drop, leftovers by drt_live_ring_free (items own memory: ASan's leak check sees one not freed). */
#include "unit/check.h"
#include "video/live-ring.h"

#define MAX_ITEMS 4096

typedef struct item {
    int index;
    int *payload; /* malloc'd; holds index */
} item;

static int freed[MAX_ITEMS];

static void free_item(void *p)
{
    item *it = p;
    freed[*it->payload]++;
    free(it->payload);
    it->payload = NULL;
}

static void push(drt_live_ring *r, int index, double ms)
{
    item it = {.index = index, .payload = malloc(sizeof(int))};
    *it.payload = index;
    drt_live_ring_push(r, &it, ms);
}

/* Takes the oldest item (its index), freeing it as a consumer does; -1 when empty. */
static int take(drt_live_ring *r)
{
    item it;
    if (!drt_live_ring_take(r, &it)) return -1;
    CHECK(*it.payload == it.index, "item %d carries payload %d", it.index, *it.payload);
    free_item(&it);
    return it.index;
}

/* Every item pushed, 0..n, freed exactly once; resets the counts. */
static void check_all_freed(const char *what, int n)
{
    for (int i = 0; i < n; i++) CHECK(freed[i] == 1, "%s: item %d freed %d times", what, i, freed[i]);
    memset(freed, 0, sizeof freed);
}

int main(void)
{
    drt_live_ring r;

    /* Order across wraparounds: depth 8 at 30 fps has 38 slots; 75 rounds of a 20-frame burst (1 ms apart: none
     * drops) taken whole wrap the ring about 40 times, with more queued than the depth. */
    CHECK(drt_live_ring_init(&r, sizeof(item), 8, 30, free_item) == 0 && r.slots == 38, "slots %d", r.slots);
    int next_in = 0, next_out = 0;
    for (int round = 0; round < 75; round++) {
        for (int k = 0; k < 20; k++, next_in++) push(&r, next_in, round * 1000.0 + k);
        for (int k = 0; k < 20; k++, next_out++) {
            int got = take(&r);
            CHECK(got == next_out, "round %d: took %d, not %d", round, got, next_out);
        }
    }
    CHECK(r.count == 0 && r.dropped == 0 && take(&r) == -1, "order: %d left, %lld dropped", r.count, r.dropped);
    push(&r, next_in++, 75000);
    drt_live_ring_free(&r); /* one left */
    check_all_freed("order", next_in);

    /* A burst nobody takes, 1 ms apart (within the depth's 267 ms): 38 stay; each push after drops the oldest. */
    drt_live_ring_init(&r, sizeof(item), 8, 30, free_item);
    for (int i = 0; i < 38; i++) push(&r, i, i);
    CHECK(r.count == 38 && r.dropped == 0, "burst: %d queued, %lld dropped", r.count, r.dropped);
    for (int i = 38; i < 50; i++) push(&r, i, i);
    CHECK(r.count == 38 && r.dropped == 12, "burst beyond the slots: %d queued, %lld dropped", r.count, r.dropped);
    for (int i = 0; i < 12; i++) CHECK(freed[i] == 1, "burst: dropped item %d freed %d times", i, freed[i]);
    for (int i = 12; i < 50; i++) CHECK(freed[i] == 0, "burst: kept item %d freed", i);
    /* One second later every queued frame has waited too long: they drop down to 7, then the new one queues. */
    push(&r, 50, 1049);
    CHECK(r.count == 8 && r.dropped == 43, "after a pause: %d queued, %lld dropped", r.count, r.dropped);
    CHECK(take(&r) == 43 && take(&r) == 44, "after a pause: the oldest kept is not 43");
    drt_live_ring_free(&r); /* 45..50 left */
    check_all_freed("burst", 51);

    /* Frames 100 ms apart (slower than the 30 fps stated): from the 9th each push drops the oldest (waited
     * 800 ms > 267 ms at the depth), holding the newest 8. */
    drt_live_ring_init(&r, sizeof(item), 8, 30, free_item);
    for (int i = 0; i < 20; i++) push(&r, i, i * 100.0);
    CHECK(r.count == 8 && r.dropped == 12, "slow frames: %d queued, %lld dropped", r.count, r.dropped);
    CHECK(take(&r) == 12, "slow frames: the oldest kept is not 12");
    drt_live_ring_free(&r);
    check_all_freed("slow frames", 20);

    /* An unknown rate: 8 slots, the depth alone; a burst of 20 keeps the newest 8. */
    drt_live_ring_init(&r, sizeof(item), 8, 0, free_item);
    for (int i = 0; i < 20; i++) push(&r, i, i);
    CHECK(r.slots == 8 && r.count == 8 && r.dropped == 12, "fps 0: %d slots, %d queued, %lld dropped", r.slots, r.count,
          r.dropped);
    for (int i = 12; i < 20; i++) CHECK(take(&r) == i, "fps 0: not item %d", i);
    drt_live_ring_free(&r);
    check_all_freed("fps 0", 20);

    drt_live_ring zero = {0};
    drt_live_ring_free(&zero); /* a source that failed to open */
    return DONE();
}
