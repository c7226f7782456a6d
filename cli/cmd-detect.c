/* PENDING: darkrt detect. */
#include <stdio.h>
#include "commands.h"
int drt_cmd_detect(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "darkrt detect: not built yet\n"); return 1; }
