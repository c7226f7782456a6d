/* darkrt synth: deterministic weights for a Darknet cfg (tests and benchmarks of models whose
 * trained weights are not at hand). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli-util.h"
#include "commands.h"
#include "darknet/darknet.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: darkrt synth CFG -o FILE.weights [--seed N] [--head-scale S] [--head-shift B] [--box-scale X]\n"
                 "  CFG                a Darknet .cfg\n"
                 "  -o, --output FILE  the .weights to write (Darknet format, header 0.2.0)\n"
                 "  -s, --seed N       PRNG seed, 0..2^64-1 (default 1): the same seed gives the same bytes\n"
                 "      --head-scale S multiply the detection heads' conv weights and biases by S (default 1)\n"
                 "      --head-shift B then add B to their objectness and class biases (default 0): with S\n"
                 "                     bringing the logits near std 1 and B < 0, a few boxes an image with\n"
                 "                     spread scores, as trained weights give, instead of a box at nearly\n"
                 "                     every cell (int8 against fp32 on synthesised weights)\n"
                 "      --box-scale X  multiply the heads' box coordinates by X more (default 1): X < 1 keeps\n"
                 "                     the boxes near their anchors' shapes, not slivers whose overlap any\n"
                 "                     rounding halves\n"
                 "  -q, --quiet        no warnings (unknown cfg keys)\n"
                 "  -h, --help         this text\n");
}

static int parse_seed(const char *text, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 0);
    if (!*text || *end || errno || *text == '-')
        return cli_usage_error("synth", "--seed %s: must be an integer 0..18446744073709551615", text);
    *out = v;
    return 0;
}

int drt_cmd_synth(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'}, {"seed", required_argument, 0, 's'},
        {"quiet", no_argument, 0, 'q'},        {"help", no_argument, 0, 'h'},
        {"head-scale", required_argument, 0, 'c'}, {"head-shift", required_argument, 0, 'b'},
        {"box-scale", required_argument, 0, 'x'},
        {0, 0, 0, 0}};
    drt_load_opts lo = drt_load_opts_default();
    const char *output = NULL;
    unsigned long long seed = 1;
    float scale = 1, shift = 0, box_scale = 1;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:s:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case 's':
            if (parse_seed(optarg, &seed)) return 2;
            break;
        case 'b':
            if (cli_parse_float("synth", "--head-shift", optarg, -100, 100, &shift)) return 2; /* a logit's useful range */
            break;
        case 'c':
            if (cli_parse_float("synth", "--head-scale", optarg, 0, 100, &scale)) return 2;
            break;
        case 'x':
            if (cli_parse_float("synth", "--box-scale", optarg, 0, 100, &box_scale)) return 2;
            break;
        case 'q': lo.warn = 0; break;
        case 'h': usage(stdout); return 0;
        case ':': return cli_usage_error("synth", "%s: needs a value", argv[optind - 1]);
        default: return cli_usage_error("synth", "%s: unknown option (darkrt synth --help)", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("synth", optind >= argc ? "no cfg given (darkrt synth --help)"
                                                       : "exactly one cfg expected (darkrt synth --help)");
    if (!output) return cli_usage_error("synth", "-o FILE.weights is required");
    drt_model *m;
    drt_status s = drt_model_load_darknet(argv[optind], NULL, &lo, &m);
    if (s == DRT_OK) s = drt_model_synth_weights(m, seed);
    int head = scale != 1 || shift != 0 || box_scale != 1;
    if (s == DRT_OK && head) s = drt_model_synth_head(m, scale, shift, box_scale);
    if (s == DRT_OK) s = drt_model_save_weights(m, output);
    if (s == DRT_OK) {
        FILE *o = cli_summary_stream(output);
        fprintf(o, "%s: %zu parameters, seed %llu", output, drt_model_num_params(m), seed);
        if (head) fprintf(o, ", heads x %g %+g, boxes x %g", scale, shift, box_scale);
        fputc('\n', o);
    }
    drt_model_free(m);
    return s == DRT_OK ? 0 : cli_fail(s);
}
