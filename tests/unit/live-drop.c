/* A live queue's drop rule (src/video/live-drop.h), simulated on a queue that takes frames at given
 * times and hands the oldest to a consumer at a given rate, against the rule it replaces (drop the
 * oldest when the queue is at its depth): under steady overload it drops and keeps latency within a
 * frame of the old rule's; a burst (a backlog decoded faster than the stream's rate: a late open)
 * while the consumer keeps up loses nothing where the old rule lost frames; a burst nobody takes is
 * held to the depth plus one second of the stream; an unknown rate gives the old rule's drops. */
#include "unit/check.h"
#include "video/live-drop.h"

#define MAX_FRAMES 1000

typedef struct sim {
    int dropped, taken, max_count;
    double max_wait_ms; /* of the frames taken while frames still arrive */
    int in_order;       /* taken frames' indices only increase */
} sim;

/* Frames arrive at arrive_ms[0..n) (increasing); the consumer takes the oldest every take_ms (from
 * take_ms on; never when take_ms <= 0). old_rule: drop at the depth alone. */
static sim run(const double *arrive_ms, int n, double take_ms, int capacity, double fps, int old_rule)
{
    double t_queued[MAX_FRAMES];
    int idx[MAX_FRAMES], head = 0, count = 0, last = -1;
    sim r = {.in_order = 1};
    double next_take = take_ms > 0 ? take_ms : 1e300;
    for (int i = 0; i <= n; i++) {
        double now = i < n ? arrive_ms[i] : 1e299;
        while (next_take <= now && (count || i < n)) { /* the consumer's takes before this arrival */
            if (count) {
                double wait = next_take - t_queued[head];
                if (i < n && wait > r.max_wait_ms) r.max_wait_ms = wait; /* not the drain after the last */
                if (idx[head] <= last) r.in_order = 0;
                last = idx[head++];
                count--;
                r.taken++;
            }
            next_take += take_ms;
            if (!count && i == n) break;
        }
        if (i == n) break;
        while (count && (old_rule ? count >= capacity : drt_live_drop(count, capacity, fps, now - t_queued[head]))) {
            head++;
            count--;
            r.dropped++;
        }
        t_queued[head + count] = now;
        idx[head + count] = i;
        count++;
        if (count > r.max_count) r.max_count = count;
    }
    return r;
}

int main(void)
{
    double t[MAX_FRAMES];
    CHECK(drt_live_slots(8, 30) == 38, "%d", drt_live_slots(8, 30));
    CHECK(drt_live_slots(8, 29.97) == 38, "%d", drt_live_slots(8, 29.97));
    CHECK(drt_live_slots(4, 10) == 14, "%d", drt_live_slots(4, 10));
    CHECK(drt_live_slots(8, 0) == 8 && drt_live_slots(8, 1000) == 8 && drt_live_slots(8, -1) == 8, "unknown rates");

    /* Steady overload: 30 fps in, taken at 15 fps, depth 8 (267 ms). */
    for (int i = 0; i < 300; i++) t[i] = i * 1000.0 / 30;
    sim now = run(t, 300, 1000.0 / 15, 8, 30, 0), old = run(t, 300, 1000.0 / 15, 8, 30, 1);
    CHECK(now.dropped >= 140 && now.dropped <= old.dropped, "overload: %d dropped (old rule %d)", now.dropped, old.dropped);
    CHECK(now.max_wait_ms <= old.max_wait_ms + 1000.0 / 30 + 1e-6, "overload latency %.1f ms, old rule %.1f ms",
          now.max_wait_ms, old.max_wait_ms);
    CHECK(now.max_count <= 9 && now.in_order, "overload: %d queued at most", now.max_count);

    /* A late open: 36 frames of backlog decoded at 300 fps, then the stream's 30 fps; the consumer keeps
     * up (150 fps). The old rule lost the burst's overflow. */
    int n = 0;
    for (; n < 36; n++) t[n] = n * 1000.0 / 300;
    for (int i = 0; i < 150; i++, n++) t[n] = t[35] + (i + 1) * 1000.0 / 30;
    now = run(t, n, 1000.0 / 150, 8, 30, 0), old = run(t, n, 1000.0 / 150, 8, 30, 1);
    CHECK(now.dropped == 0 && now.taken == n && now.in_order, "burst: %d dropped, %d of %d taken", now.dropped, now.taken, n);
    CHECK(old.dropped > 0, "burst: the old rule dropped none (the case shows nothing)");
    CHECK(now.max_wait_ms < 8000.0 / 30, "burst: latency %.1f ms", now.max_wait_ms);

    /* The same burst with a consumer as slow as the stream: it cannot catch up, and frames older
     * than the depth's 267 ms drop until it has. */
    now = run(t, n, 1000.0 / 30, 8, 30, 0);
    CHECK(now.dropped > 0 && now.max_wait_ms <= 9000.0 / 30 + 1e-6, "burst, no spare: %d dropped, %.1f ms",
          now.dropped, now.max_wait_ms);

    /* A burst nobody takes: held to the depth plus one second, the newest kept. */
    for (int i = 0; i < 100; i++) t[i] = i * 0.5;
    now = run(t, 100, 0, 8, 30, 0);
    CHECK(now.max_count == 38 && now.dropped == 62, "no consumer: %d queued at most, %d dropped", now.max_count, now.dropped);

    /* An unknown rate (or an implausible one): the old rule's drops, frame for frame. */
    for (int i = 0; i < 60; i++) t[i] = i < 30 ? i : 30 + (i - 30) * 1000.0 / 30;
    for (int k = 0; k < 2; k++) {
        double fps = k ? 1000 : 0;
        now = run(t, 60, 1000.0 / 20, 8, fps, 0), old = run(t, 60, 1000.0 / 20, 8, fps, 1);
        CHECK(now.dropped == old.dropped && now.taken == old.taken && now.max_count == 8, "fps %g: %d/%d dropped", fps,
              now.dropped, old.dropped);
    }
    return DONE();
}
