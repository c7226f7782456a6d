/* A plan's layer record: a drt_layer's stored fields one by one, little endian and fixed width (plan-layer.c),
 * so that the file never depends on the struct's layout, padding or pointers. */
#ifndef DRT_ENGINE_PLAN_LAYER_H
#define DRT_ENGINE_PLAN_LAYER_H

#include <stddef.h>
#include "graph/model.h"

/* Bytes of l's record, its uint32 length word included. */
size_t drt_plan_layer_size(const drt_layer *l);

/* Writes l's record (drt_plan_layer_size(l) bytes) at dst. */
void drt_plan_layer_write(const drt_layer *l, unsigned char *dst);

/* The smallest record (every array empty): a reader's bound on the layers a section can hold. */
size_t drt_plan_layer_min_size(void);

/* Reads layer `index`'s record from the avail bytes at p into l (its other fields untouched), with its size in
 * used_out. Truncated records, enums and counts out of range are one DRT_STATUS_FORMAT error naming path,
 * the layer and the field. */
drt_status drt_plan_layer_read(const char *path, int index, const unsigned char *p, size_t avail, drt_layer *l,
                               size_t *used_out);

/* Offset in l's record of field's first value (an array's: after its count), -1 for a field not stored. */
long drt_plan_layer_field_offset(const drt_layer *l, const char *field);

#endif
