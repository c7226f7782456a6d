/* A plan's layer record: uint32 byte length, then every stored drt_layer field one by one (LAYER_FIELDS),
 * little endian, fixed width. Writer, reader, size and field offsets all expand the one list below. */
#include "engine/plan-layer.h"
#include "core/error.h"
#include "engine/plan-io.h"

#include <stdint.h>
#include <string.h>

static int anchor_count(const drt_layer *l)
{
    return l->num > 0 && l->num <= DRT_MAX_ANCHORS ? 2 * l->num : 0; /* [yolo]/[region]: 2 x num; else none */
}

/* Every drt_layer field a plan stores, in file order; a change here bumps plan.c's PLAN_FORMAT.
 *   I(f): int32; E(f, count): an enum as int32, 0..count-1; F(f): float32;
 *   IA(f, n, max): uint32 count (the struct's int field n, at most max), then that many int32;
 *   FA(f, count, max): uint32 count (the writer's expression, at most max), then that many float32.
 * Not stored: out and n_weights (drt_model_infer_shapes and drt_model_alloc_params derive them at load) and the
 * parameter views (pointers into the model's blob). */
#define LAYER_FIELDS(I, E, F, IA, FA)                                                                             \
    E(type, DRT_LAYER_COUNT) I(line) IA(inputs, n_inputs, DRT_MAX_INPUTS) E(act, DRT_ACT_COUNT)                   \
    I(filters) I(size) I(stride) I(pad) I(groups) I(stride_y) E(fixed, DRT_FIXED_COUNT) F(fixed_scale)            \
    I(dilation) I(batch_normalize) I(padding) I(depth_channels) I(route_groups) I(route_group_id)                 \
    I(classes) I(num) IA(mask, n_mask, DRT_MAX_ANCHORS) FA(anchors, anchor_count(l), 2 * DRT_MAX_ANCHORS)         \
    F(scale_x_y) I(new_coords) E(nms_kind, DRT_NMS_COUNT) F(beta_nms) I(region) I(gaussian) I(share) I(flipped) \
    I(training_only) I(weights_type) I(weights_norm) I(connected) I(detection) I(det_sqrt) I(det_softmax) I(xnor) \
    I(state_from)

#if UINTPTR_MAX == 0xffffffffffffffffu
/* A reminder, not a format rule: a field added to drt_layer must be listed above (or said to be derived). */
_Static_assert(sizeof(drt_layer) == 632, "drt_layer changed: add its new field to LAYER_FIELDS, then this size");
#endif

static int count_of(int n, int max) { return n < 0 ? 0 : n > max ? max : n; }

/* ---- size and offsets ---- */
#define SZ_1(f) + 4
#define SZ_2(f, x) + 4
#define SZ_IA(f, n, max) + 4 + 4 * (size_t)count_of(l->n, max)
#define SZ_FA(f, n, max) + 4 + 4 * (size_t)count_of(n, max)

size_t drt_plan_layer_size(const drt_layer *l) { return 4 LAYER_FIELDS(SZ_1, SZ_2, SZ_1, SZ_IA, SZ_FA); }

#define MIN_A(f, n, max) + 4
size_t drt_plan_layer_min_size(void) { return 4 LAYER_FIELDS(SZ_1, SZ_2, SZ_1, MIN_A, MIN_A); }

#define OFF_1(f) if (!strcmp(field, #f)) return off; off += 4;
#define OFF_2(f, x) OFF_1(f)
#define OFF_IA(f, n, max) if (!strcmp(field, #f)) return off + 4; off += 4 + 4 * (long)count_of(l->n, max);
#define OFF_FA(f, n, max) if (!strcmp(field, #f)) return off + 4; off += 4 + 4 * (long)count_of(n, max);

long drt_plan_layer_field_offset(const drt_layer *l, const char *field)
{
    long off = 4;
    LAYER_FIELDS(OFF_1, OFF_2, OFF_1, OFF_IA, OFF_FA)
    return -1;
}

