/* darkrt compare: command-line options, image lists and engine names. */
#include "compare.h"
#include "cli-util.h"
#include "backend/registry.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const USAGE =
    "usage: darkrt compare MODEL [WEIGHTS] IMAGE|DIR... [-w|--weights W] [--names F] [--bn alexeyab|pjreddie]\n"
    "         [--random-weights] [--anchors LIST --masks LIST [--classes N]] (see darkrt detect --help)\n"
    "         [--engines ref,cpu-fp32,cpu-int8,cpu-bf16,cuda-fp16,cuda-fp32,cuda-int8] [--runs N] [--warmup N]\n"
    "         [--threads N] [--calib DIR] [--thresh T] [--nms T] [--json FILE] [--html FILE] [--html-images N]\n"
    "         [--peer-json FILE]...\n"
    "Runs each engine in its own process on the same images and prints a table: stage times\n"
    "(median / p90 over runs after warm-up), top confidence, peak memory, and agreement with the\n"
    "reference engine (ref, the plain forward pass): matched boxes, mean IoU, score changes,\n"
    "mAP@0.5 against its detections, and the largest difference of the raw heads.\n"
    "An --engines item 'a|b|c' shows the first of a, b, c that can be built here (e.g. cuda-fp16|cpu-int8).\n"
    "Engines that cannot be built here are reported as unavailable, with the reason. --peer-json adds\n"
    "entries written by bench/peers/pytorch_peer.py or ort_peer.py (PyTorch, ONNX Runtime).\n"
    "Outputs: the table on stdout, --json (all numbers and detections), --html (self-contained report).\n";

static const char *cmd = "compare"; /* the command named in messages (compare or eval) */

static int need(int argc, char **argv, int i)
{
    if (i + 1 >= argc) return cli_usage_error(cmd, "%s: needs a value", argv[i]);
    return 0;
}

/* One option (and its value) at argv[*i]; returns 0, an exit code, or -1 when not an option. */
static int parse_option(int argc, char **argv, int *i, cmp_opts *o)
{
    const char *a = argv[*i];
    static const char *const text_flags[] = {"--weights", "--names", "--calib", "--json", "--html", "--engines",
                                              "--worker", "--worker-out", "--heads-out", "--heads-in"};
    const char **text_dest[] = {&o->weights, &o->names, &o->calib, &o->json, &o->html, &o->engines_text,
                                &o->worker_engine, &o->worker_out, &o->heads_path, &o->heads_path};
    int took = cli_model_option(cmd, a, *i + 1 < argc ? argv[*i + 1] : NULL, &o->weights);
    if (took == 0) return 2;
    if (took > 0) {
        *i += took - 1;
        return 0;
    }
    for (size_t k = 0; k < sizeof text_flags / sizeof text_flags[0]; k++) {
        if (strcmp(a, text_flags[k]) && (k || strcmp(a, "-w"))) continue;
        if (need(argc, argv, *i)) return 2;
        *text_dest[k] = argv[++*i];
        if (!strcmp(a, "--heads-out")) o->heads_write = 1;
        return 0;
    }
    if (!strcmp(a, "--peer-json")) {
        if (need(argc, argv, *i)) return 2;
        if (o->n_peers == CMP_MAX_PEERS) return cli_usage_error(cmd, "--peer-json: at most %d files", CMP_MAX_PEERS);
        o->peers[o->n_peers++] = argv[++*i];
        return 0;
    }
    if (!strcmp(a, "--bn")) {
        if (need(argc, argv, *i)) return 2;
        const char *v = argv[++*i];
        if (!strcmp(v, "alexeyab")) o->load.bn = DRT_BN_ALEXEYAB;
        else if (!strcmp(v, "pjreddie")) o->load.bn = DRT_BN_PJREDDIE;
        else return cli_usage_error(cmd, "--bn %s: must be alexeyab or pjreddie", v);
        return 0;
    }
    static const char *const int_flags[] = {"--runs", "--warmup", "--threads", "--html-images"};
    int *int_dest[] = {&o->runs, &o->warmup, &o->threads, &o->html_images};
    const long lo[] = {1, 0, 0, 0}, hi[] = {100000, 10000, 1024, 1000};
    for (size_t k = 0; k < 4; k++) {
        if (strcmp(a, int_flags[k])) continue;
        if (need(argc, argv, *i)) return 2;
        return cli_parse_int(cmd, a, argv[++*i], lo[k], hi[k], int_dest[k]);
    }
    if (!strcmp(a, "--thresh") || !strcmp(a, "--nms")) {
        if (need(argc, argv, *i)) return 2;
        return cli_parse_float(cmd, a, argv[++*i], 0, 1, !strcmp(a, "--thresh") ? &o->thresh : &o->nms);
    }
    return -1;
}

