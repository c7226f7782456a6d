/* CPU engines compute with the thread count the caller gives (drt_engine_opts.threads; 0: the calling thread's
 * OpenMP count) and leave the calling thread's OpenMP count as they found it (issue 17: a host application's
 * OpenMP settings are its own; src/backend/cpu/cpu-parallel.c, drt_cpu_with_threads). The host thread's count is
 * set to H = OpenMP's default + 2 (neither the default nor an engine's count); engines of 1, H + 1 and 0 threads,
 * fp32 and int8 (calibration and bias correction on two images): build, run, a context's run, the plan saved,
 * loaded and run, free. After each step the thread's count is still H (on 78a806e it was the engine's). Inside,
 * the engine's count is what runs: each line the verbose build logs (calibration, the summary at its end) sees
 * it as OpenMP's count, and at every layer of a run (the engine's layer observer) so do OpenMP's count, which
 * oneDNN's primitives read, and the team darkrt's own kernels get (drt_cpu_parallel). The same again on a thread
 * of its own, whose count is OpenMP's default (the pipeline's workers, a Python thread). And an engine of 0 threads
 * built here runs on another thread with the count it was built with (oneDNN's primitives are created for it), not
 * that thread's (session 14's review: built with one count, run with another). */
#include "backend/cpu/cpu.h"
#include "backend/cpu/cpu-parallel.h"
#include "darkrt.h"
#include "test-models.h"
#include "unit/check.h"

#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

enum { S = 16 };

static const char cfg_text[] = "[net]\nwidth=16\nheight=16\nchannels=3\n"
                               "[convolutional]\nsize=3\nstride=1\npad=1\nfilters=8\nactivation=leaky\n"
                               "[convolutional]\nsize=1\nstride=1\npad=0\nfilters=18\nactivation=linear\n"
                               "[yolo]\nmask=0,1,2\nanchors=10,14, 23,27, 37,58\nclasses=1\nnum=3\n";

/* What a build's log lines or a run's layers saw: OpenMP's counts and darkrt's team sizes, each kept as the
 * first value and whether any other one came (-1 where none was seen). */
typedef struct seen {
    int count, other_count, team, other_team;
} seen;

static void see(int *first, int *other, int v)
{
    if (*first < 0) *first = v;
    else if (v != *first) *other = v;
}

static void team(void *ctx, int tid, int nt)
{
    if (tid == 0) {
        seen *s = ctx;
        see(&s->team, &s->other_team, nt);
    }
}

static __thread seen *logged; /* this thread's build, while one is being watched */

static void log_seen(drt_log_level level, const char *message, void *user)
{
    (void)level, (void)message, (void)user;
    if (!logged) return;
    see(&logged->count, &logged->other_count, omp_get_max_threads());
    drt_cpu_parallel(team, logged);
}

static void layer_seen(cpu_state *st, int t, const cpu_view *v, void *ctx)
{
    (void)st, (void)t, (void)v;
    seen *s = ctx;
    see(&s->count, &s->other_count, omp_get_max_threads());
    drt_cpu_parallel(team, s);
}

static void check_seen(const seen *s, const char *what, const char *place, int want)
{
    CHECK(s->count == want && s->other_count < 0, "%s, %s: OpenMP's count %d (and %d), want %d", place, what, s->count,
          s->other_count, want);
    CHECK(s->team == want && s->other_team < 0, "%s, %s: darkrt's team %d (and %d), want %d", place, what,
          s->team, s->other_team, want);
}

/* The thread's count after a step is still `host`. */
static void check_kept(const char *place, const char *step, int host)
{
    int now = omp_get_max_threads();
    CHECK(now == host, "%s: after %s this thread's OpenMP count is %d, was %d", place, step, now, host);
}

/* Runs e once with its layers watched (the engine's own run state). */
static void watched_run(drt_engine *e, const char *place, const char *what, int want)
{
    seen s = {-1, -1, -1, -1};
    cpu_state *st = e->impl;
    st->observe = layer_seen;
    st->observe_ctx = &s;
    float in[3 * S * S] = {0};
    CHECK(drt_engine_run(e, in, 1) == DRT_OK, "%s, %s: run: %s", place, what, drt_last_error());
    st->observe = NULL;
    st->observe_ctx = NULL;
    check_seen(&s, what, place, want);
}

