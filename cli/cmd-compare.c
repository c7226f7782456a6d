/* darkrt compare: the reference against other engines and peers, side by side: stage times,
 * confidence, memory and agreement, as a Markdown table, JSON and a self-contained HTML page. */
#include "commands.h"
#include "compare.h"
#include "cli-util.h"
#include "core/error.h"
#include "core/fileio.h"
#include "report/report.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

/* One column: an engine, or alternatives "a|b|c" of which the first available one is shown. */
typedef struct engine_spec {
    char name[128];
} engine_spec;

static int check_alternatives(const char *tok)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", tok);
    for (char *save = NULL, *alt = strtok_r(buf, "|", &save); alt; alt = strtok_r(NULL, "|", &save)) {
        drt_device d;
        drt_precision p;
        int idx;
        if (cmp_parse_engine(alt, &d, &idx, &p) != 0)
            return cli_usage_error("compare", "--engines: unknown engine '%s' (e.g. ref, cpu-fp32, cpu-int8, cuda-fp16)", alt);
    }
    return 0;
}

/* The --engines list, with the reference first (added when missing). */
static int parse_engines(const char *text, engine_spec *specs, int *n)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", text);
    *n = 1;
    snprintf(specs[0].name, sizeof specs[0].name, "ref");
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (strlen(tok) >= sizeof specs[0].name) return cli_usage_error("compare", "--engines: '%s': too long", tok);
        if (check_alternatives(tok)) return 2;
        if (!strcmp(tok, "ref") || !strcmp(tok, "ref-fp32")) continue;
        int dup = 0;
        for (int i = 0; i < *n; i++) dup |= !strcmp(specs[i].name, tok);
        if (dup) continue;
        if (*n == CMP_MAX_ENGINES) return cli_usage_error("compare", "--engines: at most %d engines", CMP_MAX_ENGINES);
        snprintf(specs[(*n)++].name, sizeof specs[0].name, "%s", tok);
    }
    return 0;
}

/* Ctrl-C reaches the worker too (same process group); the parent notes it, waits for the worker
 * and removes its temporary files before exiting. */
static volatile sig_atomic_t interrupted;
static void on_signal(int sig) { interrupted = sig; }

static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Runs `darkrt compare --worker NAME ...` (this executable again) and waits for it. Returns
 * the exit code, or 128 + signal. */
static int spawn_worker(int argc, char **argv, const char *name, const char *out, const char *heads, int write_heads)
{
    char **args = calloc((size_t)argc + 10, sizeof *args);
    if (!args) return 1;
    int k = 0;
    args[k++] = "darkrt";
    args[k++] = "compare";
    args[k++] = "--worker";
    args[k++] = (char *)name;
    args[k++] = "--worker-out";
    args[k++] = (char *)out;
    args[k++] = write_heads ? "--heads-out" : "--heads-in";
    args[k++] = (char *)heads;
    for (int i = 1; i < argc; i++) args[k++] = argv[i];
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        execv("/proc/self/exe", args);
        fprintf(stderr, "darkrt compare: cannot run a worker: %s\n", strerror(errno));
        _exit(127);
    }
    free(args);
    if (pid < 0) return cli_usage_error("compare", "cannot start a worker process: %s", strerror(errno)), 1;
    int status, forwarded = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return 1;
        if (interrupted && !forwarded) forwarded = kill(pid, interrupted) == 0; /* when sent to us alone */
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static void mark_failed(drt_report_engine *e, const char *name, int rc)
{
    char reason[128];
    drt_report_engine_clear(e);
    e->name = strdup(name);
    e->available = 1;
    e->failed = 1;
    if (rc > 128) snprintf(reason, sizeof reason, "the worker process crashed (signal %d)", rc - 128);
    else snprintf(reason, sizeof reason, "the worker process exited with status %d (its messages are above)", rc);
    e->reason = strdup(reason);
}

/* Reads an engine entry back; a worker's JSON is one object. */
static drt_status read_entry(const char *path, drt_report_engine *e)
{
    drt_json *all;
    DRT_TRY(drt_json_load_file(path, &all));
    drt_status s = drt_report_engine_from_json(&all->items[0], path, e);
    drt_json_free(all);
    return s;
}

