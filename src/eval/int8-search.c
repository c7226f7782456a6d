/* build --min-map: which convs an int8 engine keeps in fp32, found by building and scoring
 * candidates against the fp32 engine's detections (mAP@0.5) on validation images. */
#include "eval/int8-search.h"
#include "darkrt/pipeline.h"
#include "backend/registry.h"
#include "core/clock.h"
#include "core/error.h"
#include "engine/calib.h"
#include "engine/engine.h"
#include "engine/int8-keep.h"
#include "graph/model.h"

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The candidates are scored as a detector is against labels: their ranked detections down to
 * Darknet's `detector map` threshold, against the fp32 engine's at the default 0.25 as the truth.
 * A box whose score moves across 0.25 then keeps its rank instead of counting as missed; at 0.25 on
 * both sides, bf16 itself scores 0.87 against fp32 on bench/int8-accuracy.sh's held-out views. */
#define RANKED_THRESH 0.005f
#define RANK_IMAGES 8
/* A candidate passes when the lower BOOT_QUANTILE quantile of its mAP over BOOT_SAMPLES resamples
 * of the validation images (with replacement) reaches the target, not the mAP itself: a margin
 * that grows as the validation set gets smaller or its images disagree more. Fitting the keep
 * set to the mAP itself on four images gave 0.95 there and 0.92 on held-out ones. */
#define BOOT_SAMPLES 200
/* The calibration's defaults (src/engine/calib.c): its folder without --calib, its count. */
#define DRT_CALIB_IMAGES_AT_HAND "/usr/share/darknet/data"
#define DRT_CALIB_MAX_IMAGES 16
#define BOOT_QUANTILE 0.1
/* by_speed, screening: a candidate that reaches the target (min_map plus the margin) is timed against the higher precision's
 * engine (the same device, batch 1, fixed input): TIME_ROUNDS rounds of TIME_RUNS runs of each,
 * interleaved; the ratio of the two engines' fastest rounds. Other processes only ever add time, and
 * on the shared 2-core machine they add it unevenly (one round of 10 runs took 0.3x-7.5x its
 * neighbours' in bench/results/int8-accuracy.md's search): the fastest round is the one least
 * disturbed, where medians of the rounds' ratios still moved by 0.05-0.1, and darkrt bench's medians
 * put the fp32 plan at 0.61x fp32's latency. */
#define TIME_ROUNDS 5
#define TIME_RUNS 5
/* On the CPU (DRT_BACKEND_HOST_TIMED) the candidates run at one thread and are timed by the calling thread's
 * CPU time: other processes' work then adds only what they cost it in caches and frequency, not their time
 * slices (the wall-time ratios above, on the busy 2-core machine, moved by 0.05-0.1 between runs of one plan). */
/* Screening is too short to decide on: on the busy 2-core machine it timed session 9's pick at
 * 0.946x fp32's time and darkrt bench then measured it at 1.01x (bench/results/int8-accuracy.md).
 * The CONFIRM_MAX screened fastest (within CONFIRM_WINDOW of the fastest) are built again and
 * timed together at the plan's batch: CONFIRM_ROUNDS rounds of the higher precision's engine and
 * each finalist, CONFIRM_RUNS runs each; a finalist's ratio is its fastest round over the higher
 * precision's fastest (the build also prints the median of each round's ratio to the mean of the
 * two higher-precision rounds around it, and their range: how disturbed the timing was). */
#define CONFIRM_MAX 4
#define CONFIRM_WINDOW 0.15
#define CONFIRM_ROUNDS 15
#define CONFIRM_RUNS 5
/* An int8 plan is built only when its confirmed time is at most MIN_SPEEDUP below the higher
 * precision's (0.90x: the confirmed ratios of one plan moved by about 0.05 between runs here);
 * else the higher precision is built: it reaches any accuracy target. */
#define MIN_SPEEDUP 0.10
/* Of the confirmed finalists that are fast enough, those within the tie of the fastest's time are
 * taken as equally fast and the one whose heads are nearest fp32's is picked: the validation
 * images' mAP saturates at 1 for many candidates, the heads' error does not (on yolo-fastest-1.1
 * two picks that both scored 1.0 on the validation half scored 0.942 and 0.965 held out). Timed by
 * wall time (CUDA) the tie is 5%: on the busy 2-core machine one plan's confirmed wall-time ratios
 * moved by about 0.05 between runs. */
#define TIME_TIE_WALL 0.05
/* Timed by thread CPU time (DRT_BACKEND_HOST_TIMED) the confirmed ratios equal darkrt bench's at 1
 * thread within about 0.01 (0.848 vs 0.85, 0.81 vs 0.80 on yolo-fastest-1.1, session 13), so 2% is
 * twice what the timing itself moves: with 5% every finalist of --min-map 0.95 (0.809-0.848x) tied
 * and the nearest fp32 (38 kept, bench 0.85x) beat a 5% faster one (32 kept, 0.80x). */
#define TIME_TIE_CPU 0.02
/* The speed pick's accuracy margin: a timed candidate must reach min_map + VAL_MARGIN x (1 -
 * min_map) in its bound (0.975 for 0.95), not only min_map: the validation half is views of two
 * photos, and held out the search's picks have scored 0.04-0.06 under their validation mAP
 * (bench/results/int8-accuracy.md). By speed the bisection and the families search to it too (search.target):
 * searched to min_map, a search whose heads-only set reached 0.962 there stopped, no candidate was timed and fp32 was
 * built (yolov3-tiny, session 20). The fewest pick keeps the plain target. */
#define VAL_MARGIN 0.5

/* One candidate's score: mAP@0.5 on the validation images, its bootstrap lower bound, and its
 * heads' relative L1 distance to the fp32 heads. */
typedef struct measure { double map, bound, err; } measure;

