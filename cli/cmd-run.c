/* darkrt run: one forward pass on a raw float32 input (or a seeded random one); writes every
 * head tensor as raw float32 for tests that compare engines and frameworks. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-util.h"
#include "commands.h"
#include "core/error.h"
#include "core/fileio.h"

typedef struct run_args {
    const char *model, *weights, *input, *output, *save_input;
    drt_load_opts load;
    drt_engine_opts engine;
    int have_seed;
    uint64_t seed;
} run_args;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: darkrt run MODEL (--input RAW.f32 | --random SEED) -o HEADS.f32 [options]\n"
            "  MODEL                 a Darknet .cfg, an .onnx file or an engine .plan (runs as built)\n"
            "  -w, --weights FILE    the cfg's .weights\n"
            "      --bn FORMULA      batchnorm: alexeyab (sqrt(var + 1e-5), default) or pjreddie\n"
            "      --device DEV      ref (default: the reference pass), cpu, cuda or cuda:N\n"
            "      --precision P     fp32 (default), fp16, bf16 or int8\n"
            "      --batch N         images in the input (default 1)\n"
            "      --size WxH        override the network input size\n"
            "  -i, --input FILE      N images, float32 NCHW at the input size, native byte order\n"
            "      --random SEED     a deterministic input in [0,1): value k (k = 0, 1, ... over the\n"
            "                        whole batch) is (splitmix64 output k of state SEED) >> 40, / 2^24\n"
            "      --save-input FILE also write the input used (raw float32)\n"
            "  -o, --output FILE     the heads: head 0 (all images), then head 1, ... raw float32 NCHW\n"
            "Prints each head's shape (n c h w) and the time of the forward pass.\n");
    fputs(cli_model_options_help, out);
}

/* splitmix64: easy to reproduce in any language. */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int parse_choice(int c, const char *arg, run_args *a)
{
    switch (c) {
    case 'b':
        if (!strcmp(arg, "pjreddie")) a->load.bn = DRT_BN_PJREDDIE;
        else if (!strcmp(arg, "alexeyab")) a->load.bn = DRT_BN_ALEXEYAB;
        else return cli_usage_error("run", "--bn %s: must be alexeyab or pjreddie", arg);
        return 0;
    case 'd': {
        int d = drt_device_parse(arg, &a->engine.device_index);
        if (d < 0) return cli_usage_error("run", "--device %s: must be ref, cpu, cuda or cuda:N", arg);
        a->engine.device = (drt_device)d;
        return 0;
    }
    case 'p': {
        int p = drt_precision_parse(arg);
        if (p < 0) return cli_usage_error("run", "--precision %s: must be fp32, fp16, bf16 or int8", arg);
        a->engine.precision = (drt_precision)p;
        return 0;
    }
    case 'r': {
        char *end;
        errno = 0;
        a->seed = strtoull(arg, &end, 10);
        if (!*arg || *end || *arg == '-' || errno) return cli_usage_error("run", "--random %s: must be a non-negative integer", arg);
        a->have_seed = 1;
        return 0;
    }
    }
    return 0;
}

