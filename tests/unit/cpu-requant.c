/* The CPU kernels' int8 fast paths, portable and AVX-512 variants, each element against the formula
 * computed here: the input (f32 NCHW -> u8 / s8 NHWC: x / step, nearest even, saturated, NaN -> the top
 * code), the heads (f32 NHWC, channel-strided -> NCHW, copied), maxpool and upsample between 8-bit
 * views of different steps (a concat's step: the float value max(q) x step_in, requantized to step_out),
 * maxpool of f32 into 8 bits and an f32 conv result added into an s8 tensor in place (mixed precision),
 * over sizes that are not multiples of the kernels' runs and tiles, channel-strided outputs untouched
 * outside the view; u8 views also with zero points (asym activations: value (q - zp) x step; the input's and
 * output's of maxpool and upsample differ, the same-code path has one). */
#include "backend/cpu/cpu.h"
#include "check.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static float sat(float q, float lo, float hi) { return q < hi ? (q > lo ? q : lo) : hi; }
/* u8 views' zero points (s8: 0), the input's and the output's: set per pass in main */
static int zi, zo;
static float quant(float x, float step, cpu_dtype dt)
{
    if (dt == CPU_F32) return x;
    return dt == CPU_S8 ? sat(nearbyintf(x / step), -128.f, 127.f) : sat(nearbyintf(x / step) + (float)zo, 0.f, 255.f);
}
static float code(const cpu_view *v, size_t i) { return v->dt == CPU_F32 ? ((const float *)v->p)[i] : v->dt == CPU_S8 ? ((const int8_t *)v->p)[i] : ((const uint8_t *)v->p)[i]; }

static unsigned seed = 1;
static int rnd(int n)
{
    seed = seed * 1103515245u + 12345u;
    return (int)((seed >> 8) % (unsigned)n);
}

/* Bytes of channels c..cs-1 of every pixel still 0x5a. */
static int outside_untouched(const cpu_view *v, size_t px)
{
    size_t es = cpu_dtype_size(v->dt);
    for (size_t b = v->c * es; b < v->cs * es; b++)
        if ((unsigned char)v->p[px * v->cs * es + b] != 0x5a) return 0;
    return 1;
}

static void input(const char *kn, const cpu_kernels *k, cpu_dtype dt, int c, int cs, int h, int w)
{
    size_t hw = (size_t)h * w;
    float *nchw = malloc(sizeof(float) * hw * c), step = dt == CPU_U8 ? 1.f / 255 : 0.03125f;
    size_t es = cpu_dtype_size(dt);
    char *buf = malloc(hw * cs * es);
    for (size_t i = 0; i < hw * c; i++)
        nchw[i] = i % 101 == 7 ? NAN : dt == CPU_U8 ? rnd(1400) / 1000.f - 0.2f : (rnd(2001) - 1000) / 128.f;
    nchw[3] = 0.5f * step; /* ties round to even */
    nchw[4] = 1.5f * step;
    nchw[5] = 0.00588235306f; /* x / (1/255) rounds to 2 and 255, x * 255 to 1 and 254: a division, as st() */
    nchw[6] = 0.998039305f;
    memset(buf, 0x5a, hw * cs * es);
    cpu_view out = {buf, c, h, w, cs, dt, step, zo};
    k->input(nchw, hw, &out);
    int bad = 0;
    for (size_t px = 0; px < hw && bad < 3; px++) {
        if (!outside_untouched(&out, px)) { CHECK(0, "%s input c=%d cs=%d: pixel %zu: channels outside the view written", kn, c, cs, px); bad++; }
        for (int ch = 0; ch < c && bad < 3; ch++) {
            float e = quant(nchw[(size_t)ch * hw + px], step, dt), g = code(&out, px * cs + ch);
            if (e != g && !(isnan(e) && isnan(g))) { CHECK(0, "%s input %s c=%d cs=%d %dx%d: pixel %zu channel %d: %g, want %g", kn, cpu_dtype_name(dt), c, cs, h, w, px, ch, g, e); bad++; }
        }
    }
    free(nchw);
    free(buf);
}

