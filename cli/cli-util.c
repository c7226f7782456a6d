/* Shared helpers of the CLI commands. */
#include "cli-util.h"
#include "engine/plan.h"
#include "core/env-switch.h"
#include "core/error.h"
#include "darknet/data-file.h"
#include "graph/model.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "darkrt %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 2;
}

int cli_fail(drt_status status)
{
    const char *detail = drt_last_error();
    fprintf(stderr, "darkrt: %s: %s\n", drt_status_str(status), detail[0] ? detail : "(no detail)");
    return 1;
}

int cli_parse_int(const char *cmd, const char *flag, const char *text, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = text ? strtol(text, &end, 10) : 0;
    if (!text || !*text || *end || errno || v < lo || v > hi)
        return cli_usage_error(cmd, "%s %s: must be an integer in %ld..%ld", flag, text ? text : "(missing)", lo, hi);
    *out = (int)v;
    return 0;
}

int cli_parse_float(const char *cmd, const char *flag, const char *text, double lo, double hi, float *out)
{
    char *end;
    errno = 0;
    double v = text ? strtod(text, &end) : 0;
    if (!text || !*text || *end || errno || !isfinite(v) || v < lo || v > hi)
        return cli_usage_error(cmd, "%s %s: must be a number in [%g, %g]", flag, text ? text : "(missing)", lo, hi);
    *out = (float)v;
    return 0;
}

int cli_parse_size(const char *cmd, const char *flag, const char *text, int *w, int *h)
{
    char *end, *end2;
    long a = text ? strtol(text, &end, 10) : 0, b = 0;
    if (text && *text && (*end == 'x' || *end == 'X')) b = strtol(end + 1, &end2, 10);
    if (!text || !*text || (*end != 'x' && *end != 'X') || *end2 || a < 1 || b < 1 || a > 65536 || b > 65536)
        return cli_usage_error(cmd, "%s %s: must be WxH, e.g. 416x416", flag, text ? text : "(missing)");
    *w = (int)a;
    *h = (int)b;
    return 0;
}

int cli_has_suffix(const char *path, const char *suffix)
{
    size_t n = strlen(path), k = strlen(suffix);
    return n >= k && strcasecmp(path + n - k, suffix) == 0;
}

const char cli_random_weights[] = "(random weights)", cli_no_weights[] = "(no weights)";

/* The model options of this process (one command a process). */
static struct { const char *anchors, *masks; int classes; } model_opts;

const char cli_model_options_help[] =
    "      --random-weights    a cfg's weights synthesised (darkrt synth, seed 1) instead of read\n"
    "      --anchors LIST      ONNX without darkrt metadata: all anchors \"w,h, w,h, ...\"\n"
    "      --masks LIST        ... and each head's anchor indices \"6,7,8;3,4,5;0,1,2\" (head order)\n"
    "      --classes N         ... and the class count each head must have\n";

int cli_model_option(const char *cmd, const char *arg, const char *value, const char **weights)
{
    if (!strcmp(arg, "--random-weights")) {
        *weights = cli_random_weights;
        return 1;
    }
    const char **text = !strcmp(arg, "--anchors") ? &model_opts.anchors : !strcmp(arg, "--masks") ? &model_opts.masks : NULL;
    if (!text && strcmp(arg, "--classes")) return -1;
    if (!value) return cli_usage_error(cmd, "%s: needs a value", arg), 0;
    if (text) *text = value;
    else if (cli_parse_int(cmd, arg, value, 1, 100000, &model_opts.classes)) return 0;
    return 2;
}

int cli_model_getopt(const char *cmd, int code, const char *value, const char **weights)
{
    static const char *const names[] = {"--random-weights", "--anchors", "--masks", "--classes"};
    return cli_model_option(cmd, names[code - CLI_MODEL_OPT], value, weights) > 0 ? 0 : 2;
}

int cli_positional_weights(const char *model, const char *arg, const char **weights)
{
    if (*weights || !model || cli_has_suffix(model, ".onnx") || cli_has_suffix(model, ".plan")) return 0;
    if (!cli_has_suffix(arg, ".weights")) return 0;
    *weights = arg;
    return 1;
}

