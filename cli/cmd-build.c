/* PENDING: darkrt build. */
#include <stdio.h>
#include "commands.h"
int drt_cmd_build(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "darkrt build: not built yet\n"); return 1; }
