/* darkrt's own CPU kernels on NHWC views (input conversion, maxpool, upsample, channel copies,
 * unfused shortcut / batchnorm / activation, head output, avgpool, scale_channels / sam, reorg3d, reorg, local_avgpool,
 * [batchnorm]), written once and compiled per ISA:
 * cpu-kernels.c (portable) and avx512/cpu-kernels-avx512.c include this file with DRT_K naming
 * the variant. Channels are innermost, so inner loops are contiguous and vectorize; any dtype
 * converts through float. Not a translation unit of its own. */
#include "backend/cpu/cpu.h"

#include <float.h>
#include <math.h>
#include <string.h>

static inline float bf16_to_f(uint16_t v)
{
    uint32_t u = (uint32_t)v << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static inline uint16_t f_to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffff) > 0x7f800000) return (uint16_t)((u >> 16) | 0x40); /* NaN stays NaN */
    u += 0x7fff + ((u >> 16) & 1); /* round to nearest even */
    return (uint16_t)(u >> 16);
}

static inline float ld(const cpu_view *v, size_t i)
{
    switch (v->dt) {
    case CPU_F32: return ((const float *)v->p)[i];
    case CPU_BF16: return bf16_to_f(((const uint16_t *)v->p)[i]);
    case CPU_S8: return ((const int8_t *)v->p)[i] * v->step;
    default: return (((const uint8_t *)v->p)[i] - v->zp) * v->step;
    }
}

static inline void st(const cpu_view *v, size_t i, float x)
{
    switch (v->dt) {
    case CPU_F32: ((float *)v->p)[i] = x; break;
    case CPU_BF16: ((uint16_t *)v->p)[i] = f_to_bf16(x); break;
    case CPU_S8: {
        float q = nearbyintf(x / v->step);
        ((int8_t *)v->p)[i] = (int8_t)(q < 127.f ? (q > -128.f ? q : -128.f) : 127.f); /* NaN -> 127: no UB */
        break;
    }
    default: {
        float q = nearbyintf(x / v->step) + (float)v->zp;
        ((uint8_t *)v->p)[i] = (uint8_t)(q < 255.f ? (q > 0.f ? q : 0.f) : 255.f);
        break;
    }
    }
}


/* f32 -> s8/u8 of n values as st() stores them (x / step, nearest even, u8: + zp, saturated, NaN -> the top code),
 * without st()'s switch per value: a loop the compiler vectorizes. */
static void quantize_div(const float *restrict s, float step, int zp, cpu_dtype dt, uint8_t *restrict d, size_t n)
{
    if (dt == CPU_S8)
        for (size_t k = 0; k < n; k++) {
            float q = nearbyintf(s[k] / step);
            d[k] = (uint8_t)(int8_t)(q < 127.f ? (q > -128.f ? q : -128.f) : 127.f);
        }
    else
        for (size_t k = 0; k < n; k++) {
            float q = nearbyintf(s[k] / step) + (float)zp;
            d[k] = (uint8_t)(q < 255.f ? (q > 0.f ? q : 0.f) : 255.f);
        }
}

/* One run of n values from in (index ii) to out (index oi), converting; the common pairs get
 * loops the compiler vectorizes. f32 -> s8 multiplies by 1 / step and s8 -> s8 (u8 -> u8) by in / out step where st(),
 * quantize_div and the requant tables divide: a value next to a rounding boundary can get the neighbouring
 * code. Kept on measurement (session 13): dividing here too moved 14% of the default int8 plan's head values
 * on 7 photos, held-out mAP@0.5 unchanged within its noise (bench/int8-heldout.sh, 6 pairings: mean 0.9588 ->
 * 0.9595, smallest 0.9272 -> 0.9222) and the plan 0.7% slower (fastest of 5 x 40 runs, 1 thread). */
