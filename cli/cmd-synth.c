/* PENDING: darkrt synth. */
#include <stdio.h>
#include "commands.h"
int drt_cmd_synth(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "darkrt synth: not built yet\n"); return 1; }
