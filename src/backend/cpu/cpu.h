/* The optimized CPU engine's internals: NHWC activations in one planned arena, oneDNN
 * convolutions with fused epilogues, darkrt's own kernels for the rest. */
#ifndef DRT_BACKEND_CPU_H
#define DRT_BACKEND_CPU_H

#include <dnnl.h>
#include <stdint.h>
#include "engine/engine.h"
#include "graph/passes/passes.h"
#include "graph/states.h"

typedef enum cpu_dtype { CPU_F32 = 0, CPU_BF16 = 1, CPU_S8 = 2, CPU_U8 = 3 } cpu_dtype;

static inline size_t cpu_dtype_size(cpu_dtype d) { return d == CPU_F32 ? 4 : d == CPU_BF16 ? 2 : 1; }
const char *cpu_dtype_name(cpu_dtype d);

/* A view of one tensor of one image: NHWC, pixel stride `cs` values (its root's channels). */
typedef struct cpu_view {
    char *p;
    int c, h, w, cs;
    cpu_dtype dt;
    float step; /* s8/u8: value = (q - zp) * step */
    int zp;     /* u8 with a zero point (opts.int8_activations asym); 0 otherwise */
} cpu_view;

typedef struct cpu_wino cpu_wino;
typedef struct cpu_dw8 cpu_dw8;

typedef struct cpu_conv {
    cpu_wino *wino;     /* darkrt's Winograd F(4x4,3x3) instead of the oneDNN primitive, or NULL */
    cpu_dw8 *dw8;       /* darkrt's int8 depthwise conv instead of the oneDNN primitive, or NULL */
    dnnl_primitive_t prim;
    dnnl_memory_t src, wei, bias, dst;
    dnnl_memory_t zp_src, zp_dst; /* s32 zero points (runtime arguments), or NULL */
    size_t weight_bytes;
    int impl_index;     /* which oneDNN implementation (the iterator's position), chosen by timing */
    char impl[64];
    int prec;           /* DRT_PREC_FP32, _BF16 or _INT8 */
    double ms;          /* measured time when tuned, else 0 */
    int in_temp;        /* the input is converted into st->tmp_in first (another dtype) */
    int out_temp;       /* the output goes through st->tmp_out, converted (and added) into place */
    cpu_dtype in_dt, out_dt;
    float *bias_unit;   /* per output channel: the bias memory's unit (int8: input step x weight step) */
} cpu_conv;

/* Per-layer choices a plan caches. */
typedef struct cpu_choice {
    int32_t impl_index;
    int32_t prec;
    char impl[48];
} cpu_choice;

/* A run state (the engine's own, or a context's): activations and the buffers and oneDNN
 * memories and stream one image's run writes. The compiled cpu_state is only read through it. */
typedef struct cpu_exec {
    char *arena, *tmp_in, *tmp_out, *wino_v, *wino_m; /* the state's own (own_buffers 0) or allocated */
    dnnl_memory_t scratch;
    dnnl_stream_t stream;
    dnnl_memory_t *src, *dst; /* per layer: conv i's input and output in this run state */
    dnnl_memory_t *wv, *wm;   /* per layer: a Winograd conv's transformed input and GEMM output */
    drt_states states;        /* [crnn] states (fp32 NHWC, dense), carried from image to image */
    int n, own_buffers;
    int observed;             /* st->observe sees its steps: the engine's own, and bias correction's image run
                               * states (cpu-bias.c); never a context's (another thread's) */
} cpu_exec;

typedef struct cpu_state cpu_state;
/* Called after each layer's step with the tensor it stored (calibration statistics). */
typedef void (*cpu_observer)(cpu_state *st, int t, const cpu_view *v, void *ctx);

