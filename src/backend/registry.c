/* The backend registry: the built-in table, modules loaded on first use, run-time additions. */
#include "backend/registry.h"
#include "core/error.h"
#include "core/module.h"
#include "engine/int8-keep.h"

#include <pthread.h>

#define ALL_PRECISIONS ((1u << DRT_PREC_COUNT) - 1)
#define MAX_BACKENDS 16

/* Linked in only by programs that link libdarkrt-cuda.a (bench/gpu-bench.c reaches its internals);
 * NULL otherwise, and the module is loaded. */
extern const drt_backend drt_backend_cuda __attribute__((weak, visibility("hidden")));

/* One line per backend; row i is drt_device i (append-only, as the public enum). A NULL builtin
 * means: load the module. */
static const drt_backend_entry builtin[DRT_DEVICE_COUNT] = {
    {.name = "ref", .builtin = &drt_backend_ref, .precisions = 1u << DRT_PREC_FP32, .flags = DRT_BACKEND_ONE_THREAD},
    {.name = "cpu", .builtin = &drt_backend_cpu, .precisions = ALL_PRECISIONS,
     .flags = DRT_BACKEND_ALL_CORES | DRT_BACKEND_CALIBRATES | DRT_BACKEND_INT8_KEEP | DRT_BACKEND_INT8_CHAINS |
              DRT_BACKEND_HOST_TIMED | DRT_BACKEND_BIAS_CORRECTS | DRT_BACKEND_ZERO_POINTS,
     .int8_kept_in = DRT_PREC_FP32, .int8_default_keep = DRT_INT8_CPU_DEFAULT_KEEP},
    {.name = "cuda", .builtin = &drt_backend_cuda, .module = "cuda", .what = "CUDA backend", .precisions = ALL_PRECISIONS,
     .flags = DRT_BACKEND_INDEXED | DRT_BACKEND_PLAN_BATCH | DRT_BACKEND_INT8_KEEP | DRT_BACKEND_ZERO_POINTS_ASKED,
     .int8_kept_in = DRT_PREC_FP16,
     .int8_rule = drt_int8_cuda_rule},
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const drt_backend_entry *added[MAX_BACKENDS - DRT_DEVICE_COUNT];
static int n_added;

int drt_backend_count(void)
{
    pthread_mutex_lock(&lock);
    int n = DRT_DEVICE_COUNT + n_added;
    pthread_mutex_unlock(&lock);
    return n;
}

const drt_backend_entry *drt_backend_entry_of(drt_device device)
{
    if ((unsigned)device < DRT_DEVICE_COUNT) return &builtin[device];
    pthread_mutex_lock(&lock);
    long long i = (long long)device - DRT_DEVICE_COUNT; /* wide: a fuzzed plan's device near INT_MIN */
    const drt_backend_entry *e = i >= 0 && i < n_added ? added[i] : NULL;
    pthread_mutex_unlock(&lock);
    return e;
}

drt_status drt_backend_get(drt_device device, const drt_backend **out)
{
    *out = NULL;
    const drt_backend_entry *e = drt_backend_entry_of(device);
    if (!e) return drt_error(DRT_STATUS_INVALID_ARG, "engine: unknown device %d", (int)device);
    if (e->builtin) return (*out = e->builtin), DRT_OK;
    return drt_module_load(e->module, e->what, (const void **)out);
}

drt_status drt_backend_calibrator(drt_device *device_out, const drt_backend **backend_out)
{
    *backend_out = NULL;
    for (int i = 0; i < drt_backend_count(); i++) {
        const drt_backend_entry *e = drt_backend_entry_of((drt_device)i);
        if (!(e->flags & DRT_BACKEND_CALIBRATES)) continue;
        DRT_TRY(drt_backend_get((drt_device)i, backend_out));
        if (!(*backend_out)->run_observed) {
            *backend_out = NULL;
            return drt_error(DRT_STATUS_INTERNAL, "backend registry: %s calibrates but has no run_observed", e->name);
        }
        *device_out = (drt_device)i;
        return DRT_OK;
    }
    return drt_error(DRT_STATUS_UNSUPPORTED, "int8 calibration: no backend calibrates (DRT_BACKEND_CALIBRATES)");
}

drt_status drt_backend_register(const drt_backend_entry *entry, drt_device *out)
{
    if (!entry || !entry->name || (!entry->builtin && !entry->module))
        return drt_error(DRT_STATUS_INVALID_ARG, "backend registry: an entry needs a name and a backend or module");
    pthread_mutex_lock(&lock);
    drt_status s = DRT_OK;
    if (n_added == MAX_BACKENDS - DRT_DEVICE_COUNT)
        s = drt_error(DRT_STATUS_UNSUPPORTED, "backend registry: %s: at most %d backends", entry->name, MAX_BACKENDS);
    else {
        *out = (drt_device)(DRT_DEVICE_COUNT + n_added);
        added[n_added++] = entry;
    }
    pthread_mutex_unlock(&lock);
    return s;
}
