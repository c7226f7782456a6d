/* PENDING: darkrt eval. */
#include <stdio.h>
#include "commands.h"
int drt_cmd_eval(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "darkrt eval: not built yet\n"); return 1; }