static void head(const char *kn, const cpu_kernels *k, int c, int cs, int h, int w)
{
    size_t hw = (size_t)h * w;
    float *nhwc = malloc(sizeof(float) * hw * cs), *nchw = malloc(sizeof(float) * hw * c);
    for (size_t i = 0; i < hw * cs; i++) nhwc[i] = (float)rnd(100000) - 50000.f;
    cpu_view in = {(char *)nhwc, c, h, w, cs, CPU_F32, 1.f, 0};
    k->head(&in, nchw, hw);
    int bad = 0;
    for (int ch = 0; ch < c && bad < 3; ch++)
        for (size_t px = 0; px < hw && bad < 3; px++)
            if (nchw[(size_t)ch * hw + px] != nhwc[px * cs + ch])
                { CHECK(0, "%s head c=%d cs=%d %dx%d: channel %d pixel %zu: %g, want %g", kn, c, cs, h, w, ch, px,
                      nchw[(size_t)ch * hw + px], nhwc[px * cs + ch]); bad++; }
    free(nhwc);
    free(nchw);
}

static void fill8(cpu_view *v)
{
    for (size_t i = 0; i < (size_t)v->h * v->w * v->cs; i++) v->p[i] = (char)(v->dt == CPU_S8 ? rnd(256) - 128 : rnd(256));
}

/* maxpool size x size, stride s, Darknet's padding size - 1, from step a to step b, dtype dt to odt */
static void maxpool(const char *kn, const cpu_kernels *k, cpu_dtype dt, cpu_dtype odt, int size, int s, float a, float b, int c, int out_cs)
{
    int h = 9, w = 11;
    drt_layer l = {0};
    l.size = size;
    l.stride = l.stride_y = s;
    l.padding = size - 1;
    int oh = (h + l.padding - size) / s + 1, ow = (w + l.padding - size) / s + 1, off = -l.padding / 2;
    char *ib = malloc((size_t)h * w * c), *ob = malloc((size_t)oh * ow * out_cs);
    cpu_view in = {ib, c, h, w, c, dt, a, dt == CPU_U8 ? zi : 0}, out = {ob, c, oh, ow, out_cs, odt, b, odt == CPU_U8 ? zo : 0};
    fill8(&in);
    memset(ob, 0x5a, (size_t)oh * ow * out_cs);
    k->maxpool(&l, &in, &out, 0, oh);
    int bad = 0;
    for (int oy = 0; oy < oh && bad < 3; oy++)
        for (int ox = 0; ox < ow && bad < 3; ox++) {
            size_t px = (size_t)oy * ow + ox;
            if (!outside_untouched(&out, px)) { CHECK(0, "%s maxpool: pixel %zu: channels outside the view written", kn, px); bad++; }
            for (int ch = 0; ch < c && bad < 3; ch++) {
                float m = -INFINITY;
                for (int ky = 0; ky < size; ky++)
                    for (int kx = 0; kx < size; kx++) {
                        int y = oy * s + off + ky, x = ox * s + off + kx;
                        if (y >= 0 && y < h && x >= 0 && x < w) m = fmaxf(m, (code(&in, ((size_t)y * w + x) * c + ch) - in.zp) * a);
                    }
                float e = quant(m, b, odt), g = code(&out, px * out_cs + ch);
                if (e != g) { CHECK(0, "%s maxpool %s %dx%d/%d steps %g->%g: pixel %d,%d channel %d: %g, want %g", kn, cpu_dtype_name(dt),
                                  size, size, s, a, b, oy, ox, ch, g, e); bad++; }
            }
        }
    free(ib);
    free(ob);
}