static void convert_run(const cpu_view *in, size_t ii, const cpu_view *out, size_t oi, size_t n)
{
    if (in->dt == CPU_F32 && out->dt == CPU_S8) {
        const float *s = (const float *)in->p + ii;
        int8_t *d = (int8_t *)out->p + oi;
        float inv = 1.f / out->step;
        for (size_t k = 0; k < n; k++) {
            float q = nearbyintf(s[k] * inv);
            d[k] = (int8_t)(q < 127.f ? (q > -128.f ? q : -128.f) : 127.f); /* NaN -> 127, as a select: vectorizes */
        }
    } else if (in->dt == CPU_S8 && out->dt == CPU_F32) {
        const int8_t *s = (const int8_t *)in->p + ii;
        float *d = (float *)out->p + oi, step = in->step;
        for (size_t k = 0; k < n; k++) d[k] = s[k] * step;
    } else if (in->dt == CPU_S8 && out->dt == CPU_S8) {
        const int8_t *s = (const int8_t *)in->p + ii;
        int8_t *d = (int8_t *)out->p + oi;
        float r = in->step / out->step;
        for (size_t k = 0; k < n; k++) {
            float q = nearbyintf(s[k] * r);
            d[k] = (int8_t)(q < 127.f ? (q > -128.f ? q : -128.f) : 127.f);
        }
    } else if (in->dt == CPU_U8 && out->dt == CPU_U8) { /* as s8 -> s8, less and plus the zero points (asym) */
        const uint8_t *s = (const uint8_t *)in->p + ii;
        uint8_t *d = (uint8_t *)out->p + oi;
        const float r = in->step / out->step, zo = (float)out->zp;
        const int zi = in->zp;
        for (size_t k = 0; k < n; k++) {
            float q = nearbyintf((s[k] - zi) * r) + zo;
            d[k] = (uint8_t)(q < 255.f ? (q > 0.f ? q : 0.f) : 255.f);
        }
    } else if (in->dt == CPU_U8 && out->dt == CPU_F32) { /* ld's arithmetic, less the zero point */
        const uint8_t *s = (const uint8_t *)in->p + ii;
        float *d = (float *)out->p + oi, step = in->step;
        const int zp = in->zp;
        for (size_t k = 0; k < n; k++) d[k] = (s[k] - zp) * step;
    } else if (in->dt == CPU_F32 && out->dt == CPU_U8) {
        quantize_div((const float *)in->p + ii, out->step, out->zp, CPU_U8, (uint8_t *)out->p + oi, n);
    } else {
        for (size_t k = 0; k < n; k++) st(out, oi + k, ld(in, ii + k));
    }
}

static int same_code(const cpu_view *a, const cpu_view *b)
{
    return a->dt == b->dt && (a->dt == CPU_F32 || a->dt == CPU_BF16 || (a->step == b->step && a->zp == b->zp));
}

static int is_8bit(cpu_dtype d) { return d == CPU_S8 || d == CPU_U8; }

/* The byte st(out, ld(in, code)) stores, for every byte code of `in` (both views 8-bit): a requantization
 * from one step to another as one lookup, the same bytes as the float path. */
static void requant_table(const cpu_view *in, const cpu_view *out, uint8_t t[256])
{
    union { float f; uint8_t b[4]; } ib = {0}, ob = {0}; /* float-sized: ld and st have f32 cases */
    cpu_view iv = *in, ov = *out;
    iv.p = (char *)ib.b;
    ov.p = (char *)ob.b;
    for (int b = 0; b < 256; b++) {
        ib.b[0] = (uint8_t)b;
        st(&ov, 0, ld(&iv, 0));
        t[b] = ob.b[0];
    }
}


#define INPUT_RUN 2048