/* ---- writer (plan-io.h) ---- */
#define W_I(f) drt_put32(&w, (uint32_t)l->f);
#define W_E(f, count) drt_put32(&w, (uint32_t)l->f);
#define W_F(f) drt_putf(&w, l->f);
#define W_IA(f, n, max)                                                                                           \
    drt_put32(&w, (uint32_t)count_of(l->n, max));                                                                 \
    for (int k = 0; k < count_of(l->n, max); k++) drt_put32(&w, (uint32_t)l->f[k]);
#define W_FA(f, n, max)                                                                                           \
    drt_put32(&w, (uint32_t)count_of(n, max));                                                                    \
    for (int k = 0; k < count_of(n, max); k++) drt_putf(&w, l->f[k]);

void drt_plan_layer_write(const drt_layer *l, unsigned char *d)
{
    drt_wcur w = {d, 0};
    drt_put32(&w, (uint32_t)drt_plan_layer_size(l));
    LAYER_FIELDS(W_I, W_E, W_F, W_IA, W_FA)
}

/* ---- reader (plan-io.h; its own errors: a record, not a section) ---- */
#define TRUNCATED(f)                                                                                              \
    return drt_error(DRT_STATUS_FORMAT, "%s: model section: layer %d: record of %zu bytes ends in field %s", path, \
                     index, c.n, #f)
#define R_I(f)                                                                                                    \
    if (!drt_take32(&c, &v)) TRUNCATED(f);                                                                        \
    l->f = (int32_t)v;
#define R_E(f, count)                                                                                             \
    if (!drt_take32(&c, &v)) TRUNCATED(f);                                                                        \
    if (v >= (uint32_t)(count))                                                                                   \
        return drt_error(DRT_STATUS_FORMAT, "%s: model section: layer %d: %s=%d: must be 0..%d", path, index, #f, \
                         (int32_t)v, (int)(count) - 1);                                                           \
    l->f = (int32_t)v;
#define R_F(f)                                                                                                    \
    if (!drt_take32(&c, &v)) TRUNCATED(f);                                                                        \
    memcpy(&l->f, &v, 4);
#define R_COUNT(f, max)                                                                                           \
    if (!drt_take32(&c, &v)) TRUNCATED(f);                                                                        \
    if (v > (uint32_t)(max))                                                                                      \
        return drt_error(DRT_STATUS_FORMAT, "%s: model section: layer %d: %s holds %u entries: at most %d", path, \
                         index, #f, v, (int)(max));                                                               \
    n = (int)v;
#define R_IA(f, cnt, max)                                                                                         \
    R_COUNT(f, max)                                                                                               \
    l->cnt = n;                                                                                                   \
    for (int k = 0; k < n; k++) {                                                                                 \
        if (!drt_take32(&c, &v)) TRUNCATED(f);                                                                    \
        l->f[k] = (int32_t)v;                                                                                     \
    }
#define R_FA(f, cnt, max)                                                                                         \
    R_COUNT(f, max)                                                                                               \
    for (int k = 0; k < n; k++) {                                                                                 \
        if (!drt_take32(&c, &v)) TRUNCATED(f);                                                                    \
        memcpy(&l->f[k], &v, 4);                                                                                  \
    }

drt_status drt_plan_layer_read(const char *path, int index, const unsigned char *p, size_t avail, drt_layer *l,
                               size_t *used_out)
{
    drt_rcur c = {p, avail, 0, path, "model", "layer"};
    uint32_t v;
    int n;
    if (!drt_take32(&c, &v) || v < 4 || v > avail)
        return drt_error(DRT_STATUS_FORMAT, "%s: model section: layer %d: record length %s, %zu bytes left", path,
                         index, avail < 4 ? "missing" : "out of range", avail);
    c.n = v;
    LAYER_FIELDS(R_I, R_E, R_F, R_IA, R_FA)
    if (c.off != c.n)
        return drt_error(DRT_STATUS_FORMAT, "%s: model section: layer %d: record of %zu bytes, its fields take %zu",
                         path, index, c.n, c.off);
    *used_out = c.off;
    return DRT_OK;
}
