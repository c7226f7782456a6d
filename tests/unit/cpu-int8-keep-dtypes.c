/* Which buffers an int8 CPU engine stores in int8: only those an int8 conv reads, directly or through layers
 * that are not convs (maxpool, upsample, route). A tiny yolov3-tiny (convs between maxpools, a route, an
 * upsample and a concat) with an SPP head (maxpools reading and writing one concat): with every conv kept in
 * fp32 no buffer is int8 and the heads equal the fp32 engine's
 * (before, a buffer read only by a maxpool was int8 whatever came after: yolov3-tiny's heads were off by 1.5 of
 * 12.6 with all its convs kept, this model's by far more than the 1e-4 allowed here); with one conv in int8, the
 * buffers on its way (through a maxpool) are int8 and the others stay fp32. */
#include "backend/cpu/cpu.h"
#include "darkrt.h"
#include "test-models.h"
#include "unit/check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum { S = 64 };

static const char cfg_text[] =
    "[net]\nwidth=64\nheight=64\nchannels=3\n"
    "[convolutional]\nbatch_normalize=1\nfilters=16\nsize=3\nstride=1\npad=1\nactivation=leaky\n" /* 0 */
    "[maxpool]\nsize=2\nstride=2\n"                                                             /* 1 */
    "[convolutional]\nbatch_normalize=1\nfilters=32\nsize=3\nstride=1\npad=1\nactivation=leaky\n" /* 2 */
    "[maxpool]\nsize=2\nstride=2\n"                                                             /* 3 */
    "[convolutional]\nbatch_normalize=1\nfilters=64\nsize=3\nstride=1\npad=1\nactivation=leaky\n" /* 4 */
    "[convolutional]\nsize=1\nstride=1\npad=1\nfilters=18\nactivation=linear\n"                  /* 5 */
    "[yolo]\nmask=0,1,2\nanchors=10,14, 23,27, 37,58\nclasses=1\nnum=3\n"                        /* 6 */
    "[route]\nlayers=4\n"                                                                       /* 7 */
    "[convolutional]\nbatch_normalize=1\nfilters=16\nsize=1\nstride=1\npad=1\nactivation=leaky\n" /* 8 */
    "[upsample]\nstride=2\n"                                                                    /* 9 */
    "[route]\nlayers=-1,2\n"                                                                    /* 10 */
    "[convolutional]\nbatch_normalize=1\nfilters=32\nsize=3\nstride=1\npad=1\nactivation=leaky\n" /* 11 */
    "[convolutional]\nsize=1\nstride=1\npad=1\nfilters=18\nactivation=linear\n"                  /* 12 */
    "[yolo]\nmask=0,1,2\nanchors=10,14, 23,27, 37,58\nclasses=1\nnum=3\n"                       /* 13 */
    "[route]\nlayers=4\n"                                                                      /* 14: SPP */
    "[maxpool]\nsize=5\nstride=1\n"                                                           /* 15 */
    "[route]\nlayers=-2\n"                                                                     /* 16 */
    "[maxpool]\nsize=9\nstride=1\n"                                                           /* 17 */
    "[route]\nlayers=-1,-3,-4\n"                                                               /* 18 */
    "[convolutional]\nsize=1\nstride=1\npad=1\nfilters=18\nactivation=linear\n"                  /* 19 */
    "[yolo]\nmask=0,1,2\nanchors=10,14, 23,27, 37,58\nclasses=1\nnum=3\n";                      /* 20 */

static drt_engine *build(const drt_model *m, drt_precision p, const char *keep)
{
    drt_engine_opts o = drt_engine_opts_default();
    o.precision = p;
    o.int8_keep = keep;
    o.threads = 1;
    drt_engine *e = NULL;
    CHECK(drt_engine_create(m, &o, &e) == DRT_OK, "%s engine (keep %s): %s", drt_precision_name(p), keep ? keep : "-",
          drt_last_error());
    return e;
}

/* Largest |a - b| over both heads, relative to the largest |a|. */
static double heads_diff(drt_engine *a, drt_engine *b, const float *in)
{
    double d = 0, ref = 0;
    if (drt_engine_run(a, in, 1) != DRT_OK || drt_engine_run(b, in, 1) != DRT_OK) return INFINITY;
    for (int h = 0; h < drt_engine_num_heads(a); h++) {
        const float *pa, *pb;
        drt_tensor_desc da, db;
        if (drt_engine_head(a, h, &pa, &da) != DRT_OK || drt_engine_head(b, h, &pb, &db) != DRT_OK) return INFINITY;
        for (size_t k = 0, n = (size_t)da.c * da.h * da.w; k < n; k++) {
            d = fmax(d, fabs((double)pa[k] - pb[k]));
            ref = fmax(ref, fabs((double)pa[k]));
        }
    }
    return ref > 0 ? d / ref : d;
}

static int is_int8(const cpu_state *st, int t) { return st->dt[t] == CPU_S8 || st->dt[t] == CPU_U8; }

int main(void)
{
    setenv("DRT_CPU_TUNE", "0", 1); /* the same fp32 kernels in both engines */
    char dir[] = "/tmp/drt-keep-dt-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    drt_model *m = load_cfg_text(dir, "k.cfg", cfg_text, 7);
    CHECK(m != NULL, "model: %s", drt_last_error());
    float *in = malloc(sizeof(float) * 3 * S * S);
    drt_engine *f = m ? build(m, DRT_PREC_FP32, NULL) : NULL;
    drt_engine *all = m ? build(m, DRT_PREC_INT8, "none,0,2,4,5,8,11,12,19") : NULL;
    drt_engine *one = m ? build(m, DRT_PREC_INT8, "none,0,4,5,8,11,12,19") : NULL; /* conv 2 in int8 */
    if (in && f && all && one) {
        for (int k = 0; k < 3 * S * S; k++) in[k] = (float)((k * 2654435761u >> 9) & 255) / 255.f;
        const cpu_state *sa = all->impl, *so = one->impl;
        int n8 = 0;
        for (int t = 0; t < sa->g->nt; t++) n8 += is_int8(sa, t);
        CHECK(n8 == 0, "every conv kept in fp32: %d buffers still int8", n8);
        double d = heads_diff(f, all, in);
        CHECK(d < 1e-4, "every conv kept in fp32: heads differ from fp32's by %.3g of their largest value", d);
        if (!failures) printf("every conv kept: no int8 buffer, heads within %.2g of fp32's\n", d);
        /* Conv 2 in int8: its input (maxpool 1's output) and the buffer that maxpool reads (conv 0's output) are
         * int8; conv 2's own output (read by fp32 convs, a maxpool into fp32 conv 4, the concat) and the input
         * image are fp32. */
        CHECK(is_int8(so, DRT_XT(1)) && is_int8(so, DRT_XT(0)), "conv 2 in int8: its input %s, conv 0's output %s",
              cpu_dtype_name(so->dt[DRT_XT(1)]), cpu_dtype_name(so->dt[DRT_XT(0)]));
        CHECK(!is_int8(so, DRT_XT(2)) && !is_int8(so, DRT_XT(3)) && !is_int8(so, 0),
              "conv 2 in int8: its output %s, maxpool 3's %s, the input %s: want fp32",
              cpu_dtype_name(so->dt[DRT_XT(2)]), cpu_dtype_name(so->dt[DRT_XT(3)]), cpu_dtype_name(so->dt[0]));
    }
    drt_engine_free(f);
    drt_engine_free(all);
    drt_engine_free(one);
    drt_model_free(m);
    free(in);
    remove_cfg_dir(dir, "k.cfg");
    return DONE();
}