typedef struct search {
    const drt_model *m;
    drt_engine_opts opts; /* the candidates' (calibrated on half of the images when split) */
    drt_calib *calib[2];  /* their calibrations, measured once: every candidate is built from them. Split: the 1st,
                           * 3rd... of the split images by name, and the 2nd, 4th...; else only calib[0] */
    const drt_backend_entry *be; /* the searched device's registry entry (its int8 capabilities) */
    drt_device rank_device;      /* where convs are ranked (rank_convs) */
    const drt_int8_search_opts *so;
    double target;        /* the bound the search looks for: min_map, by speed plus the margin (VAL_MARGIN) */
    drt_image **images;
    unsigned char *fold;    /* per image, the calibration its candidates' engine was measured on (the half it is not in) */
    int n_images;
    drt_detections **truth; /* the fp32 engine's, per image */
    float **heads;          /* the fp32 engine's heads, per image (all heads back to back) */
    size_t head_floats;
    int builds;
    /* by_speed: */
    int cpu_time;        /* timed by thread CPU time, the engines at one thread (DRT_BACKEND_HOST_TIMED) */
    double time_tie;     /* TIME_TIE_CPU or TIME_TIE_WALL: how the candidates are timed */
    int batch;           /* the plan's (the finalists are confirmed at it) */
    drt_engine *higher;  /* the higher precision's engine, timed beside each candidate */
    float *input;        /* the timing runs' input */
    char **timed_keep;   /* the candidates that reached min_map, their measures and time ratios */
    measure *timed_m;
    double *timed_ratio;
    double *confirmed;   /* their confirmed ratios (0: not a finalist) */
    int timed;
    /* The keep lists scored on the searched device so far (families and gap fills repeat some). */
    char **seen;
    measure *seen_m;
    int n_seen;
} search;

static int is_image(const char *n)
{
    static const char *const ext[] = {".jpg", ".jpeg", ".png", ".bmp", ".ppm"};
    size_t len = strlen(n);
    for (int i = 0; i < 5; i++)
        if (len > strlen(ext[i]) && !strcasecmp(n + len - strlen(ext[i]), ext[i])) return 1;
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }
static int image_entry(const struct dirent *d) { return d->d_name[0] != '.' && is_image(d->d_name); }

/* The validation images of dir by name, at most max of them in all, each with its fold: split, the first split
 * images by name calibrate the candidates in two halves (the 1st, 3rd...: calib[0]; the 2nd, 4th...: calib[1]) and
 * each of them is scored by candidates calibrated on the half it is not in (fold 1 and 0); images after them, and
 * every image when not split, are scored by calib[0]'s. */
static drt_status load_images(search *s, const char *dir, int split, int max)
{
    struct dirent **list;
    int n = scandir(dir, &list, image_entry, by_name);
    if (n < 0) return drt_error_errno(DRT_STATUS_IO, "%s: cannot read the validation directory", dir);
    s->images = calloc((size_t)n + 1, sizeof *s->images);
    s->fold = calloc((size_t)n + 1, 1);
    drt_status st = s->images && s->fold ? DRT_OK : drt_error(DRT_STATUS_OOM, "min-map: out of memory");
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, list[i]->d_name);
        if (st == DRT_OK && s->n_images < max) {
            st = drt_image_load(path, &s->images[s->n_images]);
            s->fold[s->n_images] = i < split && i % 2 == 0;
            if (st == DRT_OK) s->n_images++;
        }
        free(list[i]);
    }
    free(list);
    if (st == DRT_OK && s->n_images == 0) st = drt_error(DRT_STATUS_INVALID_ARG, "%s: no validation images", dir);
    return st;
}

static int count_images(const char *dir)
{
    struct dirent **list;
    int n = scandir(dir, &list, image_entry, by_name);
    for (int i = 0; i < n; i++) free(list[i]);
    if (n >= 0) free(list);
    return n;
}

/* Where the validation images are the calibration images (--val not given, or the same folder),
 * each candidate is built twice, calibrated on either half, and each image is scored by the build calibrated on the
 * other half (two folds): a candidate is then scored on images its calibration never saw, as the plan will be, and
 * on all of them. One fold (session 19: validated on half, 14 of bench/int8-models.sh's 28 views) picked a
 * yolov7-tiny plan that validated at a bound of 0.985 and held out 0.947. Validated on its own calibration
 * images, max calibration never clips and the search overrates int8 (0.976 there, 0.930 on held-out
 * photos: bench/results/int8-accuracy.md). The halves interleave by name (the 1st, 3rd... and the
 * 2nd, 4th...): views of one photo sort together, and the first half against the second
 * (session 16) put whole photos on one side. On bench/int8-models.sh's 28 views, 4 photos of 7 views
 * each, yolov4-tiny's fp32 boxes were 21 on dog and eagle (calibrating) against 214 on giraffe and scream
 * (validating): the candidates were calibrated without the photo the validation's boxes were on, and the
 * default keep list scored 0.78 there against 0.93 held out. Returns how many images (the first, by
 * name) the halves split (0: no split). The final plan is calibrated on all of them. */
static int split_point(const drt_engine_opts *o, const char *val_dir)
{
    char a[4096], b[4096];
    const char *calib = o->calib_dir ? o->calib_dir : DRT_CALIB_IMAGES_AT_HAND;
    if (!realpath(calib, a) || !realpath(val_dir, b) || strcmp(a, b)) return 0;
    int n = count_images(calib), max = o->calib_max_images > 0 ? o->calib_max_images : DRT_CALIB_MAX_IMAGES;
    if (n > max) n = max;
    return n >= 2 ? n : 0;
}

/* The heads of the last run against the fp32 ones of image i: adds sum |a - b| and sum |b|; or,
 * with record set, keeps them as the fp32 ones. */
static drt_status heads(search *s, const drt_engine *e, int i, int record, double *diff, double *ref)
{
    size_t at = 0;
    for (int h = 0; h < drt_engine_num_heads(e); h++) {
        const float *data;
        drt_tensor_desc d;
        DRT_TRY(drt_engine_head(e, h, &data, &d));
        size_t n = (size_t)d.c * (size_t)d.h * (size_t)d.w;
        if (record && !(s->heads[i] = realloc(s->heads[i], (at + n) * sizeof(float))))
            return drt_error(DRT_STATUS_OOM, "min-map: out of memory");
        if (record) memcpy(s->heads[i] + at, data, n * sizeof(float));
        for (size_t k = 0; !record && k < n && at + k < s->head_floats; k++) {
            *diff += fabs((double)data[k] - s->heads[i][at + k]);
            *ref += fabs((double)s->heads[i][at + k]);
        }
        at += n;
    }
    if (record) s->head_floats = at;
    return DRT_OK;
}

/* Detections of an engine built with opts over the validation images (dets_out[i]; their indices in picks[0..*n_picks))
 * and its heads' relative L1 distance to the fp32 ones (record: these are the fp32 ones). rank_stride 0: every image,
 * each run on the engine calibrated without it (its fold's); rank_stride > 0 (ranking): every rank_stride-th image of
 * fold 0, on calib[0]'s engine alone. *e_out (may be NULL): an engine of the candidate, the caller's to time and free. */
