/* PENDING: darkrt bench. */
#include <stdio.h>
#include "commands.h"
int drt_cmd_bench(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "darkrt bench: not built yet\n"); return 1; }
