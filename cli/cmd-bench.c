/* darkrt bench: times an engine (built in memory from a cfg/ONNX, or loaded from a plan):
 * batch-1 latency (median, p90, min, mean), batch-N throughput, peak RSS; optional JSON.
 * A device engine is timed twice: through drt_engine_run (a float input uploaded, the heads
 * downloaded: what the API's caller pays) and staged (drt_engine_stage: the runs alone, as a
 * device pipeline pays for them; the --min-map search times them so). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli-util.h"
#include "commands.h"
#include "core/fileio.h"
#include "engine-args.h"
#include "engine/engine.h"

typedef struct bench_args {
    int runs, warmup, batch;
    const char *json;
} bench_args;

static void usage(FILE *out)
{
    fprintf(out, "usage: darkrt bench MODEL [options]\n"
                 "  MODEL                   a Darknet .cfg (its .weights next, or -w), an .onnx file or an engine .plan\n"
                 "      --runs N            timed batch-1 runs (default 20)\n"
                 "      --warmup N          untimed runs first (default 3)\n"
                 "      --json FILE         also write the results as JSON\n"
                 "  (--batch N: also time batch-N throughput; a GPU engine is also timed staged: its input left on the\n"
                 "   device and its heads left there, as detect's pipeline runs it)\n%s",
            engine_args_help);
    fputs(cli_model_options_help, out);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static long peak_rss_kib(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

static int parse(int argc, char **argv, engine_args *a, bench_args *b)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) { usage(stdout); return -1; }
        if (!strcmp(arg, "-v") || !strcmp(arg, "--verbose")) { a->engine.verbose = 1; continue; }
        int took = cli_model_option("bench", arg, i + 1 < argc ? argv[i + 1] : NULL, &a->weights);
        if (took == 0) return 2;
        if (took > 0) {
            i += took - 1;
            continue;
        }
        if (arg[0] != '-') {
            if (cli_positional_weights(a->model, arg, &a->weights)) continue;
            if (a->model) return cli_usage_error("bench", "%s: exactly one model expected (darkrt bench --help)", arg);
            a->model = arg;
            continue;
        }
        const char *name = !strcmp(arg, "-w") ? "weights" : !strncmp(arg, "--", 2) ? arg + 2 : arg;
        if (i + 1 >= argc) return cli_usage_error("bench", "%s: needs a value", arg);
        const char *v = argv[++i];
        if (!strcmp(name, "runs")) { if (cli_parse_int("bench", "--runs", v, 1, 100000, &b->runs)) return 2; continue; }
        if (!strcmp(name, "warmup")) { if (cli_parse_int("bench", "--warmup", v, 0, 100000, &b->warmup)) return 2; continue; }
        if (!strcmp(name, "json")) { b->json = v; continue; }
        int rc = engine_args_option(a, name, v);
        if (rc == 2) return 2;
        if (rc == 0) return cli_usage_error("bench", "%s: unknown option (darkrt bench --help)", arg);
    }
    if (!a->model) return cli_usage_error("bench", "no model given (darkrt bench --help)");
    b->batch = a->engine.max_batch;
    return 0;
}

typedef struct stats { double median, p90, min, mean; } stats;

static stats summarize(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    stats s = {t[n / 2], t[(int)(0.9 * (n - 1) + 0.5)], t[0], 0};
    for (int i = 0; i < n; i++) s.mean += t[i] / n;
    return s;
}

/* n runs of batch images, each timed into t[i] (t NULL: untimed); staged: drt_engine_run_staged of the input
 * drt_engine_stage put on the device, else drt_engine_run of `in`. */
static int time_runs(drt_engine *e, const float *in, int staged, int batch, int n, double *t)
{
    if (staged) {
        drt_status s = drt_engine_stage(e, in, batch);
        if (s != DRT_OK) return cli_fail(s);
    }
    for (int i = 0; i < n; i++) {
        double t0 = drt_now_ms();
        drt_status s = staged ? drt_engine_run_staged(e, batch) : drt_engine_run(e, in, batch);
        if (s != DRT_OK) return cli_fail(s);
        if (t) t[i] = drt_now_ms() - t0;
    }
    return 0;
}

typedef struct timing {
    stats lat;   /* batch 1 */
    double tput; /* images/s at the bench's batch (0: batch 1 only) */
} timing;

