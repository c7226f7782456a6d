/* darkrt build --min-map: the mixed-precision search for CPU and CUDA int8 plans. */
#ifndef DRT_CLI_BUILD_MIN_MAP_H
#define DRT_CLI_BUILD_MIN_MAP_H

#include "engine-args.h"

/* Finds the convs to keep in fp32 (CUDA: fp16) (a->engine.int8_keep's value, malloc'd, in
 * *keep_out) and says what it found on stderr: the fastest plan that reaches min_map, or with
 * fewest set the one that keeps the fewest convs (not timed). When no int8 plan that reaches it is
 * faster than the higher precision, sets a->engine.precision to that and *keep_out to NULL.
 * Returns 0 or an exit code. */
int build_min_map_search(engine_args *a, double min_map, const char *val, int fewest, char **keep_out);

#endif