/* --anchors/--masks/--classes onto a loaded model. */
static drt_status apply_heads(const char *path, drt_model *m)
{
    if (!model_opts.anchors && !model_opts.masks && !model_opts.classes) return DRT_OK;
    if (!model_opts.anchors || !model_opts.masks)
        return drt_error(DRT_STATUS_INVALID_ARG, "%s: --anchors and --masks go together (--classes checks them)", path);
    DRT_TRY(drt_model_set_yolo_heads(m, model_opts.anchors, model_opts.masks));
    for (int i = 0; model_opts.classes && i < m->n_layers; i++)
        if (m->layers[i].type == DRT_LAYER_YOLO && m->layers[i].classes != model_opts.classes)
            return drt_error(DRT_STATUS_INVALID_ARG, "%s: --classes %d: head of layer %d has %d classes (its channels / masks - 5)",
                             path, model_opts.classes, i, m->layers[i].classes);
    return DRT_OK;
}

/* params 0: a plan's model without its parameters (they are read again with its engine). */
static drt_status load_model(const char *path, const char *weights, const drt_load_opts *opts, const char *names_path,
                             int params, drt_model **model_out)
{
    *model_out = NULL;
    int cfg = path && !cli_has_suffix(path, ".onnx") && !cli_has_suffix(path, ".plan");
    int random = weights == cli_random_weights, missing = cfg && !weights;
    if (!cfg && random) return drt_error(DRT_STATUS_INVALID_ARG, "%s: --random-weights: only for a Darknet cfg", path);
    if (random || weights == cli_no_weights) weights = NULL;
    drt_status s = !params && !weights && cli_has_suffix(path, ".plan") ? drt_plan_read_shapes(path, model_out) /* loaded next */
                 : drt_model_load(path, weights, opts, model_out); /* a bad cfg is named first */
    if (s == DRT_OK && missing) /* all-zero weights detect nothing and look like a working model */
        s = drt_error(DRT_STATUS_INVALID_ARG, "%s: a cfg needs its weights: -w/--weights FILE.weights "
                      "(or --random-weights for synthesised ones)", path);
    if (s == DRT_OK && random) s = drt_model_synth_weights(*model_out, 1);
    if (s == DRT_OK) s = apply_heads(path, *model_out);
    drt_data_file df = {0};
    if (s == DRT_OK && names_path && cli_has_suffix(names_path, ".data")) { /* Darknet's: its names= */
        s = drt_data_file_read(names_path, &df);
        if (s == DRT_OK && !df.names) s = drt_error(DRT_STATUS_PARSE, "%s: no names= line", names_path);
        names_path = df.names;
    }
    if (s == DRT_OK && names_path) s = drt_model_set_names_file(*model_out, names_path);
    if (s != DRT_OK) {
        drt_model_free(*model_out);
        *model_out = NULL;
    }
    drt_data_file_clear(&df);
    return s;
}

drt_status cli_load_model(const char *path, const char *weights, const drt_load_opts *opts,
                          const char *names_path, drt_model **model_out)
{
    return load_model(path, weights, opts, names_path, 1, model_out);
}

drt_status cli_load_model_meta(const char *path, const char *weights, const drt_load_opts *opts,
                               const char *names_path, drt_model **model_out)
{
    return load_model(path, weights, opts, names_path, 0, model_out);
}

