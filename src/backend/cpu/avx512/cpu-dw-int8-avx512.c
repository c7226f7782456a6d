/* darkrt's int8 depthwise convolution (AVX-512 VNNI), for the NHWC s8/u8 tensors of the CPU engine's
 * int8 plans. oneDNN 2.6's int8 depthwise (jit_int8) is no faster than its fp32 one and took ~37% of
 * a yolo-fastest int8 run. This one computes the same bytes: the same s8 weights, the s32 sum of
 * products (exact), then in fp32 as oneDNN's epilogue does, (sum + bias) x scale, the fused leaky/relu
 * (x > 0 ? x : x alpha), and for s8 outputs saturation to [-128, 127] and rounding to nearest even
 * (tests/unit/cpu-dw-int8.c compares the two byte for byte). Only reached where cpu-conv.c's
 * drt_cpu_dw8_allowed() saw AVX-512 VNNI at run time.
 *
 * vpdpbusd multiplies 4 u8 by 4 s8 and adds the 4 products to an s32 lane. Each input row, once per
 * band of output rows, becomes a row of "quads": lane q holds the u8 inputs at q, q + c, q + 2c, q + 3c
 * (padded-row lanes: 4 horizontal taps of one channel; s8 inputs are offset by 128, and the sum starts
 * at -128 x the channel's weight sum, so it stays exact). A 3x3 kernel is then 3 vpdpbusd per 16 outputs,
 * a 5x5 one 10. Rows sit in a ring (row iy in slot iy % k). At stride 2 the quads are made of the row's
 * even and odd pixels (taps 0..3 of output pixel x: even x, odd x, even x + 1, odd x + 1). Either way an
 * output row of ow x c values is one run of lanes (output lane o reads quad lane o), so 8 or 24 channels
 * fill whole vectors; weights, biases and scales repeat every lcm(c, 16) lanes, and the lanes of one phase
 * are done together with their weights in registers. */
#include "backend/cpu/cpu.h"
#include "backend/cpu/cpu-parallel.h"
#include "core/error.h"

#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#define G_MAX ((DRT_CPU_DW8_MAXK + 3) / 4) /* quads per kernel row */

struct cpu_dw8 {
    cpu_dw8_desc d;
    int g;                 /* quads per kernel row: ceil(k / 4) */
    int period;            /* lanes after which weights, biases and scales repeat (a multiple of 16) */
    int32_t *w;            /* [period / 16][k][g][16]: 4 s8 weights per lane (taps 4j..4j+3 of a kernel row) */
    int32_t *comp;         /* [period]: the sum's start, -128 x the channel's weight sum for s8 inputs, else 0 */
    float *bias, *scale;   /* [period] */
    float *cbias, *cscale; /* per channel */
    size_t lanes;          /* quad lanes per row, a multiple of 64 */
    size_t srow;           /* bytes of a padded s8 row, with the slack the quads read past its end */
};

static int gcd(int a, int b) { return b ? gcd(b, a % b) : a; }

/* Pixels of a quad row: the padded row's (stride 1) or its even ones' (stride 2). */
static size_t qpixels(const cpu_dw8_desc *d) { return (size_t)(d->w + 2 * d->pad + d->stride - 1) / d->stride; }
/* Quad lanes per row (whole groups of 64: make_quads' step); bytes of the s8 row (stride 1) or of each of
 * the even and odd pixels' rows (stride 2), with the slack make_quads reads past them. */
static size_t lanes_of(const cpu_dw8_desc *d) { return (qpixels(d) * d->c + 63) / 64 * 64; }
static size_t srow_of(const cpu_dw8_desc *d) { return (lanes_of(d) + (size_t)3 * d->c + 64 + 63) / 64 * 64; }
/* A row's last blocks read up to 15 lanes, and a second quad group (k > 4) 4c more, past the quad row: into the
 * next quad slot, or after the last (the zero row) into the s8 row buffer, lanes that are masked out. Nothing
 * reads past the buffers: this reservation is slack, not needed (kept: it leaves which convs fit unchanged). */