/* Planes `plane` values apart (a band of rows: nchw at its first pixel). */
static void DRT_K(drt_cpu_input)(const float *nchw, size_t plane, const cpu_view *out)
{
    size_t hw = (size_t)out->h * out->w;
    if (out->dt == CPU_F32) { /* the common case without st()'s switch per value (4% of a yolo-fastest run) */
        float *restrict o = (float *)out->p;
        if (out->c == 3 && out->cs == 3) { /* RGB: shuffles, not a loop of 3 per pixel */
            const float *restrict r = nchw, *restrict g = nchw + plane, *restrict b = nchw + 2 * plane;
            for (size_t px = 0; px < hw; px++) {
                o[3 * px] = r[px];
                o[3 * px + 1] = g[px];
                o[3 * px + 2] = b[px];
            }
        } else
            for (size_t px = 0; px < hw; px++)
                for (int c = 0; c < out->c; c++) o[px * out->cs + c] = nchw[(size_t)c * plane + px];
        return;
    }
    if (is_8bit(out->dt) && out->c <= INPUT_RUN) { /* int8 engines: planes quantized in runs, then interleaved */
        uint8_t q[INPUT_RUN];
        const int nc = out->c;
        const size_t cs = (size_t)out->cs, run = INPUT_RUN / (size_t)nc;
        for (size_t px0 = 0; px0 < hw; px0 += run) {
            size_t n = hw - px0 < run ? hw - px0 : run;
            for (int c = 0; c < nc; c++) quantize_div(nchw + (size_t)c * plane + px0, out->step, out->zp, out->dt, q + (size_t)c * n, n);
            uint8_t *restrict o = (uint8_t *)out->p + px0 * cs;
            if (nc == 3 && cs == 3) /* RGB: a loop the compiler turns into shuffles */
                for (size_t k = 0; k < n; k++) {
                    o[3 * k] = q[k];
                    o[3 * k + 1] = q[n + k];
                    o[3 * k + 2] = q[2 * n + k];
                }
            else
                for (int c = 0; c < nc; c++)
                    for (size_t k = 0; k < n; k++) o[k * cs + c] = q[(size_t)c * n + k];
        }
        return;
    }
    for (size_t px = 0; px < hw; px++)
        for (int c = 0; c < out->c; c++) st(out, px * out->cs + c, nchw[(size_t)c * plane + px]);
}

#define HEAD_TILE 16

static void DRT_K(drt_cpu_head)(const cpu_view *in, float *nchw, size_t plane)
{
    size_t hw = (size_t)in->h * in->w;
    if (in->dt == CPU_F32) { /* a transpose in tiles: each tile's rows and columns stay in cache */
        const float *s = (const float *)in->p;
        for (size_t p0 = 0; p0 < hw; p0 += HEAD_TILE)
            for (int c0 = 0; c0 < in->c; c0 += HEAD_TILE) {
                size_t p1 = hw - p0 < HEAD_TILE ? hw : p0 + HEAD_TILE;
                int c1 = in->c - c0 < HEAD_TILE ? in->c : c0 + HEAD_TILE;
                for (int c = c0; c < c1; c++)
                    for (size_t px = p0; px < p1; px++) nchw[(size_t)c * plane + px] = s[px * in->cs + c];
            }
        return;
    }
    for (size_t px = 0; px < hw; px++)
        for (int c = 0; c < in->c; c++) nchw[(size_t)c * plane + px] = ld(in, px * in->cs + c);
}

/* Same-code maxpool rows: the max over the window per channel, in the stored code. The views' fields
 * are read once into locals and the rows are restrict: an 8-bit store may alias anything, so the
 * compiler otherwise reloads out->c on every value and leaves the s8 loop scalar. */
#define MAXPOOL_SAME(T, cmp_t)                                                                     \
    static void max_into_##T(cmp_t *restrict o, const cmp_t *restrict s, int n)                    \
    {                                                                                              \
        for (int c = 0; c < n; c++) o[c] = s[c] > o[c] ? s[c] : o[c];                              \
    }                                                                                              \
    static void maxpool_##T(const drt_layer *l, const cpu_view *in, const cpu_view *out, int y0, int y1) \
    {                                                                                              \
        const int off = -l->padding / 2, size = l->size, sy = l->stride_y, sx = l->stride;         \
        const int nc = out->c, ow = out->w, ih = in->h, iw = in->w;                                \
        const size_t ocs = (size_t)out->cs, ics = (size_t)in->cs;                                  \
        cmp_t *const op = (cmp_t *)out->p;                                                         \
        const cmp_t *const ip = (const cmp_t *)in->p;                                              \
        for (int oy = y0; oy < y1; oy++)                                                           \
            for (int ox = 0; ox < ow; ox++) {                                                      \
                cmp_t *o = op + ((size_t)oy * ow + ox) * ocs;                                      \
                int first = 1;                                                                     \
                for (int ky = 0; ky < size; ky++) {                                                \
                    int y = oy * sy + off + ky;                                                    \
                    if (y < 0 || y >= ih) continue;                                                \
                    for (int kx = 0; kx < size; kx++) {                                            \
                        int x = ox * sx + off + kx;                                                \
                        if (x < 0 || x >= iw) continue;                                            \
                        const cmp_t *s = ip + ((size_t)y * iw + x) * ics;                          \
                        if (first) memcpy(o, s, sizeof(cmp_t) * (size_t)nc);                       \
                        else max_into_##T(o, s, nc);                                               \
                        first = 0;                                                                 \
                    }                                                                              \
                }                                                                                  \
                if (first) memset(o, in->zp, sizeof(cmp_t) * (size_t)nc); /* the value 0 */           \
            }                                                                                      \
    }
