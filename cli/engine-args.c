/* Options shared by darkrt build and darkrt bench, and the engine they describe. */
#include "engine-args.h"
#include "cli-util.h"
#include "engine/engine.h"

#include <stdio.h>
#include <string.h>

const char engine_args_help[] =
    "  -w, --weights FILE      the cfg's .weights\n"
    "      --names FILE        class names (coco.names)\n"
    "      --bn FORMULA        batchnorm: alexeyab (sqrt(var + 1e-5), default) or pjreddie\n"
    "      --device DEV        cpu (default), cuda or cuda:N, ref\n"
    "      --precision P       fp32 (default), fp16, bf16 or int8\n"
    "      --calib DIR         int8: calibration images (default: the photos in /usr/share/darknet/data\n"
    "                          when present, else 8 synthetic images; the build says which)\n"
    "      --calib-method M    int8: max (default), percentile (99.999%), entropy (KL) or mse (least\n"
    "                          squared quantization error)\n"
    "      --bias-correct on|off  CPU int8: correct each conv's bias by the mean error int8 adds at its\n"
    "                          output on the calibration images (default on)\n"
    "      --int8-activations auto|asym|sym  int8: u8 with a zero point over the calibrated [min, max] where\n"
    "                          oneDNN convs, maxpools, routes and upsamples alone write and read a tensor (asym),\n"
    "                          or s8 with step max|x|/127 throughout (sym); auto (default): asym on the cpu\n"
    "                          engine (with --min-map: both searched, the faster int8 plan built), sym on cuda\n"
    "                          (asym there: s8 with a zero point into int8 convs that pad nothing)\n"
    "      --batch N           largest batch (default 1)\n"
    "      --size WxH          override the network input size\n"
    "      --threads N         CPU threads (default: all cores)\n"
    "      --passes-off LIST   switch graph passes off (tests): fold-bn,fuse-act,fuse-add,concat-inplace,dce,memplan\n"
    "      --max-activations MIB  refuse a CPU/CUDA engine whose activations need more (default 1024; 0: no limit)\n"
    "  -v, --verbose           show what each pass did and each layer's choice\n";

void engine_args_init(engine_args *a, const char *cmd)
{
    memset(a, 0, sizeof *a);
    a->cmd = cmd;
    a->load = drt_load_opts_default();
    a->engine = cli_engine_opts_default();
}

static int parse_passes(engine_args *a, const char *v)
{
    static const struct { const char *name; unsigned bit; } passes[] = {
        {"fold-bn", DRT_PASS_FOLD_BN}, {"fuse-act", DRT_PASS_FUSE_ACT}, {"fuse-add", DRT_PASS_FUSE_ADD},
        {"concat-inplace", DRT_PASS_CONCAT_INPLACE}, {"dce", DRT_PASS_DCE}, {"memplan", DRT_PASS_MEMPLAN}};
    char buf[256];
    snprintf(buf, sizeof buf, "%s", v);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        size_t i = 0;
        for (; i < sizeof passes / sizeof passes[0]; i++)
            if (!strcmp(tok, passes[i].name)) break;
        if (i == sizeof passes / sizeof passes[0])
            return cli_usage_error(a->cmd, "--passes-off %s: unknown pass '%s' (fold-bn, fuse-act, fuse-add, concat-inplace, dce, memplan)", v, tok);
        a->engine.passes_off |= passes[i].bit;
    }
    return 1;
}

