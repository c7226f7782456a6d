/* darkrt inspect: a model's layers, shapes, parameters, FLOPs and metadata. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli-util.h"
#include "commands.h"
#include "engine/plan.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: darkrt inspect MODEL [options]\n"
                 "  MODEL               a Darknet .cfg, an .onnx file or an engine .plan\n"
                 "  -w, --weights FILE  the cfg's .weights (checked against the cfg; default: none)\n"
                 "      --names FILE    class names, one a line\n"
                 "      --bn FORMULA    batchnorm: alexeyab (sqrt(var + 1e-5), default) or pjreddie\n"
                 "      --size WxH      override the network input size\n"
                 "  -q, --quiet         no warnings (unknown cfg keys)\n"
                 "  -h, --help          this text\n");
}

static int is_plan(const char *path)
{
    size_t n = strlen(path);
    return n >= 5 && strcasecmp(path + n - 5, ".plan") == 0;
}

/* A plan's header and model, its parameters left unread: no engine, no device, whatever the plan's. */
static drt_status inspect_plan(const char *path, const char *names, drt_model **out)
{
    drt_plan_info pi;
    drt_status s = drt_plan_read_model(path, 0, out, &pi);
    if (s != DRT_OK) return s;
    s = names ? drt_model_set_names_file(*out, names) : DRT_OK;
    if (s != DRT_OK) {
        drt_model_free(*out);
        *out = NULL;
        return s;
    }
    printf("plan: %s engine, %s, batch %d; file %.1f MiB (device section %.1f MiB)\n", drt_device_name(pi.device),
           drt_precision_name(pi.precision), pi.max_batch, pi.file_bytes / 1048576.0, pi.backend_bytes / 1048576.0);
    return DRT_OK;
}

int drt_cmd_inspect(int argc, char **argv)
{
    static const struct option opts[] = {
        {"weights", required_argument, 0, 'w'}, {"names", required_argument, 0, 'n'},
        {"bn", required_argument, 0, 'b'},      {"size", required_argument, 0, 's'},
        {"quiet", no_argument, 0, 'q'},         {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    drt_load_opts lo = drt_load_opts_default();
    const char *weights = NULL, *names = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":w:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'w': weights = optarg; break;
        case 'n': names = optarg; break;
        case 'b':
            if (!strcmp(optarg, "pjreddie")) lo.bn = DRT_BN_PJREDDIE;
            else if (!strcmp(optarg, "alexeyab")) lo.bn = DRT_BN_ALEXEYAB;
            else return cli_usage_error("inspect", "--bn %s: must be alexeyab or pjreddie", optarg);
            break;
        case 's':
            if (cli_parse_size("inspect", "--size", optarg, &lo.width, &lo.height)) return 2;
            break;
        case 'q': lo.warn = 0; break;
        case 'h': usage(stdout); return 0;
        case ':': return cli_usage_error("inspect", "%s: needs a value", argv[optind - 1]);
        default: return cli_usage_error("inspect", "%s: unknown option (darkrt inspect --help)", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("inspect", optind >= argc ? "no model given (darkrt inspect --help)"
                                                         : "exactly one model expected (darkrt inspect --help)");
    drt_model *m;
    drt_status s = is_plan(argv[optind]) && !weights ? inspect_plan(argv[optind], names, &m)
                                                      : cli_load_model(argv[optind], weights ? weights : cli_no_weights, &lo, names, &m);
    if (s != DRT_OK) return cli_fail(s);
    s = drt_model_print(m, stdout);
    drt_model_free(m);
    return s == DRT_OK ? 0 : cli_fail(s);
}
