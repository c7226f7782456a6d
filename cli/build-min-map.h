/* darkrt build --min-map: the mixed-precision search for CPU int8 plans. */
#ifndef DRT_CLI_BUILD_MIN_MAP_H
#define DRT_CLI_BUILD_MIN_MAP_H

#include "engine-args.h"

/* Finds the convs to keep in fp32 (a->engine.int8_keep's value, malloc'd, in *keep_out) and says
 * what it found on stderr. Returns 0 or an exit code. */
int build_min_map_search(engine_args *a, double min_map, const char *val, char **keep_out);

#endif
