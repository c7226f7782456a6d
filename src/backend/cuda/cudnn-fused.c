/* fp16 and int8 convolutions through cuDNN's graph (backend) API: conv -> (int8: x per-channel
 * dequantization scale) -> + bias -> activation (-> + residual -> activation) in one runtime-fused
 * kernel that writes the (possibly strided) fp16 output view. Engine
 * configurations come from cuDNN's heuristics (mode A); the first few are timed and the fastest kept
 * (its rank is what a plan stores). Layers no fused engine supports fall back to the legacy path. */
#include "backend/cuda/cuda-internal.h"
#include "core/env-switch.h"
#include "core/log.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TRIED 4

typedef cudnnBackendDescriptor_t bd;

enum { UID_X = 1, UID_W, UID_B, UID_R, UID_Y, UID_S, UID_Z, UID_VIRT = 100 };

typedef struct builder {
    bd made[96]; /* every descriptor created, destroyed at the end */
    int n_made;
    cudnnStatus_t err;
} builder;

static bd make(builder *b, cudnnBackendDescriptorType_t t)
{
    bd d = NULL;
    if (b->err == CUDNN_STATUS_SUCCESS && b->n_made < 96) b->err = cudnnBackendCreateDescriptor(t, &d);
    else if (b->err == CUDNN_STATUS_SUCCESS) b->err = CUDNN_STATUS_INTERNAL_ERROR;
    if (d) b->made[b->n_made++] = d;
    return d;
}

static void set(builder *b, bd d, cudnnBackendAttributeName_t a, cudnnBackendAttributeType_t t, int64_t n, const void *v)
{
    if (b->err == CUDNN_STATUS_SUCCESS) b->err = cudnnBackendSetAttribute(d, a, t, n, v);
}

static void fin(builder *b, bd d)
{
    if (b->err == CUDNN_STATUS_SUCCESS) b->err = cudnnBackendFinalize(d);
}

/* NHWC tensor: dims in NCHW order, strides for a channel stride cs. */
static bd tensor(builder *b, int64_t uid, cudnnDataType_t dt, int64_t n, int64_t c, int64_t h, int64_t w, int64_t cs,
                 int virt, int64_t align)
{
    bd t = make(b, CUDNN_BACKEND_TENSOR_DESCRIPTOR);
    int64_t dims[4] = {n, c, h, w}, strides[4] = {h * w * cs, 1, w * cs, cs};
    bool v = virt != 0;
    set(b, t, CUDNN_ATTR_TENSOR_DATA_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &dt);
    set(b, t, CUDNN_ATTR_TENSOR_DIMENSIONS, CUDNN_TYPE_INT64, 4, dims);
    set(b, t, CUDNN_ATTR_TENSOR_STRIDES, CUDNN_TYPE_INT64, 4, strides);
    set(b, t, CUDNN_ATTR_TENSOR_UNIQUE_ID, CUDNN_TYPE_INT64, 1, &uid);
    set(b, t, CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT, CUDNN_TYPE_INT64, 1, &align);
    set(b, t, CUDNN_ATTR_TENSOR_IS_VIRTUAL, CUDNN_TYPE_BOOLEAN, 1, &v);
    fin(b, t);
    return t;
}

/* A pointwise op y = f(x[, b]); param: leaky's slope, swish's and softplus's beta. */
static bd pointwise(builder *b, cudnnPointwiseMode_t mode, double param, bd x, bd x2, bd y)
{
    bd pw = make(b, CUDNN_BACKEND_POINTWISE_DESCRIPTOR);
    cudnnDataType_t prec = CUDNN_DATA_FLOAT;
    set(b, pw, CUDNN_ATTR_POINTWISE_MODE, CUDNN_TYPE_POINTWISE_MODE, 1, &mode);
    set(b, pw, CUDNN_ATTR_POINTWISE_MATH_PREC, CUDNN_TYPE_DATA_TYPE, 1, &prec);
    if (mode == CUDNN_POINTWISE_RELU_FWD) set(b, pw, CUDNN_ATTR_POINTWISE_RELU_LOWER_CLIP_SLOPE, CUDNN_TYPE_DOUBLE, 1, &param);
    if (mode == CUDNN_POINTWISE_SWISH_FWD) set(b, pw, CUDNN_ATTR_POINTWISE_SWISH_BETA, CUDNN_TYPE_DOUBLE, 1, &param);
    if (mode == CUDNN_POINTWISE_SOFTPLUS_FWD) set(b, pw, CUDNN_ATTR_POINTWISE_SOFTPLUS_BETA, CUDNN_TYPE_DOUBLE, 1, &param);
    fin(b, pw);
    bd op = make(b, CUDNN_BACKEND_OPERATION_POINTWISE_DESCRIPTOR);
    set(b, op, CUDNN_ATTR_OPERATION_POINTWISE_PW_DESCRIPTOR, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &pw);
    set(b, op, CUDNN_ATTR_OPERATION_POINTWISE_XDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &x);
    if (x2) set(b, op, CUDNN_ATTR_OPERATION_POINTWISE_BDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &x2);
    set(b, op, CUDNN_ATTR_OPERATION_POINTWISE_YDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &y);
    fin(b, op);
    return op;
}