/* Peer files: one engine object, an array of them, JSON Lines, or a whole compare report. */
static drt_status add_peers(const char *path, drt_report *r)
{
    drt_json *all;
    DRT_TRY(drt_json_load_file(path, &all));
    drt_status s = DRT_OK;
    for (size_t i = 0; s == DRT_OK && i < all->count; i++) {
        const drt_json *v = &all->items[i], *engines = drt_json_get(v, "engines");
        const drt_json *list = engines ? engines : v->type == DRT_JSON_ARRAY ? v : NULL;
        size_t n = list ? list->count : 1;
        drt_report_engine *grown = realloc(r->engines, sizeof *grown * (size_t)(r->n_engines + (int)n + 1));
        if (!grown) {
            s = DRT_STATUS_OOM;
            break;
        }
        r->engines = grown;
        for (size_t k = 0; s == DRT_OK && k < n; k++) {
            s = drt_report_engine_from_json(list ? &list->items[k] : v, path, &r->engines[r->n_engines]);
            r->n_engines++;
            if (s != DRT_OK) drt_report_engine_clear(&r->engines[--r->n_engines]);
        }
    }
    drt_json_free(all);
    return s;
}

static char *machine_text(void)
{
    char model[160] = "", line[256], out[320];
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
            snprintf(model, sizeof model, "%s", strchr(line, ':') + 2);
            model[strcspn(model, "\n")] = '\0';
            break;
        }
    if (f) fclose(f);
    struct utsname u;
    if (!model[0]) snprintf(model, sizeof model, "%s", uname(&u) == 0 ? u.machine : "unknown CPU");
#if defined(__x86_64__) || defined(__i386__)
    const char *isa = __builtin_cpu_supports("avx512f") ? ", AVX-512" : __builtin_cpu_supports("avx2") ? ", AVX2" : "";
#else
    const char *isa = "";
#endif
    snprintf(out, sizeof out, "%s, %ld cores%s", model, sysconf(_SC_NPROCESSORS_ONLN), isa);
    return strdup(out);
}

typedef drt_status (*writer)(const drt_report *r, FILE *out);
static drt_status write_md(const drt_report *r, FILE *out) { drt_report_write_markdown(r, out); return DRT_OK; }
static drt_status write_js(const drt_report *r, FILE *out) { drt_report_write_json(r, out); return DRT_OK; }
static drt_status write_ht(const drt_report *r, FILE *out) { drt_report_write_html(r, out); return DRT_OK; }

static drt_status write_atomic(const char *path, const drt_report *r, writer w)
{
    drt_atomic_file af;
    DRT_TRY(drt_atomic_open(&af, path));
    drt_status s = w(r, af.fp);
    if (s != DRT_OK) {
        drt_atomic_abort(&af);
        return s;
    }
    return drt_atomic_commit(&af);
}

/* 1 when the worker's entry says the engine cannot be built here. */
static int entry_unavailable(const char *path)
{
    drt_report_engine e;
    drt_status s = read_entry(path, &e);
    int unavailable = s == DRT_OK && !e.available;
    drt_report_engine_clear(&e);
    return unavailable;
}

/* Runs every engine's worker and gathers the entries. Returns an exit code (0 to go on). */
static int run_workers(int argc, char **argv, const engine_spec *specs, int n, const char *tmp, drt_report *r)
{
    char heads[4200], out[4200];
    snprintf(heads, sizeof heads, "%s/ref-heads.f32", tmp);
    int tty = isatty(2);
    for (int i = 0; i < n && !interrupted; i++) {
        drt_report_engine *e = &r->engines[r->n_engines];
        drt_report_engine_init(e);
        snprintf(out, sizeof out, "%s/engine-%d.json", tmp, i);
        char alts[128];
        snprintf(alts, sizeof alts, "%s", specs[i].name);
        char *save = NULL, *name = strtok_r(alts, "|", &save), *next;
        int rc;
        for (;;) {
            if (tty) fprintf(stderr, "compare: %s (%d/%d)\n", name, i + 1, n);
            rc = spawn_worker(argc, argv, name, out, heads, i == 0);
            next = strtok_r(NULL, "|", &save);
            if (interrupted || rc != 0 || !next || !entry_unavailable(out)) break;
            name = next; /* unavailable here: try the next alternative */
        }
        if (interrupted) break;
        if (rc > 128 && i == 0) return cli_usage_error("compare", "the reference worker crashed (signal %d)", rc - 128), 1;
        if (rc != 0 && i == 0) return rc; /* the reference or the inputs are bad: the worker said why */
        drt_status s = rc == 0 ? read_entry(out, e) : DRT_OK;
        if (rc != 0) mark_failed(e, name, rc);
        else if (s != DRT_OK) return cli_fail(s);
        r->n_engines++;
    }
    if (interrupted) return cli_usage_error("compare", "interrupted"), 128 + interrupted;
    r->ref_index = 0;
    return 0;
}