static drt_status detect_all(search *s, const drt_engine_opts *opts, int rank_stride, drt_detections **dets_out, int record,
                             double *err, int *picks, int *n_picks, drt_engine **e_out)
{
    drt_engine *e[2] = {0};
    int folds = opts->precision == DRT_PREC_INT8 && s->calib[1] && !rank_stride; /* else every image on calib[0]'s */
    drt_detect_opts d = drt_detect_opts_default();
    d.resize = drt_detect_model_resize(s->m);
    if (!record) d.thresh = RANKED_THRESH;
    drt_status st = DRT_OK;
    double diff = 0, ref = 0;
    int n = 0;
    for (int i = 0, seen = 0; st == DRT_OK && i < s->n_images; i++) {
        int f = folds ? s->fold[i] : 0;
        if (rank_stride && (s->fold[i] || seen++ % rank_stride)) continue;
        if (!e[f]) {
            st = drt_engine_create_calibrated(s->m, opts, s->calib[f], &e[f]);
            s->builds += st == DRT_OK;
        }
        if (st == DRT_OK) st = drt_detect_image(e[f], s->images[i], &d, &dets_out[i], NULL);
        if (st == DRT_OK && dets_out[i]->count > DRT_MAX_DET_DEFAULT) dets_out[i]->count = DRT_MAX_DET_DEFAULT; /* highest first */
        if (st == DRT_OK) st = heads(s, e[f], i, record, &diff, &ref);
        if (picks) picks[n] = i;
        n++;
    }
    if (err) *err = ref > 0 ? diff / ref : 0;
    if (n_picks) *n_picks = n;
    int keep = e[0] ? 0 : 1;
    if (e_out && st == DRT_OK) *e_out = e[keep], e[keep] = NULL;
    drt_engine_free(e[0]);
    drt_engine_free(e[1]);
    return st;
}

/* Milliseconds of `runs` runs of e on `batch` images as detection runs them (drt_engine_stage: a device engine
 * from its own input, the heads left there; timed from the host, session 18's yolov3-416 candidates were the float
 * upload's and the heads' download's time, 1.0x fp16's where the engines alone differ by 1.2x). */
static drt_status block_ms(const search *s, drt_engine *e, const float *in, int batch, int runs, double *ms)
{
    DRT_TRY(drt_engine_stage(e, in, batch));
    double t0 = drt_clock_ms(s->cpu_time);
    for (int i = 0; i < runs; i++) DRT_TRY(drt_engine_run_staged(e, batch));
    *ms = drt_clock_ms(s->cpu_time) - t0;
    return DRT_OK;
}

/* e's time over the higher precision engine's: the median of TIME_ROUNDS interleaved rounds. */
static drt_status time_ratio(search *s, drt_engine *e, double *ratio)
{
    double a, b, amin = 1e30, bmin = 1e30;
    DRT_TRY(block_ms(s, s->higher, s->input, 1, 2, &a)); /* warm-up (first runs allocate, CUDA graphs) */
    DRT_TRY(block_ms(s, e, s->input, 1, 2, &b));
    for (int k = 0; k < TIME_ROUNDS; k++) {
        DRT_TRY(block_ms(s, s->higher, s->input, 1, TIME_RUNS, &a));
        DRT_TRY(block_ms(s, e, s->input, 1, TIME_RUNS, &b));
        amin = fmin(amin, a), bmin = fmin(bmin, b);
    }
    *ratio = amin > 0 ? bmin / amin : 1;
    return DRT_OK;
}

static void free_dets(drt_detections **d, int n)
{
    for (int i = 0; d && i < n; i++) drt_detections_free(d[i]);
}

