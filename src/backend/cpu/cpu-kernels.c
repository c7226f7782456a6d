/* darkrt's own CPU kernels: the portable variant, the dtype names, and the dispatch that
 * picks the AVX-512 variant at run time when the CPU and OS support it (DRT_CPU_ISA can cap it). */
#define DRT_K(name) name##_generic
#include "backend/cpu/cpu-kernels-body.h"
#include "backend/cpu/cpu-features.h"
#include "backend/cpu/cpu-parallel.h"

#include <pthread.h>

const char *cpu_dtype_name(cpu_dtype d)
{
    static const char *const n[] = {"f32", "bf16", "s8", "u8"};
    return (unsigned)d < 4 ? n[d] : "?";
}

static const cpu_kernels *kernels = &drt_cpu_kernels_generic;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void pick(void)
{
    if (drt_cpu_apply_isa_cap() & DRT_CPU_AVX512) kernels = &drt_cpu_kernels_avx512;
}

const cpu_kernels *drt_cpu_kernels(void)
{
    pthread_once(&once, pick);
    return kernels;
}

const char *drt_cpu_kernels_name(void) { return drt_cpu_kernels() == &drt_cpu_kernels_avx512 ? "avx512" : "portable"; }

/* Row-parallel wrappers: each thread of oneDNN's OpenMP team takes a band of output rows. */
typedef struct row_job {
    int kind; /* 0 maxpool, 1 upsample, 2 copy, 3 add_into, 4 bn_act, 5 wsum, 6 input, 7 head */
    const drt_layer *l;
    cpu_view in, old, out;
    int has_old, stride, c0;
    const float *mul, *add;
    drt_act act;
    int n, step; /* wsum: n inputs, weights w, step */
    const cpu_view *ins;
    const float *w;
    float *nchw; /* input, head: the NCHW side */
} row_job;

static cpu_view rows(const cpu_view *v, int y0, int y1)
{
    cpu_view r = *v;
    r.p += (size_t)y0 * v->w * v->cs * cpu_dtype_size(v->dt);
    r.h = y1 - y0;
    return r;
}

static void row_band(void *ctx, int tid, int nt)
{
    const row_job *j = ctx;
    const cpu_kernels *k = drt_cpu_kernels();
    int h = j->kind == 1 ? j->in.h : j->out.h, y0 = h * tid / nt, y1 = h * (tid + 1) / nt;
    if (y0 >= y1) return;
    cpu_view in = j->kind == 4 ? j->out : rows(&j->in, y0, y1), out = rows(&j->out, y0, y1);
    cpu_view old = j->has_old ? rows(&j->old, y0, y1) : out;
    switch (j->kind) {
    case 0: k->maxpool(j->l, &j->in, &j->out, y0, y1); break;
    case 1: out = rows(&j->out, y0 * j->stride, y1 * j->stride); k->upsample(j->stride, &in, &out); break;
    case 2: k->copy_channels(&in, j->c0, &out); break;
    case 3: k->add_into(&in, j->has_old ? &old : NULL, &out, j->act); break;
    case 4: k->bn_act(j->mul, j->add, j->act, &out); break;
    case 6: k->input(j->nchw + (size_t)y0 * j->out.w, (size_t)j->out.h * j->out.w, &out); break;
    case 7: k->head(&in, j->nchw + (size_t)y0 * j->in.w, (size_t)j->in.h * j->in.w); break;
    default: {
        cpu_view ins[DRT_MAX_INPUTS];
        for (int i = 0; i < j->n; i++) ins[i] = rows(&j->ins[i], y0, y1);
        k->wsum(j->n, ins, j->w, j->step, j->act, &out);
        break;
    }
    }
}

void drt_cpu_shortcut(drt_act act, const cpu_view *a, const cpu_view *b, const cpu_view *out) { drt_cpu_kernels()->shortcut(act, a, b, out); }
void drt_cpu_avgpool(const cpu_view *in, const cpu_view *out) { drt_cpu_kernels()->avgpool(in, out); }
void drt_cpu_product(drt_act act, int per_channel, const cpu_view *a, const cpu_view *b, const cpu_view *out)
{
    drt_cpu_kernels()->product(act, per_channel, a, b, out);
}
void drt_cpu_reorg3d(int stride, const cpu_view *in, const cpu_view *out) { drt_cpu_kernels()->reorg3d(stride, in, out); }
void drt_cpu_reorg(int stride, const cpu_view *in, const cpu_view *out) { drt_cpu_kernels()->reorg(stride, in, out); }
void drt_cpu_local_avgpool(const drt_layer *l, const cpu_view *in, const cpu_view *out)
{
    drt_cpu_kernels()->local_avgpool(l, in, out);
}
void drt_cpu_affine(const float *mul, const float *add, const cpu_view *in, const cpu_view *out)
{
    drt_cpu_kernels()->affine(mul, add, in, out);
}

/* The input and the heads convert between NCHW and NHWC in bands of rows too (serial, the heads took 4% of a
 * yolo-fastest depthwise-int8 run). */
void drt_cpu_input(const float *nchw, const cpu_view *out)
{
    row_job j = {.kind = 6, .in = *out, .out = *out, .nchw = (float *)nchw};
    drt_cpu_parallel(row_band, &j);
}

void drt_cpu_head(const cpu_view *in, float *nchw)
{
    row_job j = {.kind = 7, .in = *in, .out = *in, .nchw = nchw};
    drt_cpu_parallel(row_band, &j);
}

void drt_cpu_maxpool(const drt_layer *l, const cpu_view *in, const cpu_view *out)
{
    row_job j = {.kind = 0, .l = l, .in = *in, .out = *out};
    drt_cpu_parallel(row_band, &j);
}

void drt_cpu_upsample(int stride, const cpu_view *in, const cpu_view *out)
{
    row_job j = {.kind = 1, .in = *in, .out = *out, .stride = stride};
    drt_cpu_parallel(row_band, &j);
}

void drt_cpu_copy_channels(const cpu_view *in, int c0, const cpu_view *out)
{
    row_job j = {.kind = 2, .in = *in, .out = *out, .c0 = c0};
    drt_cpu_parallel(row_band, &j);
}

void drt_cpu_add_into(const cpu_view *in, const cpu_view *old, const cpu_view *out, drt_act act)
{
    row_job j = {.kind = 3, .in = *in, .old = old ? *old : *out, .out = *out, .has_old = old != NULL, .act = act};
    drt_cpu_parallel(row_band, &j);
}

void drt_cpu_bn_act(const float *mul, const float *add, drt_act act, const cpu_view *v)
{
    row_job j = {.kind = 4, .in = *v, .out = *v, .mul = mul, .add = add, .act = act};
    drt_cpu_parallel(row_band, &j);
}

void drt_cpu_wsum(int n, const cpu_view *ins, const float *w, int step, drt_act act, const cpu_view *out)
{
    row_job j = {.kind = 5, .in = *out, .out = *out, .n = n, .ins = ins, .w = w, .step = step, .act = act};
    drt_cpu_parallel(row_band, &j);
}