/* maxpool of f32 into an 8-bit view: the max from -FLT_MAX (NaN never taken; nothing above -FLT_MAX gives 0) */
static void maxpool_f32(const char *kn, const cpu_kernels *k, cpu_dtype dt, int size, float b, int c, int out_cs)
{
    int h = 7, w = 6;
    drt_layer l = {0};
    l.size = size;
    l.stride = l.stride_y = 1;
    l.padding = size - 1;
    int off = -l.padding / 2;
    float *ib = malloc(sizeof(float) * h * w * c);
    char *ob = malloc((size_t)h * w * out_cs);
    for (int i = 0; i < h * w * c; i++) ib[i] = i % 13 == 3 ? NAN : i % 17 == 5 ? -INFINITY : (rnd(2001) - 1000) / 100.f;
    for (int i = 0; i < 4; i++) ib[(size_t)i * c] = -INFINITY; /* channel 0's first pixels: windows that see only -inf */
    cpu_view in = {(char *)ib, c, h, w, c, CPU_F32, 1.f, 0}, out = {ob, c, h, w, out_cs, dt, b, zo};
    memset(ob, 0x5a, (size_t)h * w * out_cs);
    k->maxpool(&l, &in, &out, 0, h);
    int bad = 0;
    for (int oy = 0; oy < h && bad < 3; oy++)
        for (int ox = 0; ox < w && bad < 3; ox++) {
            size_t px = (size_t)oy * w + ox;
            if (!outside_untouched(&out, px)) { CHECK(0, "%s maxpool f32: pixel %zu: channels outside the view written", kn, px); bad++; }
            for (int ch = 0; ch < c && bad < 3; ch++) {
                float m = -FLT_MAX;
                for (int ky = 0; ky < size; ky++)
                    for (int kx = 0; kx < size; kx++) {
                        int y = oy + off + ky, x = ox + off + kx;
                        float v = y >= 0 && y < h && x >= 0 && x < w ? ib[((size_t)y * w + x) * c + ch] : -INFINITY;
                        if (v > m) m = v;
                    }
                float e = quant(m == -FLT_MAX ? 0.f : m, b, dt), g = code(&out, px * out_cs + ch);
                if (e != g) { CHECK(0, "%s maxpool f32->%s %dx%d: pixel %d,%d channel %d: %g, want %g", kn, cpu_dtype_name(dt), size, size, oy, ox, ch, g, e); bad++; }
            }
        }
    free(ib);
    free(ob);
}

/* add_into of an f32 conv result into an s8 tensor in place (step a -> b): in + q x a, requantized */
static void add_into(const char *kn, const cpu_kernels *k, float a, float b, int c, int cs)
{
    int h = 3, w = 5;
    float *ib = malloc(sizeof(float) * h * w * c);
    char *ob = malloc((size_t)h * w * cs), *keep = malloc((size_t)h * w * cs);
    for (int i = 0; i < h * w * c; i++) ib[i] = i % 19 == 4 ? NAN : (rnd(4001) - 2000) / 200.f;
    cpu_view in = {(char *)ib, c, h, w, c, CPU_F32, 1.f, 0}, old = {ob, c, h, w, cs, CPU_S8, a, 0}, out = old;
    out.step = b;
    fill8(&old);
    memcpy(keep, ob, (size_t)h * w * cs);
    k->add_into(&in, &old, &out, DRT_ACT_LINEAR);
    int bad = 0;
    for (size_t px = 0; px < (size_t)h * w && bad < 3; px++)
        for (int ch = 0; ch < cs && bad < 3; ch++) {
            float q = ((const int8_t *)keep)[px * cs + ch], g = code(&out, px * cs + ch);
            float e = ch < c ? quant(ib[px * c + ch] + q * a, b, CPU_S8) : q;
            if (e != g) { CHECK(0, "%s add_into f32+s8 steps %g->%g c=%d cs=%d: pixel %zu channel %d: %g, want %g", kn, a, b, c, cs, px, ch, g, e); bad++; }
        }
    free(ib);
    free(ob);
    free(keep);
}