int engine_args_option(engine_args *a, const char *name, const char *v)
{
    if (!strcmp(name, "weights")) { a->weights = v; return 1; }
    if (!strcmp(name, "names")) { a->names = v; return 1; }
    if (!strcmp(name, "calib")) { a->engine.calib_dir = v; return 1; }
    if (!strcmp(name, "bn")) {
        if (!strcmp(v, "pjreddie")) a->load.bn = DRT_BN_PJREDDIE;
        else if (!strcmp(v, "alexeyab")) a->load.bn = DRT_BN_ALEXEYAB;
        else return cli_usage_error(a->cmd, "--bn %s: must be alexeyab or pjreddie", v);
        return 1;
    }
    if (!strcmp(name, "device")) {
        int d = drt_device_parse(v, &a->engine.device_index);
        if (d < 0) return cli_usage_error(a->cmd, "--device %s: must be cpu, cuda, cuda:N or ref", v);
        a->engine.device = (drt_device)d;
        a->explicit_device = 1;
        return 1;
    }
    if (!strcmp(name, "precision")) {
        int p = drt_precision_parse(v);
        if (p < 0) return cli_usage_error(a->cmd, "--precision %s: must be fp32, fp16, bf16 or int8", v);
        a->engine.precision = (drt_precision)p;
        a->explicit_precision = 1;
        return 1;
    }
    if (!strcmp(name, "calib-method")) {
        if (!strcmp(v, "entropy")) a->engine.calib_method = DRT_CALIB_ENTROPY;
        else if (!strcmp(v, "percentile")) a->engine.calib_method = DRT_CALIB_PERCENTILE;
        else if (!strcmp(v, "max")) a->engine.calib_method = DRT_CALIB_MAX;
        else if (!strcmp(v, "mse")) a->engine.calib_method = DRT_CALIB_MSE;
        else return cli_usage_error(a->cmd, "--calib-method %s: must be max, entropy, percentile or mse", v);
        return 1;
    }
    if (!strcmp(name, "bias-correct")) {
        if (strcmp(v, "on") && strcmp(v, "off")) return cli_usage_error(a->cmd, "--bias-correct %s: must be on or off", v);
        a->engine.no_bias_correct = !strcmp(v, "off");
        a->explicit_bias_correct = 1;
        return 1;
    }
    if (!strcmp(name, "int8-activations")) {
        if (!strcmp(v, "auto")) a->engine.int8_activations = DRT_INT8_ACT_AUTO;
        else if (!strcmp(v, "asym")) a->engine.int8_activations = DRT_INT8_ACT_ASYM;
        else if (!strcmp(v, "sym")) a->engine.int8_activations = DRT_INT8_ACT_SYM;
        else return cli_usage_error(a->cmd, "--int8-activations %s: must be auto, asym or sym", v);
        a->explicit_int8_activations = 1;
        return 1;
    }
    if (!strcmp(name, "batch")) return cli_parse_int(a->cmd, "--batch", v, 1, 4096, &a->engine.max_batch) ? 2 : 1;
    if (!strcmp(name, "max-activations")) return cli_parse_max_activations(a->cmd, v, &a->engine) ? 2 : 1;
    if (!strcmp(name, "threads")) return cli_parse_int(a->cmd, "--threads", v, 1, 1024, &a->engine.threads) ? 2 : 1;
    if (!strcmp(name, "size")) return cli_parse_size(a->cmd, "--size", v, &a->load.width, &a->load.height) ? 2 : 1;
    if (!strcmp(name, "passes-off")) return parse_passes(a, v);
    return 0;
}

int engine_args_build(engine_args *a, drt_engine **out, double *build_ms)
{
    *out = NULL;
    int int8 = a->engine.precision == DRT_PREC_INT8 && !cli_has_suffix(a->model, ".plan");
    if (!int8 && (a->engine.calib_dir || a->engine.calib_method != DRT_CALIB_MAX || a->explicit_bias_correct ||
                  a->explicit_int8_activations))
        return cli_usage_error(a->cmd, "--calib/--calib-method/--bias-correct/--int8-activations calibrate an int8 build: add --precision int8%s",
                               cli_has_suffix(a->model, ".plan") ? " (a plan holds its calibration)" : "");
    double t0 = drt_now_ms();
    drt_status s;
    if (cli_has_suffix(a->model, ".plan")) {
        if (a->weights) return cli_usage_error(a->cmd, "%s: a plan holds its weights: drop --weights", a->model);
        s = drt_engine_load_plan(a->model, &a->engine, out);
    } else {
        drt_model *m;
        s = cli_load_model(a->model, a->weights, &a->load, a->names, &m);
        if (s == DRT_OK) s = drt_engine_create_owned(m, &a->engine, NULL, 0, out); /* no second copy */
    }
    if (build_ms) *build_ms = drt_now_ms() - t0;
    return s == DRT_OK ? 0 : cli_fail(s);
}