MAXPOOL_SAME(f32, float)
MAXPOOL_SAME(s8, int8_t)
MAXPOOL_SAME(u8, uint8_t)

static void maxpool_any(const drt_layer *l, const cpu_view *in, const cpu_view *out, int y0, int y1)
{
    int off = -l->padding / 2;
    for (int oy = y0; oy < y1; oy++)
        for (int ox = 0; ox < out->w; ox++)
            for (int c = 0; c < out->c; c++) {
                float m = -FLT_MAX;
                for (int ky = 0; ky < l->size; ky++) {
                    int y = oy * l->stride_y + off + ky;
                    if (y < 0 || y >= in->h) continue;
                    for (int kx = 0; kx < l->size; kx++) {
                        int x = ox * l->stride + off + kx;
                        if (x < 0 || x >= in->w) continue;
                        float v = ld(in, ((size_t)y * in->w + x) * in->cs + c);
                        m = v > m ? v : m;
                    }
                }
                st(out, ((size_t)oy * out->w + ox) * out->cs + c, m == -FLT_MAX ? 0 : m);
            }
}

#define MAXPOOL_CHUNK 256

/* f32 into an 8-bit view (an fp32 conv's output pooled into an int8 concat): maxpool_any's max per channel
 * (from -FLT_MAX: an empty window gives 0), in chunks of channels, then quantized as st() does. */
static void maxpool_f32_to8(const drt_layer *l, const cpu_view *in, const cpu_view *out, int y0, int y1)
{
    float m[MAXPOOL_CHUNK];
    const int off = -l->padding / 2;
    for (int oy = y0; oy < y1; oy++)
        for (int ox = 0; ox < out->w; ox++)
            for (int c0 = 0; c0 < out->c; c0 += MAXPOOL_CHUNK) {
                int n = out->c - c0 < MAXPOOL_CHUNK ? out->c - c0 : MAXPOOL_CHUNK;
                for (int c = 0; c < n; c++) m[c] = -FLT_MAX;
                for (int ky = 0; ky < l->size; ky++) {
                    int y = oy * l->stride_y + off + ky;
                    for (int kx = 0; kx < l->size && y >= 0 && y < in->h; kx++) {
                        int x = ox * l->stride + off + kx;
                        if (x < 0 || x >= in->w) continue;
                        const float *restrict s = (const float *)in->p + ((size_t)y * in->w + x) * in->cs + c0;
                        for (int c = 0; c < n; c++) m[c] = s[c] > m[c] ? s[c] : m[c];
                    }
                }
                for (int c = 0; c < n; c++) m[c] = m[c] == -FLT_MAX ? 0 : m[c];
                quantize_div(m, out->step, out->zp, out->dt, (uint8_t *)out->p + ((size_t)oy * out->w + ox) * out->cs + c0, (size_t)n);
            }
}

/* Output rows y0..y1-1 (callers split rows over threads). */
/* AlexeyAB's maxpool_depth: out channel g is the max over input channels g, g + n, ... (n out channels). */
static void maxpool_depth(const cpu_view *in, const cpu_view *out, int y0, int y1)
{
    for (size_t px = (size_t)y0 * out->w; px < (size_t)y1 * out->w; px++)
        for (int g = 0; g < out->c; g++) {
            float m = -FLT_MAX;
            for (int k = g; k < in->c; k += out->c) {
                float v = ld(in, px * in->cs + k);
                m = v > m ? v : m;
            }
            st(out, px * out->cs + g, m);
        }
}