static void upsample(const char *kn, const cpu_kernels *k, cpu_dtype dt, float a, float b, int c, int out_cs)
{
    int h = 5, w = 7, s = 2;
    char *ib = malloc((size_t)h * w * c), *ob = malloc((size_t)h * s * w * s * out_cs);
    cpu_view in = {ib, c, h, w, c, dt, a, zi}, out = {ob, c, h * s, w * s, out_cs, dt, b, zo};
    fill8(&in);
    memset(ob, 0x5a, (size_t)h * s * w * s * out_cs);
    k->upsample(s, &in, &out);
    int bad = 0;
    for (int y = 0; y < h * s && bad < 3; y++)
        for (int x = 0; x < w * s && bad < 3; x++) {
            size_t px = (size_t)y * w * s + x;
            if (!outside_untouched(&out, px)) { CHECK(0, "%s upsample: pixel %zu: channels outside the view written", kn, px); bad++; }
            for (int ch = 0; ch < c && bad < 3; ch++) {
                float e = quant((code(&in, ((size_t)(y / s) * w + x / s) * c + ch) - zi) * a, b, dt), g = code(&out, px * out_cs + ch);
                if (e != g) { CHECK(0, "%s upsample %s steps %g->%g: pixel %d,%d channel %d: %g, want %g", kn, cpu_dtype_name(dt), a, b, y, x, ch, g, e); bad++; }
            }
        }
    free(ib);
    free(ob);
}

int main(void)
{
    const cpu_kernels *ks[2] = {&drt_cpu_kernels_generic, drt_cpu_kernels() == &drt_cpu_kernels_avx512 ? &drt_cpu_kernels_avx512 : NULL};
    const char *names[2] = {"portable", "avx512"};
    for (int v = 0; v < 2; v++) {
        if (!ks[v]) continue;
        for (int d = 0; d < 5; d++) {
            cpu_dtype dt = d == 2 ? CPU_F32 : d == 1 ? CPU_S8 : CPU_U8;
            zi = d == 3 ? 37 : d == 4 ? 90 : 0; /* u8 with zero points: different ones, then the same (the same-code path) */
            zo = d == 3 ? 101 : d == 4 ? 90 : 0;
            input(names[v], ks[v], dt, 3, 3, 23, 29); /* 667 pixels: a run and a part */
            input(names[v], ks[v], dt, 1, 1, 1, 7);
            input(names[v], ks[v], dt, 5, 8, 17, 41);
            input(names[v], ks[v], dt, 3, 4, 31, 37); /* RGB into a strided view */
            if (dt == CPU_F32) continue;
            /* steps: a concat's larger and smaller, equal (the same-code path), and a ratio that lands on .5 */
            const float steps[][2] = {{0.05f, 0.08f}, {0.08f, 0.05f}, {0.04f, 0.04f}, {0.03f, 0.02f}};
            for (int st = 0; st < 4; st++) {
                maxpool(names[v], ks[v], dt, dt, 3, 1, steps[st][0], steps[st][1], 7, 7);
                maxpool(names[v], ks[v], dt, dt, 5, 1, steps[st][0], steps[st][1], 6, 20);
                maxpool(names[v], ks[v], dt, dt, 2, 2, steps[st][0], steps[st][1], 9, 12);
                if (zo) { /* s8 into u8 and back (an s8 tensor pooled into an asym concat) */
                    maxpool(names[v], ks[v], CPU_S8, CPU_U8, 5, 1, steps[st][0], steps[st][1], 6, 20);
                    maxpool(names[v], ks[v], CPU_U8, CPU_S8, 3, 1, steps[st][0], steps[st][1], 7, 7);
                }
                upsample(names[v], ks[v], dt, steps[st][0], steps[st][1], 6, 6);
                upsample(names[v], ks[v], dt, steps[st][0], steps[st][1], 5, 13);
                maxpool_f32(names[v], ks[v], dt, 3, steps[st][1], 5, 9);
                maxpool_f32(names[v], ks[v], dt, 5, steps[st][1], 300, 300); /* more channels than a chunk */
                if (dt != CPU_S8) continue; /* add_into's fast path: s8 */
                add_into(names[v], ks[v], steps[st][0], steps[st][1], 24, 24);
                add_into(names[v], ks[v], steps[st][0], steps[st][1], 270, 300);
            }
        }
        head(names[v], ks[v], 255, 255, 20, 20);
        head(names[v], ks[v], 17, 24, 3, 7);
        head(names[v], ks[v], 40, 40, 1, 33);
    }
    printf("input, head, maxpool, upsample and add_into checked (%s)\n", ks[1] ? "portable and avx512" : "portable only: no AVX-512 here");
    return DONE();
}
