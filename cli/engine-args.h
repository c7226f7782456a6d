/* Options shared by darkrt build and darkrt bench: model loading and engine building. */
#ifndef DRT_CLI_ENGINE_ARGS_H
#define DRT_CLI_ENGINE_ARGS_H

#include "darkrt.h"

typedef struct engine_args {
    const char *cmd;
    const char *model, *weights, *names;
    drt_load_opts load;
    drt_engine_opts engine;
    int explicit_precision, explicit_device, explicit_bias_correct, explicit_int8_activations;
} engine_args;

void engine_args_init(engine_args *a, const char *cmd);

/* Handles one engine option (by its long name, without "--"); returns 1 when it took the
 * option's value, 0 when the name is not an engine option, or 2 after a usage error. */
int engine_args_option(engine_args *a, const char *name, const char *value);

/* "--weights W ... --threads N": the help lines of the shared options. */
extern const char engine_args_help[];

/* Builds the engine: from a plan (loaded, options as saved), else from the model. Prints
 * what it did to stderr when verbose. Returns 0 or an exit code. */
int engine_args_build(engine_args *a, drt_engine **engine_out, double *build_ms_out);

#endif