static void DRT_K(drt_cpu_maxpool)(const drt_layer *l, const cpu_view *in, const cpu_view *out, int y0, int y1)
{
    if (l->depth_channels) maxpool_depth(in, out, y0, y1);
    else if (same_code(in, out) && in->dt == CPU_F32) maxpool_f32(l, in, out, y0, y1);
    else if (same_code(in, out) && in->dt == CPU_S8) maxpool_s8(l, in, out, y0, y1);
    else if (same_code(in, out) && in->dt == CPU_U8) maxpool_u8(l, in, out, y0, y1);
    else if (in->dt == CPU_F32 && is_8bit(out->dt)) maxpool_f32_to8(l, in, out, y0, y1);
    else if (is_8bit(in->dt) && is_8bit(out->dt)) { /* another code (a concat's): max in the input's code, then requantize */
        uint8_t t[256];
        requant_table(in, out, t);
        if (in->dt == CPU_S8) maxpool_s8(l, in, out, y0, y1);
        else maxpool_u8(l, in, out, y0, y1);
        for (size_t px = (size_t)y0 * out->w; px < (size_t)y1 * out->w; px++) {
            uint8_t *o = (uint8_t *)out->p + px * out->cs;
            for (int c = 0; c < out->c; c++) o[c] = t[o[c]];
        }
    }
    else maxpool_any(l, in, out, y0, y1);
}

static void DRT_K(drt_cpu_upsample)(int stride, const cpu_view *in, const cpu_view *out)
{
    size_t es = cpu_dtype_size(out->dt);
    int same = same_code(in, out), table = !same && is_8bit(in->dt) && is_8bit(out->dt);
    uint8_t t[256];
    if (table) requant_table(in, out, t);
    for (int y = 0; y < in->h; y++) {
        /* expand one input row into the first output row, then replicate that row */
        char *row0 = out->p + (size_t)y * stride * out->w * out->cs * es;
        for (int x = 0; x < in->w; x++) {
            size_t si = ((size_t)y * in->w + x) * in->cs;
            for (int k = 0; k < stride; k++) {
                size_t di = ((size_t)x * stride + k) * out->cs;
                if (same) memcpy(row0 + di * es, in->p + si * es, es * (size_t)in->c);
                else if (table)
                    for (int c = 0; c < in->c; c++) ((uint8_t *)row0)[di + c] = t[((const uint8_t *)in->p)[si + c]];
                else {
                    cpu_view o = *out;
                    o.p = row0;
                    for (int c = 0; c < in->c; c++) st(&o, di + c, ld(in, si + c));
                }
            }
        }
        size_t row_bytes = (size_t)out->w * out->cs * es;
        for (int k = 1; k < stride; k++) {
            if (out->cs == out->c) memcpy(row0 + k * row_bytes, row0, row_bytes);
            else for (int x = 0; x < out->w; x++)
                memcpy(row0 + k * row_bytes + (size_t)x * out->cs * es, row0 + (size_t)x * out->cs * es, (size_t)out->c * es);
        }
    }
}

static void DRT_K(drt_cpu_copy_channels)(const cpu_view *in, int c0, const cpu_view *out)
{
    size_t hw = (size_t)out->h * out->w, es = cpu_dtype_size(out->dt);
    int same = same_code(in, out);
    /* s8 <-> u8 (asym activations: an s8 tensor copied into a u8 concat): one lookup a value, the bytes of
     * st(ld()); s8 -> s8 and u8 -> u8 by convert_run's arithmetic (it vectorizes) */
    int table = !same && is_8bit(in->dt) && is_8bit(out->dt) && in->dt != out->dt;
    uint8_t t[256];
    if (table) {
        requant_table(in, out, t);
        for (size_t px = 0; px < hw; px++) {
            const uint8_t *restrict i = (const uint8_t *)in->p + px * in->cs + c0;
            uint8_t *restrict o = (uint8_t *)out->p + px * out->cs;
            for (int c = 0; c < out->c; c++) o[c] = t[i[c]];
        }
        return;
    }
    if (!same && c0 == 0 && in->cs == in->c && out->cs == out->c && in->c == out->c) { /* dense: one run */
        convert_run(in, 0, out, 0, hw * (size_t)out->c);
        return;
    }
    for (size_t px = 0; px < hw; px++) {
        if (same) memcpy(out->p + px * out->cs * es, in->p + (px * in->cs + c0) * es, (size_t)out->c * es);
        else convert_run(in, px * in->cs + c0, out, px * out->cs, out->c);
    }
}

