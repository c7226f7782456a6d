/* darkrt: Darknet YOLO models as fast, verified inference engines on CPUs and NVIDIA GPUs.
 *
 * This is the only header users include. It is split by concern into include/darkrt/ (one header a concern);
 * the API is the same in every build (with or without CUDA).
 *
 * Conventions:
 *  - Fallible calls return drt_status (DRT_OK == 0). Results come back through a trailing
 *    *_out pointer, set to NULL on failure.
 *  - drt_last_error() gives the detail text of the last failure on the calling thread:
 *    it names the file, the place and the rule broken ("yolo.cfg:57 [convolutional] size=0: must be > 0").
 *  - What a *_load / *_create call returns belongs to the caller and is released with the
 *    matching *_free, which accepts NULL.
 *  - Pointer arguments may not be NULL, except options (opts: NULL means the defaults) and those a
 *    function's comment calls optional (times, tags, some outputs). A NULL one returns
 *    DRT_STATUS_INVALID_ARG with "FUNCTION: ARGUMENT is NULL"; a function that returns no status
 *    returns 0, -1, NaN or NULL instead (tests/unit/null-args.c calls every function so).
 */
#ifndef DARKRT_H
#define DARKRT_H

#include "darkrt/status.h"
#include "darkrt/model.h"
#include "darkrt/engine.h"
#include "darkrt/image.h"
#include "darkrt/detect.h"
#include "darkrt/eval.h"
#include "darkrt/video.h"
#include "darkrt/pipeline.h"

#endif