int cmp_parse_args(int argc, char **argv, const char *command, cmp_opts *o)
{
    memset(o, 0, sizeof *o);
    cmd = command;
    o->load = drt_load_opts_default();
    o->load.warn = 0;
    o->runs = 10;
    o->warmup = 2;
    o->html_images = 8;
    o->thresh = 0.25f;
    o->nms = 0.45f;
    o->engines_text = "ref,cpu-fp32,cpu-int8,cuda-fp16";
    o->inputs = calloc((size_t)argc + 1, sizeof *o->inputs);
    if (!o->inputs) return cli_usage_error(cmd, "out of memory");
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(USAGE, stdout);
            return -1;
        }
        if (argv[i][0] == '-' && argv[i][1]) {
            int rc = parse_option(argc, argv, &i, o);
            if (rc == -1) return cli_usage_error(cmd, "unknown option %s (darkrt %s --help)", argv[i], cmd);
            if (rc) return rc;
        } else if (!o->model) {
            o->model = argv[i];
        } else if (!o->n_inputs && cli_positional_weights(o->model, argv[i], &o->weights)) {
            continue;
        } else {
            o->inputs[o->n_inputs++] = argv[i];
        }
    }
    if (!o->model) return cli_usage_error(cmd, "no model given (darkrt %s --help)", cmd);
    if (!o->n_inputs) return cli_usage_error(cmd, "no image or directory given (darkrt %s --help)", cmd);
    return 0;
}

static int is_image_name(const char *name)
{
    static const char *const ext[] = {".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pnm"};
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
        if (cli_has_suffix(name, ext[i])) return 1;
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int push(char ***list, int *n, int *cap, const char *dir, const char *name)
{
    if (*n == *cap) {
        int want = *cap ? *cap * 2 : 16;
        char **grown = realloc(*list, sizeof *grown * (size_t)want);
        if (!grown) return -1;
        *list = grown;
        *cap = want;
    }
    size_t len = (dir ? strlen(dir) + 1 : 0) + strlen(name) + 1;
    char *p = malloc(len);
    if (!p) return -1;
    if (dir) snprintf(p, len, "%s/%s", dir, name);
    else snprintf(p, len, "%s", name);
    (*list)[(*n)++] = p;
    return 0;
}

/* A directory's image files, sorted by name. */
static int add_dir(const char *dir, char ***list, int *n, int *cap)
{
    DIR *d = opendir(dir);
    if (!d) return cli_usage_error(cmd, "%s: cannot open directory", dir), 1;
    int first = *n, rc = 0;
    struct dirent *ent;
    while (rc == 0 && (ent = readdir(d)))
        if (ent->d_name[0] != '.' && is_image_name(ent->d_name)) rc = push(list, n, cap, dir, ent->d_name);
    closedir(d);
    if (rc) return cli_usage_error(cmd, "out of memory listing %s", dir), 1;
    if (*n == first) return cli_usage_error(cmd, "%s: no image files (.jpg .jpeg .png .bmp .ppm)", dir), 1;
    qsort(*list + first, (size_t)(*n - first), sizeof **list, cmp_str);
    return 0;
}

int cmp_list_images(const cmp_opts *o, char ***paths_out, int *count_out)
{
    char **list = NULL;
    int n = 0, cap = 0, rc = 0;
    for (int i = 0; rc == 0 && i < o->n_inputs; i++) {
        struct stat st;
        const char *p = o->inputs[i];
        if (stat(p, &st) != 0) rc = (cli_usage_error(cmd, "%s: no such file or directory", p), 1);
        else if (S_ISDIR(st.st_mode)) rc = add_dir(p, &list, &n, &cap);
        else if (push(&list, &n, &cap, NULL, p)) rc = (cli_usage_error(cmd, "out of memory"), 1);
    }
    if (rc) {
        cmp_free_list(list, n);
        return rc;
    }
    *paths_out = list;
    *count_out = n;
    return 0;
}

void cmp_free_list(char **paths, int count)
{
    for (int i = 0; i < count; i++) free(paths[i]);
    free(paths);
}

int cmp_parse_engine(const char *spec, drt_device *device, int *index, drt_precision *precision)
{
    char buf[64];
    if (strlen(spec) >= sizeof buf) return -1;
    snprintf(buf, sizeof buf, "%s", spec);
    char *dash = strrchr(buf, '-');
    int prec = DRT_PREC_FP32;
    if (dash) {
        *dash = '\0';
        prec = drt_precision_parse(dash + 1);
    }
    int dev = drt_device_parse(buf, index);
    if (dev < 0 || prec < 0) return -1;
    if (!(drt_backend_entry_of((drt_device)dev)->precisions & 1u << prec)) return -1;
    *device = (drt_device)dev;
    *precision = (drt_precision)prec;
    return 0;
}

double cmp_peak_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kb = NAN;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) kb = strtod(line + 6, NULL);
    if (f) fclose(f);
    return kb * 1024.0;
}
