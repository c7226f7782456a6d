/* Winograd F(4x4, 3x3) for fp32 3x3 stride-1 convolutions (oneDNN 2.6 has no Winograd for this
 * CPU: its winograd algorithm returns "unimplemented" here). Compiled for AVX-512 (avx512/): only
 * reached where drt_cpu_wino_allowed() saw AVX-512 at run time. 36 batched GEMMs (oneDNN matmul)
 * replace the direct convolution: 2.25 multiplications per output instead of 9; the input and
 * output transforms are darkrt's own, vectorized over the NHWC channels, with bias, activation
 * and the in-place residual add done in the output transform. Chosen per layer only when it
 * measures faster than oneDNN's direct convolution. */
#include "backend/cpu/cpu.h"
#include "backend/cpu/cpu-parallel.h"
#include "core/error.h"

#include <stdlib.h>
#include <string.h>

#define CB 16 /* channels per vector block */

struct cpu_wino {
    int C, K, H, W, TH, TW, T;
    dnnl_primitive_t mm;
    dnnl_memory_t mv, mu, mm_out;
    size_t scratch_bytes; /* the matmul's user scratchpad (run states' own: executed from several at once) */
    float *bias;
    drt_act act, sum_act;
    int sum;
};

int drt_cpu_wino_eligible(const cpu_state *st, int i)
{
    const drt_layer *l = &st->m->layers[i];
    const drt_xnode *x = &st->g->node[i];
    int ts = DRT_XT(l->inputs[0]), td = drt_cpu_stored_tensor(st, i);
    drt_shape in = drt_xgraph_shape(st->g, ts);
    return st->choice[i].prec == DRT_PREC_FP32 && l->size == 3 && l->stride == 1 && l->stride_y == 1 && l->pad == 1 && l->groups == 1 &&
           l->dilation <= 1 &&
           in.c % CB == 0 && l->filters % CB == 0 && st->dt[ts] == CPU_F32 && st->dt[td] == CPU_F32 &&
           drt_xgraph_dense(st->g, ts) && drt_xgraph_dense(st->g, td) && (x->bn_folded || !x->bn_mul) &&
           (x->act_fused || l->act == DRT_ACT_LINEAR);
}