/* One pointwise step after the conv; b: its second input (the activation's own input for the
 * products of swish and mish). */
enum { IN_NONE, IN_BIAS, IN_SCALE, IN_RES, IN_ZP, IN_ACT_X };
typedef struct pw_step {
    cudnnPointwiseMode_t mode;
    double param;
    int b;
    int act_start; /* the first op of an activation: its input is IN_ACT_X */
} pw_step;

#define MAX_STEPS 12

/* Whether cuDNN's graph may take mish and the composed swish (DRT_CUDA_FUSE_MISH=0: not, as before
 * issue 18; those convs run as the legacy conv + epilogue kernel, for comparisons). */
static int fuse_mish_swish(void)
{
    return drt_env_switch("DRT_CUDA_FUSE_MISH", NULL) != 0;
}

/* Activation a as pointwise steps; form 0: cuDNN's own modes, form 1: swish as x * sigmoid(x)
 * (where a fusion engine refuses SWISH_FWD). Mish is x * tanh(softplus(x)): softplus's beta 1
 * (AlexeyAB's threshold of 20 changes nothing in float). Returns the count, -1 without a form. */
static int act_steps(drt_act a, int form, pw_step *s)
{
    switch (a) {
    case DRT_ACT_LINEAR: return 0;
    case DRT_ACT_LEAKY: s[0] = (pw_step){CUDNN_POINTWISE_RELU_FWD, 0.1, IN_NONE, 1}; return 1;
    case DRT_ACT_RELU: s[0] = (pw_step){CUDNN_POINTWISE_RELU_FWD, 0.0, IN_NONE, 1}; return 1;
    case DRT_ACT_LOGISTIC: s[0] = (pw_step){CUDNN_POINTWISE_SIGMOID_FWD, 0, IN_NONE, 1}; return 1;
    case DRT_ACT_SWISH:
        if (form == 0) { s[0] = (pw_step){CUDNN_POINTWISE_SWISH_FWD, 1.0, IN_NONE, 1}; return 1; }
        if (!fuse_mish_swish()) return -1;
        s[0] = (pw_step){CUDNN_POINTWISE_SIGMOID_FWD, 0, IN_NONE, 1};
        s[1] = (pw_step){CUDNN_POINTWISE_MUL, 0, IN_ACT_X, 0};
        return 2;
    case DRT_ACT_MISH:
        if (!fuse_mish_swish()) return -1;
        s[0] = (pw_step){CUDNN_POINTWISE_SOFTPLUS_FWD, 1.0, IN_NONE, 1};
        s[1] = (pw_step){CUDNN_POINTWISE_TANH_FWD, 0, IN_NONE, 0};
        s[2] = (pw_step){CUDNN_POINTWISE_MUL, 0, IN_ACT_X, 0};
        return 3;
    default: return -1;
    }
}

/* Form 2 (split): the graph is conv + bias only; the epilogue kernel then applies the activations
 * and the residual in place (c->math[i] = CU_FUSED_SPLIT). Tried for convs whose whole epilogue
 * cuDNN refuses: on the H200 its conv kernels beat the legacy API's (yolov4-416 with mish split
 * 1.17 ms, legacy conv + epilogue kernel 3.31 ms). DRT_CUDA_SPLIT=0: the legacy path (comparisons). */
#define FORM_SPLIT 2

static int split_on(void)
{
    return drt_env_switch("DRT_CUDA_SPLIT", NULL) != 0;
}

/* The forms worth trying for an op, in order: cuDNN's modes, the composed swish, the split. */
static int forms(const cu_op *op, int out[3])
{
    int n = 0;
    out[n++] = 0;
    if (op->act == DRT_ACT_SWISH || (op->res.buf >= 0 && op->act2 == DRT_ACT_SWISH)) out[n++] = 1;
    if (split_on() && op->qout < 0) out[n++] = FORM_SPLIT; /* the epilogue kernel writes fp16 */
    return n;
}

/* The steps after the conv: (int8: x dequantization scale,) + bias,
 * act (, + residual, act2) (, + the next conv's zero point: out_zp, a hand-off into a conv with one). */
