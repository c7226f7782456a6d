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

/* The checksum a plan file of `size` bytes must carry. */
uint64_t drt_plan_checksum(const void *file, size_t size);
/* Byte offset of the checksum field in the header. */
size_t drt_plan_checksum_offset(void);

#endif
