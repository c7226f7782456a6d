/* build --min-map: the fewest convs an int8 engine keeps in higher precision (CPU: fp32; CUDA:
 * fp16) to reach an mAP@0.5 against the fp32 engine's detections on validation images. */
#ifndef DRT_EVAL_INT8_SEARCH_H
#define DRT_EVAL_INT8_SEARCH_H

#include <stdio.h>
#include "darkrt.h"

typedef struct drt_int8_search_opts {
    double min_map;      /* mAP@0.5 of int8 against fp32 to reach */
    const char *val_dir; /* validation images (the fp32 engine's detections are the truth) */
    int max_images;      /* at most this many, by name (32 when 0) */
    FILE *log;           /* each step, when not NULL */
    int by_speed;        /* pick the fastest candidate that reaches min_map (batch-1 time against the
                          * higher precision's engine), not the one that keeps the fewest convs */
} drt_int8_search_opts;

typedef struct drt_int8_search_result {
    char *keep;          /* the engine option int8_keep that reached it (malloc'd) */
    int kept, convs;     /* convs kept in fp32 (CUDA: fp16), of the candidates (CPU: every conv;
                          * CUDA: those its rule runs in int8, engine/int8-keep.h) */
    double map;          /* mAP@0.5 reached with keep */
    double bound;        /* its bootstrap lower bound (what must reach min_map) */
    double map_int8;     /* every conv in int8 ("none") */
    double map_default;  /* the default keep set ("heads,dw") */
    int default_kept;
    int builds, images;
    int split;           /* the first split images of the validation folder by name calibrated the candidates in two
                          * halves (the 1st, 3rd...; the 2nd, 4th...), each image validated by the
                          * half it is not in (the folder calibrates too; 0: not split, validated where --val says) */
    /* by_speed: */
    int timed;           /* candidates whose bound reached timed_bound and were screened (timed) */
    double timed_bound;  /* what a timed candidate's bound must reach: min_map plus a margin */
    int confirmed;       /* the screened fastest, timed again together (the finalists) */
    double screened_ratio; /* the pick's screened time / the higher precision's */
    double time_ratio;   /* the pick's confirmed time / the higher precision's; with higher set: the
                          * fastest finalist's (0: none timed) */
    double max_ratio;    /* the most time_ratio an int8 plan may take (1 - the required speed-up) */
    int cpu_time;        /* timed at one thread by the calling thread's CPU time (a DRT_BACKEND_HOST_TIMED backend: the
                          * CPU), not by wall time */
    double time_tie;     /* finalists within this fraction of the fastest's time count as equally fast
                          * (by_speed: 0.02 timed by CPU time, 0.05 by wall time) */
    int higher;          /* no int8 candidate reached timed_bound and was confirmed at most max_ratio
                          * of the higher precision's (CPU fp32, CUDA fp16) time: build that instead */
    int int8_activations; /* the code searched (and to build the plan with): opts' resolved for the device; auto
                           * where the device takes zero points searches asym and sym and keeps the one picked */
} drt_int8_search_result;

/* The target: min_map (by_speed: plus a margin, half the distance to 1). Every conv in int8 first, then (a backend
 * with a default keep list: the CPU) all but the heads; when those miss the target, each conv alone in int8 (the rest
 * fp32), ranked by how far its heads move from fp32 (relative L1); then the largest k such that the k
 * least sensitive convs in int8 reach the target, by bisection (mAP taken as falling with k). The
 * default keep set is taken instead when it reaches the target with fewer convs in fp32. by_speed:
 * also, where int8 convs chain (the CPU), the bisection's set with the gaps between its kept convs
 * filled (fewer conversions between int8 and the higher precision) and the heads with the fewest
 * last or first convs kept; on CUDA with every conv a candidate, its rule's set; every candidate
 * whose bound reaches the target is timed (screened), the fastest are timed again
 * together (confirmed) and, of those confirmed at least 10% faster than the higher precision and
 * within 5% of the fastest, the one whose heads are nearest fp32's taken; none: higher is set. "Reach":
 * the 10% quantile of the mAP over bootstrap resamples of the validation images, not the mAP (split:
 * the least of the two folds').
 * On CUDA the default is its rule (keep "none"). opts: the int8 engine's (CPU or CUDA). When the
 * validation images are the calibration images, each candidate is calibrated on the 1st, 3rd... by
 * name and on the 2nd, 4th..., each image validated by the calibration without it (see split_point). int8_activations auto, on a device
 * with zero points (the CPU): the search runs for asym and again for sym, and out is the faster int8 plan's (by
 * fewest: the one keeping fewer convs), logged. */
drt_status drt_int8_search(const drt_model *m, const drt_engine_opts *opts, const drt_int8_search_opts *so,
                           drt_int8_search_result *out);
void drt_int8_search_result_clear(drt_int8_search_result *r);

#endif
