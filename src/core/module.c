/* Loading darkrt's modules (libdarkrt-<name>.so) on first use, and the module side's hook-up. */
#include "core/module.h"
#include "core/error.h"
#include "core/log.h"
#include "core/timeline.h"
#include "engine/engine.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef DRT_MODULE_BUILD_DIR
#define DRT_MODULE_BUILD_DIR ""
#endif

size_t drt_module_layout(void)
{
    size_t sizes[] = {sizeof(drt_engine), sizeof(drt_backend), sizeof(drt_model), sizeof(drt_layer),
                      sizeof(drt_engine_opts), sizeof(drt_detect_opts), sizeof(drt_device_stages), sizeof(drt_frame)};
    size_t h = 14695981039346656037u; /* FNV-1a over the sizes */
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) h = (h ^ sizes[i]) * 1099511628211u;
    return h;
}

static void host_set_error(const char *text) { drt_error(DRT_OK, "%s", text); }

/* The directory of the file (library or program) this code was linked into, with its slash. */
static int own_dir(char *buf, size_t n)
{
    Dl_info info;
    if (!dladdr((void *)own_dir, &info) || !info.dli_fname) return 0;
    const char *slash = strrchr(info.dli_fname, '/');
    if (!slash) return 0;
    return snprintf(buf, n, "%.*s", (int)(slash - info.dli_fname + 1), info.dli_fname) < (int)n;
}

/* dlopen of the first candidate that exists; `err` keeps the most telling dlerror. */
static void *open_module(const char *file, char *err, size_t n)
{
    char dir[4096], path[4352];
    const char *env = getenv("DRT_MODULE_DIR");
    const char *dirs[4] = {env && *env ? env : NULL, NULL, NULL, DRT_MODULE_BUILD_DIR};
    char up[4096];
    if (own_dir(dir, sizeof dir)) {
        dirs[1] = dir;
        snprintf(up, sizeof up, "%s../lib/", dir); /* bin/darkrt beside lib/ when installed */
        dirs[2] = up;
    }
    err[0] = '\0';
    for (int i = 0; i < 4; i++) {
        if (!dirs[i] || !*dirs[i]) continue;
        snprintf(path, sizeof path, "%s%s%s", dirs[i], dirs[i][strlen(dirs[i]) - 1] == '/' ? "" : "/", file);
        void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (h) return h;
        const char *e = dlerror();
        if (i == 0 || !err[0] || !strstr(e, "No such file")) snprintf(err, n, "%s", e ? e : path);
        if (i == 0) return NULL; /* an explicit DRT_MODULE_DIR is the only place looked */
    }
    void *h = dlopen(file, RTLD_NOW | RTLD_LOCAL); /* LD_LIBRARY_PATH, the cache */
    if (!h && !err[0]) snprintf(err, n, "%s", dlerror());
    return h;
}

typedef struct loaded {
    char name[32];
    const void *table;
} loaded;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static loaded modules[8];

static drt_status load_locked(const char *name, const char *what, const void **out)
{
    for (int i = 0; i < 8 && modules[i].name[0]; i++)
        if (!strcmp(modules[i].name, name)) return (*out = modules[i].table) ? DRT_OK : DRT_STATUS_INTERNAL;
    char file[96], sym[96], err[1024];
    snprintf(file, sizeof file, "libdarkrt-%s.so", name);
    snprintf(sym, sizeof sym, "drt_module_%s", name);
    drt_timeline("module %s: dlopen", name);
    void *h = open_module(file, err, sizeof err);
    if (!h) return drt_error(DRT_STATUS_UNSUPPORTED, "%s not available: %s", what, err);
    drt_module_entry_fn entry = (drt_module_entry_fn)dlsym(h, sym);
    if (!entry) {
        drt_status s = drt_error(DRT_STATUS_UNSUPPORTED, "%s not available: %s: no %s", what, file, sym);
        dlclose(h);
        return s;
    }
    drt_module_host host = {sizeof host, DRT_VERSION_STRING, drt_module_layout(), host_set_error, drt_log_line};
    const void *table = entry(&host);
    if (!table) {
        drt_error_prefix("%s not available: %s", what, file);
        dlclose(h);
        return DRT_STATUS_UNSUPPORTED;
    }
    for (int i = 0; i < 8; i++) /* kept for the process's life: engines point into it */
        if (!modules[i].name[0]) {
            snprintf(modules[i].name, sizeof modules[i].name, "%s", name);
            modules[i].table = table;
            break;
        }
    drt_timeline("module %s: loaded", name);
    *out = table;
    return DRT_OK;
}

drt_status drt_module_load(const char *name, const char *what, const void **table_out)
{
    *table_out = NULL;
    pthread_mutex_lock(&lock);
    drt_status s = load_locked(name, what, table_out);
    pthread_mutex_unlock(&lock);
    return s;
}

int drt_module_attach(const drt_module_host *host)
{
    if (!host || host->size < sizeof *host) return 0;
    if (strcmp(host->version, DRT_VERSION_STRING) || host->layout != drt_module_layout()) {
        if (host->set_error) host->set_error("the module was built for another darkrt (version or layout differs): "
                                             "install the module of this build");
        return 0;
    }
    drt_error_forward(host->set_error);
    drt_log_forward(host->log_line);
    return 1;
}