struct cpu_state {
    const drt_model *m;
    drt_engine_opts opts;
    drt_xgraph *g;
    cpu_dtype *dt;       /* per tensor (its root's dtype) */
    float *step;         /* per tensor: quantization step (s8/u8) */
    int32_t *zp;         /* per tensor: the u8 zero point (asym tensors, cpu-compile.c's asym_fits), else 0 */
    float *range;        /* per tensor: calibrated [lo, hi] (opts.int8_activations asym), or NULL */
    float *cstep;        /* per channel (engine/calib.h's layout), or NULL: used where channel_steps[t] */
    uint8_t *channel_steps; /* per tensor: s8 with a step per channel (only int8 depthwise convs read it) */
    float *bias_corr;    /* int8 bias correction: added to conv i's bias, per output channel, from
                          * drt_calib_channel_offset(m, i + 1) on (cpu-bias.c), or NULL */
    cpu_choice *choice;  /* per layer */
    cpu_conv **conv;     /* per layer, NULL for non-convs */
    char *arena;
    size_t arena_bytes;
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    dnnl_memory_t scratch;
    char *tmp_in, *tmp_out; /* conversion buffers for convs whose neighbours use another dtype; [local]'s copies */
    size_t tmp_in_bytes, tmp_out_bytes;
    char *wino_v, *wino_m;  /* Winograd transformed input and GEMM output (shared by layers) */
    size_t wino_v_bytes, wino_m_bytes;
    size_t scratch_bytes;
    unsigned features;   /* features the chosen implementations need */
    int tune;            /* time implementations per layer */
    int dw8;             /* darkrt's int8 depthwise kernel where it applies (DRT_CPU_DW_INT8=0: oneDNN's) */
    cpu_observer observe;
    void *observe_ctx;
    FILE *log;
    double *prof_ms;     /* DRT_CPU_PROFILE=1: time per layer, summed over runs, printed at free */
    int prof_cpu;        /* DRT_CPU_PROFILE=cpu: the running thread's CPU time (with --threads 1: the
                          * layer's own, not the other processes' on a busy machine) */
    int prof_runs;
    cpu_exec own;        /* the engine's own run state (observe and prof_ms work on this one only) */
};

/* cpu-compile.c: the whole build from model + choices (choices NULL: choose and tune). */
/* ranges (asym int8 activations: each tensor's calibrated lo, hi; NULL: symmetric) */
drt_status drt_cpu_state_create(const drt_model *m, const drt_engine_opts *opts, const cpu_choice *choices,
                                const float *steps, const float *channel_steps, const float *ranges, const float *bias_corr,
                                FILE *log, cpu_state **st_out);
/* Conv i's bias correction added to its n output channels' biases b (nothing without one). */
void drt_cpu_bias_correct_add(const cpu_state *st, int i, float *b, int n);
/* cpu-bias.c: int8 bias correction (unless opts.no_bias_correct): per channel of every conv's output
 * (drt_calib_channel_offset's layout), what to add to its bias so that the int8 engine built with
 * steps/channel_steps has the fp32 engine's mean output on calibration calib's images (the ones the steps were
 * measured on). The fp32 engine's sums are kept in calib (calib->bias) for the next build from it. malloc'd. */
struct drt_calib;
drt_status drt_cpu_bias_correction(const drt_model *m, const drt_engine_opts *opts, const float *steps,
                                   const float *channel_steps, const float *ranges, const struct drt_calib *calib, FILE *log,
                                   float **corr_out);
/* The step of channel k of tensor t (its tensor's where the tensor has one step). */
float drt_cpu_channel_step(const cpu_state *st, int t, int k);
void drt_cpu_state_free(cpu_state *st);
/* The activations a run state holds (arena, conversion, Winograd and scratch buffers): what
 * opts.max_activation_bytes bounds and drt_engine_memory_usage reports (host_activations). */
size_t drt_cpu_activation_bytes(const cpu_state *st);
cpu_view drt_cpu_view(const cpu_state *st, int t);
/* The same view in another run state's arena. */
cpu_view drt_cpu_view_at(const cpu_state *st, char *arena, int t);

/* cpu-conv.c */
drt_status drt_cpu_conv_create(cpu_state *st, int layer, cpu_conv **conv_out);
void drt_cpu_conv_dtypes(const cpu_state *st, int i, cpu_dtype *in, cpu_dtype *out, int *in_temp, int *out_temp);
/* The tensor conv i stores: its own, or the shortcut it absorbed. */
int drt_cpu_stored_tensor(const cpu_state *st, int i);
void drt_cpu_conv_free(cpu_conv *c);
/* oneDNN conv c's execution arguments on src, dst and scratch (and its zero points); returns their count. */
#define DRT_CPU_CONV_ARGS 7
int drt_cpu_conv_args(const cpu_conv *c, dnnl_memory_t src, dnnl_memory_t dst, dnnl_memory_t scratch,
                      dnnl_exec_arg_t args[DRT_CPU_CONV_ARGS]);
