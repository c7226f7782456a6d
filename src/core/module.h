/* Optional parts of darkrt built as modules (libdarkrt-<name>.so: the CUDA backend, FFmpeg video)
 * and loaded on first use, so that libdarkrt and the CLI start without CUDA or FFmpeg. */
#ifndef DRT_CORE_MODULE_H
#define DRT_CORE_MODULE_H

#include <stddef.h>
#include "darkrt/status.h"

/* What a module gets from the library that loads it. A module carries its own copy of darkrt's
 * internal helpers; through these its error text and log lines reach the caller's. */
typedef struct drt_module_host {
    size_t size;         /* sizeof(drt_module_host) */
    const char *version; /* the host's DRT_VERSION_STRING: a module from another build is refused */
    size_t layout;       /* the host's drt_module_layout(): internal structs laid out alike */
    void (*set_error)(const char *text);
    void (*log_line)(drt_log_level level, const char *line);
} drt_module_host;

/* A module's one export, named drt_module_<name>: checks the host, installs its hooks and returns
 * the module's table (a drt_backend, the video functions), or NULL after host->set_error. */
typedef const void *(*drt_module_entry_fn)(const drt_module_host *host);
#define DRT_MODULE_ENTRY __attribute__((visibility("default")))

/* Loads libdarkrt-<name>.so once per process and returns its table. `what` names it in the error:
 * "<what> not available: <dlerror>". Looks in $DRT_MODULE_DIR, then beside the library or program
 * that holds darkrt, then in the build directory it was built in, then the loader's search path. */
drt_status drt_module_load(const char *name, const char *what, const void **table_out);

/* For the module side: checks `host` against this build and sends the error text and log there. */
int drt_module_attach(const drt_module_host *host);

/* Sizes of the structs a module and its host share, folded into one number. */
size_t drt_module_layout(void);

#endif