/* Darknet's shortcut_cpu: out = act(a + b) over the common channels, b sampled by stride. */
static void DRT_K(drt_cpu_shortcut)(drt_act act, const cpu_view *a, const cpu_view *b, const cpu_view *out)
{
    int stride = b->w / a->w > 0 ? b->w / a->w : 1, sample = a->w / b->w > 0 ? a->w / b->w : 1;
    int mc = a->c < b->c ? a->c : b->c;
    size_t hw = (size_t)a->h * a->w;
    for (size_t px = 0; px < hw; px++)
        for (int c = 0; c < a->c; c++) st(out, px * out->cs + c, ld(a, px * a->cs + c));
    int mh = a->h < b->h ? a->h : b->h, mw = a->w < b->w ? a->w : b->w;
    for (int y = 0; y < mh; y++)
        for (int x = 0; x < mw; x++)
            for (int c = 0; c < mc; c++) {
                size_t oi = ((size_t)(y * sample) * a->w + x * sample) * out->cs + c;
                size_t bi = ((size_t)(y * stride) * b->w + x * stride) * b->cs + c;
                st(out, oi, ld(out, oi) + ld(b, bi));
            }
    if (act != DRT_ACT_LINEAR)
        for (size_t px = 0; px < hw; px++)
            for (int c = 0; c < a->c; c++) st(out, px * out->cs + c, drt_act_apply(act, ld(out, px * out->cs + c)));
}

static void DRT_K(drt_cpu_bn_act)(const float *mul, const float *add, drt_act act, const cpu_view *v)
{
    size_t hw = (size_t)v->h * v->w;
    for (size_t px = 0; px < hw; px++)
        for (int c = 0; c < v->c; c++) {
            size_t i = px * v->cs + c;
            float x = ld(v, i);
            if (mul) x = x * mul[c] + add[c];
            st(v, i, drt_act_apply(act, x));
        }
}

#define ADD_CHUNK 256

/* out = in + old, f32 + s8 into s8 (an fp32 conv's residual add into an int8 tensor, old and out the same
 * buffer): ld's and st's arithmetic, in chunks through floats so that the loops vectorize. */
static void add_f32_s8(const cpu_view *in, const cpu_view *old, const cpu_view *out)
{
    float t[ADD_CHUNK];
    const float step = old->step;
    for (size_t px = 0; px < (size_t)out->h * out->w; px++)
        for (int c0 = 0; c0 < out->c; c0 += ADD_CHUNK) {
            int n = out->c - c0 < ADD_CHUNK ? out->c - c0 : ADD_CHUNK;
            { /* restrict ends before quantize_div writes the bytes a read (out is old's buffer) */
                const float *restrict s = (const float *)in->p + px * in->cs + c0;
                const int8_t *restrict a = (const int8_t *)old->p + px * old->cs + c0;
                for (int k = 0; k < n; k++) t[k] = s[k] + a[k] * step;
            }
            quantize_div(t, out->step, 0, CPU_S8, (uint8_t *)out->p + px * out->cs + c0, (size_t)n);
        }
}

/* out = act(in + old) or out = act(in) (old NULL): a conv result converted into its place; old
 * is the tensor being added in place (same buffer as out, possibly another quantization step). */
static void DRT_K(drt_cpu_add_into)(const cpu_view *in, const cpu_view *old, const cpu_view *out, drt_act act)
{
    size_t hw = (size_t)out->h * out->w;
    if (!old && act == DRT_ACT_LINEAR && in->cs == in->c && out->cs == out->c) { /* dense: one run, not one per pixel */
        convert_run(in, 0, out, 0, hw * (size_t)out->c);
        return;
    }
    if (!old && act == DRT_ACT_LINEAR) {
        for (size_t px = 0; px < hw; px++) convert_run(in, px * in->cs, out, px * out->cs, out->c);
        return;
    }
    if (old && act == DRT_ACT_LINEAR && in->dt == CPU_F32 && old->dt == CPU_S8 && out->dt == CPU_S8) {
        add_f32_s8(in, old, out);
        return;
    }
    for (size_t px = 0; px < hw; px++)
        for (int c = 0; c < out->c; c++) {
            size_t o = px * out->cs + c;
            float v = ld(in, px * in->cs + c) + (old ? ld(old, px * old->cs + c) : 0.f);
            st(out, o, act == DRT_ACT_LINEAR ? v : drt_act_apply(act, v));
        }
}