static size_t over_of(const cpu_dw8_desc *d) { return 4 * (16 + (size_t)4 * d->c); }

int drt_cpu_dw8_fits(const cpu_dw8_desc *d)
{
    return d->k >= 1 && d->k <= DRT_CPU_DW8_MAXK && (d->stride == 1 || d->stride == 2) && d->pad >= 0 && d->pad < d->k &&
           d->c >= 1 && (d->oh - 1) * d->stride + d->k <= d->h + 2 * d->pad && (d->ow - 1) * d->stride + d->k <= d->w + 2 * d->pad &&
           (size_t)(d->k + 1) * lanes_of(d) * 4 + (size_t)d->stride * srow_of(d) + over_of(d) <= DRT_CPU_DW8_STACK &&
           (d->in_dt == CPU_S8 || d->in_dt == CPU_U8) && (d->out_dt == CPU_S8 || d->out_dt == CPU_F32);
}

/* Lane j of a period is channel j % c. */
static int lane_channel(const cpu_dw8 *p, int j) { return j % p->d.c; }

static void expand(cpu_dw8 *p)
{
    for (int j = 0; j < p->period; j++) {
        int ch = lane_channel(p, j);
        p->bias[j] = p->cbias[ch];
        p->scale[j] = p->cscale[ch];
    }
}

static void pack_weights(cpu_dw8 *p, const int8_t *w)
{
    int k = p->d.k, g = p->g;
    for (int j = 0; j < p->period; j++) {
        int ch = lane_channel(p, j), sum = 0;
        for (int ky = 0; ky < k; ky++)
            for (int q = 0; q < g; q++) {
                uint32_t v = 0;
                for (int t = 0; t < 4; t++) {
                    int kx = 4 * q + t;
                    int8_t x = kx < k ? w[((size_t)ch * k + ky) * k + kx] : 0;
                    v |= (uint32_t)(uint8_t)x << (8 * t);
                    sum += x;
                }
                p->w[((((size_t)(j / 16) * k + ky) * g + q) * 16) + (size_t)(j % 16)] = (int32_t)v;
            }
        p->comp[j] = p->d.in_dt == CPU_S8 ? -128 * sum : 0;
    }
}

drt_status drt_cpu_dw8_create(const cpu_dw8_desc *d, const int8_t *w, const float *bias, const float *scale, cpu_dw8 **out)
{
    *out = NULL;
    DRT_ASSERT(drt_cpu_dw8_fits(d));
    cpu_dw8 *p = calloc(1, sizeof *p);
    if (!p) return drt_error(DRT_STATUS_OOM, "cpu engine: out of memory");
    p->d = *d;
    int c = d->c;
    p->g = (d->k + 3) / 4;
    p->period = c / gcd(c, 16) * 16;
    p->lanes = lanes_of(d);
    p->srow = srow_of(d);
    size_t np = (size_t)p->period;
    p->w = aligned_alloc(64, np * d->k * p->g * sizeof *p->w);
    p->comp = aligned_alloc(64, np * sizeof *p->comp);
    p->bias = aligned_alloc(64, np * sizeof(float));
    p->scale = aligned_alloc(64, np * sizeof(float));
    p->cbias = malloc((size_t)c * sizeof(float));
    p->cscale = malloc((size_t)c * sizeof(float));
    if (!p->w || !p->comp || !p->bias || !p->scale || !p->cbias || !p->cscale) {
        drt_cpu_dw8_free(p);
        return drt_error(DRT_STATUS_OOM, "cpu engine: out of memory");
    }
    memcpy(p->cbias, bias, (size_t)c * sizeof(float));
    memcpy(p->cscale, scale, (size_t)c * sizeof(float));
    pack_weights(p, w);
    expand(p);
    *out = p;
    return DRT_OK;
}

