/* The process timeline (core/timeline.h): times from the process's start as the kernel records it
 * (/proc/self/stat, clock ticks since boot), so what ran before main (loading the program and its
 * libraries) counts too. */
#include "core/timeline.h"
#include "core/env-switch.h"
#include "core/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int on;
static double start_ms; /* the process's start on CLOCK_BOOTTIME, in ms */
static pthread_once_t once = PTHREAD_ONCE_INIT;

static double boot_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Field 22 of /proc/self/stat (starttime), counted after the command name's closing parenthesis. */
static double process_start_ms(void)
{
    char buf[1024];
    FILE *f = fopen("/proc/self/stat", "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f) fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    unsigned long long ticks = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", &ticks) != 1)
        return boot_ms(); /* no /proc: from the first mark */
    return ticks * 1e3 / sysconf(_SC_CLK_TCK);
}

static void init(void)
{
    on = drt_env_switch("DRT_TIMELINE", NULL) == 1;
    if (on) start_ms = process_start_ms();
}

int drt_timeline_on(void)
{
    pthread_once(&once, init);
    return on;
}

void drt_timeline(const char *fmt, ...)
{
    if (!drt_timeline_on()) return;
    double t = boot_ms() - start_ms;
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    fprintf(drt_log_file(), "timeline: %8.1f ms  %s\n", t, what);
    fflush(drt_log_file());
}
