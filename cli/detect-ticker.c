/* detect's progress line on the timeline (detect-ticker.h). */
#include "detect-ticker.h"

#include "core/timeline.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct detect_ticker {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stop, total;
    const _Atomic int *done;
};

static void *tick(void *arg)
{
    detect_ticker *t = arg;
    pthread_mutex_lock(&t->lock);
    struct timespec at;
    clock_gettime(CLOCK_REALTIME, &at);
    while (!t->stop) {
        at.tv_sec += 1;
        if (pthread_cond_timedwait(&t->wake, &t->lock, &at) && !t->stop)
            drt_timeline("detect: %d of %d results", *t->done, t->total);
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

detect_ticker *detect_ticker_start(const _Atomic int *done, int total)
{
    if (!drt_timeline_on()) return NULL;
    detect_ticker *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->done = done, t->total = total;
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->wake, NULL);
    if (pthread_create(&t->thread, NULL, tick, t)) {
        pthread_cond_destroy(&t->wake);
        pthread_mutex_destroy(&t->lock);
        free(t);
        return NULL;
    }
    return t;
}

void detect_ticker_stop(detect_ticker *t)
{
    if (!t) return;
    pthread_mutex_lock(&t->lock);
    t->stop = 1;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
    pthread_cond_destroy(&t->wake);
    pthread_mutex_destroy(&t->lock);
    free(t);
}