static int epilogue_steps(const cu_conv *cv, const cu_op *op, int form, int out_zp, pw_step s[MAX_STEPS])
{
    int n = 0, k;
    if (cv->int8) s[n++] = (pw_step){CUDNN_POINTWISE_MUL, 0, IN_SCALE, 0};
    s[n++] = (pw_step){CUDNN_POINTWISE_ADD, 0, IN_BIAS, 0};
    if (form == FORM_SPLIT) return n;
    if ((k = act_steps(op->act, form, s + n)) < 0) return -1;
    n += k;
    if (op->res.buf >= 0) {
        s[n++] = (pw_step){CUDNN_POINTWISE_ADD, 0, IN_RES, 0};
        if ((k = act_steps(op->act2, form, s + n)) < 0) return -1;
        n += k;
    }
    if (out_zp) s[n++] = (pw_step){CUDNN_POINTWISE_ADD, 0, IN_ZP, 0};
    return n;
}

static int64_t align_of(const void *p, int cs)
{
    return ((uintptr_t)p % 16 == 0 && cs % 8 == 0) ? 16 : 2;
}

/* The operation graph of one conv op at one batch size in a form (NULL if cuDNN refuses it). */
static bd op_graph(const cu_engine *g, cudnnHandle_t dnn, const cu_conv *cv, const cu_op *op, int batch, int form, builder *b)
{
    cudnnDataType_t io = CUDNN_DATA_HALF, f32 = CUDNN_DATA_FLOAT, i32 = CUDNN_DATA_INT32, i8 = CUDNN_DATA_INT8;
    pw_step steps[MAX_STEPS];
    int out_zp = drt_cuda_out_zp(g, cv);
    int n_steps = epilogue_steps(cv, op, form, out_zp, steps);
    if (n_steps < 0) return NULL;
    int64_t n = batch, oh = op->out.h, ow = op->out.w, k = cv->k;
    int q8 = cv->int8;
    bd x = q8 ? tensor(b, UID_X, i8, n, cv->cq, op->in.h, op->in.w, cv->cq, 0, 16)
              : tensor(b, UID_X, io, n, cv->cin, op->in.h, op->in.w, op->in.cs, 0, align_of(drt_cuda_view_ptr(g, NULL, &op->in), op->in.cs));
    bd w = tensor(b, UID_W, q8 ? i8 : io, k, cv->cin / cv->groups, cv->r, cv->s, cv->cin / cv->groups, 0, 16);
    bd ext[IN_ACT_X + 1] = {NULL};
    ext[IN_BIAS] = tensor(b, UID_B, q8 ? f32 : io, 1, k, 1, 1, k, 0, 16);
    if (q8) ext[IN_SCALE] = tensor(b, UID_S, f32, 1, k, 1, 1, k, 0, 16);
    if (out_zp) ext[IN_ZP] = tensor(b, UID_Z, f32, 1, k, 1, 1, k, 0, 16);
    if (op->res.buf >= 0 && form != FORM_SPLIT)
        ext[IN_RES] = tensor(b, UID_R, io, n, k, oh, ow, op->res.cs, 0, align_of(drt_cuda_view_ptr(g, NULL, &op->res), op->res.cs));
    bd y = cv->out_q ? tensor(b, UID_Y, i8, n, k, oh, ow, k, 0, 16) /* the next int8 conv's input (hand_off_int8) */
                     : tensor(b, UID_Y, io, n, k, oh, ow, op->out.cs, 0, align_of(drt_cuda_view_ptr(g, NULL, &op->out), op->out.cs));
    bd conv = make(b, CUDNN_BACKEND_CONVOLUTION_DESCRIPTOR);
    cudnnConvolutionMode_t mode = CUDNN_CROSS_CORRELATION;
    int64_t dims = 2, dil[2] = {cv->dil, cv->dil}, str[2] = {cv->stride_y, cv->stride}, pad[2] = {cv->pad, cv->pad};
    set(b, conv, CUDNN_ATTR_CONVOLUTION_COMP_TYPE, CUDNN_TYPE_DATA_TYPE, 1, q8 ? &i32 : &f32);
    set(b, conv, CUDNN_ATTR_CONVOLUTION_CONV_MODE, CUDNN_TYPE_CONVOLUTION_MODE, 1, &mode);
    set(b, conv, CUDNN_ATTR_CONVOLUTION_SPATIAL_DIMS, CUDNN_TYPE_INT64, 1, &dims);
    set(b, conv, CUDNN_ATTR_CONVOLUTION_DILATIONS, CUDNN_TYPE_INT64, 2, dil);
    set(b, conv, CUDNN_ATTR_CONVOLUTION_FILTER_STRIDES, CUDNN_TYPE_INT64, 2, str);
    set(b, conv, CUDNN_ATTR_CONVOLUTION_PRE_PADDINGS, CUDNN_TYPE_INT64, 2, pad);
    set(b, conv, CUDNN_ATTR_CONVOLUTION_POST_PADDINGS, CUDNN_TYPE_INT64, 2, pad);
    fin(b, conv);
    bd ops[MAX_STEPS + 1];
    int n_ops = 0, vid = UID_VIRT;
    bd cur = tensor(b, vid++, q8 ? i32 : f32, n, k, oh, ow, k, 1, 16);
    bd cop = make(b, CUDNN_BACKEND_OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR);
    float alpha = 1.f, beta = 0.f;
    set(b, cop, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_X, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &x);
    set(b, cop, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_W, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &w);
    set(b, cop, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_Y, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &cur);
    set(b, cop, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_CONV_DESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &conv);
    set(b, cop, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA, CUDNN_TYPE_FLOAT, 1, &alpha);
    set(b, cop, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_BETA, CUDNN_TYPE_FLOAT, 1, &beta);
    fin(b, cop);
    ops[n_ops++] = cop;
    for (int i = 0; i < n_steps; i++) { /* the last step writes y */
        if (steps[i].act_start) ext[IN_ACT_X] = cur;
        bd next = i == n_steps - 1 ? y : tensor(b, vid++, f32, n, k, oh, ow, k, 1, 16);
        ops[n_ops++] = pointwise(b, steps[i].mode, steps[i].param, cur, ext[steps[i].b], next);
        cur = next;
    }
    bd graph = make(b, CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR);
    set(b, graph, CUDNN_ATTR_OPERATIONGRAPH_OPS, CUDNN_TYPE_BACKEND_DESCRIPTOR, n_ops, ops);
    set(b, graph, CUDNN_ATTR_OPERATIONGRAPH_HANDLE, CUDNN_TYPE_HANDLE, 1, &dnn);
    fin(b, graph);
    return b->err == CUDNN_STATUS_SUCCESS ? graph : NULL;
}

