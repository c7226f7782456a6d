/* The CUDA section of a plan: the device and library versions it was built for, the convolution
 * algorithm chosen for every conv and, for fused convs, cuDNN's JSON of the chosen execution plan
 * (with the compiled kernel of a runtime-fused engine: loading compiles and times nothing). A plan
 * for another GPU, cuDNN or CUDA runtime is refused: algorithm choices and timings do not carry over.
 * Written and read field by field (little endian, fixed width; no struct is copied):
 *   magic DRTCUDA5 (8 bytes); int32 precision, max_batch; the GPU's name (uint32 length, at most 255, then
 *   its bytes); int32 cc_major, cc_minor; uint64 cuDNN version; int32 CUDA runtime version; uint32 n_convs;
 *   per conv: int32 layer, algo, math; float32 step; int32 int8 flags (bit 0: it writes int8 for the next conv, an
 *   int8 one: cuda-compile.c's hand_off_int8; bit 1: its int8 input has a zero point, bits 8-15 hold it as a byte);
 *   the execution plan's JSON (uint32 length, 0: none, then its bytes). */
#include "backend/cuda/cuda-internal.h"
#include "engine/plan-io.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BLOB_MAGIC "DRTCUDA5" /* 3: fixed-width structs and JSON offsets; 4: no int8 out field (refused: rebuild) */
#define BLOB_GPU_NAME 256
#define CONV_MIN_BYTES 24 /* a conv's record without JSON */

typedef struct blob_header {
    int32_t precision, max_batch;
    char gpu[BLOB_GPU_NAME];
    int32_t cc_major, cc_minor;
    uint64_t cudnn_version;
    int32_t cudart_version;
    uint32_t n_convs;
} blob_header;

typedef struct blob_conv {
    int32_t layer, algo, math;
    float step; /* int8 convs: the input's quantization step; 0 otherwise */
    int32_t int8_out; /* 1: it hands its output to the next conv, an int8 one, in int8 */
    int32_t asym, zp; /* its int8 input has a zero point, zp */
    const char *json; /* the execution plan's JSON, in the section (NULL: none) */
    uint32_t json_len;
} blob_conv;

static const cu_ctx *max_ctx(const cu_engine *g)
{
    for (int i = 0; i < g->n_ctx; i++)
        if (g->ctx[i].batch == g->max_batch) return &g->ctx[i];
    return NULL;
}

static void write_section(drt_wcur *w, const drt_engine *e, const cu_engine *g, const cu_ctx *c)
{
    drt_put_bytes(w, BLOB_MAGIC, 8);
    drt_put32(w, (uint32_t)e->opts.precision);
    drt_put32(w, (uint32_t)e->opts.max_batch);
    size_t name = strnlen(g->gpu_name, BLOB_GPU_NAME - 1);
    drt_put32(w, (uint32_t)name);
    drt_put_bytes(w, g->gpu_name, name);
    drt_put32(w, (uint32_t)g->cc_major);
    drt_put32(w, (uint32_t)g->cc_minor);
    drt_put64(w, (uint64_t)g->cudnn_version);
    drt_put32(w, (uint32_t)g->cudart_version);
    drt_put32(w, (uint32_t)g->n_convs);
    for (int i = 0; i < g->n_convs; i++) {
        const cu_conv *cv = &g->convs[i];
        /* shared plans have no JSON of their own: loading shares them again */
        size_t len = c && c->json && c->json[i] ? c->json_len[i] : 0;
        drt_put32(w, (uint32_t)cv->layer);
        drt_put32(w, (uint32_t)cv->algo_max);
        drt_put32(w, (uint32_t)cv->math_max);
        drt_putf(w, cv->int8 ? cv->step : 0.f);
        drt_put32(w, (uint32_t)cv->out_q | (cv->int8 && cv->asym ? 2u | (uint32_t)(uint8_t)(int8_t)cv->zp << 8 : 0u));
        drt_put32(w, (uint32_t)len);
        drt_put_bytes(w, len ? c->json[i] : NULL, len);
    }
}

drt_status drt_cuda_serialize(const drt_engine *e, void **blob_out, size_t *size_out)
{
    const cu_engine *g = e->impl;
    const cu_ctx *c = max_ctx(g); /* its plans' JSON, kept when the engine was built (read-only) */
    *blob_out = NULL;
    *size_out = 0;
    for (int i = 0; c && c->json && i < g->n_convs; i++)
        if (c->json[i] && c->json_len[i] > UINT32_MAX)
            return drt_error(DRT_STATUS_UNSUPPORTED, "cuda: conv %d's execution plan is %zu bytes of JSON: a plan holds at most 4 GiB each",
                             g->convs[i].layer, c->json_len[i]);
    drt_wcur w = {NULL, 0};
    write_section(&w, e, g, c);
    unsigned char *b = malloc(w.off ? w.off : 1);
    if (!b) return drt_error(DRT_STATUS_OOM, "cuda: out of memory for the plan section");
    size_t size = w.off;
    w = (drt_wcur){b, 0};
    write_section(&w, e, g, c);
    DRT_ASSERT(w.off == size);
    *blob_out = b;
    *size_out = size;
    return DRT_OK;
}

