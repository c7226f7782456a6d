/* The CPU kernels' dtype conversions (add_into without an addend, copy_channels), portable and
 * AVX-512 variants, on dense and channel-strided views: f32 -> s8 / u8 rounds to nearest even and
 * saturates (NaN -> 127 / 255's clamp as the scalar store does), s8 -> f32 scales, s8 -> s8 rescales; u8 with a
 * zero point (asym activations: value (q - zp) x step) to and from f32, s8 and u8 of another zero point;
 * each element against the formula computed here, and the channels outside a strided view untouched.
 * (int8 engines convert every tensor between an fp32 conv and its int8 neighbours through these.) */
#include "backend/cpu/cpu.h"
#include "check.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define H 5
#define W 7

static float sat(float q, float lo, float hi) { return q < hi ? (q > lo ? q : lo) : hi; }

/* The value element i of `out` must hold, from element j of `in`. */
static float expect(const cpu_view *in, size_t j, const cpu_view *out)
{
    float x = in->dt == CPU_F32 ? ((const float *)in->p)[j]
              : in->dt == CPU_U8 ? (((const uint8_t *)in->p)[j] - in->zp) * in->step : ((const int8_t *)in->p)[j] * in->step;
    if (in->dt == CPU_S8 && out->dt == CPU_S8) x = ((const int8_t *)in->p)[j] * (in->step / out->step) * out->step;
    if (in->dt == CPU_U8 && out->dt == CPU_U8) /* by the steps' ratio, as s8 -> s8 */
        return sat(nearbyintf((((const uint8_t *)in->p)[j] - in->zp) * (in->step / out->step)) + (float)out->zp, 0.f, 255.f);
    switch (out->dt) {
    case CPU_F32: return x;
    case CPU_S8: return sat(nearbyintf(x / out->step), -128.f, 127.f);
    default: return sat(nearbyintf(x / out->step) + (float)out->zp, 0.f, 255.f);
    }
}

static float got(const cpu_view *v, size_t i)
{
    switch (v->dt) {
    case CPU_F32: return ((const float *)v->p)[i];
    case CPU_S8: return ((const int8_t *)v->p)[i];
    default: return ((const uint8_t *)v->p)[i];
    }
}

static void fill(cpu_view *v, unsigned *seed)
{
    size_t n = (size_t)H * W * v->cs;
    for (size_t i = 0; i < n; i++) {
        *seed = *seed * 1103515245u + 12345u;
        int r = (int)((*seed >> 8) % 2001) - 1000; /* -1000..1000 */
        if (v->dt == CPU_F32) ((float *)v->p)[i] = i % 97 == 5 ? NAN : r * 0.0625f; /* ties at .5 steps, beyond range */
        else if (v->dt == CPU_U8) ((uint8_t *)v->p)[i] = (uint8_t)(r + 1000) % 256;
        else ((int8_t *)v->p)[i] = (int8_t)(r % 128);
    }
}

static void one(const char *kname, const cpu_kernels *k, int copy, cpu_dtype din, cpu_dtype dout, int c, int in_cs, int out_cs)
{
    size_t nin = (size_t)H * W * in_cs, nout = (size_t)H * W * out_cs;
    float *bin = calloc(nin, 4), *bout = calloc(nout, 4);
    unsigned seed = (unsigned)(c * 131 + in_cs * 7 + out_cs + din * 3 + dout);
    cpu_view in = {(char *)bin, c, H, W, in_cs, din, din == CPU_F32 ? 1.f : 0.25f, din == CPU_U8 ? 37 : 0};
    cpu_view out = {(char *)bout, c, H, W, out_cs, dout, dout == CPU_F32 ? 1.f : dout == CPU_U8 ? 0.5f : 2.f, dout == CPU_U8 ? 101 : 0};
    fill(&in, &seed);
    memset(bout, 0x5a, nout * 4); /* channels outside the view must keep this */
    if (copy) k->copy_channels(&in, 0, &out);
    else k->add_into(&in, NULL, &out, DRT_ACT_LINEAR);
    int bad = 0;
    size_t es = cpu_dtype_size(dout);
    for (size_t px = 0; px < (size_t)H * W && bad < 3; px++) {
        for (int ch = 0; ch < out_cs && bad < 3; ch++) {
            size_t i = px * (size_t)out_cs + ch;
            if (ch >= c) {
                unsigned char b;
                memcpy(&b, (char *)bout + i * es, 1);
                if (b != 0x5a) {
                    CHECK(0, "%s %s c=%d cs %d->%d: pixel %zu channel %d outside the view written", kname,
                          copy ? "copy" : "add_into", c, in_cs, out_cs, px, ch);
                    bad++;
                }
                continue;
            }
            float e = expect(&in, px * (size_t)in_cs + ch, &out), g = got(&out, i);
            if (!(e == g || (isnan(e) && isnan(g)))) {
                CHECK(0, "%s %s %s->%s c=%d cs %d->%d: pixel %zu channel %d: %g, want %g", kname, copy ? "copy" : "add_into",
                      cpu_dtype_name(din), cpu_dtype_name(dout), c, in_cs, out_cs, px, ch, g, e);
                bad++;
            }
        }
    }
    free(bin);
    free(bout);
}

int main(void)
{
    const cpu_kernels *ks[2] = {&drt_cpu_kernels_generic, drt_cpu_kernels() == &drt_cpu_kernels_avx512 ? &drt_cpu_kernels_avx512 : NULL};
    const char *names[2] = {"portable", "avx512"};
    const cpu_dtype pairs[][2] = {{CPU_F32, CPU_S8}, {CPU_F32, CPU_U8}, {CPU_S8, CPU_F32}, {CPU_S8, CPU_S8},
                                  {CPU_U8, CPU_F32}, {CPU_U8, CPU_U8}, {CPU_U8, CPU_S8}, {CPU_S8, CPU_U8}};
    const int cs[][3] = {{3, 3, 3}, {8, 8, 8}, {17, 17, 17}, {48, 48, 48}, {8, 24, 8}, {8, 8, 24}, {17, 40, 33}};
    int runs = 0;
    for (int v = 0; v < 2; v++)
        for (int p = 0; ks[v] && p < 8; p++)
            for (int s = 0; s < 7; s++)
                for (int copy = 0; copy < 2; copy++, runs++)
                    one(names[v], ks[v], copy, pairs[p][0], pairs[p][1], cs[s][0], cs[s][1], cs[s][2]);
    printf("%d conversions checked (%s)\n", runs, ks[1] ? "portable and avx512" : "portable only: no AVX-512 here");
    return DONE();
}
