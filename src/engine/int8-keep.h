/* Which convs an int8 engine runs in int8: the keep list (drt_engine_opts.int8_keep) and the CUDA
 * engine's rule, shared by the engines and build --min-map's search (src/eval/int8-search.c). */
#ifndef DRT_ENGINE_INT8_KEEP_H
#define DRT_ENGINE_INT8_KEEP_H

#include "graph/model.h"

/* The CPU engine's keep list when none is given (cpu-compile.c; its registry row says so to build
 * --min-map): the convs producing heads and depthwise convs stay fp32. */
#define DRT_INT8_CPU_DEFAULT_KEEP "heads,dw"

/* Layer index i is named in the keep list ("none,3,17"; NULL: none is). */
int drt_int8_keep_listed(const char *keep, int i);

/* The CUDA engine runs conv i in int8 (where cuDNN has a fused int8 engine for its shape): 3x3
 * convs reading at least 128 channels (every conv with all set), never the first, grouped convs,
 * convs feeding a [yolo] head, or those the keep list names. out: the layer whose output the conv
 * writes (a shortcut that absorbs it), or -1 for i itself. */
int drt_int8_cuda_rule(const drt_model *m, int all, const char *keep, int i, int out);

#endif
