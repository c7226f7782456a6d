/* A plan section's little-endian fields (plan-io.h). */
#include "engine/plan-io.h"
#include "core/error.h"

#include <string.h>

void drt_put_bytes(drt_wcur *w, const void *d, size_t n)
{
    if (w->p && n) memcpy(w->p + w->off, d, n);
    w->off += n;
}

void drt_put32(drt_wcur *w, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    drt_put_bytes(w, b, 4);
}

void drt_put64(drt_wcur *w, uint64_t v)
{
    drt_put32(w, (uint32_t)v);
    drt_put32(w, (uint32_t)(v >> 32));
}

void drt_putf(drt_wcur *w, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    drt_put32(w, v);
}

int drt_take32(drt_rcur *r, uint32_t *v)
{
    if (r->n - r->off < 4) return 0;
    const unsigned char *b = r->p + r->off;
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    r->off += 4;
    return 1;
}

drt_status drt_get32(drt_rcur *r, uint32_t *v, const char *field, long index)
{
    if (drt_take32(r, v)) return DRT_OK;
    if (index >= 0)
        return drt_error(DRT_STATUS_FORMAT, "%s: %s section of %zu bytes ends in %s %ld's %s", r->where, r->section,
                         r->n, r->item, index, field);
    return drt_error(DRT_STATUS_FORMAT, "%s: %s section of %zu bytes ends in its %s", r->where, r->section, r->n,
                     field);
}

drt_status drt_get_bytes(drt_rcur *r, uint32_t count, uint32_t max, const char **out, const char *field, long index)
{
    size_t left = r->n - r->off;
    if (count > max || count > left) {
        if (index >= 0)
            return drt_error(DRT_STATUS_FORMAT, "%s: %s section: %s %ld's %s of %u bytes: at most %u, %zu left",
                             r->where, r->section, r->item, index, field, count, max, left);
        return drt_error(DRT_STATUS_FORMAT, "%s: %s section: %s of %u bytes: at most %u, %zu left", r->where,
                         r->section, field, count, max, left);
    }
    *out = (const char *)r->p + r->off;
    r->off += count;
    return DRT_OK;
}