/* ---- reader: every field checked, one error naming it (plan-io.h) ---- */
static drt_status read_header(const void *blob, size_t size, const char *path, blob_header *h, drt_rcur *r)
{
    memset(h, 0, sizeof *h);
    *r = (drt_rcur){blob, blob ? size : 0, 8, path, "CUDA", "conv"};
    if (!blob || size < 8)
        return drt_error(DRT_STATUS_FORMAT, "%s: CUDA section: %zu bytes, shorter than its magic", path, size);
    if (!memcmp(blob, "DRTCUDA3", 8) || !memcmp(blob, "DRTCUDA4", 8))
        return drt_error(DRT_STATUS_UNSUPPORTED, "%s: CUDA section of format %c: this darkrt reads format 5: rebuild the plan", path,
                         ((const char *)blob)[7]);
    if (memcmp(blob, BLOB_MAGIC, 8) != 0)
        return drt_error(DRT_STATUS_FORMAT, "%s: CUDA section: bad magic (not a darkrt CUDA plan section of format 5: rebuild the plan)", path);
    uint32_t v, lo, hi;
    const char *name = NULL;
    DRT_TRY(drt_get32(r, &v, "precision", -1));
    h->precision = (int32_t)v;
    DRT_TRY(drt_get32(r, &v, "max_batch", -1));
    h->max_batch = (int32_t)v;
    DRT_TRY(drt_get32(r, &v, "GPU name's length", -1));
    DRT_TRY(drt_get_bytes(r, v, BLOB_GPU_NAME - 1, &name, "GPU name", -1));
    memcpy(h->gpu, name, v); /* zeroed: terminated */
    DRT_TRY(drt_get32(r, &v, "cc_major", -1));
    h->cc_major = (int32_t)v;
    DRT_TRY(drt_get32(r, &v, "cc_minor", -1));
    h->cc_minor = (int32_t)v;
    DRT_TRY(drt_get32(r, &lo, "cuDNN version", -1));
    DRT_TRY(drt_get32(r, &hi, "cuDNN version", -1));
    h->cudnn_version = lo | (uint64_t)hi << 32;
    DRT_TRY(drt_get32(r, &v, "CUDA runtime version", -1));
    h->cudart_version = (int32_t)v;
    DRT_TRY(drt_get32(r, &h->n_convs, "conv count", -1));
    if (h->n_convs > (r->n - r->off) / CONV_MIN_BYTES)
        return drt_error(DRT_STATUS_FORMAT, "%s: CUDA section: %u convolutions do not fit in %zu bytes", path, h->n_convs, size);
    return DRT_OK;
}

/* The whole section: its header and every conv's record (convs: h->n_convs of them, malloc'd; free it). */
static drt_status read_section(const void *blob, size_t size, const char *path, blob_header *h, blob_conv **convs)
{
    *convs = NULL;
    drt_rcur r;
    DRT_TRY(read_header(blob, size, path, h, &r));
    blob_conv *c = calloc(h->n_convs ? h->n_convs : 1, sizeof *c);
    if (!c) return drt_error(DRT_STATUS_OOM, "cuda: out of memory");
    drt_status s = DRT_OK;
    uint32_t v;
    for (uint32_t i = 0; s == DRT_OK && i < h->n_convs; i++) {
        blob_conv *b = &c[i];
        if ((s = drt_get32(&r, &v, "layer", (long)i)) != DRT_OK) break;
        b->layer = (int32_t)v;
        if ((s = drt_get32(&r, &v, "algo", (long)i)) != DRT_OK) break;
        b->algo = (int32_t)v;
        if ((s = drt_get32(&r, &v, "math", (long)i)) != DRT_OK) break;
        b->math = (int32_t)v;
        if ((s = drt_get32(&r, &v, "step", (long)i)) != DRT_OK) break;
        memcpy(&b->step, &v, 4);
        if ((s = drt_get32(&r, &v, "int8 flags", (long)i)) != DRT_OK) break;
        b->int8_out = (int32_t)(v & 1);
        b->asym = (int32_t)(v >> 1 & 1);
        b->zp = (int8_t)(uint8_t)(v >> 8);
        if ((v & ~0xff03u) || (!b->asym && v > 1)) {
            s = drt_error(DRT_STATUS_FORMAT, "%s: CUDA section: conv %u: int8 flags 0x%x: only bits 0, 1 and a zero point "
                                             "(bits 8-15, with bit 1) may be set", path, i, v);
            break;
        }
        if ((s = drt_get32(&r, &b->json_len, "JSON length", (long)i)) != DRT_OK) break;
        if ((s = drt_get_bytes(&r, b->json_len, UINT32_MAX, &b->json, "JSON", (long)i)) != DRT_OK) break;
        if (!b->json_len) b->json = NULL;
    }
    if (s == DRT_OK && r.off != r.n)
        s = drt_error(DRT_STATUS_FORMAT, "%s: CUDA section of %zu bytes: its fields take %zu", path, r.n, r.off);
    if (s != DRT_OK) {
        free(c);
        return s;
    }
    *convs = c;
    return DRT_OK;
}