/* Adds delta (per output channel) to oneDNN conv i's bias in place (cpu-bias.c's measuring engines;
 * not a Winograd conv). */
void drt_cpu_conv_bias_add(cpu_state *st, int i, const float *delta);
/* Activations (bits 1u << drt_act) that no oneDNN post-op computes: the graph passes leave them separate. */
unsigned drt_cpu_acts_separate(void);

/* avx512/cpu-winograd-avx512.c; call only when drt_cpu_wino_allowed() (cpu-conv.c) says so. */
int drt_cpu_wino_allowed(void);
int drt_cpu_wino_eligible(const cpu_state *st, int i);
void drt_cpu_wino_sizes(const cpu_state *st, int i, size_t *v_bytes, size_t *m_bytes);
drt_status drt_cpu_wino_create(cpu_state *st, int i, cpu_wino **out);
drt_status drt_cpu_wino_scratch(const cpu_state *st, const cpu_wino *wg, dnnl_memory_t *out);
drt_status drt_cpu_wino_run(cpu_state *st, const cpu_wino *wg, dnnl_memory_t scratch, const float *src, float *dst,
                            int oh, int ow);
/* A run state's memories over its buffers v and m, and a run through them. */
drt_status drt_cpu_wino_memories(const cpu_state *st, const cpu_wino *wg, char *v, char *m, dnnl_memory_t *mv,
                                 dnnl_memory_t *mm);
drt_status drt_cpu_wino_run_in(const cpu_wino *wg, const cpu_exec *x, int i, const float *src, float *dst, int oh, int ow);
size_t drt_cpu_wino_weight_bytes(const cpu_wino *wg);
size_t drt_cpu_wino_scratch_bytes(const cpu_wino *wg); /* its matmul's; st->scratch_bytes covers it */
void drt_cpu_wino_free(cpu_wino *wg);

/* avx512/cpu-dw-int8-avx512.c: an int8 depthwise conv (groups = channels = filters) on dense NHWC tensors,
 * the same bytes as oneDNN's from the same s8 weights [c][k][k], biases (accumulator units) and output
 * scales per channel; call only when drt_cpu_dw8_allowed() (cpu-conv.c) says so. */
#define DRT_CPU_DW8_MAXK 7
#define DRT_CPU_DW8_STACK (96 * 1024) /* a thread's row buffers, on its stack (larger layers: oneDNN) */
typedef struct cpu_dw8_desc {
    int c, h, w, oh, ow, k, stride, pad;
    cpu_dtype in_dt, out_dt; /* s8 or u8 in; s8 or f32 out */
    int act;                 /* a fused leaky (x > 0 ? x : x alpha) or relu (alpha 0: max(x, +0), as oneDNN) */
    float alpha;
} cpu_dw8_desc;
int drt_cpu_dw8_allowed(void);
int drt_cpu_dw8_fits(const cpu_dw8_desc *d);
drt_status drt_cpu_dw8_create(const cpu_dw8_desc *d, const int8_t *w, const float *bias, const float *scale, cpu_dw8 **out);
/* Runs on oneDNN's OpenMP team, a band of output rows each. */
void drt_cpu_dw8_run(const cpu_dw8 *p, const void *src, void *dst);
/* Adds delta / unit to each channel's bias (cpu-bias.c's measuring engines, as drt_cpu_conv_bias_add). */
void drt_cpu_dw8_bias_add(cpu_dw8 *p, const float *delta, const float *unit);
size_t drt_cpu_dw8_weight_bytes(const cpu_dw8 *p);
void drt_cpu_dw8_free(cpu_dw8 *p);

/* cpu-exec.c: one image through run state x; heads[h] (NULL: not kept) written at batch item b. */
drt_status drt_cpu_run_image(cpu_state *st, cpu_exec *x, const drt_engine *e, float *const *heads, const float *input, int b);
/* The same, layers 0..last only (bias correction measures one layer's output at a time). */
drt_status drt_cpu_run_image_until(cpu_state *st, cpu_exec *x, const drt_engine *e, float *const *heads, const float *input,
                                   int b, int last);
/* Layers first..last of one image on x, no heads: from input (converted into tensor 0 first), or (input NULL)
 * from x's tensors as its last run left them (bias correction's step 2 goes on conv by conv). */
drt_status drt_cpu_run_layers(cpu_state *st, cpu_exec *x, const float *input, int first, int last);