/* F(4x4, 3x3) (Lavin & Gray): 6x6 input tiles, 36 GEMMs, 4x4 outputs per tile. */
#define TI 6 /* input tile */
#define TO 4 /* output tile */
#define NJ (TI * TI)
static const float BT[TI][TI] = {{4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
                                 {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
static const float GM[TI][3] = {{1.f / 4, 0, 0},
                                {-1.f / 6, -1.f / 6, -1.f / 6},
                                {-1.f / 6, 1.f / 6, -1.f / 6},
                                {1.f / 24, 1.f / 12, 1.f / 6},
                                {1.f / 24, -1.f / 12, 1.f / 6},
                                {0, 0, 1}};
static const float AT[TO][TI] = {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}};

/* U[j][c][k] = (G g G^T)[j] for each 3x3 kernel g of (k, c). */
static void transform_weights(const float *w, const float *mul, int C, int K, float *u)
{
    for (int k = 0; k < K; k++)
        for (int c = 0; c < C; c++) {
            const float *g = w + ((size_t)k * C + c) * 9;
            float s = mul ? mul[k] : 1.f, gg[TI][3], r[TI][TI];
            for (int p = 0; p < TI; p++)
                for (int q = 0; q < 3; q++)
                    gg[p][q] = s * (GM[p][0] * g[q] + GM[p][1] * g[3 + q] + GM[p][2] * g[6 + q]);
            for (int p = 0; p < TI; p++)
                for (int q = 0; q < TI; q++) r[p][q] = GM[q][0] * gg[p][0] + GM[q][1] * gg[p][1] + GM[q][2] * gg[p][2];
            for (int j = 0; j < NJ; j++) u[((size_t)j * C + c) * K + k] = r[j / TI][j % TI];
        }
}

static void input_transform(const cpu_wino *wg, const float *src, float *v, int ty0, int ty1)
{
    size_t plane = (size_t)wg->T * wg->C;
    for (int ty = ty0; ty < ty1; ty++)
        for (int tx = 0; tx < wg->TW; tx++) {
            size_t t = (size_t)ty * wg->TW + tx;
            const float *px[TI][TI];
            for (int r = 0; r < TI; r++)
                for (int q = 0; q < TI; q++) {
                    int y = TO * ty - 1 + r, x = TO * tx - 1 + q;
                    px[r][q] = (y < 0 || y >= wg->H || x < 0 || x >= wg->W) ? NULL : src + ((size_t)y * wg->W + x) * wg->C;
                }
            for (int c0 = 0; c0 < wg->C; c0 += CB) {
                float d[TI][TI][CB], m[TI][TI][CB];
                for (int r = 0; r < TI; r++)
                    for (int q = 0; q < TI; q++)
                        for (int k = 0; k < CB; k++) d[r][q][k] = px[r][q] ? px[r][q][c0 + k] : 0.f;
                for (int i = 0; i < TI; i++)
                    for (int q = 0; q < TI; q++)
                        for (int k = 0; k < CB; k++) {
                            float acc = 0;
                            for (int r = 0; r < TI; r++) acc += BT[i][r] * d[r][q][k];
                            m[i][q][k] = acc;
                        }
                for (int i = 0; i < TI; i++)
                    for (int j = 0; j < TI; j++) {
                        float *o = v + (size_t)(i * TI + j) * plane + t * wg->C + c0;
                        for (int k = 0; k < CB; k++) {
                            float acc = 0;
                            for (int q = 0; q < TI; q++) acc += BT[j][q] * m[i][q][k];
                            o[k] = acc;
                        }
                    }
            }
        }
}

static inline float act1(drt_act a, float v)
{
    return a == DRT_ACT_LEAKY ? (v > 0 ? v : 0.1f * v) : a == DRT_ACT_LINEAR ? v : drt_act_apply(a, v);
}

static void output_transform(const cpu_wino *wg, const float *mo, float *dst, int OH, int OW, int ty0, int ty1)
{
    size_t plane = (size_t)wg->T * wg->K;
    for (int ty = ty0; ty < ty1; ty++)
        for (int tx = 0; tx < wg->TW; tx++) {
            size_t t = (size_t)ty * wg->TW + tx;
            for (int k0 = 0; k0 < wg->K; k0 += CB) {
                float r[TO][TI][CB], y[TO][TO][CB];
                for (int p = 0; p < TO; p++)
                    for (int q = 0; q < TI; q++)
                        for (int k = 0; k < CB; k++) {
                            float acc = 0;
                            for (int i = 0; i < TI; i++) acc += AT[p][i] * mo[(size_t)(i * TI + q) * plane + t * wg->K + k0 + k];
                            r[p][q][k] = acc;
                        }
                for (int p = 0; p < TO; p++)
                    for (int s = 0; s < TO; s++)
                        for (int k = 0; k < CB; k++) {
                            float acc = 0;
                            for (int q = 0; q < TI; q++) acc += AT[s][q] * r[p][q][k];
                            y[p][s][k] = acc;
                        }
                for (int p = 0; p < TO; p++)
                    for (int q = 0; q < TO; q++) {
                        int oy = TO * ty + p, ox = TO * tx + q;
                        if (oy >= OH || ox >= OW) continue;
                        float *o = dst + ((size_t)oy * OW + ox) * wg->K + k0;
                        for (int k = 0; k < CB; k++) {
                            float v = act1(wg->act, y[p][q][k] + wg->bias[k0 + k]);
                            o[k] = wg->sum ? act1(wg->sum_act, v + o[k]) : v;
                        }
                    }
            }
        }
}

void drt_cpu_wino_free(cpu_wino *wg)
{
    if (!wg) return;
    if (wg->mm) dnnl_primitive_destroy(wg->mm);
    if (wg->mv) dnnl_memory_destroy(wg->mv);
    if (wg->mu) dnnl_memory_destroy(wg->mu);
    if (wg->mm_out) dnnl_memory_destroy(wg->mm_out);
    free(wg->bias);
    free(wg);
}

/* Bytes of the transformed input and output (shared buffers st->wino_v, st->wino_m). */
void drt_cpu_wino_sizes(const cpu_state *st, int i, size_t *v_bytes, size_t *m_bytes)
{
    const drt_layer *l = &st->m->layers[i];
    drt_shape in = drt_xgraph_shape(st->g, DRT_XT(l->inputs[0]));
    size_t t = (size_t)((l->out.h + TO - 1) / TO) * ((l->out.w + TO - 1) / TO);
    *v_bytes = NJ * t * (size_t)in.c * sizeof(float);
    *m_bytes = NJ * t * (size_t)l->filters * sizeof(float);
}

static drt_status matmul(cpu_state *st, cpu_wino *wg, const float *u_plain)
{
    dnnl_memory_desc_t a, b, bany, c;
    dnnl_dims_t da = {NJ, wg->T, wg->C}, db = {NJ, wg->C, wg->K}, dc = {NJ, wg->T, wg->K};
    dnnl_memory_desc_init_by_tag(&a, 3, da, dnnl_f32, dnnl_abc);
    dnnl_memory_desc_init_by_tag(&b, 3, db, dnnl_f32, dnnl_abc);
    dnnl_memory_desc_init_by_tag(&bany, 3, db, dnnl_f32, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&c, 3, dc, dnnl_f32, dnnl_abc);
    dnnl_matmul_desc_t md;
    dnnl_primitive_desc_t pd = NULL, rpd = NULL;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_t reorder = NULL;
    dnnl_memory_t user_u = NULL;
    drt_status s = DRT_OK;
    /* A user scratchpad, as the convs have: with the library's own, contexts running this matmul at
     * once shared it, and all but one got garbage heads (detect --workers 3 on yolov3-tiny). */
    if (dnnl_primitive_attr_create(&attr) != dnnl_success ||
        dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user) != dnnl_success ||
        dnnl_matmul_desc_init(&md, &a, &bany, NULL, &c) != dnnl_success ||
        dnnl_primitive_desc_create(&pd, &md, attr, st->eng, NULL) != dnnl_success ||
        dnnl_primitive_create(&wg->mm, pd) != dnnl_success) {
        s = drt_error(DRT_STATUS_UNSUPPORTED, "winograd: no matmul");
        goto done;
    }
    wg->scratch_bytes = dnnl_memory_desc_get_size(dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0));
    const dnnl_memory_desc_t *wmd = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    if (dnnl_memory_create(&wg->mu, wmd, st->eng, DNNL_MEMORY_ALLOCATE) != dnnl_success ||
        dnnl_memory_create(&user_u, &b, st->eng, (void *)u_plain) != dnnl_success ||
        dnnl_reorder_primitive_desc_create(&rpd, &b, st->eng, wmd, st->eng, NULL) != dnnl_success ||
        dnnl_primitive_create(&reorder, rpd) != dnnl_success ||
        dnnl_memory_create(&wg->mv, &a, st->eng, DNNL_MEMORY_NONE) != dnnl_success ||
        dnnl_memory_create(&wg->mm_out, &c, st->eng, DNNL_MEMORY_NONE) != dnnl_success) {
        s = drt_error(DRT_STATUS_OOM, "winograd: memory");
        goto done;
    }
    dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, user_u}, {DNNL_ARG_TO, wg->mu}};
    if (dnnl_primitive_execute(reorder, st->stream, 2, args) != dnnl_success) s = drt_error(DRT_STATUS_INTERNAL, "winograd: reorder");
    dnnl_stream_wait(st->stream);
