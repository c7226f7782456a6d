/* The backend registry: every device darkrt runs on, one entry each. A backend is one folder
 * under src/backend plus one line in registry.c's table (or one drt_backend_register call). */
#ifndef DRT_BACKEND_REGISTRY_H
#define DRT_BACKEND_REGISTRY_H

#include "engine/engine.h"

/* What the library and the CLI may know of a backend without loading it. */
enum drt_backend_flags {
    DRT_BACKEND_INDEXED = 1u << 0,    /* several devices: "name:N" picks one (drt_engine_opts.device_index) */
    DRT_BACKEND_PLAN_BATCH = 1u << 1, /* a plan holds its max batch: a loaded plan keeps it */
    DRT_BACKEND_ONE_THREAD = 1u << 2, /* runs on one host thread whatever drt_engine_opts.threads says */
    DRT_BACKEND_ALL_CORES = 1u << 3,  /* threads 0 means every core */
    DRT_BACKEND_CALIBRATES = 1u << 4, /* int8 calibration of every backend runs on its fp32 engine (run_observed) */
    DRT_BACKEND_INT8_KEEP = 1u << 5,  /* int8 honours drt_engine_opts.int8_keep (build --min-map searches it) */
    DRT_BACKEND_INT8_CHAINS = 1u << 6, /* int8 convs pass int8 activations on: each run of kept convs converts
                                        * at its ends (build --min-map tries contiguous keep sets) */
    DRT_BACKEND_HOST_TIMED = 1u << 7,  /* runs compute on host threads, and return when done: build --min-map times
                                        * them at one thread by that thread's CPU time (src/eval/int8-search.c) */
    DRT_BACKEND_BIAS_CORRECTS = 1u << 8, /* int8 corrects conv biases (drt_engine_opts.no_bias_correct): build
                                          * --min-map ranks another device's convs without it (rank_convs) */
    DRT_BACKEND_ZERO_POINTS = 1u << 9,   /* int8 activations may be u8 with a zero point (drt_engine_opts.int8_activations
                                          * asym); auto picks asym where this is set, sym elsewhere */
    DRT_BACKEND_ZERO_POINTS_ASKED = 1u << 10, /* int8 activations take a zero point when asked (asym), auto stays sym:
                                               * CUDA's, written without a GPU run (session 21), until one measures it */
};

typedef struct drt_backend_entry {
    const char *name;           /* as --device and drt_device_parse take it */
    const drt_backend *builtin; /* linked in; or NULL, and then: */
    const char *module;         /* loaded from libdarkrt-<module>.so on first use */
    const char *what;           /* the module in errors: "<what> not available: <why>" */
    unsigned precisions;        /* bit 1u << drt_precision for each precision it builds */
    unsigned flags;             /* drt_backend_flags */
    /* With DRT_BACKEND_INT8_KEEP (src/eval/int8-search.c, cli/build-min-map.c): */
    drt_precision int8_kept_in;    /* the precision of the convs a keep list keeps out of int8 */
    const char *int8_default_keep; /* the keep list an int8 build without one uses (NULL: none but its rule) */
    /* The convs it can run in int8 (engine/int8-keep.h's signature; NULL: every conv). */
    int (*int8_rule)(const drt_model *m, int all, const char *keep, int i, int out);
} drt_backend_entry;

/* The entry of a device (NULL when unknown). The public enum's values are the table's first rows. */
const drt_backend_entry *drt_backend_entry_of(drt_device device);

/* The backend of a device, loading its module on first use. */
drt_status drt_backend_get(drt_device device, const drt_backend **backend_out);

/* The backend int8 calibration runs on (src/engine/calib.c): the first DRT_BACKEND_CALIBRATES row. */
drt_status drt_backend_calibrator(drt_device *device_out, const drt_backend **backend_out);

/* Devices known: DRT_DEVICE_COUNT plus those registered at run time. */
int drt_backend_count(void);

/* Adds a backend at run time (tests: a toy backend): it gets the next device number. `entry` and
 * what it points to must outlive the process's use of it. */
drt_status drt_backend_register(const drt_backend_entry *entry, drt_device *device_out);

#endif