const char cli_environment_help[] =
    "Environment (engine options for comparisons; the defaults are what darkrt measured best):\n"
    "  DRT_INT8_KEEP=LIST     int8: convs kept in fp32: heads,dw (default), first, adds, none\n"
    "  DRT_CUDA_INT8=all      CUDA int8: every eligible conv, not only 3x3 convs of >= 128 channels\n"
    "  DRT_CPU_WINOGRAD=M     CPU Winograd 3x3 convs: auto (where faster, default), off, force\n"
    "  DRT_CPU_TUNE=0         CPU: oneDNN's first implementation per layer, untimed (same choices every build)\n"
    "  DRT_CALIB_MAX=N        int8: at most N calibration images (default 16)\n"
    "  Debug switches read by the library: DRT_CPU_ISA, DRT_CPU_PROFILE, DRT_CUDA_GRAPH, DRT_CUDA_ASYNC,\n"
    "  DRT_CUDA_LEGACY, DRT_CUDA_HEUR, DRT_CUDA_VERBOSE, DRT_CUDA_FUSE_MISH, DRT_CUDA_SPLIT,\n"
    "  DRT_NVJPEG_BACKEND, DRT_CUDA_PINNED_SLABS, DRT_NVJPEG_NO_WAIT, DRT_NVJPEG_PREFETCH, DRT_TIMELINE;\n"
    "  detect's: DRT_CLI_FAST_EXIT=0 (device engines free everything before exiting; default: they exit once\n"
    "  the outputs are written);\n"
    "  DRT_MODULE_DIR: where modules are looked for first (include/darkrt/engine.h, HACKING.md)\n";

drt_engine_opts cli_engine_opts_default(void)
{
    drt_engine_opts o = drt_engine_opts_default();
    const char *v;
    o.int8_keep = getenv("DRT_INT8_KEEP");
    o.cuda_int8_all = (v = getenv("DRT_CUDA_INT8")) && !strcmp(v, "all");
    if ((v = getenv("DRT_CPU_WINOGRAD")))
        o.winograd = !strcmp(v, "off") ? DRT_WINOGRAD_OFF : !strcmp(v, "force") ? DRT_WINOGRAD_FORCE : DRT_WINOGRAD_AUTO;
    o.no_tune = drt_env_switch("DRT_CPU_TUNE", NULL) == 0;
    if ((v = getenv("DRT_CALIB_MAX")) && atoi(v) > 0) o.calib_max_images = atoi(v);
    o.max_activation_bytes = (size_t)CLI_MAX_ACTIVATION_MIB << 20; /* see CLI_MAX_ACTIVATION_MIB */
    return o;
}


static const char *resize_name(drt_resize r) { return r == DRT_RESIZE_STRETCH ? "stretch" : "letterbox"; }

void cli_detect_semantics(const char *cmd, drt_detect_opts *o, const drt_model *model, int overrides)
{
    drt_detect_opts m = drt_detect_opts_for_model(model);
    if (!(overrides & CLI_SET_RESIZE)) o->resize = m.resize;
    else if (o->resize != m.resize)
        fprintf(stderr, "darkrt %s: note: --resize %s overrides the model's %s\n", cmd, resize_name(o->resize),
                resize_name(m.resize));
    if (!(overrides & CLI_SET_NMS_KIND)) o->nms_kind = m.nms_kind;
    else if (o->nms_kind != m.nms_kind)
        fprintf(stderr, "darkrt %s: note: --nms-kind %s overrides the model's %s\n", cmd, drt_nms_kind_name(o->nms_kind),
                drt_nms_kind_name(m.nms_kind));
    if (!(overrides & CLI_SET_BETA_NMS)) o->beta_nms = m.beta_nms;
    else if (o->beta_nms != m.beta_nms)
        fprintf(stderr, "darkrt %s: note: --beta-nms %g overrides the model's %g\n", cmd, o->beta_nms, m.beta_nms);
}

FILE *cli_summary_stream(const char *output)
{
    struct stat out, so;
    if (output && !strcmp(output, "-")) return stderr;
    if (output && stat(output, &out) == 0 && fstat(1, &so) == 0 && out.st_dev == so.st_dev && out.st_ino == so.st_ino)
        return stderr;
    return stdout;
}

int cli_parse_max_activations(const char *cmd, const char *text, drt_engine_opts *opts)
{
    int mib;
    if (cli_parse_int(cmd, "--max-activations", text, 0, 1 << 24, &mib)) return 2;
    opts->max_activation_bytes = (size_t)mib << 20;
    return 0;
}
