/* Internal error helpers: set the thread's error text and return a status in one line. */
#ifndef DRT_CORE_ERROR_H
#define DRT_CORE_ERROR_H

#include "darkrt/status.h"

#if defined(__GNUC__)
#define DRT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define DRT_PRINTF(a, b)
#endif

/* Sets the calling thread's error text (printf-style) and returns status. */
drt_status drt_error(drt_status status, const char *fmt, ...) DRT_PRINTF(2, 3);

/* Like drt_error, appending ": <strerror(errno)>". */
drt_status drt_error_errno(drt_status status, const char *fmt, ...) DRT_PRINTF(2, 3);

/* Prefixes the current error text with "prefix: " (adds context while unwinding). */
void drt_error_prefix(const char *fmt, ...) DRT_PRINTF(1, 2);

void drt_error_clear(void);

/* In a module (core/module.h): every error text is handed to fn, the host's setter, as well. */
void drt_error_forward(void (*fn)(const char *text));

/* A warning for the log (core/log.h: the callback, else "darkrt: warning: ..." on stderr). */
void drt_warn(const char *fmt, ...) DRT_PRINTF(1, 2);

/* Invariants only, never user input: prints file:line and aborts. */
#define DRT_ASSERT(cond) \
    do { if (!(cond)) drt_assert_fail(#cond, __FILE__, __LINE__); } while (0)
void drt_assert_fail(const char *cond, const char *file, int line);

/* Public functions check their pointer arguments before anything else: a NULL one sets the error text
 * "FUNCTION: ARG is NULL" and returns DRT_STATUS_INVALID_ARG (DRT_ARG_OR: returns `fallback`, from a
 * function that returns no status; for void functions leave it empty). tests/unit/null-args.c calls
 * every public function with each pointer argument NULL. */
drt_status drt_null_arg(const char *function, const char *arg);
#define DRT_ARG(ptr, name) \
    do { if (!(ptr)) return drt_null_arg(__func__, name); } while (0)
#define DRT_ARG_OR(ptr, name, fallback) \
    do { if (!(ptr)) { drt_null_arg(__func__, name); return fallback; } } while (0)

/* Evaluates a status expression and returns it from the enclosing function on failure. */
#define DRT_TRY(expr) \
    do { drt_status drt_try_s_ = (expr); if (drt_try_s_ != DRT_OK) return drt_try_s_; } while (0)

#endif