/* The variant pack of op's conv over a run state's arena and workspace. */
static bd variant_pack(const cu_engine *g, const void *arena, const cu_op *op, void *ws, int split)
{
    const cu_conv *cv = &g->convs[op->conv];
    int64_t uids[8] = {UID_X, UID_W, UID_B, UID_Y, UID_R};
    void *ptrs[8] = {cv->int8 ? (unsigned char *)arena + g->bufs[op->qbuf].offset : drt_cuda_view_ptr(g, arena, &op->in),
                     cv->w, cv->int8 ? (void *)cv->bias : cv->bias_io,
                     op->qout >= 0 ? (unsigned char *)arena + g->bufs[op->qout].offset : drt_cuda_view_ptr(g, arena, &op->out),
                     op->res.buf >= 0 ? drt_cuda_view_ptr(g, arena, &op->res) : NULL};
    int64_t n = 4;
    if (op->res.buf >= 0 && !split) n++; /* a split graph leaves the residual to the epilogue kernel */
    if (cv->int8) { /* the scale goes where the residual would be when there is none */
        uids[n] = UID_S;
        ptrs[n] = cv->dq;
        n++;
    }
    if (drt_cuda_out_zp(g, cv)) {
        uids[n] = UID_Z;
        ptrs[n] = cv->zq;
        n++;
    }
    bd vp = NULL;
    if (cudnnBackendCreateDescriptor(CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR, &vp) != CUDNN_STATUS_SUCCESS) return NULL;
    if (cudnnBackendSetAttribute(vp, CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS, CUDNN_TYPE_INT64, n, uids) ||
        cudnnBackendSetAttribute(vp, CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS, CUDNN_TYPE_VOID_PTR, n, ptrs) ||
        cudnnBackendSetAttribute(vp, CUDNN_ATTR_VARIANT_PACK_WORKSPACE, CUDNN_TYPE_VOID_PTR, 1, &ws) ||
        cudnnBackendFinalize(vp)) {
        cudnnBackendDestroyDescriptor(vp);
        return NULL;
    }
    return vp;
}