drt_status drt_cuda_check_plan(const void *blob, size_t size, const char *path)
{
    blob_header h;
    drt_rcur r;
    DRT_TRY(read_header(blob, size, path, &h, &r));
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

/* The convs a plan runs in int8 (those stored with a step: CU_PLAN_INT8), those that write int8 for the next
 * (CU_PLAN_HANDS_INT8) and those whose input has a zero point (CU_PLAN_ZERO_POINT): the compiler takes these, not its
 * rule, so a plan loads with the int8 set it was built with (build --min-map's, DRT_CUDA_INT8=all). */
drt_status drt_cuda_plan_int8_layers(const void *blob, size_t size, int n_layers, unsigned char **out)
{
    *out = NULL;
    blob_header h;
    blob_conv *c;
    DRT_TRY(read_section(blob, size, "plan", &h, &c));
    unsigned char *set = calloc((size_t)n_layers + 1, 1);
    if (!set) {
        free(c);
        return drt_error(DRT_STATUS_OOM, "cuda: out of memory");
    }
    for (uint32_t i = 0; i < h.n_convs; i++)
        if (c[i].layer >= 0 && c[i].layer < n_layers)
            set[c[i].layer] = (c[i].step > 0 ? CU_PLAN_INT8 : 0) | (c[i].int8_out ? CU_PLAN_HANDS_INT8 : 0) |
                              (c[i].step > 0 && c[i].asym ? CU_PLAN_ZERO_POINT : 0);
    free(c);
    *out = set;
    return DRT_OK;
}

drt_status drt_cuda_plan_apply(cu_engine *g, const void *blob, size_t size)
{
    blob_header h;
    blob_conv *c;
    DRT_TRY(read_section(blob, size, "plan", &h, &c));
    drt_status s = DRT_OK;
    drt_precision mine = g->int8 ? DRT_PREC_INT8 : g->half ? DRT_PREC_FP16 : DRT_PREC_FP32;
    if (strcmp(h.gpu, g->gpu_name) != 0)
        s = drt_error(DRT_STATUS_UNSUPPORTED, "plan: built for GPU '%s', device %d is '%s': rebuild the plan", h.gpu, g->dev, g->gpu_name);
    else if (h.precision != (int32_t)mine || h.max_batch != g->max_batch)
        s = drt_error(DRT_STATUS_FORMAT, "plan: CUDA section is for %s batch %d, the engine is %s batch %d",
                      (unsigned)h.precision < DRT_PREC_COUNT ? drt_precision_name((drt_precision)h.precision) : "?",
                      h.max_batch, drt_precision_name(mine), g->max_batch);
    for (uint32_t i = 0; s == DRT_OK && i < h.n_convs; i++) {
        const blob_conv *b = &c[i];
        for (int j = 0; s == DRT_OK && j < g->n_convs; j++)
            if (g->convs[j].layer == b->layer && ((b->algo >= 0 && b->algo < CUDNN_CONVOLUTION_FWD_ALGO_COUNT) ||
                                                  (b->algo >= CU_ALGO_FUSED && b->algo < CU_ALGO_FUSED + 64))) {
                g->convs[j].algo_max = b->algo;
                g->convs[j].math_max = b->math;
                g->convs[j].json = b->json; /* in the section: read while the engine is made */
                g->convs[j].json_len = b->json_len;
                if (g->convs[j].int8) {
                    if (!(b->step > 0) || !isfinite(b->step) || b->step > 1e30f)
                        s = drt_error(DRT_STATUS_FORMAT, "plan: CUDA section: conv %d: int8 step %g must be a positive number",
                                      b->layer, b->step);
                    else g->convs[j].step = b->step, g->convs[j].zp = b->zp;
                }
            }
    }
    free(c);
    return s;
}
