/* The library's messages (warnings, verbose output): to the caller's log callback, else stderr. */
#include "core/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static drt_log_fn log_fn;
static void *log_user;
static void (*forward)(drt_log_level level, const char *line); /* in a module: the host's drt_log_line */

void drt_log_forward(void (*fn)(drt_log_level level, const char *line)) { forward = fn; }

void drt_set_log_callback(drt_log_fn fn, void *user)
{
    pthread_mutex_lock(&lock);
    log_fn = fn;
    log_user = user;
    pthread_mutex_unlock(&lock);
}

void drt_log_line(drt_log_level level, const char *line)
{
    if (forward) {
        forward(level, line);
        return;
    }
    pthread_mutex_lock(&lock);
    drt_log_fn fn = log_fn;
    void *user = log_user;
    pthread_mutex_unlock(&lock);
    if (fn) fn(level, line, user);
    else if (level == DRT_LOG_WARNING) fprintf(stderr, "darkrt: warning: %s\n", line);
    else fprintf(stderr, "%s\n", line);
}

/* drt_log_file(): a stream whose complete lines become DRT_LOG_INFO messages. glibc holds the
 * stream's lock while it calls write, which guards `pending`. */
static char pending[1024];
static size_t n_pending;

static ssize_t write_lines(void *cookie, const char *buf, size_t size)
{
    (void)cookie;
    for (size_t i = 0; i < size; i++) {
        if (buf[i] != '\n' && n_pending < sizeof pending - 1) pending[n_pending++] = buf[i];
        if (buf[i] != '\n') continue;
        pending[n_pending] = '\0';
        drt_log_line(DRT_LOG_INFO, pending);
        n_pending = 0;
    }
    return (ssize_t)size;
}

static FILE *info_file;
static pthread_once_t info_once = PTHREAD_ONCE_INIT;

static void open_info_file(void)
{
    info_file = fopencookie(NULL, "w", (cookie_io_functions_t){.write = write_lines});
    if (info_file) setvbuf(info_file, NULL, _IOLBF, 0);
}

FILE *drt_log_file(void)
{
    pthread_once(&info_once, open_info_file);
    return info_file ? info_file : stderr;
}
