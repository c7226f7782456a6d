/* PENDING: darkrt compare. */
#include <stdio.h>
#include "commands.h"
int drt_cmd_compare(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "darkrt compare: not built yet\n"); return 1; }
