/* darkrt build --min-map: searches which convs the int8 engine keeps in higher precision (the
 * registry's int8_kept_in: CPU fp32, CUDA fp16), then builds with them. */
#include "build-min-map.h"
#include "cli-util.h"
#include "backend/registry.h"
#include "eval/int8-search.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Validation images: --val DIR; else the calibration images (said: then they are not held out). */
static const char *validation_dir(const engine_args *a, const char *val)
{
    if (val) return val;
    const char *dir = a->engine.calib_dir ? a->engine.calib_dir : "/usr/share/darknet/data";
    fprintf(stderr, "darkrt build: note: no --val DIR: validating on %s, which also calibrates\n", dir);
    return dir;
}

/* The devices whose int8 engines take keep lists ("cpu or cuda"), from the registry. */
static const char *searchable_devices(char *buf, size_t size)
{
    int n = 0, k = 0, len = 0;
    for (int d = 0; d < drt_backend_count(); d++) n += (drt_backend_entry_of((drt_device)d)->flags & DRT_BACKEND_INT8_KEEP) != 0;
    buf[0] = '\0';
    for (int d = 0; d < drt_backend_count() && len >= 0 && (size_t)len < size; d++) {
        const drt_backend_entry *e = drt_backend_entry_of((drt_device)d);
        if (!(e->flags & DRT_BACKEND_INT8_KEEP)) continue;
        k++;
        len += snprintf(buf + len, size - (size_t)len, "%s%s", k == 1 ? "" : k == n ? " or " : ", ", e->name);
    }
    return buf;
}

int build_min_map_search(engine_args *a, double min_map, const char *val, int fewest, char **keep_out)
{
    *keep_out = NULL;
    const drt_backend_entry *be = drt_backend_entry_of(a->engine.device);
    char devices[128];
    if (a->engine.precision != DRT_PREC_INT8 || !be || !(be->flags & DRT_BACKEND_INT8_KEEP))
        return cli_usage_error("build", "--min-map: needs --precision int8 on --device %s", searchable_devices(devices, sizeof devices));
    drt_model *m = NULL;
    drt_int8_search_result r;
    drt_int8_search_opts so = {.min_map = min_map, .val_dir = validation_dir(a, val), .log = stderr, .by_speed = !fewest};
    drt_status s = cli_load_model(a->model, a->weights, &a->load, a->names, &m);
    if (s == DRT_OK) s = drt_int8_search(m, &a->engine, &so, &r);
    const char *higher = drt_precision_name(be->int8_kept_in);
    drt_model_free(m);
    if (s != DRT_OK) return cli_fail(s);
    if (r.split)
        fprintf(stderr, "darkrt build: --min-map: candidates calibrated on either half of the first %d images of %s (the "
                        "1st, 3rd... by name; the 2nd, 4th...), each image validated by the half it is not in (two folds, "
                        "%d validation images); the plan is calibrated on all %d\n",
                r.split, so.val_dir, r.images, r.split);
    fprintf(stderr, "darkrt build: --min-map %.3f: %d of %d convs kept in %s (%s): mAP@0.5 %.4f against fp32 on %d "
                    "validation images of %s, bootstrap 10%% bound %.4f (all int8: %.4f; default %s: %d convs, %.4f); %d engines built\n",
            min_map, r.kept, r.convs, higher, r.keep, r.map, r.images, so.val_dir, r.bound, r.map_int8,
            be->int8_default_keep ? be->int8_default_keep : "rule", r.default_kept, r.map_default, r.builds);
    if (r.bound < min_map)
        fprintf(stderr, "darkrt build: warning: --min-map %.3f not reached (bound %.4f with every conv searched)\n", min_map,
                r.bound);
    if (so.by_speed && !r.higher)
        fprintf(stderr, "darkrt build: int8 speed: keep %.60s%s: %.3fx %s's time confirmed (screened %.3fx; required: at most "
                        "%.2fx) at bound %.4f (required for speed picks: %.4f); %d candidates screened, %d confirmed (batch 1, "
                        "interleaved rounds, the fastest rounds' ratio, %s); of those fast enough, the nearest to fp32 within %.0f%% of the fastest (the tie for %s)\n",
                r.keep, strlen(r.keep) > 60 ? "..." : "", r.time_ratio, higher, r.screened_ratio, r.max_ratio, r.bound,
                r.timed_bound, r.timed, r.confirmed, r.cpu_time ? "the thread's CPU time at 1 thread" : "wall time",
                100 * r.time_tie, r.cpu_time ? "CPU time" : "wall time");
    if (r.higher) {
        /* An int8 plan no faster than the higher precision serves no one: that precision reaches
         * any accuracy target. */
        if (r.timed)
            fprintf(stderr, "darkrt build: int8 speed: no int8 plan that reaches --min-map %.3f with the margin (bound %.4f) was "
                            "confirmed at most %.2fx %s's time (the fastest of %d confirmed: %.3fx; %d screened): building %s "
                            "instead (--min-map-pick fewest: the int8 plan that keeps the fewest convs)\n",
                    min_map, r.timed_bound, r.max_ratio, higher, r.confirmed, r.time_ratio, r.timed, higher);
        else
            fprintf(stderr, "darkrt build: int8 speed: no int8 candidate reached --min-map %.3f with the margin (bound %.4f): "
                            "building %s instead (--min-map-pick fewest: the int8 plan that keeps the fewest convs)\n",
                    min_map, r.timed_bound, higher);
        a->engine.precision = be->int8_kept_in;
        a->engine.calib_dir = NULL; /* the calibration was the int8 candidates': the higher precision refuses it */
        a->engine.calib_method = DRT_CALIB_MAX;
        a->explicit_bias_correct = 0;
        a->engine.int8_activations = DRT_INT8_ACT_AUTO;
        a->explicit_int8_activations = 0;
        drt_int8_search_result_clear(&r);
    } else {
        a->engine.int8_activations = r.int8_activations; /* the plan is built with the searched code */
    }
    *keep_out = r.keep; /* the caller frees it */
    return 0;
}