static int write_outputs(const cmp_opts *o, drt_report *r)
{
    drt_status s = write_md(r, stdout);
    if (s == DRT_OK && o->json) s = write_atomic(o->json, r, write_js);
    if (s == DRT_OK && o->html) {
        s = drt_report_draw_figures(r, o->html_images, 720);
        if (s == DRT_OK) s = write_atomic(o->html, r, write_ht);
    }
    fflush(stdout);
    return s == DRT_OK ? 0 : cli_fail(s);
}

static int compare_main(int argc, char **argv, const cmp_opts *o)
{
    engine_spec specs[CMP_MAX_ENGINES];
    int n_specs = 0, rc = parse_engines(o->engines_text, specs, &n_specs);
    char tmp[4096];
    drt_report r = {0};
    drt_model *names = NULL;
    if (rc) return rc;
    for (int i = 0; i < o->n_peers; i++)
        if (access(o->peers[i], R_OK) != 0) return cli_usage_error("compare", "--peer-json %s: cannot read", o->peers[i]);
    const char *tmpdir = getenv("TMPDIR");
    snprintf(tmp, sizeof tmp, "%s/darkrt-compare-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(tmp)) return cli_usage_error("compare", "%s: cannot create a temporary directory: %s", tmp, strerror(errno)), 1;
    r.ref_index = -1;
    catch_signals();
    r.engines = calloc((size_t)n_specs + 1, sizeof *r.engines);
    rc = r.engines ? run_workers(argc, argv, specs, n_specs, tmp, &r) : 1;
    for (int i = 0; rc == 0 && i < o->n_peers; i++) {
        drt_status s = add_peers(o->peers[i], &r);
        if (s != DRT_OK) rc = cli_fail(s);
    }
    if (rc == 0) {
        drt_load_opts lo = o->load;
        drt_status s = cli_load_model(o->model, cli_has_suffix(o->model, ".cfg") ? cli_no_weights : o->weights, &lo, o->names, &names);
        if (s != DRT_OK) rc = cli_fail(s);
    }
    if (rc == 0) {
        r.model = strdup(o->model);
        r.weights = o->weights ? strdup(o->weights) : NULL;
        r.machine = machine_text();
        r.net_w = drt_model_width(names);
        r.net_h = drt_model_height(names);
        r.thresh = o->thresh;
        r.nms = o->nms;
        r.runs = o->runs;
        r.warmup = o->warmup;
        r.names = names;
        drt_status s = drt_report_compute_agreement(&r, 0.5);
        rc = s == DRT_OK ? write_outputs(o, &r) : cli_fail(s);
    }
    for (int i = 0; rc == 0 && i < r.n_engines; i++)
        if (r.engines[i].failed || (i == r.ref_index && !r.engines[i].available))
            rc = 1; /* a failure (or no reference) is in the table, and in the exit status */
    drt_report_free(&r);
    drt_model_free(names);
    char path[4200];
    for (int i = 0; i < n_specs; i++) {
        snprintf(path, sizeof path, "%s/engine-%d.json", tmp, i);
        remove(path);
    }
    snprintf(path, sizeof path, "%s/ref-heads.f32", tmp);
    remove(path);
    rmdir(tmp);
    return rc;
}

int drt_cmd_compare(int argc, char **argv)
{
    cmp_opts o;
    int rc = cmp_parse_args(argc, argv, "compare", &o);
    if (rc == 0) rc = o.worker_engine ? cmp_worker_main(&o) : compare_main(argc, argv, &o);
    else if (rc < 0) rc = 0; /* --help */
    free(o.inputs);
    return rc;
}
