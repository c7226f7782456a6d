/* Shared helpers of the CLI commands: argument parsing with one-line errors. */
#ifndef DRT_CLI_UTIL_H
#define DRT_CLI_UTIL_H

#include "darkrt.h"

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

/* Loads a model by file type (.cfg + optional weights, .onnx, .plan) with the common options
 * (--bn pjreddie|alexeyab, --names). */
drt_status cli_load_model(const char *path, const char *weights, const drt_load_opts *opts,
                          const char *names_path, drt_model **model_out);

/* Detection semantics: what the model asks for (drt_detect_opts_for_model), except what the
 * flags in `overrides` set; says on stderr where a flag overrides a different model value. */
enum { CLI_SET_RESIZE = 1, CLI_SET_NMS_KIND = 2, CLI_SET_BETA_NMS = 4 };
void cli_detect_semantics(const char *cmd, drt_detect_opts *opts, const drt_model *model, int overrides);

/* Monotonic milliseconds. */
double cli_now_ms(void);

#endif
