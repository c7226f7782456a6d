/* PENDING: darkrt inspect. */
#include <stdio.h>
#include "commands.h"
int drt_cmd_inspect(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "darkrt inspect: not built yet\n"); return 1; }
