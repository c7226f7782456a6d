/* The CUDA section of a plan: the device and library versions it was built for, the convolution
 * algorithm chosen for every conv and, for fused convs, cuDNN's JSON of the chosen execution plan
 * (with the compiled kernel of a runtime-fused engine: loading compiles and times nothing). A plan
 * for another GPU, cuDNN or CUDA runtime is refused: algorithm choices and timings do not carry over.
 * Layout: blob_header, n_convs blob_conv records, then the JSON texts they point at. */
#include "backend/cuda/cuda-internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BLOB_MAGIC "DRTCUDA3"
#define BLOB_GPU_NAME 256

typedef struct blob_header {
    char magic[8];
    int32_t precision, max_batch;
    char gpu[BLOB_GPU_NAME];
    int32_t cc_major, cc_minor;
    uint64_t cudnn_version;
    int32_t cudart_version;
    int32_t n_convs;
} blob_header;

typedef struct blob_conv {
    int32_t layer, algo, math;
    float step; /* int8 convs: the input's quantization step; 0 otherwise */
    uint64_t json_off, json_size; /* the execution plan's JSON in the section (size 0: none) */
} blob_conv;

/* The section is these records as stored (little endian, plan.c): fixed-width fields, no padding, no pointers. */
_Static_assert(sizeof(blob_header) == 296 && sizeof(blob_conv) == 32, "CUDA plan records must have no padding");

static const cu_ctx *max_ctx(const cu_engine *g)
{
    for (int i = 0; i < g->n_ctx; i++)
        if (g->ctx[i].batch == g->max_batch) return &g->ctx[i];
    return NULL;
}

static void fill_header(const drt_engine *e, const cu_engine *g, blob_header *h)
{
    memset(h, 0, sizeof *h);
    memcpy(h->magic, BLOB_MAGIC, 8);
    h->precision = (int32_t)e->opts.precision;
    h->max_batch = e->opts.max_batch;
    snprintf(h->gpu, sizeof h->gpu, "%s", g->gpu_name);
    h->cc_major = g->cc_major;
    h->cc_minor = g->cc_minor;
    h->cudnn_version = g->cudnn_version;
    h->cudart_version = g->cudart_version;
    h->n_convs = g->n_convs;
}

drt_status drt_cuda_serialize(const drt_engine *e, void **blob_out, size_t *size_out)
{
    const cu_engine *g = e->impl;
    const cu_ctx *c = max_ctx(g); /* its plans' JSON, kept when the engine was built (read-only) */
    *blob_out = NULL;
    *size_out = 0;
    size_t n = (size_t)g->n_convs, total = 0, table = sizeof(blob_header) + sizeof(blob_conv) * n;
    /* shared plans have no JSON of their own: loading shares them again */
    for (size_t i = 0; c && c->json && i < n; i++) total += c->json[i] ? c->json_len[i] : 0;
    unsigned char *b = calloc(1, table + total);
    if (!b) return drt_error(DRT_STATUS_OOM, "cuda: out of memory for the plan section");
    blob_header h;
    fill_header(e, g, &h);
    memcpy(b, &h, sizeof h);
    size_t off = table;
    for (size_t i = 0; i < n; i++) {
        const cu_conv *cv = &g->convs[i];
        size_t len = c && c->json && c->json[i] ? c->json_len[i] : 0;
        blob_conv bc = {cv->layer, cv->algo_max, cv->math_max, cv->int8 ? cv->step : 0.f, len ? off : 0, len};
        memcpy(b + sizeof h + sizeof bc * i, &bc, sizeof bc);
        if (len) memcpy(b + off, c->json[i], len);
        off += len;
    }
    *blob_out = b;
    *size_out = table + total;
    return DRT_OK;
}

static drt_status read_header(const void *blob, size_t size, const char *path, blob_header *h)
{
    if (!blob || size < sizeof *h)
        return drt_error(DRT_STATUS_FORMAT, "%s: CUDA section: %zu bytes, shorter than its %zu-byte header", path, size,
                         sizeof *h);
    memcpy(h, blob, sizeof *h);
    if (memcmp(h->magic, BLOB_MAGIC, 8) != 0)
        return drt_error(DRT_STATUS_FORMAT, "%s: CUDA section: bad magic (not a darkrt CUDA plan section, version 3: plans of earlier darkrt versions must be rebuilt)", path);
    h->gpu[BLOB_GPU_NAME - 1] = '\0';
    if (h->n_convs < 0 || (size - sizeof *h) / sizeof(blob_conv) < (size_t)h->n_convs)
        return drt_error(DRT_STATUS_FORMAT, "%s: CUDA section: %d convolutions do not fit in %zu bytes", path, h->n_convs, size);
    return DRT_OK;
}

