/* darkrt: the command-line front end. Dispatches to cli/cmd-<name>.c. */
#include <stdio.h>
#include <string.h>

#include "cli-util.h"
#include "commands.h"
#include "darkrt.h"
#include "core/fileio.h"
#include "core/timeline.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"inspect", drt_cmd_inspect, "show a model's layers, shapes, FLOPs and metadata"},
    {"synth", drt_cmd_synth, "make deterministic weights for a cfg"},
    {"convert", drt_cmd_convert, "Darknet cfg + weights -> ONNX"},
    {"build", drt_cmd_build, "ONNX or Darknet -> optimized engine plan (cpu, cuda; fp32/fp16/bf16/int8)"},
    {"detect", drt_cmd_detect, "images -> boxes (drawn PNG + JSON)"},
    {"compare", drt_cmd_compare, "reference vs engines: stage times, confidence, agreement, memory"},
    {"bench", drt_cmd_bench, "time an engine: latency and throughput"},
    {"eval", drt_cmd_eval, "detections of an engine against reference detections (mAP@0.5)"},
    {"run", drt_cmd_run, "one forward pass on a raw input; writes the head tensors (testing)"},
};

static void usage(FILE *out)
{
    fprintf(out, "darkrt %s: Darknet YOLO models as fast, verified inference engines\n\n"
                 "usage: darkrt <command> [options]   (darkrt <command> --help for its options)\n\n",
            drt_version());
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n%s", cli_environment_help);
}

int main(int argc, char **argv)
{
    drt_timeline("main");
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("darkrt %s\n", drt_version());
        return 0;
    }
    drt_fileio_guard_inputs(1); /* no command overwrites its own input */
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) {
            int rc = commands[i].run(argc - 1, argv + 1);
            drt_timeline("main: %s done, exiting", argv[1]); /* what follows is the process's exit (CUDA's teardown) */
            return rc;
        }
    fprintf(stderr, "darkrt: unknown command '%s' (darkrt --help lists them)\n", argv[1]);
    return 2;
}