done:
    if (reorder) dnnl_primitive_destroy(reorder);
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (user_u) dnnl_memory_destroy(user_u);
    return s;
}

drt_status drt_cpu_wino_create(cpu_state *st, int i, cpu_wino **out)
{
    *out = NULL;
    const drt_layer *l = &st->m->layers[i];
    const drt_xnode *x = &st->g->node[i];
    drt_shape in = drt_xgraph_shape(st->g, DRT_XT(l->inputs[0]));
    cpu_wino *wg = calloc(1, sizeof *wg);
    if (!wg) return drt_error(DRT_STATUS_OOM, "winograd: out of memory");
    wg->C = in.c; wg->K = l->filters; wg->H = in.h; wg->W = in.w;
    wg->TH = (l->out.h + TO - 1) / TO; wg->TW = (l->out.w + TO - 1) / TO; wg->T = wg->TH * wg->TW;
    wg->act = x->act_fused ? l->act : DRT_ACT_LINEAR;
    wg->sum = x->sum_from >= 0;
    wg->sum_act = x->sum_act;
    wg->bias = calloc((size_t)wg->K, sizeof(float));
    float *u = malloc(sizeof(float) * NJ * (size_t)wg->C * wg->K);
    drt_status s = wg->bias && u ? DRT_OK : drt_error(DRT_STATUS_OOM, "winograd: out of memory");
    if (s == DRT_OK) {
        if (x->bn_folded) memcpy(wg->bias, x->bn_add, sizeof(float) * (size_t)wg->K);
        else memcpy(wg->bias, l->biases, sizeof(float) * (size_t)wg->K);
        drt_cpu_bias_correct_add(st, i, wg->bias, wg->K);
        transform_weights(l->weights, x->bn_folded ? x->bn_mul : NULL, wg->C, wg->K, u);
        s = matmul(st, wg, u);
    }
    free(u);
    if (s != DRT_OK) { drt_cpu_wino_free(wg); return s; }
    *out = wg;
    return DRT_OK;
}