/* Warm-up, the batch-1 latency runs into t, and the batch's throughput. */
static int time_engine(drt_engine *e, const float *in, int staged, const bench_args *b, double *t, timing *out)
{
    int rc = time_runs(e, in, staged, 1, b->warmup, NULL);
    if (!rc) rc = time_runs(e, in, staged, 1, b->runs, t);
    if (rc) return rc;
    out->lat = summarize(t, b->runs);
    out->tput = 0;
    if (b->batch > 1) {
        int n = b->runs / 4 > 2 ? b->runs / 4 : 2;
        rc = time_runs(e, in, staged, b->batch, 1, NULL);
        double t0 = drt_now_ms();
        if (!rc) rc = time_runs(e, in, staged, b->batch, n, NULL);
        out->tput = 1000.0 * n * b->batch / (drt_now_ms() - t0);
    }
    return rc;
}

/* Returns 0, or 1 after printing why the file could not be written. staged NULL: a host engine. */
static int write_json(const char *path, const engine_args *a, const drt_engine *e, const bench_args *b, const timing *h,
                      const timing *staged, double build_ms, long rss)
{
    drt_atomic_file af;
    drt_status st = drt_atomic_open(&af, path);
    if (st != DRT_OK) return cli_fail(st);
    const drt_model *m = drt_engine_model(e);
    stats s = h->lat;
    fprintf(af.fp,
            "{\"model\": \"%s\", \"device\": \"%s\", \"precision\": \"%s\", \"width\": %d, \"height\": %d, "
            "\"threads\": %d, \"runs\": %d, \"warmup\": %d, \"build_ms\": %.3f,\n"
            " \"latency_ms\": {\"median\": %.4f, \"p90\": %.4f, \"min\": %.4f, \"mean\": %.4f},\n"
            " \"batch\": %d, \"throughput_ips\": %.4f, \"peak_rss_kib\": %ld",
            a->model, drt_device_name(drt_engine_device(e)), drt_precision_name(drt_engine_precision(e)),
            drt_model_width(m), drt_model_height(m), a->engine.threads, b->runs, b->warmup, build_ms, s.median, s.p90,
            s.min, s.mean, b->batch, h->tput, rss);
    if (staged)
        fprintf(af.fp,
                ",\n \"staged_latency_ms\": {\"median\": %.4f, \"p90\": %.4f, \"min\": %.4f, \"mean\": %.4f}, "
                "\"staged_throughput_ips\": %.4f",
                staged->lat.median, staged->lat.p90, staged->lat.min, staged->lat.mean, staged->tput);
    fputs("}\n", af.fp);
    st = drt_atomic_commit(&af);
    return st == DRT_OK ? 0 : cli_fail(st);
}

int drt_cmd_bench(int argc, char **argv)
{
    engine_args a;
    engine_args_init(&a, "bench");
    bench_args b = {.runs = 20, .warmup = 3, .batch = 1};
    int rc = parse(argc, argv, &a, &b);
    if (rc) return rc < 0 ? 0 : rc;
    drt_engine *e;
    double build_ms;
    if ((rc = engine_args_build(&a, &e, &build_ms))) return rc;
    const drt_model *m = drt_engine_model(e);
    size_t per = (size_t)drt_model_channels(m) * drt_model_width(m) * drt_model_height(m);
    float *in = malloc(sizeof(float) * per * (size_t)b.batch);
    double *t = malloc(sizeof(double) * (size_t)b.runs);
    if (!in || !t) {
        free(in); free(t); drt_engine_free(e);
        return cli_fail(DRT_STATUS_OOM);
    }
    for (size_t i = 0; i < per * (size_t)b.batch; i++) in[i] = (float)((i * 2654435761u) % 1000) / 1000.f;
    int device = drt_engine_stages_on_device(e);
    timing h, staged;
    rc = time_engine(e, in, 0, &b, t, &h);
    if (!rc && device) rc = time_engine(e, in, 1, &b, t, &staged);
    if (!rc) {
        long rss = peak_rss_kib();
        stats s = h.lat;
        printf("%s: %s %s %dx%d threads %d: batch 1 latency median %.2f ms, p90 %.2f, min %.2f, mean %.2f (%d runs)",
               a.model, drt_device_name(drt_engine_device(e)), drt_precision_name(drt_engine_precision(e)),
               drt_model_width(m), drt_model_height(m), a.engine.threads, s.median, s.p90, s.min, s.mean, b.runs);
        if (b.batch > 1) printf("; batch %d: %.2f images/s", b.batch, h.tput);
        if (device) {
            printf("; staged on the device (no float upload, heads left there): batch 1 median %.3f ms", staged.lat.median);
            if (b.batch > 1) printf(", batch %d: %.2f images/s", b.batch, staged.tput);
        }
        printf("; peak RSS %.1f MiB; build %.0f ms\n", rss / 1024.0, build_ms);
        if (b.json) rc = write_json(b.json, &a, e, &b, &h, device ? &staged : NULL, build_ms, rss);
    }
    free(in);
    free(t);
    drt_engine_free(e);
    return rc;
}