void drt_cpu_dw8_bias_add(cpu_dw8 *p, const float *delta, const float *unit)
{
    for (int f = 0; f < p->d.c; f++) p->cbias[f] += delta[f] / unit[f];
    expand(p);
}

size_t drt_cpu_dw8_weight_bytes(const cpu_dw8 *p)
{
    return (size_t)p->period * (sizeof(int32_t) * (size_t)(p->d.k * p->g + 1) + 2 * sizeof(float)) + 2 * sizeof(float) * (size_t)p->d.c;
}

void drt_cpu_dw8_free(cpu_dw8 *p)
{
    if (!p) return;
    free(p->w);
    free(p->comp);
    free(p->bias);
    free(p->scale);
    free(p->cbias);
    free(p->cscale);
    free(p);
}

/* A quad row: lane l = bytes a[l], b[l], e[l], f[l] (s8: + 128), 64 lanes at a time: bytes interleaved within
 * 128-bit chunks, then the 4x4 chunks transposed (AVX-512 BW). Stride 1: a..f are the padded row at 0, c, 2c,
 * 3c; stride 2: its even and odd pixels, E, O, E + c, O + c. */
static void make_quads(const cpu_dw8 *p, const int8_t *a, const int8_t *b, const int8_t *e, const int8_t *f, int32_t *q)
{
    __m512i flip = _mm512_set1_epi8(p->d.in_dt == CPU_S8 ? (char)0x80 : 0);
    for (size_t l = 0; l < p->lanes; l += 64) {
        __m512i va = _mm512_xor_si512(_mm512_loadu_si512(a + l), flip), vb = _mm512_xor_si512(_mm512_loadu_si512(b + l), flip);
        __m512i ve = _mm512_xor_si512(_mm512_loadu_si512(e + l), flip), vf = _mm512_xor_si512(_mm512_loadu_si512(f + l), flip);
        __m512i ab0 = _mm512_unpacklo_epi8(va, vb), ab1 = _mm512_unpackhi_epi8(va, vb);
        __m512i ef0 = _mm512_unpacklo_epi8(ve, vf), ef1 = _mm512_unpackhi_epi8(ve, vf);
        __m512i q0 = _mm512_unpacklo_epi16(ab0, ef0), q1 = _mm512_unpackhi_epi16(ab0, ef0); /* chunk k: lanes 16k+0..3, 4..7 */
        __m512i q2 = _mm512_unpacklo_epi16(ab1, ef1), q3 = _mm512_unpackhi_epi16(ab1, ef1); /* 8..11, 12..15 */
        __m512i t0 = _mm512_shuffle_i32x4(q0, q1, 0x44), t1 = _mm512_shuffle_i32x4(q0, q1, 0xee);
        __m512i t2 = _mm512_shuffle_i32x4(q2, q3, 0x44), t3 = _mm512_shuffle_i32x4(q2, q3, 0xee);
        _mm512_store_si512(q + l, _mm512_shuffle_i32x4(t0, t2, 0x88));
        _mm512_store_si512(q + l + 16, _mm512_shuffle_i32x4(t0, t2, 0xdd));
        _mm512_store_si512(q + l + 32, _mm512_shuffle_i32x4(t1, t3, 0x88));
        _mm512_store_si512(q + l + 48, _mm512_shuffle_i32x4(t1, t3, 0xdd));
    }
}

/* oneDNN's epilogue: (sum + bias) x scale, the activation (act 1: x > 0 ? x : x alpha; 2: relu, max(x, +0), so
 * -0 becomes +0), then f32 out, or s8: saturated, rounded to nearest even. act and f32 are constants per copy. */