/* cpu-context.c: run states. use_state_buffers: use the state's arena and buffers (the engine's own; x then does not
 * own them), else x allocates its own. */
drt_status drt_cpu_exec_init(const cpu_state *st, int use_state_buffers, cpu_exec *x);
void drt_cpu_exec_release(cpu_exec *x);
/* Its recurrent states back to zeros (the start of a sequence). */
void drt_cpu_exec_reset_states(const cpu_state *st, cpu_exec *x);

/* cpu-kernels.c: dispatched to the best variant (portable or AVX-512) for this CPU. */
typedef struct cpu_kernels {
    void (*input)(const float *nchw, size_t plane, const cpu_view *out); /* planes `plane` values apart */
    void (*maxpool)(const drt_layer *l, const cpu_view *in, const cpu_view *out, int y0, int y1);
    void (*upsample)(int stride, const cpu_view *in, const cpu_view *out);
    void (*copy_channels)(const cpu_view *in, int c0, const cpu_view *out);
    void (*shortcut)(drt_act act, const cpu_view *a, const cpu_view *b, const cpu_view *out);
    void (*add_into)(const cpu_view *in, const cpu_view *old, const cpu_view *out, drt_act act);
    void (*bn_act)(const float *mul, const float *add, drt_act act, const cpu_view *v);
    void (*head)(const cpu_view *in, float *nchw, size_t plane);
    void (*avgpool)(const cpu_view *in, const cpu_view *out);
    void (*product)(drt_act act, int per_channel, const cpu_view *a, const cpu_view *b, const cpu_view *out);
    void (*reorg3d)(int stride, const cpu_view *in, const cpu_view *out);
    void (*reorg)(int stride, const cpu_view *in, const cpu_view *out);
    void (*local_avgpool)(const drt_layer *l, const cpu_view *in, const cpu_view *out);
    void (*affine)(const float *mul, const float *add, const cpu_view *in, const cpu_view *out);
    void (*wsum)(int n, const cpu_view *ins, const float *w, int step, drt_act act, const cpu_view *out);
} cpu_kernels;
extern const cpu_kernels drt_cpu_kernels_generic, drt_cpu_kernels_avx512;
const cpu_kernels *drt_cpu_kernels(void);
const char *drt_cpu_kernels_name(void);

void drt_cpu_input(const float *nchw, const cpu_view *out);
void drt_cpu_maxpool(const drt_layer *l, const cpu_view *in, const cpu_view *out);
void drt_cpu_upsample(int stride, const cpu_view *in, const cpu_view *out);
void drt_cpu_copy_channels(const cpu_view *in, int c0, const cpu_view *out);
void drt_cpu_shortcut(drt_act act, const cpu_view *a, const cpu_view *b, const cpu_view *out);
void drt_cpu_add_into(const cpu_view *in, const cpu_view *old, const cpu_view *out, drt_act act);
void drt_cpu_bn_act(const float *mul, const float *add, drt_act act, const cpu_view *v);
void drt_cpu_avgpool(const cpu_view *in, const cpu_view *out);
void drt_cpu_product(drt_act act, int per_channel, const cpu_view *a, const cpu_view *b, const cpu_view *out);
void drt_cpu_reorg3d(int stride, const cpu_view *in, const cpu_view *out);
void drt_cpu_reorg(int stride, const cpu_view *in, const cpu_view *out);
void drt_cpu_local_avgpool(const drt_layer *l, const cpu_view *in, const cpu_view *out);
void drt_cpu_affine(const float *mul, const float *add, const cpu_view *in, const cpu_view *out);
void drt_cpu_wsum(int n, const cpu_view *ins, const float *w, int step, drt_act act, const cpu_view *out);
void drt_cpu_head(const cpu_view *in, float *nchw);

/* cpu-compile.c: what the CPU engine can run (the graph passes respect it). */
extern const drt_xcaps drt_cpu_caps;

/* cpu-plan-blob.c */
drt_status drt_cpu_serialize(const cpu_state *st, void **blob_out, size_t *size_out);
drt_status drt_cpu_parse_blob(const void *blob, size_t size, const drt_model *m, cpu_choice **choices_out,
                              float **steps_out, float **channel_steps_out, float **ranges_out, float **bias_corr_out,
                              unsigned *features_out);
drt_status drt_cpu_check_plan(const void *blob, size_t size, const char *plan_path);

#endif
