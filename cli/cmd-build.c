/* darkrt build: compiles a model (Darknet cfg + weights, ONNX) into an engine plan for a device
 * and precision: graph passes, per-layer kernel choices, int8 calibration; --verbose shows them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli-util.h"
#include "commands.h"
#include "build-min-map.h"
#include "engine-args.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: darkrt build MODEL -o MODEL.plan [options]\n"
                 "  MODEL                   a Darknet .cfg (its .weights next, or -w) or an .onnx file\n"
                 "  -o, --output FILE       the plan to write\n"
                 "      --min-map X         int8: keep the fewest convs in fp32 (cuda: fp16) that reach mAP@0.5 X\n"
                 "                          against the fp32 engine on the validation images (searched, then built)\n"
                 "      --val DIR           validation images for --min-map (default: the calibration images)\n"
                 "      --min-map-pick P    fastest (default: the candidates that reach X with a margin timed against\n"
                 "                          fp32/fp16; int8 only when confirmed >= 10%% faster, else that precision)\n"
                 "                          or fewest (fewest kept, untimed)\n%s",
            engine_args_help);
    fputs(cli_model_options_help, out);
}



static const char *long_name(const char *arg)
{
    if (!strcmp(arg, "-w")) return "weights";
    if (!strcmp(arg, "-o")) return "output";
    if (!strcmp(arg, "-v")) return "verbose";
    if (!strcmp(arg, "-h")) return "help";
    if (!strncmp(arg, "--", 2)) return arg + 2;
    return NULL;
}

static void print_summary(const drt_engine *e, const char *plan, double ms)
{
    drt_engine_memory mem;
    drt_engine_memory_usage(e, &mem);
    drt_tensor_desc d = {0};
    int batch = drt_engine_num_heads(e) > 0 && drt_engine_head(e, 0, NULL, &d) == DRT_OK ? d.n : 1;
    struct stat sb;
    long long size = stat(plan, &sb) == 0 ? (long long)sb.st_size : -1;
    fprintf(cli_summary_stream(plan), "%s: %s %s engine, batch %d, built in %.0f ms; weights %.1f MiB, activations %.1f MiB "
           "(naive %.1f MiB); plan %.1f MiB\n",
           plan, drt_device_name(drt_engine_device(e)), drt_precision_name(drt_engine_precision(e)),
           batch, ms, (mem.host_weights + mem.device_weights) / 1048576.0,
           (mem.host_activations + mem.device_activations) / 1048576.0, mem.naive_activations / 1048576.0, size / 1048576.0);
}

int drt_cmd_build(int argc, char **argv)
{
    engine_args a;
    engine_args_init(&a, "build");
    const char *output = NULL, *val = NULL;
    float min_map = 0;
    int fewest = 0, pick = 0;
    for (int i = 1; i < argc; i++) {
        int took = cli_model_option("build", argv[i], i + 1 < argc ? argv[i + 1] : NULL, &a.weights);
        if (took == 0) return 2;
        if (took > 0) {
            i += took - 1;
            continue;
        }
        const char *name = long_name(argv[i]);
        if (!name) {
            if (cli_positional_weights(a.model, argv[i], &a.weights)) continue;
            if (a.model) return cli_usage_error("build", "%s: exactly one model expected (darkrt build --help)", argv[i]);
            a.model = argv[i];
            continue;
        }
        char opt[64];
        const char *eq = strchr(name, '='), *value = NULL;
        snprintf(opt, sizeof opt, "%.*s", eq ? (int)(eq - name) : (int)strlen(name), name);
        if (!strcmp(opt, "help")) { usage(stdout); return 0; }
        if (!strcmp(opt, "verbose")) { a.engine.verbose = 1; continue; }
        if (eq) value = eq + 1;
        else if (i + 1 < argc) value = argv[++i];
        else return cli_usage_error("build", "%s: needs a value", argv[i]);
        if (!strcmp(opt, "output")) { output = value; continue; }
        if (!strcmp(opt, "val")) { val = value; continue; }
        if (!strcmp(opt, "min-map-pick")) {
            if (strcmp(value, "fastest") && strcmp(value, "fewest"))
                return cli_usage_error("build", "--min-map-pick %s: fastest or fewest", value);
            fewest = !strcmp(value, "fewest");
            pick = 1;
            continue;
        }
        if (!strcmp(opt, "min-map")) {
            if (cli_parse_float("build", "--min-map", value, 0.01, 1, &min_map)) return 2;
            continue;
        }
        int rc = engine_args_option(&a, opt, value);
        if (rc == 2) return 2;
        if (rc == 0) return cli_usage_error("build", "--%s: unknown option (darkrt build --help)", opt);
    }
    if (!a.model) return cli_usage_error("build", "no model given (darkrt build --help)");
    if (!output) return cli_usage_error("build", "-o MODEL.plan: the output plan is required");
    if (cli_has_suffix(a.model, ".plan")) return cli_usage_error("build", "%s: already a plan", a.model);
    if (val && min_map <= 0) return cli_usage_error("build", "--val: only with --min-map");
    if (pick && min_map <= 0) return cli_usage_error("build", "--min-map-pick: only with --min-map");
    drt_engine *e;
    double ms;
    char *keep = NULL;
    int rc = min_map > 0 ? build_min_map_search(&a, min_map, val, fewest, &keep) : 0;
    if (keep) a.engine.int8_keep = keep; /* else DRT_INT8_KEEP's, if set */
    if (rc == 0) rc = engine_args_build(&a, &e, &ms);
    free(keep);
    if (rc) return rc;
    drt_status s = drt_engine_save_plan(e, output);
    if (s != DRT_OK) {
        drt_engine_free(e);
        return cli_fail(s);
    }
    print_summary(e, output, ms);
    drt_engine_free(e);
    return 0;
}
