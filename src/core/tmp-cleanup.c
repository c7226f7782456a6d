/* Live temporaries of atomic writes, removed when SIGINT, SIGTERM, SIGHUP or SIGPIPE ends the process
 * (the handler is installed only where the signal's action is still the default). */
#define _POSIX_C_SOURCE 200809L
#include "core/fileio.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MAX_LIVE = 64 };

/* Each slot owns a copy of a temporary's name; the handler reads the slots and only calls unlink. */
static _Atomic(char *) live[MAX_LIVE];
static const int cleanup_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

static void on_signal(int sig)
{
    for (int i = 0; i < MAX_LIVE; i++) {
        char *p = atomic_load(&live[i]);
        if (p) unlink(p);
    }
    /* SA_RESETHAND restored the default action: the re-raised signal ends the process as it would have. */
    raise(sig);
}

static void install(void)
{
    for (size_t i = 0; i < sizeof cleanup_signals / sizeof cleanup_signals[0]; i++) {
        struct sigaction old, sa;
        if (sigaction(cleanup_signals[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL || (old.sa_flags & SA_SIGINFO))
            continue; /* the application handles it */
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sa.sa_flags = SA_RESETHAND;
        sigemptyset(&sa.sa_mask);
        sigaction(cleanup_signals[i], &sa, NULL);
    }
}

void drt_tmp_block_signals(int block, void *saved)
{
    pthread_once(&install_once, install);
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof cleanup_signals / sizeof cleanup_signals[0]; i++) sigaddset(&set, cleanup_signals[i]);
    if (block) pthread_sigmask(SIG_BLOCK, &set, (sigset_t *)saved);
    else pthread_sigmask(SIG_SETMASK, (const sigset_t *)saved, NULL);
}

int drt_tmp_register(const char *tmp_path)
{
    pthread_once(&install_once, install);
    char *copy = strdup(tmp_path);
    for (int i = 0; copy && i < MAX_LIVE; i++) {
        char *expected = NULL;
        if (atomic_compare_exchange_strong(&live[i], &expected, copy)) return i + 1;
    }
    free(copy); /* more than 64 at once: this one is not removed on a signal */
    return 0;
}

void drt_tmp_unregister(int slot)
{
    if (slot < 1 || slot > MAX_LIVE) return;
    free(atomic_exchange(&live[slot - 1], NULL));
}