size_t drt_cpu_wino_weight_bytes(const cpu_wino *wg) { return NJ * (size_t)wg->C * wg->K * sizeof(float); }

size_t drt_cpu_wino_scratch_bytes(const cpu_wino *wg) { return wg->scratch_bytes; }

typedef struct wino_job {
    const cpu_wino *wg;
    const float *src, *mo;
    float *v, *dst;
    int oh, ow, output;
} wino_job;

/* Tile rows split over the threads. */
static void wino_part(void *ctx, int tid, int nt)
{
    const wino_job *j = ctx;
    int th = j->wg->TH, ty0 = th * tid / nt, ty1 = th * (tid + 1) / nt;
    if (j->output) output_transform(j->wg, j->mo, j->dst, j->oh, j->ow, ty0, ty1);
    else input_transform(j->wg, j->src, j->v, ty0, ty1);
}

/* Input transform into v, the batched GEMM (mv over v, mm over m), output transform from m. */
static drt_status run_with(const cpu_wino *wg, char *v, char *m, dnnl_memory_t mv, dnnl_memory_t mm, dnnl_memory_t scratch,
                           dnnl_stream_t stream, const float *src, float *dst, int OH, int OW)
{
    wino_job in = {wg, src, NULL, (float *)v, NULL, OH, OW, 0};
    drt_cpu_parallel(wino_part, &in);
    dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, mv}, {DNNL_ARG_WEIGHTS, wg->mu}, {DNNL_ARG_DST, mm}, {DNNL_ARG_SCRATCHPAD, scratch}};
    if (dnnl_primitive_execute(wg->mm, stream, 4, args) != dnnl_success)
        return drt_error(DRT_STATUS_INTERNAL, "winograd: matmul failed");
    dnnl_stream_wait(stream);
    wino_job out = {wg, NULL, (const float *)m, NULL, dst, OH, OW, 1};
    drt_cpu_parallel(wino_part, &out);
    return DRT_OK;
}

/* While the engine is built (timing): a scratchpad of the matmul's size, made once for all the timed runs
 * (the state's is made after every conv is chosen). */
drt_status drt_cpu_wino_scratch(const cpu_state *st, const cpu_wino *wg, dnnl_memory_t *out)
{
    const_dnnl_primitive_desc_t pd;
    if (dnnl_primitive_get_primitive_desc(wg->mm, &pd) != dnnl_success ||
        dnnl_memory_create(out, dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0), st->eng,
                           DNNL_MEMORY_ALLOCATE) != dnnl_success)
        return drt_error(DRT_STATUS_OOM, "winograd: scratchpad");
    return DRT_OK;
}

/* While the engine is built (timing): the state's own buffers, scratch from drt_cpu_wino_scratch. */
drt_status drt_cpu_wino_run(cpu_state *st, const cpu_wino *wg, dnnl_memory_t scratch, const float *src, float *dst,
                            int OH, int OW)
{
    dnnl_memory_set_data_handle(wg->mv, st->wino_v);
    dnnl_memory_set_data_handle(wg->mm_out, st->wino_m);
    return run_with(wg, st->wino_v, st->wino_m, wg->mv, wg->mm_out, scratch, st->stream, src, dst, OH, OW);
}

drt_status drt_cpu_wino_run_in(const cpu_wino *wg, const cpu_exec *x, int i, const float *src, float *dst, int OH, int OW)
{
    return run_with(wg, x->wino_v, x->wino_m, x->wv[i], x->wm[i], x->scratch, x->stream, src, dst, OH, OW);
}

drt_status drt_cpu_wino_memories(const cpu_state *st, const cpu_wino *wg, char *v, char *m, dnnl_memory_t *mv,
                                 dnnl_memory_t *mm)
{
    const dnnl_memory_desc_t *a, *c;
    if (dnnl_memory_get_memory_desc(wg->mv, &a) != dnnl_success || dnnl_memory_get_memory_desc(wg->mm_out, &c) != dnnl_success ||
        dnnl_memory_create(mv, a, st->eng, v) != dnnl_success || dnnl_memory_create(mm, c, st->eng, m) != dnnl_success)
        return drt_error(DRT_STATUS_OOM, "winograd: memory");
    return DRT_OK;
}
