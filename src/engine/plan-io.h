/* A plan section's little-endian fields: one writer and one reader cursor for the CPU and CUDA sections
 * and the model section's layer records, so that each stores its fields the same way (fixed width, little
 * endian, no struct copied) and a truncated section is refused with one error naming the field. */
#ifndef DRT_ENGINE_PLAN_IO_H
#define DRT_ENGINE_PLAN_IO_H

#include <stddef.h>
#include <stdint.h>

#include "darkrt.h"

/* Writes at p + off and advances off; p NULL: only counts (a first pass sizes the buffer). */
typedef struct drt_wcur {
    unsigned char *p;
    size_t off;
} drt_wcur;

void drt_put32(drt_wcur *w, uint32_t v);
void drt_put64(drt_wcur *w, uint64_t v); /* low word first */
void drt_putf(drt_wcur *w, float f);     /* its bits as a uint32 */
void drt_put_bytes(drt_wcur *w, const void *d, size_t n);

/* Reads the n bytes at p from off. Errors name where (the plan's path), the section ("cpu", "CUDA") and, for
 * an item's fields, its kind ("layer", "conv") and index, then the field. */
typedef struct drt_rcur {
    const unsigned char *p;
    size_t n, off;
    const char *where, *section, *item;
} drt_rcur;

/* The next uint32 into v: 1, or 0 (v, off untouched) when fewer than 4 bytes are left. */
int drt_take32(drt_rcur *r, uint32_t *v);

/* drt_take32, with a short section a DRT_STATUS_FORMAT error: "<where>: <section> section of <n> bytes ends in
 * <item> <index>'s <field>" (index >= 0), else "... ends in its <field>". */
drt_status drt_get32(drt_rcur *r, uint32_t *v, const char *field, long index);

/* count bytes that follow (a name, a JSON text): *out points at them in the section; more than max or than are
 * left is a DRT_STATUS_FORMAT error: "<where>: <section> section: [<item> <index>'s ]<field> of <count> bytes:
 * at most <max>, <left> left". */
drt_status drt_get_bytes(drt_rcur *r, uint32_t count, uint32_t max, const char **out, const char *field, long index);

#endif
