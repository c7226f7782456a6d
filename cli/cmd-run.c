/* PENDING: darkrt run. */
#include <stdio.h>
#include "commands.h"
int drt_cmd_run(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "darkrt run: not built yet\n"); return 1; }