/* [avgpool]: each channel's mean, summed in float in pixel order as AlexeyAB's forward_avgpool_layer. */
static void DRT_K(drt_cpu_avgpool)(const cpu_view *in, const cpu_view *out)
{
    size_t hw = (size_t)in->h * in->w;
    for (int c = 0; c < in->c; c++) {
        float sum = 0;
        for (size_t px = 0; px < hw; px++) sum += ld(in, px * in->cs + c);
        st(out, (size_t)c, sum / (float)hw);
    }
}

/* [scale_channels] (a: one factor per channel, 1 x 1) and [sam] (a: b's shape): act(a * b). */
static void DRT_K(drt_cpu_product)(drt_act act, int per_channel, const cpu_view *a, const cpu_view *b, const cpu_view *out)
{
    size_t hw = (size_t)out->h * out->w;
    for (size_t px = 0; px < hw; px++)
        for (int c = 0; c < out->c; c++) {
            float f = ld(a, per_channel ? (size_t)c : px * a->cs + c);
            st(out, px * out->cs + c, drt_act_apply(act, f * ld(b, px * b->cs + c)));
        }
}

/* [reorg3d]: space to depth by s, out channel (dy*s + dx)*c + c_in. */
static void DRT_K(drt_cpu_reorg3d)(int s, const cpu_view *in, const cpu_view *out)
{
    for (int j = 0; j < out->h; j++)
        for (int i = 0; i < out->w; i++)
            for (int k = 0; k < out->c; k++) {
                int c2 = k % in->c, off = k / in->c;
                size_t src = ((size_t)(j * s + off / s) * in->w + (size_t)(i * s + off % s)) * in->cs + c2;
                st(out, ((size_t)j * out->w + i) * out->cs + k, ld(in, src));
            }
}

/* YOLOv2's [reorg] (AlexeyAB's reorg_old): the input read as c/s^2 x h*s x w*s, Darknet's index order, on
 * flat CHW indices of each tensor's own shape (in: c x h x w, out: c*s*s x h/s x w/s). */
static void DRT_K(drt_cpu_reorg)(int s, const cpu_view *in, const cpu_view *out)
{
    size_t hw = (size_t)in->h * in->w, ohw = (size_t)out->h * out->w;
    int out_c = in->c / (s * s);
    for (int k = 0; k < in->c; k++)
        for (int j = 0; j < in->h; j++)
            for (int i = 0; i < in->w; i++) {
                int c2 = k % out_c, off = k / out_c;
                size_t w2 = (size_t)i * s + off % s, h2 = (size_t)j * s + off / s;
                size_t y = (size_t)i + in->w * ((size_t)j + in->h * (size_t)k); /* flat in out's CHW order */
                size_t x = w2 + (size_t)in->w * s * (h2 + (size_t)in->h * s * c2);
                size_t yc = y / ohw, yp = y % ohw, xc = x / hw, xp = x % hw;
                st(out, yp * out->cs + yc, ld(in, xp * in->cs + xc));
            }
}

/* [local_avgpool]: maxpool's window, the mean of its values inside the input (float sum in window order). */
static void DRT_K(drt_cpu_local_avgpool)(const drt_layer *l, const cpu_view *in, const cpu_view *out)
{
    int off = -l->padding / 2;
    for (int oy = 0; oy < out->h; oy++)
        for (int ox = 0; ox < out->w; ox++)
            for (int c = 0; c < out->c; c++) {
                float sum = 0;
                int count = 0;
                for (int ky = 0; ky < l->size; ky++) {
                    int y = oy * l->stride_y + off + ky;
                    for (int kx = 0; kx < l->size && y >= 0 && y < in->h; kx++) {
                        int x = ox * l->stride + off + kx;
                        if (x < 0 || x >= in->w) continue;
                        sum += ld(in, ((size_t)y * in->w + x) * in->cs + c);
                        count++;
                    }
                }
                st(out, ((size_t)oy * out->w + ox) * out->cs + c, sum / (float)count);
            }
}