/* Every step of one engine of `threads` threads on this thread, whose OpenMP count is `host`. */
static void one_engine(const drt_model *m, const char *dir, drt_precision prec, int threads, int host)
{
    char place[128], calib[300], plan[300];
    snprintf(place, sizeof place, "%s engine of %d threads (this thread's count %d)", drt_precision_name(prec), threads, host);
    snprintf(calib, sizeof calib, "%s/calib", dir);
    snprintf(plan, sizeof plan, "%s/t%d-%d-%lx.plan", dir, threads, (int)prec, (unsigned long)pthread_self());
    int want = threads ? threads : host;
    drt_engine_opts o = drt_engine_opts_default();
    o.threads = threads;
    o.precision = prec;
    o.calib_dir = calib;
    o.int8_keep = "none";
    o.verbose = 1;
    drt_engine *e = NULL, *loaded = NULL;
    seen b = {-1, -1, -1, -1};
    logged = &b;
    drt_status s = drt_engine_create(m, &o, &e);
    logged = NULL;
    CHECK(s == DRT_OK, "%s: build: %s", place, drt_last_error());
    check_kept(place, "the build", host);
    if (s != DRT_OK) return;
    check_seen(&b, "the build's log lines", place, want);
    watched_run(e, place, "the run", want);
    check_kept(place, "a run", host);
    drt_context *c = NULL;
    float in[3 * S * S] = {0};
    CHECK(drt_context_create(e, &c) == DRT_OK && drt_context_run(c, in, 1) == DRT_OK, "%s: context: %s", place, drt_last_error());
    check_kept(place, "a context's run", host);
    drt_context_free(c);
    CHECK(drt_engine_save_plan(e, plan) == DRT_OK && drt_engine_load_plan(plan, &o, &loaded) == DRT_OK, "%s: plan: %s", place,
          drt_last_error());
    check_kept(place, "the plan's load", host);
    if (loaded) watched_run(loaded, place, "the loaded plan's run", want);
    check_kept(place, "the loaded plan's run", host);
    remove(plan);
    drt_engine_free(loaded);
    drt_engine_free(e);
    check_kept(place, "free", host);
}

typedef struct job {
    const drt_model *m;
    const char *dir;
} job;

static void all_engines(const job *j, int host)
{
    int counts[] = {1, 0, host + 1};
    for (int p = 0; p < 2; p++)
        for (int k = 0; k < 3; k++) one_engine(j->m, j->dir, p ? DRT_PREC_INT8 : DRT_PREC_FP32, counts[k], host);
}

static void *on_own_thread(void *p)
{
    all_engines(p, omp_get_max_threads());
    return NULL;
}

typedef struct elsewhere {
    drt_engine *e;
    int built_with, count_before, count_after;
} elsewhere;

static void *run_elsewhere(void *p)
{
    elsewhere *x = p;
    x->count_before = omp_get_max_threads();
    watched_run(x->e, "an engine of 0 threads built on another thread", "its run on this one", x->built_with);
    x->count_after = omp_get_max_threads();
    return NULL;
}

/* An engine of 0 threads built on this thread (count `host`), run on a new thread (OpenMP's default). */
static void built_here_run_elsewhere(const drt_model *m, int host)
{
    drt_engine_opts o = drt_engine_opts_default();
    o.threads = 0;
    drt_engine *e = NULL;
    CHECK(drt_engine_create(m, &o, &e) == DRT_OK, "0 threads: build: %s", drt_last_error());
    if (!e) return;
    elsewhere x = {e, host, -1, -1};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, run_elsewhere, &x) == 0, "thread");
    pthread_join(t, NULL);
    CHECK(x.count_before != host, "the new thread's count %d is the host's: the case is not tested", x.count_before);
    CHECK(x.count_after == x.count_before, "the run left the new thread's count %d, was %d", x.count_after, x.count_before);
    drt_engine_free(e);
}

int main(void)
{
    char dir[] = "/tmp/drt-threads-XXXXXX", calib[300];
    if (!mkdtemp(dir)) return 1;
    snprintf(calib, sizeof calib, "%s/calib", dir);
    if (mkdir(calib, 0700) != 0) return 1;
    for (int i = 0; i < 2; i++) { /* P6 images of the network's size */
        char p[400];
        snprintf(p, sizeof p, "%s/img%d.ppm", calib, i);
        FILE *f = fopen(p, "wb");
        if (!f) return 1;
        fprintf(f, "P6\n%d %d\n255\n", S, S);
        for (int k = 0; k < 3 * S * S; k++) fputc((k * 37 + i * 101) & 255, f);
        fclose(f);
    }
    drt_model *m = load_cfg_text(dir, "t.cfg", cfg_text, 1);
    CHECK(m != NULL, "model: %s", drt_last_error());
    drt_set_log_callback(log_seen, NULL);
    int def = omp_get_max_threads(), host = def + 2;
    if (m) {
        job j = {m, dir};
        omp_set_num_threads(host);
        all_engines(&j, host);
        built_here_run_elsewhere(m, host);
        pthread_t t;
        CHECK(pthread_create(&t, NULL, on_own_thread, &j) == 0, "thread");
        pthread_join(t, NULL);
    }
    printf("OpenMP's default %d; this thread's count %d, kept through engines of 1, %d and 0 threads\n", def, host, host + 1);
    drt_set_log_callback(NULL, NULL);
    drt_model_free(m);
    char p[400];
    for (int i = 0; i < 2; i++) snprintf(p, sizeof p, "%s/calib/img%d.ppm", dir, i), remove(p);
    snprintf(p, sizeof p, "%s/t.cfg", dir), remove(p);
    rmdir(calib);
    rmdir(dir);
    return DONE();
}
