/* CUDA backend internals: the compiled op list, buffers, per-batch contexts and checked calls. */
#ifndef DRT_BACKEND_CUDA_INTERNAL_H
#define DRT_BACKEND_CUDA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include "engine/engine.h"
#include "core/error.h"
#include "graph/passes/passes.h"
#include "backend/cuda/cuda-kernels.h"

/* Every CUDA runtime / cuDNN call is checked: on failure the function returns DRT_STATUS_CUDA
 * with the library's error text and the statement that failed. */
#define DRT_CUDA_TRY(stmt) \
    do { cudaError_t drt_ce_ = (stmt); \
         if (drt_ce_ != cudaSuccess) return drt_cuda_fail_rt(drt_ce_, #stmt, __FILE__, __LINE__); } while (0)
#define DRT_CUDNN_TRY(stmt) \
    do { cudnnStatus_t drt_cs_ = (stmt); \
         if (drt_cs_ != CUDNN_STATUS_SUCCESS) return drt_cuda_fail_dnn(drt_cs_, #stmt, __FILE__, __LINE__); } while (0)
drt_status drt_cuda_fail_rt(cudaError_t e, const char *stmt, const char *file, int line);
drt_status drt_cuda_fail_dnn(cudnnStatus_t e, const char *stmt, const char *file, int line);

/* A tensor as stored on the device: NHWC, `cs` channels per pixel in buffer `buf`, of which this
 * view covers channels [coff, coff + c). */
typedef struct cu_view {
    int buf;
    int cs, coff, c, h, w;
} cu_view;

/* An activation buffer: sized for max_batch items; placed in the arena by the memory planner. */
typedef struct cu_buf {
    size_t bytes;      /* for max_batch items */
    size_t offset;     /* in the arena */
    int first, last;   /* op indices: defined, last read (inclusive) */
    int zero_padded;   /* channels past the producer's real channels hold zeros */
} cu_buf;

typedef enum cu_op_kind {
    CU_OP_INPUT,    /* host float32 NCHW (staged on the device) -> NHWC out */
    CU_OP_CONV,     /* cuDNN conv, then epilogue: act(y + bias) (+ residual, act2) -> out */
    CU_OP_MAXPOOL,
    CU_OP_UPSAMPLE,
    CU_OP_COPY,     /* channel slice copy (route pieces that cannot be written in place) */
    CU_OP_SHORTCUT, /* Darknet's shortcut with its size and channel rules (unfused) */
    CU_OP_HEAD,     /* NHWC view -> float32 NCHW head on the device, then to the host */
    CU_OP_AVGPOOL,  /* [avgpool]: in -> c x 1 x 1 */
    CU_OP_SCALE_CHANNELS, /* act(in * res): in is c x 1 x 1, one factor per channel of res */
    CU_OP_SAM,      /* act(in * res), the same shapes */
    CU_OP_REORG3D,  /* space to depth by stride */
    CU_OP_REORG,    /* YOLOv2's reorg (Darknet's index order) */
    CU_OP_ACTIVATION, /* [activation]: act(in) (the epilogue kernel without bias) */
    CU_OP_AFFINE,   /* [batchnorm]: in * mul + add per channel */
    CU_OP_WSUM,     /* one input (res, its wk-th) of a weighted or multi-input [shortcut]: act(in * wa + res * wb) */
    CU_OP_CONST,    /* [implicit]: its weights (mul) at every image */
    CU_OP_STEP      /* xnor=1 conv's input: in > 0 ? 1 : 0 (src/graph/xnor.h) */
} cu_op_kind;

typedef struct cu_conv {
    int layer;
    int cin, k, r, s, stride, pad, groups; /* cin: the input view's stored channels; pad: pixels (x dil) */
    int stride_y;   /* the vertical stride (stride: the horizontal one) */
    int dil;        /* taps dil apart (AlexeyAB's dilation=; 1: none) */
    void *w;        /* device weights, KRSC (NHWC filter), plan precision */
    float *bias;    /* device, k floats (BN folded) */
    void *bias_io;  /* the same in the plan precision (fused fp16 graphs) */
    int int8;       /* int8 plan: this conv reads a quantized copy of its input (else fp16) */
    int cq;         /* int8: stored input channels (the view's, padded to a multiple of 16) */
    float step;     /* int8: the input's quantization step (calibrated threshold / 127; asym: (hi - lo) / 255) */
    int asym;       /* int8: its input has a zero point (--int8-activations asym) */
    int zp;         /* asym: the input's zero point (the code of 0, -128..127) */
    float *dq;      /* int8: device, k floats: step * weight step of each output channel (/ the next step: out_q) */
    int out_q;      /* writes its output quantized, for conv q_next alone (cuda-compile.c, hand_off_int8) */
    int q_next;     /* out_q: the int8 conv reading it (1 / its step scales this conv's weights and bias) */
    float *zq;      /* out_q into a conv with a zero point: device, k floats of that zp, added before the int8 cast */
    int algo_max;   /* algorithm for max_batch (-1: find it) */
    int math_max;
    const char *json;  /* while a plan loads: its stored execution plan for max_batch (cuDNN JSON) */
    size_t json_len;
    cudnnFilterDescriptor_t wdesc;
} cu_conv;

typedef struct cu_op {
    cu_op_kind kind;
    int layer;
    cu_view in, out, res; /* res.buf < 0: no residual */
    int scratch;          /* conv: buffer cuDNN writes before the epilogue (-1: into out directly) */
    int qbuf;             /* int8 conv: the int8 copy of its input (-1: none) */
    int qout;             /* out_q conv: the next conv's qbuf, written instead of out (-1: none) */
    int q_given;          /* int8 conv: the conv before writes qbuf (no quantize step) */
    int conv;             /* index into conv list */
    drt_act act, act2;
    int size, stride, padding; /* maxpool; upsample stride */
    int avg;              /* maxpool: [local_avgpool] (the mean of the taps inside) */
    const float *mul;     /* affine: device, c floats of mul then c of add; const: c floats (in g->bn_dev) */
    const float *wa, *wb; /* wsum: device weights of in (NULL: 1, every step but the first) and of res (NULL: 1) */
    int wk;               /* wsum: res is the shortcut's input wk (1..n-1) */
    int stride_y, depth; /* maxpool: the vertical stride; maxpool_depth's out channels (0: none) */
    int head;             /* head index */
    char label[48];
} cu_op;

#define CU_PLAN_INT8 1       /* plan_int8: the conv runs in int8 */
#define CU_PLAN_HANDS_INT8 2 /* plan_int8: the conv writes int8 for the next (hand_off_int8) */
#define CU_PLAN_ZERO_POINT 4 /* plan_int8: the conv's int8 input has a zero point (asym) */
#define CU_MAX_CTX 8
#define CU_ALGO_FUSED 1000
#define CU_FUSED_SPLIT 1 /* math of a fused conv: the graph is conv + bias, the epilogue kernel does the rest */
#define CU_SIG_LEN 25

/* Per batch size, the compiled choices (the engine's, read-only once built; every run state
 * shares them): descriptors, chosen algorithms, and the fused convs' execution plans as chosen on
 * the engine's own run state, with their cuDNN JSON (max_batch) from which other run states
 * rebuild their own (cuDNN's execution plans are not safe to share across threads). */
typedef struct cu_ctx {
    int batch;
    cudnnTensorDescriptor_t *xdesc, *ydesc;  /* per conv */
    cudnnConvolutionDescriptor_t *cdesc;     /* per conv, with its chosen math type */
    int *algo, *math;                        /* per conv: legacy algorithm, or CU_ALGO_FUSED + rank */
    cudnnBackendDescriptor_t *plan;          /* per conv: fused graph's execution plan (NULL: legacy) */
    int *sig;                                /* per conv: CU_SIG_LEN ints, the fused problem */
    unsigned char *plan_shared;              /* per conv: plan[i] is an earlier conv's (same problem) */
    unsigned char *from_json;                /* per conv: plan[i] was rebuilt from the loaded plan's JSON */
    char **json;                             /* per conv (max_batch): plan[i] as cuDNN's JSON (NULL: none) */
    size_t *json_len;
    size_t ws_needed;
} cu_ctx;

/* A run state's executable form of one cu_ctx: execution plans bound to its buffers, graphs. */
typedef struct cu_bind {
    int batch;                               /* 0: unused */
    cudnnBackendDescriptor_t *plan;          /* per conv: the ctx's (engine's run) or rebuilt (own) */
    int own_plans;                           /* plan[] was rebuilt for this run state: destroyed with it */
    cudnnBackendDescriptor_t *vpack;         /* per conv: the plan's variant pack (this run's pointers) */
    cudaGraphExec_t exec;         /* the forward with copies in and out */
    cudaGraphExec_t exec_part[3]; /* made on demand, by copies (CU_COPY_IN/OUT bits): none, in, out */
} cu_bind;

/* A run state's buffers for the device stages (cuda-stages.c, cuda-frames.c), made on first use: a
 * batch is staged, run and decoded on one run state, its stream and these, so batches on two run
 * states do not wait for each other. */
typedef struct cu_stage {
    float *d_image;         /* one decoded image, float32 CHW */
    size_t d_image_bytes;
    drt_k_cands *d_cands;   /* max_batch: decoded candidates */
    drt_k_cands *d_kept;    /* max_batch: after NMS */
    drt_k_box_map *d_maps, *h_maps; /* max_batch each (h_maps pinned) */
    unsigned char *h_post;  /* pinned: the first candidates of each image, copied in one go */
    /* 8-bit frames (cuda-frames.c): pinned staging and its device copy */
    unsigned char *h_frames, *d_frames;
    size_t frame_cap, frame_used;
    int frame_wait;         /* a new batch: the last one's copies may still read the host staging */
    cudaEvent_t frame_ev;   /* after the last frame's copy */
} cu_stage;

/* A run state: what one run at a time mutates. The engine has one (g->own); each drt_context of a
 * CUDA engine has one (drt_backend.ctx_create). Sized for max_batch. */
typedef struct cu_run {
    cudaStream_t stream;
    cudnnHandle_t dnn;      /* on `stream` */
    void *arena;            /* activations (g->arena_bytes) */
    void *ws;               /* cuDNN workspace (g->ws_bytes) */
    float *d_in;            /* float32 NCHW input staging on the device */
    float *h_in;            /* pinned host input staging */
    float *d_heads[DRT_MAX_HEADS];
    float *heads[DRT_MAX_HEADS]; /* host heads the run fills (e->heads or a context's), room for max_batch */
    int heads_registered;   /* heads[] are page-locked (cudaHostRegister): the graph copies into them */
    cu_bind bind[CU_MAX_CTX]; /* bind[i] for g->ctx[i]; contexts use only bind[0] (max_batch) */
    cu_stage st;            /* the device stages' buffers (on `stream`) */
} cu_run;

/* What a forward copies besides computing: the host input in, the heads out. */
#define CU_COPY_IN 1
#define CU_COPY_OUT 2
#define CU_COPY_ALL 3


typedef struct cu_engine {
    int dev;
    char gpu_name[256];
    int cc_major, cc_minor, sm_count;
    size_t cudnn_version;
    int cudart_version;
    int half;               /* fp16 storage (else fp32) */
    int int8;               /* int8 plan: fp16 storage, int8 convs where cuDNN fuses them */
    float *in_thr;          /* int8: calibrated threshold of each layer's output (n_layers + 1) */
    float *in_range;        /* int8 asym: [lo, hi] of each layer's output (2 (n_layers + 1)), for zero points */
    int asym;               /* int8 build: inputs of int8 convs get zero points (--int8-activations asym) */
    unsigned char *plan_int8; /* loading an int8 plan: by layer, CU_PLAN_INT8 | _HANDS_INT8 | _ZERO_POINT bits (else NULL) */
    int max_batch;
    int use_graph;          /* capture the forward as a CUDA graph (DRT_CUDA_GRAPH=0: eager) */
    int async_runs;         /* DRT_HEADS_DEVICE_ASYNC runs return before the device is done (DRT_CUDA_ASYNC=0: never) */
    size_t esize;
    /* compiled graph */
    drt_xgraph *xg;         /* the shared passes' result (the convs' batchnorm coefficients) */
    int n_ops, n_bufs, n_convs;
    cu_op *ops;
    cu_buf *bufs;
    cu_conv *convs;
    int in_cs;              /* stored channels of the network input */
    /* device memory */
    size_t arena_bytes, naive_bytes; /* each run state's activations */
    void *weights;          /* one allocation for all weights and biases */
    float *bn_dev;          /* [batchnorm] layers' mul and add, every affine op's in one allocation */
    size_t weight_bytes;
    size_t ws_bytes;        /* each run state's cuDNN workspace */
    size_t head_item[DRT_MAX_HEADS]; /* floats per batch item */
    cu_ctx ctx[CU_MAX_CTX]; /* ctx[0]: max_batch, made by create; others only by the bench hooks */
    int n_ctx;
    cu_run own;             /* the engine's own run state (drt_engine_run, the device stages) */
    struct cu_json_job *json_job; /* cuda-plan-json.c: a load's stored plans rebuilt on threads, and their handles */
    pthread_mutex_t *runs_lock; /* serializes contexts' create and free and any graph capture after the
                                 * build (device allocations beside a capture: kept apart) */
    int verbose;
    /* pre- and postprocessing on the device: each run state's buffers are its own (cu_run.st); these are shared */
    _Atomic(struct cu_pinned *) pinned; /* cuda-pinned.c: page-locked blocks for frames, made on first use */
    struct cu_nvjpeg *nvjpeg;           /* cuda-nvjpeg.c: JPEG decode on the GPU, made on first use */
    struct cu_nvjpeg *nvjpeg_host;      /* the same to host memory on a stream of its own (decode_jpegs) */
} cu_engine;
typedef struct cu_pinned cu_pinned;
typedef struct cu_nvjpeg cu_nvjpeg;

/* The graph (or eager ops) of one forward of r through g->ctx[k], with `copies` (CU_COPY_* bits)
 * of the first n items (r->h_in to r->heads). */
drt_status drt_cuda_forward(const drt_engine *e, const cu_engine *g, cu_run *r, int k, int n, int copies);
/* cuda-run.c: run states. Stream and cuDNN handle; then buffers, workspace and heads (host heads
 * registered for the graph's copies); then bind 0 (cuDNN plans of r's own from the engine's
 * choices, variant packs, the graph): no timing, no weights. The engine's own run state makes
 * the first two before compiling (the search needs its buffers). */
drt_status drt_cuda_run_open(const cu_engine *g, cu_run *r);
drt_status drt_cuda_run_alloc(const drt_engine *e, const cu_engine *g, cu_run *r, float *const *heads);
drt_status drt_cuda_run_create(const drt_engine *e, const cu_engine *g, float *const *heads, cu_run **out);
void drt_cuda_run_free(const drt_engine *e, const cu_engine *g, cu_run *r);
/* r's bind of g->ctx[k], made on first use (plans, variant packs; the graph when graphs are on). */
drt_status drt_cuda_bind(const drt_engine *e, const cu_engine *g, cu_run *r, int k, cu_bind **out);
void drt_cuda_bind_free(const cu_engine *g, cu_bind *b);
/* cuda-frames.c: 8-bit frames uploaded and letterboxed on the device (drt_device_stages.preprocess_frame). */
drt_status drt_cuda_preprocess_frame(drt_engine *e, drt_context *ctx, const drt_frame *frame, int item, drt_resize mode);
void drt_cuda_frames_free(cu_run *r);
/* The run state the device stages work on: ctx NULL, the engine's own (g->own); else the context's. */
cu_run *drt_cuda_run_of(cu_engine *g, drt_context *ctx);
/* The device letterbox of 8-bit pixels already on the device (tight rows) into batch item `item` of r's
 * input, on r's stream. */
drt_status drt_cuda_letterbox_u8(drt_engine *e, cu_run *r, const unsigned char *d, int w, int h, int bgr, int item,
                                 drt_resize mode);
/* cuda-pinned.c: drt_device_stages.host_alloc/host_free (a pool of page-locked blocks). */
void *drt_cuda_host_alloc(drt_engine *e, size_t bytes);
void drt_cuda_host_free(drt_engine *e, void *ptr);
void drt_cuda_pinned_free(cu_engine *g);
/* cuda-nvjpeg.c: drt_device_stages.preprocess_jpegs (nvJPEG, loaded with dlopen). */
drt_status drt_cuda_preprocess_jpegs(drt_engine *e, drt_context *ctx, const drt_jpeg_src *jpegs, int n, drt_resize mode,
                                     int *refused);
/* drt_device_stages.decode_jpegs: the same decode on a decoder and stream of its own, to host pixels. */
drt_status drt_cuda_decode_jpegs(drt_engine *e, const drt_jpeg_src *jpegs, int n, unsigned char *const *out, int *refused);
/* drt_device_stages.open_jpeg_decoder: decode_jpegs' decoder opened by a thread before its engine exists. */
void drt_cuda_open_jpeg_decoder(int device_index);
/* drt_device_stages.close_jpeg_decoder and jpeg_decoder_ready (the early decoder not waited for). */
void drt_cuda_close_jpeg_decoder(void);
drt_status drt_cuda_jpeg_decoder_ready(drt_engine *e, int *ready);
/* drt_device_stages.prefetch_jpegs: the next preprocess_jpegs' files decoded ahead on the decoder's stream. */
drt_status drt_cuda_prefetch_jpegs(drt_engine *e, const drt_jpeg_src *jpegs, int n);
void drt_cuda_nvjpeg_free(cu_engine *g);
/* cuda-backend.c: the backend (the module's table, cuda-module.c). */
extern const drt_backend drt_backend_cuda;
/* cuda-stages.c: the backend's drt_device_stages and the memory they hold: the engine's (its own run state's
 * buffers, the pinned pool, the JPEG decoders), and a run state's buffers (freed with it, its stream idle). */
extern const drt_device_stages drt_cuda_stages;
size_t drt_cuda_stages_bytes(const cu_engine *g);
void drt_cuda_stages_free(cu_engine *g);
void drt_cuda_stage_buffers_free(cu_run *r);

/* cuda-compile.c: what the kernels can do, and the shared passes' graph -> ops, views and buffers
 * (placed in the arena). */
extern const drt_xcaps drt_cuda_caps;
drt_status drt_cuda_compile(const drt_engine *e, cu_engine *g);
/* cuda-conv.c: weights (BN folded, KRSC, precision) and cuDNN descriptors. */
drt_status drt_cuda_conv_setup(const drt_engine *e, cu_engine *g);
/* [batchnorm] ops' coefficients (the passes' bn_mul, bn_add), [implicit] weights and weighted shortcuts' normalized
 * weights to the device (g->bn_dev). */
drt_status drt_cuda_bn_setup(const drt_model *m, cu_engine *g);
/* A new convolution descriptor of conv cv (math type: the precision's default). */
drt_status drt_cuda_conv_desc(const cu_engine *g, const cu_conv *cv, cudnnConvolutionDescriptor_t *out);
/* cuda-context.c: descriptors and algorithms for one batch size (searched on g->own), then the
 * engine's run state's bind of it (returns its index in g->ctx). */
drt_status drt_cuda_ctx_get(drt_engine *e, cu_engine *g, int batch, int *k_out);
/* The context that runs `batch` items without building one: the exact one if it exists, else the
 * smallest larger one (the max_batch context always exists; spare items compute garbage); -1 for
 * a batch out of range. */
int drt_cuda_ctx_for(const cu_engine *g, int batch);
/* The same for run state r: a drt_context's run state has the max_batch context's bindings only (bind[0]). */
int drt_cuda_ctx_for_run(const cu_engine *g, const cu_run *r, int batch);
void drt_cuda_ctx_free(cu_ctx *c, int n_convs);
/* The forward of context k on r as a CUDA graph; *exec_out NULL (with DRT_OK) when other threads kept
 * invalidating the capture: run the ops without a graph then. */
drt_status drt_cuda_capture(const drt_engine *e, const cu_engine *g, cu_run *r, int k, int copies, cudaGraphExec_t *exec_out);
/* cudnn-fused.c: the fused conv + bias + activation (+ residual) graph for fp16 plans. */
drt_status drt_cuda_fused_choose(cu_engine *g, cu_ctx *c, int conv, void *ws, size_t ws_bytes, int want_rank);
/* Run state r's own execution plan of conv i of c: from c's JSON, else c's heuristic rank (neither
 * timed); NULL plan for a legacy conv. */
drt_status drt_cuda_fused_rebuild(const cu_engine *g, const cu_ctx *c, int conv, cudnnHandle_t dnn,
                                  cudnnBackendDescriptor_t *plan_out);
/* The variant pack of plan b->plan[conv] (of c) with r's buffers and workspace. */
drt_status drt_cuda_fused_bind(const cu_engine *g, const cu_ctx *c, const cu_run *r, cu_bind *b, int conv);
/* Gives conv i the execution plan of an earlier conv that is the same problem (signature: shapes,
 * strides, alignments, epilogue; the pointers come with each conv's variant pack); 1 if it did.
 * Records conv i's signature either way. */
int drt_cuda_fused_share(cu_engine *g, cu_ctx *c, int conv);
/* The chosen execution plan of a conv as cuDNN's JSON (malloc'd; NULL when cuDNN has none), and
 * the plan rebuilt from it (DRT_STATUS_UNSUPPORTED without error text when cuDNN refuses it). */
drt_status drt_cuda_fused_json(const cu_ctx *c, int conv, char **json_out, size_t *len_out);
drt_status drt_cuda_fused_from_json(cu_engine *g, cu_ctx *c, int conv, const char *json, size_t len, size_t ws_bytes);
/* Conv i of c takes plan, rebuilt from its stored JSON (len bytes), which needs `need` bytes of workspace. */
void drt_cuda_fused_adopt(cu_engine *g, cu_ctx *c, int conv, cudnnBackendDescriptor_t plan, int64_t need, size_t len);
/* cuda-plan-json.c: with DRT_CUDA_PLAN_THREADS=N > 1, start rebuilds the stored plans of every fused conv
 * on N threads (each its own handle, kept in g->json_job) once g->convs hold their JSON (drt_cuda_plan_apply);
 * take joins them and gives, per conv, the plan (NULL: none, refused, or more workspace than ws_bytes) and
 * its workspace: the caller adopts or destroys each and frees both arrays; both NULL without threads.
 * free (engine destroy, after every plan made on the handles): joins, destroys what is left. */
void drt_cuda_plans_json_start(cu_engine *g);
void drt_cuda_plans_json_take(cu_engine *g, size_t ws_bytes, cudnnBackendDescriptor_t **made_out, int64_t **need_out);
void drt_cuda_plans_json_free(cu_engine *g);
/* The same for any handle: the plan, or NULL when cuDNN refuses it or it needs more than ws_bytes. */
cudnnBackendDescriptor_t drt_cuda_plan_from_json(cudnnHandle_t dnn, const char *json, size_t len, size_t ws_bytes,
                                                 int64_t *ws_out);
/* Whether cuDNN has a fused engine for this conv and op at this batch (1) or not (0); the compiler
 * asks for every int8 candidate before committing to int8 (views need no arena yet). */
int drt_cuda_fused_probe(cu_engine *g, const cu_conv *cv, const cu_op *op, int batch);
/* Whether conv c hands its output to an int8 conv with a zero point: its graph adds that zp (cv->zq) before the
 * int8 cast. */
static inline int drt_cuda_out_zp(const cu_engine *g, const cu_conv *c) { return c->out_q && g->convs[c->q_next].asym; }
/* The op that runs conv `conv`. */
const cu_op *drt_cuda_conv_op(const cu_engine *g, int conv);
/* cuda-exec.c: enqueues ops [from, to) of g->ctx[k] (its batch) on r's stream, with the input upload
 * and the head downloads that `copies` asks for (CU_COPY_* bits). */
drt_status drt_cuda_enqueue_ops(const drt_engine *e, const cu_engine *g, cu_run *r, int k, int from, int to, int copies);
/* An int8 conv op's first step alone: its input quantized into its int8 buffer (the per-op profile times it apart). */
drt_status drt_cuda_enqueue_quantize(const cu_engine *g, cu_run *r, const cu_op *op, int batch);
/* Device address of a view's first element in an arena (NULL arena: for alignments; arenas are
 * cudaMalloc'd, 256-byte aligned, so every run state's views align alike). */
void *drt_cuda_view_ptr(const cu_engine *g, const void *arena, const cu_view *v);
/* cuda-plan-blob.c */
drt_status drt_cuda_serialize(const drt_engine *e, void **blob_out, size_t *size_out);
drt_status drt_cuda_check_plan(const void *blob, size_t size, const char *plan_path);
/* Reads the algorithms stored in a plan section into g->convs (after compile). */
drt_status drt_cuda_plan_apply(cu_engine *g, const void *blob, size_t size);
drt_status drt_cuda_plan_int8_layers(const void *blob, size_t size, int n_layers, unsigned char **out);
/* Device identity (name, versions) into g. */
drt_status drt_cuda_identify(cu_engine *g, int device_index);

/* Benchmark and profile hooks (bench/gpu-bench.c): replays the forward graph of `batch` `iters`
 * times, each timed with device events (ms_out[iters]); prints a per-op profile to `out`. */
drt_status drt_cuda_time_forward(drt_engine *e, int batch, int iters, float *ms_out);
drt_status drt_cuda_profile(drt_engine *e, int batch, int iters, FILE *out);

#endif
