/* Per-thread error text and status names. */
#include "core/error.h"
#include "core/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char last_error[1024];
/* In a module (core/module.h): the host's setter, which every new error text is handed to. */
static void (*forward)(const char *text);

void drt_error_forward(void (*fn)(const char *text)) { forward = fn; }

static void one_printable_line(char *s);

/* last_error is complete: clean it and hand it on. */
static void settled(void)
{
    one_printable_line(last_error);
    if (forward) forward(last_error);
}

static const char *const status_names[DRT_STATUS_COUNT] = {
    [DRT_OK] = "ok",
    [DRT_STATUS_INVALID_ARG] = "invalid argument",
    [DRT_STATUS_IO] = "I/O error",
    [DRT_STATUS_PARSE] = "parse error",
    [DRT_STATUS_FORMAT] = "format error",
    [DRT_STATUS_UNSUPPORTED] = "unsupported",
    [DRT_STATUS_OOM] = "out of memory",
    [DRT_STATUS_CUDA] = "CUDA error",
    [DRT_STATUS_INTERNAL] = "internal error",
    [DRT_STATUS_NO_DEVICE] = "no such device",
};

const char *drt_status_str(drt_status status)
{
    if ((int)status < 0 || status >= DRT_STATUS_COUNT) return "unknown status";
    return status_names[status];
}

const char *drt_last_error(void) { return last_error; }

/* Error texts quote names and lines from files (cfg keys, ONNX names, plan versions): a control
 * byte there must not split the one-line message or drive the terminal, so it shows as '?'. */
static void one_printable_line(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) *s = '?';
}

const char *drt_version(void) { return DRT_VERSION_STRING; }
int drt_version_number(void) { return DRT_VERSION_NUMBER; }

drt_status drt_error(drt_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    settled();
    return status;
}

drt_status drt_null_arg(const char *function, const char *arg)
{
    return drt_error(DRT_STATUS_INVALID_ARG, "%s: %s is NULL", function, arg);
}

drt_status drt_error_errno(drt_status status, const char *fmt, ...)
{
    int saved = errno;
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(last_error, sizeof last_error, "%s: %s", msg, strerror(saved));
    settled();
    return status;
}

void drt_error_prefix(const char *fmt, ...)
{
    char prefix[512], old[sizeof last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, last_error, sizeof old);
    snprintf(last_error, sizeof last_error, "%s: %s", prefix, old);
    settled();
}

void drt_error_clear(void)
{
    last_error[0] = '\0';
    if (forward) forward(last_error);
}

void drt_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    one_printable_line(msg);
    drt_log_line(DRT_LOG_WARNING, msg);
    va_end(ap);
}

void drt_assert_fail(const char *cond, const char *file, int line)
{
    char msg[1024]; /* through the log (the callback, else stderr), as every message of the library */
    snprintf(msg, sizeof msg, "internal error: %s:%d: assertion failed: %s", file, line, cond);
    drt_log_line(DRT_LOG_WARNING, msg);
    abort();
}
