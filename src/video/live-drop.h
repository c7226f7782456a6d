/* When a live source's frame queue drops its oldest frame: one rule for the CLI's queues
 * (cli/video-feed.c) and Python's (python/src/video-live.c), telling "detection is behind" from "a burst
 * arrived". Header-only: the Python extension includes it from here (it links no video module).
 *
 * A queue has a depth (capacity). While detection falls behind, frames queue one after another at the
 * stream's rate, so the oldest of a full queue has waited about capacity / fps: it drops once it has
 * waited longer, which bounds latency as the depth alone did (one frame more at most). A burst (a
 * backlog the decoder gives at once: a stream opened late, frames buffered while it was probed)
 * fills the queue with frames that have waited less: they stay, up to one second of the stream beyond
 * the depth. Memory: no queue holds more than its depth plus one second of frames, and a queue keeps
 * that many (however old, once its source stalls) when every source bursts at once: the worst case,
 * n x (depth + ceil(fps)) frames, about 15 GB of host RGB for 64 1080p30 streams. A rate outside
 * (0, DRT_LIVE_FPS_MAX] (unknown, or a container's guess such as 1000 or 90000) keeps the depth alone. */
#ifndef DRT_VIDEO_LIVE_DROP_H
#define DRT_VIDEO_LIVE_DROP_H

#define DRT_LIVE_FPS_MAX 240

/* The most frames the queue holds (its ring's size): its depth plus one second of the stream. */
static inline int drt_live_slots(int capacity, double fps)
{
    if (!(fps > 0 && fps <= DRT_LIVE_FPS_MAX)) return capacity;
    int second = (int)fps;
    return capacity + second + (second < fps);
}

/* Whether a queue of `count` frames, the oldest decoded oldest_wait_ms ago, drops that one before
 * queueing the next: at its slots, or at its depth with the oldest waiting longer than the depth lasts. */
static inline int drt_live_drop(int count, int capacity, double fps, double oldest_wait_ms)
{
    if (count >= drt_live_slots(capacity, fps)) return 1;
    return count >= capacity && oldest_wait_ms > capacity * 1000.0 / fps;
}

#endif
