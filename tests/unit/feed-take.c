/* feed_take (cli/video-feed.c), on source queues filled by hand: with more sources queued than a take
 * holds, the round robin goes on after the last source served, so each source is served once every
 * ceil(n / max) takes (starting one source later each take, as before, served some 3 times in 3
 * takes and one once); each source's frames come in order; a bursting source gets what the others
 * leave of each take. */
#include "unit/check.h"
#include "../../cli/video-feed.c"

#define SLOTS 64

static void open_feed(feed *f, int n, const int *counts)
{
    memset(f, 0, sizeof *f);
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->changed, NULL);
    f->sources = calloc((size_t)n, sizeof *f->sources);
    f->n = n;
    for (int i = 0; i < n; i++) {
        feed_source *s = &f->sources[i];
        *s = (feed_source){.ended = 1, .feed = f};
        drt_live_ring_init(&s->queue, sizeof(feed_frame), SLOTS, 0, free_queued);
        for (int k = 0; k < counts[i]; k++) drt_live_ring_push(&s->queue, &(feed_frame){.index = k}, 0);
    }
}

static void close_feed(feed *f)
{
    for (int i = 0; i < f->n; i++) drt_live_ring_free(&f->sources[i].queue);
    free(f->sources);
    pthread_cond_destroy(&f->changed);
    pthread_mutex_destroy(&f->lock);
}

int main(void)
{
    feed f;
    feed_frame frames[8];
    int src[8], served[6] = {0}, last_take[6], next_index[6] = {0};

    /* 6 sources with 12 frames each, takes of 4: 18 takes hold them all. */
    int full[6] = {12, 12, 12, 12, 12, 12};
    open_feed(&f, 6, full);
    for (int i = 0; i < 6; i++) last_take[i] = -1;
    for (int t = 0; t < 18; t++) {
        int k = feed_take(&f, frames, src, 4);
        CHECK(k == 4, "take %d: %d frames", t, k);
        for (int j = 0; j < k; j++) {
            int i = src[j];
            CHECK(frames[j].index == next_index[i], "take %d: source %d gave frame %lld, not %d", t, i,
                  (long long)frames[j].index, next_index[i]);
            next_index[i]++;
            CHECK(t - last_take[i] <= 2, "take %d: source %d last served at take %d", t, i, last_take[i]);
            last_take[i] = t;
            served[i]++;
        }
        if (t == 2)
            for (int i = 0; i < 6; i++) CHECK(served[i] == 2, "after 3 takes source %d served %d times, not 2", i, served[i]);
    }
    CHECK(feed_take(&f, frames, src, 4) == 0, "a 19th take found frames");
    close_feed(&f);

    /* A burst: source 2 holds 30 frames, the others 1 each; takes of 8 give the others theirs in the
     * first take and the burst the rest of each: 5, then 8, 8, 8, 1. */
    int burst[4] = {1, 1, 30, 1}, want[5] = {5, 8, 8, 8, 1}, got = 0;
    open_feed(&f, 4, burst);
    for (int t = 0; t < 5; t++) {
        int k = feed_take(&f, frames, src, 8), mine = 0;
        for (int j = 0; j < k; j++) {
            if (src[j] != 2) continue;
            CHECK(frames[j].index == got, "burst: frame %lld, not %d", (long long)frames[j].index, got);
            got++, mine++;
        }
        CHECK(mine == want[t] && (t > 0 || k == 8) && (t == 0 || k == mine), "take %d: %d of %d from the burst", t, mine, k);
    }
    CHECK(got == 30 && feed_take(&f, frames, src, 8) == 0, "burst: %d of 30 taken", got);
    close_feed(&f);
    return DONE();
}