static inline __attribute__((always_inline)) void store(__m512i acc, __m512 bias, __m512 scale, __m512 alpha, char *dst,
                                                        size_t o, __mmask16 m, const int act, const int f32)
{
    __m512 f = _mm512_mul_ps(_mm512_add_ps(_mm512_cvtepi32_ps(acc), bias), scale);
    if (act == 2) f = _mm512_max_ps(f, _mm512_setzero_ps());
    if (act == 1) f = _mm512_max_ps(f, _mm512_mul_ps(f, alpha)); /* = x > 0 ? x : x alpha for 0 < alpha < 1 (f is finite) */
    if (f32) { /* masked stores only at a row's end: they are slow on AMD Zen 4 */
        if (m == 0xffff) _mm512_storeu_ps((float *)dst + o, f);
        else _mm512_mask_storeu_ps((float *)dst + o, m, f);
        return;
    }
    /* oneDNN clamps to [-128, 127], rounds, packs; rounding first and vpmovsdb's saturation give the same bytes
     * (values below -2^31 become INT_MIN, then -128); only the top needs the clamp */
    f = _mm512_min_ps(f, _mm512_set1_ps(127.f));
    __m128i b = _mm512_cvtsepi32_epi8(_mm512_cvt_roundps_epi32(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    if (m == 0xffff) _mm_storeu_si128((__m128i *)(dst + o), b);
    else _mm_mask_storeu_epi8(dst + o, m, b);
}

/* The lanes of one phase of one output row: blocks of 16 output lanes at o, o + period, ... below n, each reading
 * the same quad lanes in each of the k quad rows (quad group j, taps 4j..4j+3, at lane + j x goff). */
static inline __attribute__((always_inline)) void phase(const cpu_dw8 *p, const int32_t *const *rows, char *dst, size_t o,
                                                        size_t n, size_t goff, const int k, const int g, const int act,
                                                        const int f32)
{
    __m512i wv[DRT_CPU_DW8_MAXK][G_MAX];
    size_t ph = o / 16, per = (size_t)p->period;
    const int32_t *w = p->w + ph * k * g * 16;
#pragma GCC unroll 7
    for (int ky = 0; ky < k; ky++)
#pragma GCC unroll 2
        for (int q = 0; q < g; q++) wv[ky][q] = _mm512_load_si512(w + (ky * g + q) * 16);
    __m512i comp = _mm512_load_si512(p->comp + ph * 16);
    __m512 bias = _mm512_load_ps(p->bias + ph * 16), scale = _mm512_load_ps(p->scale + ph * 16), alpha = _mm512_set1_ps(p->d.alpha);
    for (; o < n; o += per) {
        __m512i acc = comp;
#pragma GCC unroll 7
        for (int ky = 0; ky < k; ky++)
#pragma GCC unroll 2
            for (int q = 0; q < g; q++) acc = _mm512_dpbusd_epi32(acc, _mm512_loadu_si512(rows[ky] + o + q * goff), wv[ky][q]);
        store(acc, bias, scale, alpha, dst, o, n - o >= 16 ? 0xffff : (__mmask16)((1u << (n - o)) - 1), act, f32);
    }
}

/* One output row from its k quad rows: ow x c lanes, output lane o reading quad lane o. */
static inline __attribute__((always_inline)) void out_row(const cpu_dw8 *p, const int32_t *const *rows, char *dst, const int k,
                                                          const int g, const int act, const int f32)
{
    size_t n = (size_t)p->d.ow * p->d.c, goff = (size_t)4 * p->d.c / p->d.stride;
    for (size_t o = 0; o < (size_t)p->period && o < n; o += 16) phase(p, rows, dst, o, n, goff, k, g, act, f32);
}

/* A copy per kernel size (3, 5, others), activation and output type, so the loops hold no tests. */
#define ROW_K(act, f32)                                                           \
    switch (p->d.k) {                                                             \
    case 3: out_row(p, rows, dst, 3, 1, act, f32); break;                         \
    case 5: out_row(p, rows, dst, 5, 2, act, f32); break;                         \
    default: out_row(p, rows, dst, p->d.k, p->g, act, f32); break;                \
    }

static void row_any(const cpu_dw8 *p, const int32_t *const *rows, char *dst)
{
    int act = !p->d.act ? 0 : p->d.alpha == 0.f ? 2 : 1;
    switch (act * 2 + (p->d.out_dt == CPU_F32)) {
    case 0: ROW_K(0, 0); break;
    case 1: ROW_K(0, 1); break;
    case 2: ROW_K(1, 0); break;
    case 3: ROW_K(1, 1); break;
    case 4: ROW_K(2, 0); break;
    default: ROW_K(2, 1); break;
    }
}

typedef struct dw8_job {
    const cpu_dw8 *p;
    const int8_t *src;
    char *dst;
} dw8_job;

/* Input row src (NULL: zeros) as a quad row, through the s8 row buffers rb (their padding stays zero). */
static void quad_row(const cpu_dw8 *p, const int8_t *src, int8_t *rb, int32_t *q)
{
    const cpu_dw8_desc *d = &p->d;
    size_t c = (size_t)d->c;
    if (d->stride == 1) {
        if (src) memcpy(rb + (size_t)d->pad * c, src, (size_t)d->w * c);
        make_quads(p, rb, rb + c, rb + 2 * c, rb + 3 * c, q);
        return;
    }
    int8_t *even = rb, *odd = rb + p->srow; /* padded pixel x at x / 2 of one or the other */
    for (int x = 0; src && x < d->w; x++) {
        int px = x + d->pad;
        int8_t *to = (px & 1 ? odd : even) + (size_t)(px >> 1) * c;
        for (size_t b = 0; b < c; b += 64) { /* masked vector copies: memcpy's call per pixel cost more */
            __mmask64 m = c - b >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << (c - b)) - 1;
            _mm512_mask_storeu_epi8(to + b, m, _mm512_maskz_loadu_epi8(m, src + (size_t)x * c + b));
        }
    }
    make_quads(p, even, odd, even + c, odd + c, q);
}

/* A band of output rows: each input row it reads becomes a quad row once (ring slot iy % k), on the thread's stack. */
static void band(void *ctx, int tid, int nt)
{
    const dw8_job *j = ctx;
    const cpu_dw8 *p = j->p;
    const cpu_dw8_desc *d = &p->d;
    int y0 = d->oh * tid / nt, y1 = d->oh * (tid + 1) / nt;
    if (y0 >= y1) return;
    size_t qbytes = p->lanes * 4;
    _Alignas(64) char mem[DRT_CPU_DW8_STACK]; /* drt_cpu_dw8_fits: (k + 1) quad rows, the s8 rows, over_of */
    int8_t *rb = (int8_t *)(mem + (size_t)(d->k + 1) * qbytes);
    int32_t *zero = (int32_t *)(mem + (size_t)d->k * qbytes);
    const int32_t *rows[DRT_CPU_DW8_MAXK];
    int held[DRT_CPU_DW8_MAXK];
    memset(rb, 0, (size_t)d->stride * p->srow);
    quad_row(p, NULL, rb, zero); /* zero inputs */
    for (int s = 0; s < d->k; s++) held[s] = -1;
    size_t in_row = (size_t)d->w * d->c, out_row_bytes = (size_t)d->ow * d->c * cpu_dtype_size(d->out_dt);
    for (int oy = y0; oy < y1; oy++) {
        for (int ky = 0; ky < d->k; ky++) {
            int iy = oy * d->stride - d->pad + ky;
            if (iy < 0 || iy >= d->h) {
                rows[ky] = zero;
                continue;
            }
            int s = iy % d->k;
            int32_t *q = (int32_t *)(mem + (size_t)s * qbytes);
            if (held[s] != iy) {
                quad_row(p, j->src + (size_t)iy * in_row, rb, q);
                held[s] = iy;
            }
            rows[ky] = q;
        }
        row_any(p, rows, j->dst + (size_t)oy * out_row_bytes);
    }
}

void drt_cpu_dw8_run(const cpu_dw8 *p, const void *src, void *dst)
{
    dw8_job j = {p, src, dst};
    drt_cpu_parallel(band, &j);
}
