/* PENDING: darkrt convert. */
#include <stdio.h>
#include "commands.h"
int drt_cmd_convert(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "darkrt convert: not built yet\n"); return 1; }