drt_status drt_cuda_check_plan(const void *blob, size_t size, const char *path)
{
    blob_header h;
    DRT_TRY(read_header(blob, size, path, &h));
    cu_engine me;
    memset(&me, 0, sizeof me);
    drt_status s = drt_cuda_identify(&me, 0);
    if (s != DRT_OK) {
        drt_error_prefix("%s: this plan needs the GPU it was built for (%s)", path, h.gpu);
        return s;
    }
    /* the device index comes from the caller's options; every device of this machine is compared by
     * its name at create time, here against device 0 when checked alone */
    if (strcmp(h.gpu, me.gpu_name) != 0 || h.cc_major != me.cc_major || h.cc_minor != me.cc_minor ||
        h.cudnn_version != me.cudnn_version || h.cudart_version != me.cudart_version)
        return drt_error(DRT_STATUS_UNSUPPORTED,
                         "%s: plan built for GPU '%s' (sm_%d%d) with cuDNN %llu and CUDA runtime %d; this machine has '%s' "
                         "(sm_%d%d) with cuDNN %llu and CUDA runtime %d: rebuild the plan here (darkrt build)",
                         path, h.gpu, h.cc_major, h.cc_minor, (unsigned long long)h.cudnn_version, h.cudart_version,
                         me.gpu_name, me.cc_major, me.cc_minor, (unsigned long long)me.cudnn_version, me.cudart_version);
    return DRT_OK;
}

/* The convs a plan runs in int8 (those stored with a step): the compiler takes these, not its
 * rule, so a plan loads with the int8 set it was built with (build --min-map's, DRT_CUDA_INT8=all). */
drt_status drt_cuda_plan_int8_layers(const void *blob, size_t size, int n_layers, unsigned char **out)
{
    *out = NULL;
    blob_header h;
    DRT_TRY(read_header(blob, size, "plan", &h));
    unsigned char *set = calloc((size_t)n_layers + 1, 1);
    if (!set) return drt_error(DRT_STATUS_OOM, "cuda: out of memory");
    const unsigned char *p = (const unsigned char *)blob + sizeof h;
    for (int i = 0; i < h.n_convs; i++) {
        blob_conv c;
        memcpy(&c, p + sizeof c * (size_t)i, sizeof c);
        if (c.layer >= 0 && c.layer < n_layers && c.step > 0) set[c.layer] = 1;
    }
    *out = set;
    return DRT_OK;
}

drt_status drt_cuda_plan_apply(cu_engine *g, const void *blob, size_t size)
{
    blob_header h;
    DRT_TRY(read_header(blob, size, "plan", &h));
    if (strcmp(h.gpu, g->gpu_name) != 0)
        return drt_error(DRT_STATUS_UNSUPPORTED, "plan: built for GPU '%s', device %d is '%s': rebuild the plan", h.gpu,
                         g->dev, g->gpu_name);
    drt_precision mine = g->int8 ? DRT_PREC_INT8 : g->half ? DRT_PREC_FP16 : DRT_PREC_FP32;
    if (h.precision != (int32_t)mine || h.max_batch != g->max_batch)
        return drt_error(DRT_STATUS_FORMAT, "plan: CUDA section is for %s batch %d, the engine is %s batch %d",
                         (unsigned)h.precision < DRT_PREC_COUNT ? drt_precision_name((drt_precision)h.precision) : "?",
                         h.max_batch, drt_precision_name(mine), g->max_batch);
    const unsigned char *p = (const unsigned char *)blob + sizeof h;
    for (int i = 0; i < h.n_convs; i++) {
        blob_conv c;
        memcpy(&c, p + sizeof c * (size_t)i, sizeof c);
        if (c.json_size && (c.json_off < sizeof h || c.json_off > size || c.json_size > size - c.json_off))
            return drt_error(DRT_STATUS_FORMAT, "plan: CUDA section: conv %d: execution plan at %llu+%llu outside the %zu-byte section",
                             c.layer, (unsigned long long)c.json_off, (unsigned long long)c.json_size, size);
        for (int j = 0; j < g->n_convs; j++)
            if (g->convs[j].layer == c.layer && ((c.algo >= 0 && c.algo < CUDNN_CONVOLUTION_FWD_ALGO_COUNT) ||
                                                 (c.algo >= CU_ALGO_FUSED && c.algo < CU_ALGO_FUSED + 64))) {
                g->convs[j].algo_max = c.algo;
                g->convs[j].math_max = c.math;
                g->convs[j].json = c.json_size ? (const char *)blob + c.json_off : NULL;
                g->convs[j].json_len = (size_t)c.json_size;
                if (g->convs[j].int8) {
                    if (!(c.step > 0) || !isfinite(c.step) || c.step > 1e30f)
                        return drt_error(DRT_STATUS_FORMAT, "plan: CUDA section: conv %d: int8 step %g must be a positive number",
                                         c.layer, c.step);
                    g->convs[j].step = c.step;
                }
            }
    }
    return DRT_OK;
}
