/* Shared helpers of the CLI commands: argument parsing with one-line errors. */
#ifndef DRT_CLI_UTIL_H
#define DRT_CLI_UTIL_H

#include <stdio.h>

#include "darkrt.h"
#include "core/clock.h" /* drt_now_ms */

/* Prints "darkrt <cmd>: <message>" to stderr and returns 2 (usage) — for bad flags. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "darkrt: <status name>: <drt_last_error()>" and returns 1 — for failed calls. */
int cli_fail(drt_status status);

/* Strict number parsing: the whole string, in [lo, hi]. Return 0 on success, print and return 2. */
int cli_parse_int(const char *cmd, const char *flag, const char *text, long lo, long hi, int *out);
int cli_parse_float(const char *cmd, const char *flag, const char *text, double lo, double hi, float *out);

/* "WxH" → w, h (1..65536). */
int cli_parse_size(const char *cmd, const char *flag, const char *text, int *w, int *h);

/* True if path ends with suffix (case-insensitive). */
int cli_has_suffix(const char *path, const char *suffix);

/* Loads a model by file type (.cfg + weights, .onnx, .plan) with the common options (--bn
 * pjreddie|alexeyab, --names) and the model options (cli_model_option). A .cfg without weights
 * is refused unless weights is cli_random_weights (synthesised, seed 1) or cli_no_weights
 * (zero weights: for commands that read the shapes only). */
drt_status cli_load_model(const char *path, const char *weights, const drt_load_opts *opts,
                          const char *names_path, drt_model **model_out);
/* The same, except that a plan's model comes without its parameters and its checksum unchecked
 * (drt_plan_read_shapes): for a caller that builds its engine from the plan (drt_engine_load_plan),
 * which checks it. */
drt_status cli_load_model_meta(const char *path, const char *weights, const drt_load_opts *opts,
                               const char *names_path, drt_model **model_out);
extern const char cli_random_weights[], cli_no_weights[];

/* The model options every command taking a model accepts, besides its -w/--weights:
 *   --random-weights         a cfg's weights synthesised instead of read (sets *weights)
 *   --anchors LIST --masks LIST [--classes N]   YOLO heads for an ONNX file without darkrt's
 *                            metadata (drt_model_set_yolo_heads); --classes checks each head
 * arg is the option as typed, value the next argument (may be NULL). Returns -1 when arg is not
 * one of them, else the number of arguments taken (1 or 2), or 0 after a usage error (printed). */
int cli_model_option(const char *cmd, const char *arg, const char *value, const char **weights);
extern const char cli_model_options_help[];

/* The same for commands parsing with getopt_long: the table entries (codes CLI_MODEL_OPT..+3)
 * and the handler of those codes (returns 0, or 2 after a usage error). */
#define CLI_MODEL_OPT 0x100
#define CLI_MODEL_LONGOPTS                                                                    \
    {"random-weights", no_argument, 0, CLI_MODEL_OPT}, {"anchors", required_argument, 0, CLI_MODEL_OPT + 1}, \
    {"masks", required_argument, 0, CLI_MODEL_OPT + 2}, {"classes", required_argument, 0, CLI_MODEL_OPT + 3}
int cli_model_getopt(const char *cmd, int code, const char *value, const char **weights);

/* Darknet's habit "CFG WEIGHTS ...": 1 when model is a Darknet cfg, no weights were given and
 * arg ends in .weights (then *weights = arg), else 0. */
int cli_positional_weights(const char *model, const char *arg, const char **weights);

/* Detection semantics: what the model asks for (drt_detect_opts_for_model), except what the
 * flags in `overrides` set; says on stderr where a flag overrides a different model value. */
enum { CLI_SET_RESIZE = 1, CLI_SET_NMS_KIND = 2, CLI_SET_BETA_NMS = 4 };
void cli_detect_semantics(const char *cmd, drt_detect_opts *opts, const drt_model *model, int overrides);

/* drt_engine_opts_default() with the CLI's environment applied (the library reads none of these):
 * DRT_INT8_KEEP=LIST (int8_keep), DRT_CUDA_INT8=all, DRT_CPU_WINOGRAD=auto|off|force,
 * DRT_CPU_TUNE=0 (no_tune), DRT_CALIB_MAX=N (calib_max_images); and the CLI's activation budget. */
drt_engine_opts cli_engine_opts_default(void);
extern const char cli_environment_help[];

/* Where a command's summary lines go: stderr when its output file is stdout ("-", /dev/stdout or the
 * file stdout is redirected to), so the output stays clean; stdout otherwise. */
FILE *cli_summary_stream(const char *output);

/* The CLI's activation budget (cli_engine_opts_default): a plan or cfg declaring 8192x8192 is refused
 * before it allocates gigabytes; --max-activations MIB raises it, 0 lifts it. */
#define CLI_MAX_ACTIVATION_MIB 1024
int cli_parse_max_activations(const char *cmd, const char *text, drt_engine_opts *opts);

#endif