/* Median-free quick timing: the best of 3 runs after one warm-up (module loading stays out). */
static float time_plan(const cu_engine *g, bd plan, bd vp, cudnnStatus_t *st)
{
    cudaEvent_t a, e;
    float best = 1e30f;
    *st = CUDNN_STATUS_EXECUTION_FAILED; /* what a failure before cuDNN's own status says (a sticky CUDA error) */
    if (cudaEventCreate(&a) != cudaSuccess) return best;
    if (cudaEventCreate(&e) != cudaSuccess) { cudaEventDestroy(a); return best; }
    for (int i = 0; i < 4; i++) {
        cudaEventRecord(a, g->own.stream);
        if ((*st = cudnnBackendExecute(g->own.dnn, plan, vp)) != CUDNN_STATUS_SUCCESS) { best = 1e30f; break; }
        cudaEventRecord(e, g->own.stream);
        float ms = 0;
        if (cudaEventSynchronize(e) != cudaSuccess || cudaEventElapsedTime(&ms, a, e) != cudaSuccess) {
            *st = CUDNN_STATUS_EXECUTION_FAILED;
            best = 1e30f;
            break;
        }
        if (i > 0 && ms < best) best = ms;
    }
    cudaEventDestroy(a);
    cudaEventDestroy(e);
    cudaGetLastError();
    return best;
}

/* What makes two convs the same problem for cuDNN: same graph, same alignments. */
static void signature(const cu_engine *g, const cu_op *op, int sig[CU_SIG_LEN])
{
    const cu_conv *cv = &g->convs[op->conv];
    int v[CU_SIG_LEN] = {cv->cin, op->in.cs, op->in.h, op->in.w, cv->k, cv->r, cv->stride, cv->pad, cv->groups,
                         op->out.cs, op->out.h, op->out.w, op->res.buf >= 0, op->res.buf >= 0 ? op->res.cs : 0,
                         (int)op->act, (int)op->act2,
                         (int)align_of(drt_cuda_view_ptr(g, NULL, &op->in), op->in.cs),
                         (int)align_of(drt_cuda_view_ptr(g, NULL, &op->out), op->out.cs),
                         op->res.buf >= 0 ? (int)align_of(drt_cuda_view_ptr(g, NULL, &op->res), op->res.cs) : 0, cv->int8,
                         cv->dil, cv->stride_y, cv->out_q, cv->asym, drt_cuda_out_zp(g, cv)};
    memcpy(sig, v, sizeof v);
}

int drt_cuda_fused_share(cu_engine *g, cu_ctx *c, int i)
{
    int *sig = c->sig + (size_t)i * CU_SIG_LEN;
    signature(g, drt_cuda_conv_op(g, i), sig);
    for (int j = 0; j < i; j++)
        if (c->plan[j] && !memcmp(c->sig + (size_t)j * CU_SIG_LEN, sig, sizeof(int) * CU_SIG_LEN)) {
            c->plan[i] = c->plan[j];
            c->plan_shared[i] = 1;
            c->algo[i] = c->algo[j];
            c->math[i] = c->math[j];
            if (g->verbose)
                fprintf(drt_log_file(), "cuda: conv %d batch %d: fused graph shared with conv %d (same problem%s)\n", g->convs[i].layer,
                        c->batch, g->convs[j].layer, c->math[i] == CU_FUSED_SPLIT ? ", form 2" : "");
            return 1;
        }
    return 0;
}

/* cuDNN's first MAX_TRIED engine configurations for a graph, by heuristics mode hm; returns
 * their count (0 when cuDNN has none). free_configs releases them. */
static int64_t heur_configs(builder *b, bd graph, cudnnBackendHeurMode_t hm, bd cfgs[MAX_TRIED])
{
    bd heur = graph ? make(b, CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR) : NULL;
    set(b, heur, CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &graph);
    set(b, heur, CUDNN_ATTR_ENGINEHEUR_MODE, CUDNN_TYPE_HEUR_MODE, 1, &hm);
    fin(b, heur);
    int64_t n = 0;
    memset(cfgs, 0, sizeof(bd) * MAX_TRIED);
    if (b->err != CUDNN_STATUS_SUCCESS) return 0;
    for (int k = 0; k < MAX_TRIED; k++) cudnnBackendCreateDescriptor(CUDNN_BACKEND_ENGINECFG_DESCRIPTOR, &cfgs[k]);
    if (cudnnBackendGetAttribute(heur, CUDNN_ATTR_ENGINEHEUR_RESULTS, CUDNN_TYPE_BACKEND_DESCRIPTOR, MAX_TRIED, &n, cfgs) !=
        CUDNN_STATUS_SUCCESS)
        return 0;
    return n < MAX_TRIED ? n : MAX_TRIED;
}

static void free_configs(bd cfgs[MAX_TRIED])
{
    for (int k = 0; k < MAX_TRIED; k++) if (cfgs[k]) cudnnBackendDestroyDescriptor(cfgs[k]);
}