/* mAP@0.5 of dets against the truth over the images picks[0..n) (an image may come twice). */
static drt_status map_of(const search *s, drt_detections **dets, const int *picks, int n, double *map)
{
    drt_eval_map *em = NULL;
    DRT_TRY(drt_eval_map_create(0.5, &em));
    drt_status st = DRT_OK;
    for (int i = 0; st == DRT_OK && i < n; i++) st = drt_eval_map_add(em, s->truth[picks[i]], dets[picks[i]]);
    if (st == DRT_OK) st = drt_eval_map_compute(em, map, NULL);
    drt_eval_map_free(em);
    return st;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The mAP's lower bound over bootstrap resamples of fold f's validation images (a fixed seed: the same
 * search gives the same plan). A resample without a truth box is drawn again while some image has
 * one: it measures no recall, and scored 0 (detections, no truth) it sank every bound, fp32's own
 * too, where few validation images hold boxes (yolov3-416 on synthesised weights, 2 of 4: every
 * candidate's bound 0, bench/results/int8-models.md). */
static drt_status fold_bound(const search *s, drt_detections **dets, int *picks, int f, double *bound)
{
    double v[BOOT_SAMPLES];
    uint64_t r = 0x9e3779b97f4a7c15ull;
    drt_status st = DRT_OK;
    int any = 0, n = 0, *member = picks + s->n_images; /* picks has room for 2 n_images */
    for (int i = 0; i < s->n_images; i++)
        if (s->fold[i] == f) member[n++] = i, any |= s->truth[i] && s->truth[i]->count > 0;
    for (int b = 0; st == DRT_OK && b < BOOT_SAMPLES; b++) {
        int boxes = 0;
        for (int tries = 0; tries < 1000 && !boxes; tries++) {
            for (int i = 0; i < n; i++) {
                r ^= r << 13, r ^= r >> 7, r ^= r << 17;
                picks[i] = member[r % (uint64_t)n];
                boxes |= !any || (s->truth[picks[i]] && s->truth[picks[i]]->count > 0);
            }
        }
        st = map_of(s, dets, picks, n, &v[b]);
    }
    qsort(v, BOOT_SAMPLES, sizeof *v, by_value);
    *bound = v[(int)(BOOT_QUANTILE * BOOT_SAMPLES)];
    return st;
}

/* The bound a candidate must reach: the least of its folds' (split: each fold on its own calibration). Pooled over
 * both folds (session 20) it kept 6 of yolo-fastest-1.1's 84 convs at a bound of 0.993, 0.939 held out, where the
 * first fold alone had kept 27 (0.983); alone that fold had rated a yolov7-tiny plan 0.985, 0.947 held out. Views of
 * four photos rate a candidate differently with the half that calibrates it: it must hold with either (then 0.981
 * and 0.983 held out: bench/results/int8-models.md, session 20). */
static drt_status lower_bound(const search *s, drt_detections **dets, int *picks, double *bound)
{
    double b0 = 1, b1 = 1;
    int folds[2] = {0, 0};
    for (int i = 0; i < s->n_images; i++) folds[s->fold[i]] = 1;
    if (folds[0]) DRT_TRY(fold_bound(s, dets, picks, 0, &b0));
    if (folds[1]) DRT_TRY(fold_bound(s, dets, picks, 1, &b1));
    *bound = fmin(b0, b1);
    return DRT_OK;
}

/* A candidate that reached min_map, timed: kept for the pick (pick_timed). */
static drt_status consider(search *s, const char *keep, const measure *me, double ratio)
{
    size_t n = (size_t)s->timed + 1;
    char **k = realloc(s->timed_keep, n * sizeof *k);
    if (k) s->timed_keep = k;
    measure *m = k ? realloc(s->timed_m, n * sizeof *m) : NULL;
    if (m) s->timed_m = m;
    double *r = m ? realloc(s->timed_ratio, n * sizeof *r) : NULL;
    if (r) s->timed_ratio = r;
    if (!r || !(s->timed_keep[s->timed] = strdup(keep))) return drt_error(DRT_STATUS_OOM, "min-map: out of memory");
    s->timed_m[s->timed] = *me;
    s->timed_ratio[s->timed++] = ratio;
    return DRT_OK;
}

/* The searched device's engine for the plan's batch: int8 keeping `keep` in higher precision, or
 * (keep NULL) the higher precision's. */
static drt_status plan_engine(const search *s, const char *keep, drt_engine **e_out)
{
    drt_engine_opts o = s->opts;
    o.int8_keep = keep;
    o.verbose = 0;
    o.max_batch = s->batch;
    if (!keep) o.precision = s->be->int8_kept_in;
    return drt_engine_create_calibrated(s->m, &o, s->calib[0], e_out);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, by_value);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The finalists (fin[0..n), indices into the timed candidates) timed together, CONFIRM_ROUNDS
 * rounds: the higher precision's engine, each finalist, the higher precision's again; each
 * finalist's confirmed ratio the median of its rounds' time over the mean of the two around it. */
static drt_status time_finalists(search *s, const int *fin, int n)
{
    drt_engine *e[CONFIRM_MAX] = {0}, *h = NULL;
    double t[CONFIRM_MAX][CONFIRM_ROUNDS], lo = 0, hi = 0, ms; /* 0 if the first timing fails (then unused) */
    int b = s->batch;
    drt_status st = plan_engine(s, NULL, &h);
    for (int i = 0; st == DRT_OK && i < n; i++) {
        st = plan_engine(s, s->timed_keep[fin[i]], &e[i]);
        s->builds += st == DRT_OK;
        if (st == DRT_OK) st = block_ms(s, e[i], s->input, b, 2, &ms); /* warm-up */
    }
    if (st == DRT_OK) st = block_ms(s, h, s->input, b, 2, &ms);
    if (st == DRT_OK) st = block_ms(s, h, s->input, b, CONFIRM_RUNS, &lo);
    double hmin = lo, emin[CONFIRM_MAX];
    for (int i = 0; i < n; i++) emin[i] = 1e30;
    for (int r = 0; st == DRT_OK && r < CONFIRM_ROUNDS; r++) {
        for (int i = 0; st == DRT_OK && i < n; i++) st = block_ms(s, e[i], s->input, b, CONFIRM_RUNS, &t[i][r]);
        if (st == DRT_OK) st = block_ms(s, h, s->input, b, CONFIRM_RUNS, &hi);
        hmin = fmin(hmin, hi);
        for (int i = 0; st == DRT_OK && i < n; i++) {
            emin[i] = fmin(emin[i], t[i][r]);
            t[i][r] = lo + hi > 0 ? 2 * t[i][r] / (lo + hi) : 1;
        }
        lo = hi; /* the next round's first higher-precision time */
    }
    for (int i = 0; st == DRT_OK && i < n; i++) {
        s->confirmed[fin[i]] = hmin > 0 ? emin[i] / hmin : 1;
        double med = median(t[i], CONFIRM_ROUNDS);
        if (s->so->log)
            fprintf(s->so->log, "min-map: confirm keep %-32.32s%s screened %.3fx, confirmed %.3fx %s's at batch %d (fastest of %d rounds; "
                                "median of the rounds' ratios %.3f, range %.3f-%.3f)\n",
                    s->timed_keep[fin[i]], strlen(s->timed_keep[fin[i]]) > 32 ? "..." : "   ", s->timed_ratio[fin[i]],
                    s->confirmed[fin[i]], drt_precision_name(s->be->int8_kept_in), b, CONFIRM_ROUNDS, med, t[i][0],
                    t[i][CONFIRM_ROUNDS - 1]);
    }
    for (int i = 0; i < n; i++) drt_engine_free(e[i]);
    drt_engine_free(h);
    return st;
}

/* The timed candidate to build, or -1 (none timed, or none confirmed at most 1 - MIN_SPEEDUP of
 * the higher precision's time): the finalists (the screened fastest, within CONFIRM_WINDOW) are
 * timed again together; of those fast enough and within the tie (time_tie) of the fastest confirmed, the one
 * with the least heads' error (the first of equals). *fastest_out: the least confirmed ratio. */
static drt_status pick_timed(search *s, int *pick_out, double *fastest_out)
{
    int fin[CONFIRM_MAX], n = 0;
    *pick_out = -1;
    *fastest_out = 0;
    if (!s->timed) return DRT_OK;
    if (!(s->confirmed = calloc((size_t)s->timed, sizeof *s->confirmed))) return drt_error(DRT_STATUS_OOM, "min-map: out of memory");
    double screened = 1e30;
    for (int i = 0; i < s->timed; i++) screened = fmin(screened, s->timed_ratio[i]);
    for (; n < CONFIRM_MAX; n++) { /* the fastest screened first, while within the window */
        int next = -1;
        for (int i = 0; i < s->timed; i++) {
            int taken = 0;
            for (int j = 0; j < n; j++) taken |= fin[j] == i;
            if (!taken && s->timed_ratio[i] <= screened * (1 + CONFIRM_WINDOW) &&
                (next < 0 || s->timed_ratio[i] < s->timed_ratio[next]))
                next = i;
        }
        if (next < 0) break;
        fin[n] = next;
    }
    DRT_TRY(time_finalists(s, fin, n));
    double fastest = 1e30;
    for (int j = 0; j < n; j++) fastest = fmin(fastest, s->confirmed[fin[j]]);
    *fastest_out = fastest;
    for (int j = 0; j < n; j++) {
        int i = fin[j];
        if (s->confirmed[i] <= 1 - MIN_SPEEDUP && s->confirmed[i] <= fastest * (1 + s->time_tie) &&
            (*pick_out < 0 || s->timed_m[i].err < s->timed_m[*pick_out].err))
            *pick_out = i;
    }
    return DRT_OK;
}

static int candidate(const search *s, int i);
static int count_keep(const search *s, const char *keep);

/* Whether keep leaves a conv in int8: a keep list that keeps every candidate is the higher
 * precision under another name (CUDA's rule set on yolo-fastest-1.1: no conv of it runs int8), and
 * timing it against that precision measures only noise (0.949x in H200 call A, session 10). */
static int some_int8(const search *s, const char *keep)
{
    int n = 0;
    for (int i = 0; i < s->m->n_layers; i++) n += candidate(s, i);
    return count_keep(s, keep) < n;
}

/* The measure of the int8 engine on device that keeps `keep` in higher precision: over every validation image, with
 * the bootstrap bound (rank_stride 0), or over every rank_stride-th image of fold 0 (ranking: detect_all); with
 * time_it and a timing engine (by_speed), timed when it reaches the target. Bias correction only where the searched
 * device does it; another device's ranking engines untuned (rank_convs). */
static drt_status score_on(search *s, drt_device device, int rank_stride, const char *keep, int time_it, measure *out)
{
    drt_engine_opts o = s->opts;
    o.device = device;
    o.no_bias_correct |= !(s->be->flags & DRT_BACKEND_BIAS_CORRECTS);
    if (device != s->opts.device) o.no_tune = 1;
    o.int8_keep = keep;
    o.verbose = 0; /* the final build's log, not every candidate's */
    o.max_batch = 1; /* the search runs one image at a time: cheaper builds (CUDA plans per batch) */
    drt_detections **dets = calloc((size_t)s->n_images, sizeof *dets);
    int *picks = calloc(2 * (size_t)s->n_images, sizeof *picks), n = 0;
    drt_status st = dets && picks ? DRT_OK : drt_error(DRT_STATUS_OOM, "min-map: out of memory");
    drt_engine *e = NULL;
    double ratio = 0;
    *out = (measure){0};
    if (st == DRT_OK) st = detect_all(s, &o, rank_stride, dets, 0, &out->err, picks, &n, &e);
    if (st == DRT_OK) st = map_of(s, dets, picks, n, &out->map);
    if (st == DRT_OK && !rank_stride) st = lower_bound(s, dets, picks, &out->bound);
    if (st == DRT_OK && s->higher && time_it && out->bound >= s->target &&
        some_int8(s, keep)) {
        st = time_ratio(s, e, &ratio);
        if (st == DRT_OK) st = consider(s, keep, out, ratio);
    }
    drt_engine_free(e);
    if (st == DRT_OK && s->so->log) {
        fprintf(s->so->log, "min-map: %s keep %-32.32s%s mAP@0.5 %.4f (bound %.4f), heads' L1 error %.5f", drt_device_name(device),
                keep, strlen(keep) > 32 ? "..." : "   ", out->map, out->bound, out->err);
        if (ratio > 0) fprintf(s->so->log, ", time %.3fx %s's", ratio, drt_precision_name(s->be->int8_kept_in));
        fputc('\n', s->so->log);
    }
    free_dets(dets, s->n_images);
    free(dets);
    free(picks);
    return st;
}

static drt_status score(search *s, const char *keep, measure *out)
{
    for (int i = 0; i < s->n_seen; i++)
        if (!strcmp(s->seen[i], keep)) {
            *out = s->seen_m[i];
            return DRT_OK;
        }
    DRT_TRY(score_on(s, s->opts.device, 0, keep, 1, out));
    char **seen = realloc(s->seen, (size_t)(s->n_seen + 1) * sizeof *seen);
    if (seen) s->seen = seen;
    measure *m = seen ? realloc(s->seen_m, (size_t)(s->n_seen + 1) * sizeof *m) : NULL;
    if (m) s->seen_m = m;
    if (!m || !(s->seen[s->n_seen] = strdup(keep))) return drt_error(DRT_STATUS_OOM, "min-map: out of memory");
    s->seen_m[s->n_seen++] = *out;
    return DRT_OK;
}

/* "none,a,b,...": every conv but the first k of order (those run in int8). */
static char *keep_list(const int *order, int n, int k)
{
    char *t = malloc(8 + (size_t)n * 8);
    if (!t) return NULL;
    int len = sprintf(t, "none");
    for (int j = k; j < n; j++) len += sprintf(t + len, ",%d", order[j]);
    return t;
}

typedef struct ranked { int layer; double err; } ranked;

static int by_err(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    if (a->err != b->err) return a->err < b->err ? -1 : 1;
    return a->layer - b->layer;
}

/* The convs the search may put in int8: those the backend's rule runs in int8 (CUDA's), else every conv. */
static int candidate(const search *s, int i)
{
    if (s->be->int8_rule) return s->be->int8_rule(s->m, s->opts.cuda_int8_all, NULL, i, -1);
    return s->m->layers[i].type == DRT_LAYER_CONV;
}

/* "none" and every conv but layer j: j alone in int8, on the ranking engine (every conv a candidate). */
static char *keep_all_but(const drt_model *m, int j)
{
    char *t = malloc(8 + (size_t)m->n_layers * 8);
    if (!t) return NULL;
    int len = sprintf(t, "none");
    for (int i = 0; i < m->n_layers; i++)
        if (i != j && m->layers[i].type == DRT_LAYER_CONV) len += sprintf(t + len, ",%d", i);
    return t;
}

/* Sensitivity: each candidate alone in int8 (the rest fp32), ranked by its heads' error, least
 * first, over RANK_IMAGES of fold 0's validation images spread across them (the error is an average
 * over many values: a few images rank as all do, at a fraction of the cost). Measured on the
 * calibrating backend's engine (the CPU's: the same calibration) for other devices' searches too: a
 * build costs a fraction of a second there, seconds on the GPU (cuDNN plans); the cut is then
 * searched on the device's engine itself. For a device without bias correction (CUDA) the CPU
 * engines rank without it, as that device's int8 runs (score_on); it was most of a ranking
 * candidate's cost (yolo-fastest-1.1, 14 images: 3.8 s of 4.1 s, yolov3-416: 83 s of 93 s, one thread
 * on the busy 2-core machine). A CPU search keeps it: its candidates are corrected, and ranked
 * without it the search kept 3 convs of yolo-fastest-1.1 instead of 32, 0.956 held out against 0.987.
 * Another device's ranking engines are also untuned (oneDNN's first implementations): they stand in
 * for its engine (CUDA: fp16 where the CPU's is fp32, ~1e-3 apart), and tuning moved their heads by
 * at most 1.7e-5 of their L1 (yolov3-tiny; 0 and 5e-8 on yolo-fastest-1.1), the int8 conv's own error
 * 1.7e-3 to 2.2e-2, while it took 28 s of a yolov3-416 ranking build (one thread, busy machine). */
static drt_status rank_convs(search *s, int *order, int *n_out)
{
    int n = 0, ranked_images = 0;
    for (int i = 0; i < s->n_images; i++) ranked_images += !s->fold[i];
    int stride = ranked_images > RANK_IMAGES ? ranked_images / RANK_IMAGES : 1;
    for (int i = 0; i < s->m->n_layers; i++)
        if (candidate(s, i)) order[n++] = i;
    ranked *r = calloc((size_t)n + 1, sizeof *r);
    if (!r) return drt_error(DRT_STATUS_OOM, "min-map: out of memory");
    drt_status st = DRT_OK;
    for (int j = 0; st == DRT_OK && j < n; j++) {
        char *keep = keep_all_but(s->m, order[j]);
        measure me;
        r[j].layer = order[j];
        st = keep ? score_on(s, s->rank_device, stride, keep, 0, &me) : drt_error(DRT_STATUS_OOM, "min-map: out of memory");
        r[j].err = me.err;
        free(keep);
    }
    qsort(r, (size_t)n, sizeof *r, by_err);
    for (int j = 0; j < n; j++) order[j] = r[j].layer;
    *n_out = n;
    free(r);
    return st;
}

/* The most convs k (least sensitive first) in int8 whose bound still reaches the target, by
 * bisection (taken as falling with k): k = 0 is no conv in int8, k = n missed. */
static drt_status largest_k(search *s, const int *order, int n, int *k_out, measure *out)
{
    int lo = 0, hi = n;
    measure lo_m = {1, 1, 0};
    drt_status st = DRT_OK;
    while (st == DRT_OK && hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        char *keep = keep_list(order, n, mid);
        measure me;
        st = keep ? score(s, keep, &me) : drt_error(DRT_STATUS_OOM, "min-map: out of memory");
        free(keep);
        if (st == DRT_OK && me.bound >= s->target) lo = mid, lo_m = me;
        else hi = mid;
    }
    if (st == DRT_OK && lo == 0) { /* nothing in int8: measured too (CUDA's fp16 is not fp32) */
        char *keep = keep_list(order, n, 0);
        st = keep ? score(s, keep, &lo_m) : drt_error(DRT_STATUS_OOM, "min-map: out of memory");
        free(keep);
    }
    *k_out = lo;
    *out = lo_m;
    return st;
}

static int feeds_head(const drt_model *m, int i)
{
    for (int j = i + 1; j < m->n_layers; j++)
        if (m->layers[j].type == DRT_LAYER_YOLO && m->layers[j].n_inputs > 0 && m->layers[j].inputs[0] == i) return 1;
    return 0;
}

/* The candidate convs a keep list keeps (listed, or named by "heads"/"dw" unless it says "none"). */
static int count_keep(const search *s, const char *keep)
{
    int n = 0, words = !strstr(keep, "none");
    for (int i = 0; i < s->m->n_layers; i++)
        n += candidate(s, i) && (drt_int8_keep_listed(keep, i) || (words && strstr(keep, "heads") && feeds_head(s->m, i)) ||
                                 (words && strstr(keep, "dw") && s->m->layers[i].groups > 1));
    return n;
}

/* The candidate convs in layer order (conv[0..n)). */
static int candidates_in_order(const search *s, int *conv)
{
    int n = 0;
    for (int i = 0; i < s->m->n_layers; i++)
        if (candidate(s, i)) conv[n++] = i;
    return n;
}

/* base ("none" or "heads") and the convs conv[p] with mark[p] set. */
static char *keep_marked(const char *base, const int *conv, const unsigned char *mark, int n)
{
    char *t = malloc(8 + (size_t)n * 8);
    if (!t) return NULL;
    int len = sprintf(t, "%s", base);
    for (int p = 0; p < n; p++)
        if (mark[p]) len += sprintf(t + len, ",%d", conv[p]);
    return t;
}

/* by_speed: the bisection's kept set with every gap of at most g candidate convs between two kept
 * ones kept too (g = 1, 3, 7): each run of kept convs converts between int8 and the higher
 * precision at its ends, so fewer runs cost fewer conversions (the 28 scattered convs the ranking
 * kept on yolo-fastest-1.1 made the plan 1.39x fp32's time). */
static drt_status fill_gaps(search *s, const int *order, int n, int k, int *conv, unsigned char *mark)
{
    int nc = candidates_in_order(s, conv), before = -1;
    drt_status st = DRT_OK;
    for (int g = 1; st == DRT_OK && g <= 7; g = 2 * g + 1) {
        int filled = 0;
        for (int p = 0; p < nc; p++) {
            mark[p] = 0;
            for (int j = k; j < n; j++) mark[p] |= order[j] == conv[p];
        }
        for (int p = 0, last = -1; p < nc; p++) {
            if (!mark[p]) continue;
            if (last >= 0 && p - last - 1 <= g)
                for (int q = last + 1; q < p; q++) mark[q] = 1, filled++;
            last = p;
        }
        if (filled == before) continue; /* the same set as the smaller gap's */
        before = filled;
        char *keep = keep_marked("none", conv, mark, nc);
        measure me;
        st = keep ? score(s, keep, &me) : drt_error(DRT_STATUS_OOM, "min-map: out of memory");
        free(keep);
    }
    return st;
}

/* by_speed: the heads kept (CPU: "heads"; CUDA: its rule keeps them) and the last (from_end) or
 * first j candidate convs, for the fewest j that reaches the target by bisection: one conversion
 * between int8 and the higher precision inside the network. */
static drt_status run_family(search *s, const char *base, int from_end, int *conv, unsigned char *mark)
{
    int nc = candidates_in_order(s, conv), lo = 0, hi = nc; /* lo: the heads alone missed it */
    drt_status st = DRT_OK;
    while (st == DRT_OK && hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        for (int p = 0; p < nc; p++) mark[p] = from_end ? p >= nc - mid : p < mid;
        char *keep = keep_marked(base, conv, mark, nc);
        measure me;
        st = keep ? score(s, keep, &me) : drt_error(DRT_STATUS_OOM, "min-map: out of memory");
        free(keep);
        if (st == DRT_OK && me.bound >= s->target) hi = mid;
        else lo = mid;
    }
    return st;
}

/* by_speed, a backend with a rule for where int8 pays (CUDA's) searched with every conv a
 * candidate (cuda_int8_all): the rule's own set, every other candidate kept. */
static drt_status rule_set(search *s, int *conv, unsigned char *mark)
{
    int nc = candidates_in_order(s, conv);
    for (int p = 0; p < nc; p++) mark[p] = !s->be->int8_rule(s->m, 0, NULL, conv[p], -1);
    char *keep = keep_marked("none", conv, mark, nc);
    measure me;
    drt_status st = keep ? score(s, keep, &me) : drt_error(DRT_STATUS_OOM, "min-map: out of memory");
    free(keep);
    return st;
}

/* by_speed: the higher precision's engine (CPU fp32, CUDA fp16) and the timing input. */
static drt_status timing_setup(search *s)
{
    drt_engine_opts o = s->opts;
    o.precision = s->be->int8_kept_in;
    o.int8_keep = NULL;
    o.verbose = 0;
    o.max_batch = 1;
    s->batch = s->opts.max_batch > 1 ? s->opts.max_batch : 1;
    size_t n = (size_t)s->batch * (size_t)drt_model_channels(s->m) * (size_t)drt_model_width(s->m) * (size_t)drt_model_height(s->m);
    if (!(s->input = malloc(n * sizeof *s->input))) return drt_error(DRT_STATUS_OOM, "min-map: out of memory");
    for (size_t i = 0; i < n; i++) s->input[i] = (float)((i * 2654435761u) % 1000) / 1000.f;
    if (s->cpu_time && s->so->log)
        fprintf(s->so->log, "min-map: candidates run at 1 thread, timed by that thread's CPU time (finalists within %.0f%% tie)\n",
                100 * s->time_tie);
    return drt_engine_create(s->m, &o, &s->higher);
}

static drt_status run(search *s, drt_int8_search_result *out)
{
    drt_engine_opts ref = s->opts;
    ref.precision = DRT_PREC_FP32;
    ref.verbose = 0;
    ref.max_batch = 1;
    int *order = calloc((size_t)s->m->n_layers + 1, sizeof *order), n = 0, k = 0;
    unsigned char *mark = calloc((size_t)s->m->n_layers + 1, 1);
    int *conv = calloc((size_t)s->m->n_layers + 1, sizeof *conv);
    drt_status st = order && mark && conv ? DRT_OK : drt_error(DRT_STATUS_OOM, "min-map: out of memory");
    if (st == DRT_OK) st = detect_all(s, &ref, 0, s->truth, 1, NULL, NULL, NULL, NULL);
    if (st == DRT_OK && s->so->by_speed) st = timing_setup(s);
    const char *def_keep = s->be->int8_default_keep; /* NULL (CUDA): the default is its rule, "none" */
    out->default_kept = def_keep ? count_keep(s, def_keep) : 0;
    measure all = {0}, def = {0}, heads = {0}, found = {0};
    if (st == DRT_OK) st = score(s, "none", &all);
    def = all;
    if (st == DRT_OK && def_keep) st = score(s, def_keep, &def);
    /* With a default keep list (the CPU's): the heads alone kept before any ranking. Every other
     * conv in int8 leaves no conversion between int8 and fp32 inside the network: the fastest plan
     * (0.90x fp32's time on yolo-fastest-1.1, against 1.39x for the 28 scattered convs the ranking
     * kept there; bench/results/int8-accuracy.md). */
    if (st == DRT_OK && def_keep && (all.bound < s->target || s->so->by_speed)) st = score(s, "heads", &heads);
    if (st == DRT_OK && all.bound >= s->target) {
        out->keep = strdup("none");
        found = all;
    } else if (st == DRT_OK && def_keep && heads.bound >= s->target) {
        out->keep = strdup("heads");
        out->kept = count_keep(s, "heads");
        found = heads;
    } else if (st == DRT_OK) {
        st = rank_convs(s, order, &n);
        if (st == DRT_OK) st = largest_k(s, order, n, &k, &found);
        if (st == DRT_OK) out->keep = keep_list(order, n, k);
        out->kept = n - k;
        /* Contiguous sets where int8 convs chain (the CPU); on CUDA every int8 conv quantizes its
         * fp16 input itself, so where the kept convs lie costs nothing (its rule's set, below). */
        const char *base = def_keep ? "heads" : "none";
        int chains = s->so->by_speed && (s->be->flags & DRT_BACKEND_INT8_CHAINS);
        if (st == DRT_OK && chains && k > 0) st = fill_gaps(s, order, n, k, conv, mark);
        if (st == DRT_OK && chains) st = run_family(s, base, 1, conv, mark);
        if (st == DRT_OK && chains) st = run_family(s, base, 0, conv, mark);
    }
    if (st == DRT_OK && s->so->by_speed && s->be->int8_rule && s->opts.cuda_int8_all) st = rule_set(s, conv, mark);
    if (st == DRT_OK && def.bound >= s->target && out->default_kept < out->kept) {
        free(out->keep);
        out->keep = strdup(def_keep);
        out->kept = out->default_kept;
        found = def;
    }
    int pick = -1;
    double fastest = 0;
    if (st == DRT_OK && s->so->by_speed) st = pick_timed(s, &pick, &fastest);
    if (pick >= 0) { /* by_speed: confirmed faster, within the tie the nearest fp32 */
        free(out->keep);
        out->keep = strdup(s->timed_keep[pick]);
        out->kept = count_keep(s, s->timed_keep[pick]);
        found = s->timed_m[pick];
        out->screened_ratio = s->timed_ratio[pick];
        out->time_ratio = s->confirmed[pick];
    } else if (st == DRT_OK && s->so->by_speed) { /* none fast enough, or none reached the margin */
        out->higher = 1;
        out->time_ratio = fastest;
    }
    for (int i = 0; s->confirmed && i < s->timed; i++) out->confirmed += s->confirmed[i] > 0;
    out->max_ratio = 1 - MIN_SPEEDUP;
    out->timed_bound = s->target;
    out->timed = s->timed;
    out->map = found.map;
    out->bound = found.bound;
    out->map_int8 = all.map;
    out->map_default = def.map;
    if (st == DRT_OK && !out->keep) st = drt_error(DRT_STATUS_OOM, "min-map: out of memory");
    for (int i = 0; i < s->m->n_layers; i++) out->convs += candidate(s, i);
    free(order);
    free(mark);
    free(conv);
    return st;
}

/* One search with one activation code (opts->int8_activations resolved). */
static drt_status search_code(const drt_model *m, const drt_engine_opts *opts, const drt_int8_search_opts *so,
                              drt_int8_search_result *out)
{
    memset(out, 0, sizeof *out);
    out->int8_activations = opts->int8_activations;
    if (!(so->min_map > 0 && so->min_map <= 1))
        return drt_error(DRT_STATUS_INVALID_ARG, "--min-map %g: must be in (0, 1]", so->min_map);
    const drt_backend_entry *be = drt_backend_entry_of(opts->device);
    if (!be || !(be->flags & DRT_BACKEND_INT8_KEEP) || opts->precision != DRT_PREC_INT8)
        return drt_error(DRT_STATUS_UNSUPPORTED, "--min-map searches int8 engines (--precision int8 on a device that keeps convs "
                                                 "out of int8: %s is not one)", be ? be->name : "?");
    search s = {.m = m, .opts = *opts, .so = so, .be = be, .rank_device = opts->device, .target = so->min_map};
    if (so->by_speed) s.target += VAL_MARGIN * (1 - so->min_map);
    s.cpu_time = out->cpu_time = so->by_speed && (be->flags & DRT_BACKEND_HOST_TIMED);
    if (s.cpu_time) s.opts.threads = 1; /* every candidate's work on the thread that times it */
    s.time_tie = out->time_tie = s.cpu_time ? TIME_TIE_CPU : TIME_TIE_WALL;
    out->split = split_point(opts, so->val_dir);
    if (out->split) s.opts.calib_max_images = out->split, s.opts.calib_half = 1;
    drt_device cal;
    const drt_backend *cb;
    drt_status st = drt_backend_calibrator(&cal, &cb);
    const drt_backend_entry *ce = st == DRT_OK ? drt_backend_entry_of(cal) : NULL;
    if (ce && (ce->flags & DRT_BACKEND_INT8_KEEP) && !ce->int8_rule) s.rank_device = cal; /* else ranked on the device */
    if (st == DRT_OK) st = load_images(&s, so->val_dir, out->split, so->max_images > 0 ? so->max_images : 32);
    if (st == DRT_OK && (!(s.truth = calloc((size_t)s.n_images, sizeof *s.truth)) ||
                         !(s.heads = calloc((size_t)s.n_images, sizeof *s.heads))))
        st = drt_error(DRT_STATUS_OOM, "min-map: out of memory");
    if (st == DRT_OK) st = drt_calib_measure(m, &s.opts, NULL, &s.calib[0]);
    drt_engine_opts other = s.opts;
    other.calib_half = 2;
    if (st == DRT_OK && out->split) st = drt_calib_measure(m, &other, NULL, &s.calib[1]);
    if (st == DRT_OK) st = run(&s, out);
    drt_calib_free(s.calib[0]);
    drt_calib_free(s.calib[1]);
    out->builds = s.builds;
    out->images = s.n_images;
    free_dets(s.truth, s.n_images);
    free(s.truth);
    for (int i = 0; s.heads && i < s.n_images; i++) free(s.heads[i]);
    free(s.heads);
    for (int i = 0; i < s.n_images; i++) drt_image_free(s.images[i]);
    free(s.images);
    free(s.fold);
    drt_engine_free(s.higher);
    free(s.input);
    for (int i = 0; i < s.timed; i++) free(s.timed_keep[i]);
    free(s.timed_keep);
    free(s.timed_m);
    free(s.timed_ratio);
    free(s.confirmed);
    for (int i = 0; i < s.n_seen; i++) free(s.seen[i]);
    free(s.seen);
    free(s.seen_m);
    if (st != DRT_OK) drt_int8_search_result_clear(out);
    return st;
}

/* Auto's two searches (asym, then sym): 1 when sym's result is the one to build. By speed, the int8 plan of the two
 * (the higher precision when neither), sym's only when confirmed faster than asym's beyond the tie; by fewest, the
 * fewer convs kept. The asym search's 14 validation views rated its candidates near 1 and kept 6 of yolo-fastest-1.1's
 * 84 convs, 0.931 held out, where sym's kept 27, 0.983, and was faster (bench/results/int8-asym.md, session 18). */
static int pick_sym(const drt_int8_search_result *asym, const drt_int8_search_result *sym, int by_speed)
{
    if (!by_speed) return sym->kept < asym->kept;
    if (asym->higher || sym->higher) return asym->higher && !sym->higher;
    return sym->time_ratio < asym->time_ratio * (1 - asym->time_tie);
}

static void say_result(FILE *log, const char *code, const drt_int8_search_result *r, int by_speed, const char *higher)
{
    if (r->higher) fprintf(log, "%s: %s built (no int8 plan fast enough)", code, higher);
    else if (by_speed) fprintf(log, "%s: keep %.40s%s, %.3fx %s's time", code, r->keep, strlen(r->keep) > 40 ? "..." : "",
                               r->time_ratio, higher);
    else fprintf(log, "%s: %d convs kept", code, r->kept);
}

drt_status drt_int8_search(const drt_model *m, const drt_engine_opts *opts, const drt_int8_search_opts *so,
                           drt_int8_search_result *out)
{
    /* the searched device's code, resolved here: a CUDA search's CPU ranking engines run sym too */
    drt_engine_opts o = *opts;
    o.int8_activations = drt_int8_activations_of(opts);
    drt_status st = search_code(m, &o, so, out);
    if (st != DRT_OK || opts->int8_activations != DRT_INT8_ACT_AUTO || o.int8_activations != DRT_INT8_ACT_ASYM) return st;
    /* auto where the device takes zero points: both codes searched, one kept (pick_sym) */
    if (so->log) fprintf(so->log, "darkrt build: --min-map: int8 activations auto: the search again with sym\n");
    o.int8_activations = DRT_INT8_ACT_SYM;
    drt_int8_search_result rs;
    if ((st = search_code(m, &o, so, &rs)) != DRT_OK) {
        drt_int8_search_result_clear(out);
        return st;
    }
    int take = pick_sym(out, &rs, so->by_speed);
    if (so->log) {
        const char *higher = drt_precision_name(drt_backend_entry_of(opts->device)->int8_kept_in);
        fprintf(so->log, "darkrt build: --min-map: int8 activations auto: ");
        say_result(so->log, "asym", out, so->by_speed, higher);
        fprintf(so->log, "; ");
        say_result(so->log, "sym", &rs, so->by_speed, higher);
        fprintf(so->log, ": %s's %s\n", take ? "sym" : "asym", so->by_speed ? "the faster int8 plan" : "fewer convs kept");
    }
    drt_int8_search_result_clear(take ? out : &rs);
    if (take) *out = rs;
    return DRT_OK;
}

void drt_int8_search_result_clear(drt_int8_search_result *r)
{
    free(r->keep);
    r->keep = NULL;
}