static int parse_args(int argc, char **argv, run_args *a)
{
    static const struct option opts[] = {
        {"weights", required_argument, 0, 'w'}, {"bn", required_argument, 0, 'b'},
        {"device", required_argument, 0, 'd'},  {"precision", required_argument, 0, 'p'},
        {"batch", required_argument, 0, 'n'},   {"size", required_argument, 0, 's'},
        {"input", required_argument, 0, 'i'},   {"random", required_argument, 0, 'r'},
        {"output", required_argument, 0, 'o'},  {"save-input", required_argument, 0, 'S'},
        {"help", no_argument, 0, 'h'},          CLI_MODEL_LONGOPTS, {0, 0, 0, 0}};
    int c, rc;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":w:i:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'w': a->weights = optarg; break;
        case 'i': a->input = optarg; break;
        case 'o': a->output = optarg; break;
        case 'S': a->save_input = optarg; break;
        case 'n':
            if (cli_parse_int("run", "--batch", optarg, 1, 4096, &a->engine.max_batch)) return 2;
            break;
        case 's':
            if (cli_parse_size("run", "--size", optarg, &a->load.width, &a->load.height)) return 2;
            break;
        case 'b': case 'd': case 'p': case 'r':
            if ((rc = parse_choice(c, optarg, a))) return rc;
            break;
        case 'h': usage(stdout); return -1;
        case CLI_MODEL_OPT: case CLI_MODEL_OPT + 1: case CLI_MODEL_OPT + 2: case CLI_MODEL_OPT + 3:
            if (cli_model_getopt("run", c, optarg, &a->weights)) return 2;
            break;
        case ':': return cli_usage_error("run", "%s: needs a value", argv[optind - 1]);
        default: return cli_usage_error("run", "%s: unknown option (darkrt run --help)", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("run", optind >= argc ? "no model given (darkrt run --help)"
                                                     : "exactly one model expected (darkrt run --help)");
    a->model = argv[optind];
    if (!a->input == !a->have_seed) return cli_usage_error("run", "give exactly one of --input FILE and --random SEED");
    if (!a->output) return cli_usage_error("run", "-o HEADS.f32: the output file is required");
    return 0;
}

/* The batch's input: read from the file (exact size) or generated. */
static drt_status make_input(const run_args *a, size_t count, float **input_out)
{
    *input_out = NULL;
    if (a->have_seed) {
        float *x = malloc(count * sizeof *x);
        if (!x) return drt_error(DRT_STATUS_OOM, "run: out of memory for the input (%zu floats)", count);
        uint64_t st = a->seed;
        for (size_t k = 0; k < count; k++) x[k] = (float)(splitmix64(&st) >> 40) * (1.f / 16777216.f);
        *input_out = x;
        return DRT_OK;
    }
    unsigned char *data;
    size_t size;
    DRT_TRY(drt_read_file(a->input, count * sizeof(float) + 1, &data, &size));
    if (size != count * sizeof(float)) {
        free(data);
        return drt_error(DRT_STATUS_FORMAT, "%s: %zu bytes: must be %zu (batch %d x %zu floats at the model's input size)",
                         a->input, size, count * sizeof(float), a->engine.max_batch, count / (size_t)a->engine.max_batch);
    }
    *input_out = (float *)data;
    return DRT_OK;
}

/* Writes head 0 (whole batch), head 1, ... atomically; prints the shapes. */
static drt_status write_heads(const drt_engine *e, const char *path)
{
    drt_atomic_file af;
    DRT_TRY(drt_atomic_open(&af, path));
    for (int h = 0; h < drt_engine_num_heads(e); h++) {
        const float *data;
        drt_tensor_desc d;
        drt_engine_head(e, h, &data, &d);
        size_t n = (size_t)d.n * d.c * d.h * d.w;
        if (fwrite(data, sizeof(float), n, af.fp) != n) {
            drt_atomic_abort(&af);
            return drt_error_errno(DRT_STATUS_IO, "%s: cannot write", path);
        }
        fprintf(cli_summary_stream(path), "head %d: %d %d %d %d\n", h, d.n, d.c, d.h, d.w);
    }
    return drt_atomic_commit(&af);
}

/* A .plan runs as the engine it holds; a cfg or ONNX model gets a fresh engine. */
static drt_status open_engine(const run_args *a, drt_engine **e)
{
    if (cli_has_suffix(a->model, ".plan")) {
        if (a->weights)
            return drt_error(DRT_STATUS_INVALID_ARG, "%s: weights %s: a plan holds its weights", a->model, a->weights);
        return drt_engine_load_plan(a->model, &a->engine, e);
    }
    drt_model *m;
    DRT_TRY(cli_load_model(a->model, a->weights, &a->load, NULL, &m));
    drt_status s = drt_engine_create(m, &a->engine, e);
    drt_model_free(m);
    return s;
}

static drt_status run(const run_args *a, double *ms_out)
{
    drt_engine *e = NULL;
    float *x = NULL;
    drt_status s = open_engine(a, &e);
    if (s != DRT_OK) goto done;
    const drt_model *m = drt_engine_model(e);
    size_t count = (size_t)drt_model_channels(m) * drt_model_height(m) * drt_model_width(m) * a->engine.max_batch;
    if ((s = make_input(a, count, &x)) != DRT_OK) goto done;
    if (a->save_input && (s = drt_write_file_atomic(a->save_input, x, count * sizeof(float))) != DRT_OK) goto done;
    double t0 = drt_now_ms();
    if ((s = drt_engine_run(e, x, a->engine.max_batch)) != DRT_OK) goto done;
    *ms_out = drt_now_ms() - t0;
    s = write_heads(e, a->output);
done:
    drt_engine_free(e);
    free(x);
    return s;
}

int drt_cmd_run(int argc, char **argv)
{
    run_args a = {.load = drt_load_opts_default(), .engine = cli_engine_opts_default()};
    a.engine.device = DRT_DEVICE_REF;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    double ms = 0;
    drt_status s = run(&a, &ms);
    if (s != DRT_OK) return cli_fail(s);
    fprintf(cli_summary_stream(a.output), "elapsed: %.3f ms\n", ms);
    return 0;
}