/* The execution plan of one engine configuration and its workspace; NULL when cuDNN refuses it. */
static bd finalize_plan(cudnnHandle_t dnn, bd cfg, int64_t *ws_out)
{
    bd plan = NULL;
    if (cudnnBackendCreateDescriptor(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR, &plan)) return NULL;
    if (cudnnBackendSetAttribute(plan, CUDNN_ATTR_EXECUTION_PLAN_HANDLE, CUDNN_TYPE_HANDLE, 1, &dnn) ||
        cudnnBackendSetAttribute(plan, CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &cfg) ||
        cudnnBackendFinalize(plan) ||
        cudnnBackendGetAttribute(plan, CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE, CUDNN_TYPE_INT64, 1, NULL, ws_out)) {
        cudnnBackendDestroyDescriptor(plan);
        return NULL;
    }
    return plan;
}

/* What one form of a conv's graph gave: the best plan, or why there is none. */
typedef struct form_result {
    bd plan;
    int rank;
    float ms;
    int64_t ws, n_cfg;
    char why[96];
} form_result;

/* The best of cuDNN's first engine configurations for conv i in one form (want >= 0: that rank
 * only, untimed, on any handle; else timed on the engine's own run state). */
static void choose_form(const cu_engine *g, cudnnHandle_t dnn, const cu_ctx *c, int i, int form, void *ws, size_t ws_bytes,
                        int want, form_result *r)
{
    const cu_op *op = drt_cuda_conv_op(g, i);
    builder b = {.err = CUDNN_STATUS_SUCCESS};
    bd graph = op_graph(g, dnn, &g->convs[i], op, c->batch, form, &b);
    int heur_b = drt_env_switch("DRT_CUDA_HEUR", "B") == 2; /* B: cuDNN's slower, more thorough heuristics (comparisons) */
    bd cfgs[MAX_TRIED];
    r->n_cfg = heur_configs(&b, graph, heur_b ? CUDNN_HEUR_MODE_B : CUDNN_HEUR_MODE_A, cfgs);
    r->plan = NULL, r->ms = 1e30f, r->rank = -1, r->ws = 0;
    int finalized = 0, fit = 0, vp_ok = 1;
    cudnnStatus_t ran = CUDNN_STATUS_SUCCESS; /* the last failed execution's */
    for (int k = 0; k < r->n_cfg; k++) {
        if (want >= 0 && k != want) continue;
        int64_t need = 0;
        bd plan = finalize_plan(dnn, cfgs[k], &need);
        if (!plan) continue;
        finalized++;
        if ((size_t)need > ws_bytes) {
            cudnnBackendDestroyDescriptor(plan);
            continue;
        }
        fit++;
        float ms = 0;
        if (want < 0) {
            bd vp = variant_pack(g, g->own.arena, op, ws, form == FORM_SPLIT);
            ms = vp ? time_plan(g, plan, vp, &ran) : 1e30f;
            vp_ok &= vp != NULL;
            if (vp) cudnnBackendDestroyDescriptor(vp);
        }
        if (ms < r->ms) {
            if (r->plan) cudnnBackendDestroyDescriptor(r->plan);
            r->plan = plan, r->ms = ms, r->rank = k, r->ws = need;
        } else {
            cudnnBackendDestroyDescriptor(plan);
        }
    }
    pw_step steps[MAX_STEPS];
    if (epilogue_steps(&g->convs[i], op, form, drt_cuda_out_zp(g, &g->convs[i]), steps) < 0)
        snprintf(r->why, sizeof r->why, "activation %d/%d has no pointwise form", (int)op->act, (int)op->act2);
    else if (!graph)
        snprintf(r->why, sizeof r->why, "graph refused: %s", cudnnGetErrorString(b.err));
    else if (r->n_cfg == 0)
        snprintf(r->why, sizeof r->why, "no engine config from the heuristics");
    else if (!finalized)
        snprintf(r->why, sizeof r->why, "none of %lld engine configs finalized", (long long)r->n_cfg);
    else if (!fit)
        snprintf(r->why, sizeof r->why, "every plan needs more than %zu bytes of workspace", ws_bytes);
    else if (!r->plan)
        snprintf(r->why, sizeof r->why, "no plan ran: %s", vp_ok ? cudnnGetErrorString(ran) : "variant pack refused");
    free_configs(cfgs);
    for (int k = b.n_made - 1; k >= 0; k--) cudnnBackendDestroyDescriptor(b.made[k]);
}

/* Tries the fused graph for conv i at c->batch. want >= 0: that heuristic rank only (from a plan).
 * On success c->plan[i] holds the execution plan, c->algo[i] = CU_ALGO_FUSED + rank. */
