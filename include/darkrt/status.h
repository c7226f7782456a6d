/* darkrt status codes and per-thread error detail. */
#ifndef DARKRT_STATUS_H
#define DARKRT_STATUS_H

#include "darkrt/api.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Append-only: values are stable across versions. */
typedef enum drt_status {
    DRT_OK = 0,
    DRT_STATUS_INVALID_ARG = 1, /* a bad argument or flag */
    DRT_STATUS_IO = 2,          /* a file could not be opened, read or written */
    DRT_STATUS_PARSE = 3,       /* a text file (cfg, names) breaks a rule */
    DRT_STATUS_FORMAT = 4,      /* a binary file (weights, ONNX, plan, image) breaks a rule */
    DRT_STATUS_UNSUPPORTED = 5, /* valid, but darkrt does not do it (op, layer, device) */
    DRT_STATUS_OOM = 6,         /* an allocation failed or a size limit was exceeded */
    DRT_STATUS_CUDA = 7,        /* a CUDA, cuDNN or cuBLAS call failed */
    DRT_STATUS_INTERNAL = 8,    /* a bug in darkrt */
    DRT_STATUS_NO_DEVICE = 9,   /* the requested device is not present */
    DRT_STATUS_COUNT
} drt_status;

/* A short name for a status code ("parse error"); never NULL. */
DRT_API const char *drt_status_str(drt_status status);

/* Detail text of the last failure on this thread ("" if none). Valid until the next
 * darkrt call on this thread that fails. */
DRT_API const char *drt_last_error(void);

/* The library's messages: warnings (an unknown cfg key, int8 without calibration images) and,
 * with drt_engine_opts.verbose, what an engine build chose. By default each goes to stderr as one
 * line ("darkrt: warning: ..." for warnings); a callback set here receives them instead, one line
 * at a time without the newline, on the thread that caused it (it must be thread-safe when darkrt
 * is used from several threads). fn NULL restores stderr. Process-wide; may be called any time. */
typedef enum drt_log_level { DRT_LOG_WARNING = 0, DRT_LOG_INFO = 1 } drt_log_level;
typedef void (*drt_log_fn)(drt_log_level level, const char *message, void *user);
DRT_API void drt_set_log_callback(drt_log_fn fn, void *user);

/* The library's version: "MAJOR.MINOR.PATCH" and MAJOR * 10000 + MINOR * 100 + PATCH, to compare
 * with the headers' DRT_VERSION_STRING and DRT_VERSION_NUMBER. */
DRT_API const char *drt_version(void);
DRT_API int drt_version_number(void);

#ifdef __cplusplus
}
#endif
#endif
