/* Plan file internals shared with tests and loaders: the checksum (xxh64 over the file with the
 * checksum field read as zero), where the sections lie, and the model read alone. */
#ifndef DRT_ENGINE_PLAN_H
#define DRT_ENGINE_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "darkrt.h"

/* What a plan's header says, read without building an engine. */
typedef struct drt_plan_info {
    drt_device device;
    int device_index;
    drt_precision precision;
    int max_batch;
    size_t backend_bytes, file_bytes;
} drt_plan_info;

/* The model a plan holds (header and checksum checked; no engine built, no device needed).
 * with_params 0: layers, shapes and names only, parameters left unread (model->params NULL). */
drt_status drt_plan_read_model(const char *path, int with_params, drt_model **model_out, drt_plan_info *info_out);

/* drt_plan_read_model without parameters and without the whole-file checksum (read_model checks
 * every field it reads), for a caller that loads the plan's engine next, which checks it: only the
 * pages read are touched (a large plan's first detection does not hash and fault it in twice). */
drt_status drt_plan_read_shapes(const char *path, drt_model **model_out);

/* The header and the network input's size (w x h x c) alone: two small reads, no checksum (the
 * load checks it), no engine, for a pipeline that starts before its engine is loaded. */
drt_status drt_plan_peek(const char *path, drt_plan_info *info_out, int *w_out, int *h_out, int *c_out);

/* The max batch of the engine a plan loads into with these options (drt_engine_load_plan's rule). */
int drt_plan_engine_batch(const drt_plan_info *info, const drt_engine_opts *o);

/* The checksum a plan file of `size` bytes must carry. */
uint64_t drt_plan_checksum(const void *file, size_t size);
/* Byte offset of the checksum field in the header. */
size_t drt_plan_checksum_offset(void);

#endif