drt_status drt_cuda_fused_choose(cu_engine *g, cu_ctx *c, int i, void *ws, size_t ws_bytes, int want)
{
    const cu_op *op = drt_cuda_conv_op(g, i);
    int sig[CU_SIG_LEN];
    signature(g, op, sig);
    for (int j = 0; want < 0 && j < i; j++) /* an identical conv already timed: take its choice */
        if (c->plan[j] && memcmp(c->sig + (size_t)j * CU_SIG_LEN, sig, sizeof sig) == 0) want = c->algo[j] - CU_ALGO_FUSED;
    memcpy(c->sig + (size_t)i * CU_SIG_LEN, sig, sizeof sig);
    /* the first form with a plan: deterministic for one cuDNN, so a plan's rank names the same engine */
    form_result r = {0};
    int form = 0, fl[3], nf = forms(op, fl);
    for (int f = 0; f < nf && !r.plan; f++) {
        choose_form(g, g->own.dnn, c, i, form = fl[f], ws, ws_bytes, want, &r);
        if (!r.plan && f < nf - 1 && g->verbose)
            fprintf(drt_log_file(), "cuda: conv %d batch %d: form %d refused (%s)\n", g->convs[i].layer, c->batch, form, r.why);
    }
    if (!r.plan) { /* no error text: the caller falls back */
        if (g->verbose)
            fprintf(drt_log_file(), "cuda: conv %d batch %d: no fused graph (%s): legacy conv + epilogue kernel\n",
                    g->convs[i].layer, c->batch, r.why);
        return DRT_STATUS_UNSUPPORTED;
    }
    c->plan[i] = r.plan;
    c->algo[i] = CU_ALGO_FUSED + r.rank;
    c->math[i] = form == FORM_SPLIT ? CU_FUSED_SPLIT : 0;
    if ((size_t)r.ws > c->ws_needed) c->ws_needed = (size_t)r.ws;
    if (g->verbose)
        fprintf(drt_log_file(), "cuda: conv %d batch %d: fused graph (act %d/%d, form %d), engine config %d of %lld, %.4f ms, ws %lld\n",
                g->convs[i].layer, c->batch, (int)op->act, (int)op->act2, form, r.rank, (long long)r.n_cfg, r.ms, (long long)r.ws);
    return DRT_OK;
}

int drt_cuda_fused_probe(cu_engine *g, const cu_conv *cv, const cu_op *op, int batch)
{
    int ok = 0, fl[3], nf = forms(op, fl);
    for (int f = 0; f < nf && !ok; f++) {
        builder b = {.err = CUDNN_STATUS_SUCCESS};
        bd graph = op_graph(g, g->own.dnn, cv, op, batch, fl[f], &b);
        bd cfgs[MAX_TRIED];
        int64_t n_cfg = heur_configs(&b, graph, CUDNN_HEUR_MODE_A, cfgs);
        for (int k = 0; k < n_cfg && !ok; k++) {
            int64_t need = 0;
            bd plan = finalize_plan(g->own.dnn, cfgs[k], &need);
            ok = plan != NULL;
            if (plan) cudnnBackendDestroyDescriptor(plan);
        }
        free_configs(cfgs);
        for (int k = b.n_made - 1; k >= 0; k--) cudnnBackendDestroyDescriptor(b.made[k]);
    }
    return ok;
}

/* The chosen plan of conv i as cuDNN's JSON (runtime-fused engines: with their compiled kernel,
 * so a plan reloads without compiling); *json_out NULL when cuDNN cannot serialize this engine. */
drt_status drt_cuda_fused_json(const cu_ctx *c, int i, char **json_out, size_t *len_out)
{
    *json_out = NULL;
    *len_out = 0;
    if (!c->plan[i]) return DRT_OK;
    int64_t n = 0;
    if (cudnnBackendGetAttribute(c->plan[i], CUDNN_ATTR_EXECUTION_PLAN_JSON_REPRESENTATION, CUDNN_TYPE_CHAR, 0, &n, NULL) !=
            CUDNN_STATUS_SUCCESS || n <= 0)
        return DRT_OK;
    char *json = malloc((size_t)n);
    if (!json) return drt_error(DRT_STATUS_OOM, "cuda: out of memory for a %lld-byte execution plan", (long long)n);
    int64_t got = 0;
    if (cudnnBackendGetAttribute(c->plan[i], CUDNN_ATTR_EXECUTION_PLAN_JSON_REPRESENTATION, CUDNN_TYPE_CHAR, n, &got, json) !=
            CUDNN_STATUS_SUCCESS || got != n) {
        free(json);
        return DRT_OK;
    }
    *json_out = json;
    *len_out = (size_t)n;
    return DRT_OK;
}