/* [batchnorm]: out = in * mul + add per channel. */
static void DRT_K(drt_cpu_affine)(const float *mul, const float *add, const cpu_view *in, const cpu_view *out)
{
    size_t hw = (size_t)out->h * out->w;
    for (size_t px = 0; px < hw; px++)
        for (int c = 0; c < out->c; c++) st(out, px * out->cs + c, ld(in, px * in->cs + c) * mul[c] + add[c]);
}

#define WSUM_CHUNK 256

/* wsum's step for one input on m channels from index i: acc = (or first: +=) x times w (w NULL: 1; per
 * channel: w[c], else w[0]); one branch per input and chunk, loops the compiler vectorizes. */
static void wsum_input(const cpu_view *in, size_t i, int m, const float *w, int per_channel, int first, float *acc)
{
    float x[WSUM_CHUNK];
    const float *v = x;
    if (in->dt == CPU_F32) v = (const float *)in->p + i;
    else for (int c = 0; c < m; c++) x[c] = ld(in, i + c);
    float wk = w && !per_channel ? w[0] : 1.f;
    if (w && per_channel && first) for (int c = 0; c < m; c++) acc[c] = v[c] * w[c];
    else if (w && per_channel) for (int c = 0; c < m; c++) acc[c] += v[c] * w[c];
    else if (w && first) for (int c = 0; c < m; c++) acc[c] = v[c] * wk;
    else if (w) for (int c = 0; c < m; c++) acc[c] += v[c] * wk;
    else if (first) memcpy(acc, v, sizeof(float) * (size_t)m);
    else for (int c = 0; c < m; c++) acc[c] += v[c];
}

/* AlexeyAB's weighted or multi-input [shortcut]: out = act(sum over inputs k of w[k x step + c] x in_k) on the
 * channels each input has (w NULL: unweighted; step: c per channel, else 1), input 0 first then each in order
 * as shortcut_multilayer_cpu; chunks of channels per pixel. */
static void DRT_K(drt_cpu_wsum)(int n, const cpu_view *ins, const float *w, int step, drt_act act, const cpu_view *out)
{
    float acc[WSUM_CHUNK];
    size_t hw = (size_t)out->h * out->w;
    for (size_t px = 0; px < hw; px++)
        for (int c0 = 0; c0 < out->c; c0 += WSUM_CHUNK) {
            int m = out->c - c0 < WSUM_CHUNK ? out->c - c0 : WSUM_CHUNK;
            for (int k = 0; k < n; k++) {
                int mk = ins[k].c - c0 < m ? ins[k].c - c0 : m; /* input 0 has them all (the output's shape) */
                const float *wk = w ? w + (size_t)k * step + (step > 1 ? c0 : 0) : NULL;
                if (mk > 0) wsum_input(&ins[k], px * ins[k].cs + c0, mk, wk, step > 1, k == 0, acc);
            }
            if (act != DRT_ACT_LINEAR)
                for (int c = 0; c < m; c++) acc[c] = drt_act_apply(act, acc[c]);
            if (out->dt == CPU_F32) memcpy((float *)out->p + px * out->cs + c0, acc, sizeof(float) * (size_t)m);
            else for (int c = 0; c < m; c++) st(out, px * out->cs + c0 + c, acc[c]);
        }
}

const cpu_kernels DRT_K(drt_cpu_kernels) = {
    DRT_K(drt_cpu_input), DRT_K(drt_cpu_maxpool), DRT_K(drt_cpu_upsample), DRT_K(drt_cpu_copy_channels),
    DRT_K(drt_cpu_shortcut), DRT_K(drt_cpu_add_into), DRT_K(drt_cpu_bn_act), DRT_K(drt_cpu_head),
    DRT_K(drt_cpu_avgpool), DRT_K(drt_cpu_product), DRT_K(drt_cpu_reorg3d),
    DRT_K(drt_cpu_reorg), DRT_K(drt_cpu_local_avgpool), DRT_K(drt_cpu_affine), DRT_K(drt_cpu_wsum),
};