cudnnBackendDescriptor_t drt_cuda_plan_from_json(cudnnHandle_t dnn, const char *json, size_t len, size_t ws_bytes,
                                                 int64_t *ws_out)
{
    bd plan = NULL;
    int64_t need = 0;
    if (cudnnBackendCreateDescriptor(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR, &plan)) return NULL;
    if (cudnnBackendSetAttribute(plan, CUDNN_ATTR_EXECUTION_PLAN_HANDLE, CUDNN_TYPE_HANDLE, 1, &dnn) ||
        cudnnBackendSetAttribute(plan, CUDNN_ATTR_EXECUTION_PLAN_JSON_REPRESENTATION, CUDNN_TYPE_CHAR, (int64_t)len, json) ||
        cudnnBackendFinalize(plan) ||
        cudnnBackendGetAttribute(plan, CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE, CUDNN_TYPE_INT64, 1, NULL, &need) ||
        need < 0 || (size_t)need > ws_bytes) {
        cudnnBackendDestroyDescriptor(plan);
        return NULL;
    }
    *ws_out = need;
    return plan;
}

/* Conv i's execution plan rebuilt from the JSON a plan file stores: no heuristics, no timing and
 * no kernel compilation. DRT_STATUS_UNSUPPORTED (no error text) when cuDNN refuses it or it needs
 * more workspace than ws_bytes: the caller falls back to the stored heuristic rank. */
drt_status drt_cuda_fused_from_json(cu_engine *g, cu_ctx *c, int i, const char *json, size_t len, size_t ws_bytes)
{
    int64_t need = 0;
    bd plan = drt_cuda_plan_from_json(g->own.dnn, json, len, ws_bytes, &need);
    if (!plan) return DRT_STATUS_UNSUPPORTED;
    drt_cuda_fused_adopt(g, c, i, plan, need, len);
    return DRT_OK;
}

void drt_cuda_fused_adopt(cu_engine *g, cu_ctx *c, int i, bd plan, int64_t need, size_t len)
{
    c->plan[i] = plan;
    if (c->from_json) c->from_json[i] = 1;
    c->algo[i] = g->convs[i].algo_max;
    c->math[i] = g->convs[i].math_max == CU_FUSED_SPLIT ? CU_FUSED_SPLIT : 0; /* the plan's form */
    if ((size_t)need > c->ws_needed) c->ws_needed = (size_t)need;
    if (g->verbose)
        fprintf(drt_log_file(), "cuda: conv %d batch %d: fused graph from the plan's JSON (%zu bytes), ws %lld\n", g->convs[i].layer,
                c->batch, len, (long long)need);
}

drt_status drt_cuda_fused_rebuild(const cu_engine *g, const cu_ctx *c, int i, cudnnHandle_t dnn, bd *plan_out)
{
    *plan_out = NULL;
    if (!c->plan[i]) return DRT_OK;
    int64_t need = 0;
    if (c->json && c->json[i] && (*plan_out = drt_cuda_plan_from_json(dnn, c->json[i], c->json_len[i], g->ws_bytes, &need)))
        return DRT_OK;
    /* no JSON from cuDNN: the same engine configuration again (the first form with one, as chosen) */
    int rank = c->algo[i] - CU_ALGO_FUSED;
    if (rank < 0) return drt_error(DRT_STATUS_INTERNAL, "cuda: conv %d: a fused plan without a rank", g->convs[i].layer);
    form_result r = {0};
    int fl[3], nf = forms(drt_cuda_conv_op(g, i), fl);
    for (int f = 0; f < nf && !r.plan; f++)
        choose_form(g, dnn, c, i, fl[f], NULL, g->ws_bytes, rank, &r);
    if (!r.plan)
        return drt_error(DRT_STATUS_CUDA, "cuda: conv %d: cuDNN no longer builds the engine's execution plan (config %d) "
                         "for a new context: %s", g->convs[i].layer, rank, r.why);
    *plan_out = r.plan;
    return DRT_OK;
}

drt_status drt_cuda_fused_bind(const cu_engine *g, const cu_ctx *c, const cu_run *r, cu_bind *b, int i)
{
    b->vpack[i] = variant_pack(g, r->arena, drt_cuda_conv_op(g, i), r->ws, c->math[i] == CU_FUSED_SPLIT);
    if (!b->vpack[i]) return drt_error(DRT_STATUS_CUDA, "cuda: conv %d: cuDNN refused the variant pack", g->convs[i].layer);
    return DRT_OK;
}
