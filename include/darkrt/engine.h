/* darkrt engines: a model compiled for one device and precision, and run on batches. */
#ifndef DARKRT_ENGINE_H
#define DARKRT_ENGINE_H

#include <stddef.h>
#include "darkrt/status.h"
#include "darkrt/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Objects and threads:
 *  - drt_engine: a compiled model (weights, plan, layer choices; on CUDA the chosen cuDNN
 *    algorithms and execution plans), read-only once built: any number of threads may call
 *    drt_context_create, drt_engine_model, drt_engine_num_heads, drt_engine_device,
 *    drt_engine_precision and drt_engine_save_plan on it at once.
 *    It also has a context of its own, which drt_engine_run, drt_engine_head, the drt_detect_*
 *    functions and a drt_pipeline use: those calls on one engine must come from one thread at
 *    a time (or one pipeline).
 *  - drt_context: a run state of an engine (activations, scratch, heads; on CUDA its own stream,
 *    cuDNN handle and workspace, device buffers and captured graph). Cheap next to the engine:
 *    no weights, nothing searched or timed. Contexts of one engine are created, run and freed
 *    concurrently, each used from one thread at a time, alongside the engine's own context.
 *    Free them before the engine.
 *  - Everything else (models, images, detections, eval objects) is safe to read from many
 *    threads and to modify from one. drt_last_error is per thread. */
typedef struct drt_engine drt_engine;
typedef struct drt_context drt_context;

/* Append-only. */
typedef enum drt_device {
    DRT_DEVICE_REF = 0,  /* the portable reference forward pass: the oracle */
    DRT_DEVICE_CPU = 1,  /* the optimized CPU engine */
    DRT_DEVICE_CUDA = 2, /* NVIDIA GPUs */
    DRT_DEVICE_COUNT
} drt_device;

typedef enum drt_precision {
    DRT_PREC_FP32 = 0,
    DRT_PREC_FP16 = 1,
    DRT_PREC_BF16 = 2,
    DRT_PREC_INT8 = 3,
    DRT_PREC_COUNT
} drt_precision;

/* Graph passes an engine builder may run; bits for drt_engine_opts.passes_off. */
enum drt_pass {
    DRT_PASS_FOLD_BN = 1u << 0,    /* fold batchnorm into the conv weights */
    DRT_PASS_FUSE_ACT = 1u << 1,   /* activation in the conv epilogue */
    DRT_PASS_FUSE_ADD = 1u << 2,   /* residual add in the conv epilogue */
    DRT_PASS_CONCAT_INPLACE = 1u << 3, /* producers write into the concatenation */
    DRT_PASS_DCE = 1u << 4,        /* drop layers no head depends on */
    DRT_PASS_MEMPLAN = 1u << 5     /* reuse activation memory by lifetime */
};

typedef struct drt_engine_opts {
    size_t size;             /* sizeof(drt_engine_opts) */
    drt_device device;       /* DRT_DEVICE_CPU by default */
    int device_index;        /* cuda:N */
    drt_precision precision; /* DRT_PREC_FP32 by default */
    int max_batch;           /* largest batch run() accepts (default 1) */
    int threads;             /* CPU threads; 0: the building thread's OpenMP count (OMP_NUM_THREADS, else all
                              * cores), fixed for the engine's runs on any thread. A build or run sets it for its
                              * own work and puts the caller's back */
    unsigned passes_off;     /* drt_pass bits to switch off (tests) */
    const char *calib_dir;   /* int8: directory of calibration images */
    int verbose;             /* print what each pass and layer choice did */
    int calib_method;        /* int8 calibration: enum drt_calib_method (DRT_CALIB_MAX by default) */
    size_t max_activation_bytes; /* CPU and CUDA engines: refuse a model whose planned activations
                                  * need more (DRT_STATUS_OOM, before allocating); optional buffers
                                  * (the CPU's Winograd) are left out when they would not fit; 0: no limit */
    const char *int8_keep;   /* CPU int8: the convs kept in fp32, a comma list of heads, dw, first, adds,
                              * none and layer indices ("none,3,17"); NULL: "heads,dw". CUDA int8: the
                              * layer indices listed stay fp16 (heads and grouped convs always do) */
    /* Choices that move results in the last bits, or decide which layers run in int8. The
     * defaults are what darkrt measured best. (The darkrt CLI maps its environment onto these:
     * DRT_INT8_KEEP (int8_keep), DRT_CUDA_INT8=all, DRT_CPU_WINOGRAD, DRT_CPU_TUNE=0, DRT_CALIB_MAX.) */
    int cuda_int8_all;           /* CUDA int8: every eligible conv, not only 3x3 convs of >= 128 channels */
    int winograd;                /* CPU: enum drt_winograd (DRT_WINOGRAD_AUTO by default) */
    int no_tune;                 /* CPU: oneDNN's first implementation per layer instead of the fastest
                                  * measured (the same choices on every build) */
    int calib_max_images;        /* int8 calibration: at most this many images of calib_dir; 0: 16 */
    int no_bias_correct;         /* CPU int8: 1: no bias correction. By default each conv's bias is corrected
                                  * by the mean error int8 adds at its output on the calibration images
                                  * (E[y_fp32 - y_int8] per channel: each conv's own, then what is left
                                  * conv by conv on the corrected int8 engine; src/backend/cpu/cpu-bias.c) */
    int calib_half;              /* int8 calibration: 0: every image it takes of calib_dir (by name, at most
                                  * calib_max_images); 1 or 2: of those, the 1st, 3rd, 5th... (1) or the 2nd, 4th...
                                  * (2) only: build --min-map calibrates its candidates on one half and validates
                                  * them on the other */
    int int8_activations;        /* int8: enum drt_int8_activations (auto by default: asym on the CPU engine, sym on
                                  * CUDA). asym: a tensor only oneDNN convs, maxpools, routes and upsamples write and
                                  * read is stored u8 with a zero point over its calibrated [min, max] (a leaky
                                  * output's [-0.1 M, M] wastes half the s8 levels); plans keep it. CUDA refuses asym */
} drt_engine_opts;

/* int8 activation code: auto (the backend's best measured: asym where it takes zero points, the CPU engine's,
 * else sym; bench/results/int8-asym-folds.md), u8 with a zero point, or symmetric s8 (step max|x| / 127). sym was
 * 0 and the default until session 18 (0.1.0, unreleased): 0 is the default, as for the other options. */
enum drt_int8_activations { DRT_INT8_ACT_AUTO = 0, DRT_INT8_ACT_ASYM = 1, DRT_INT8_ACT_SYM = 2 };

/* CPU 3x3 convolutions by darkrt's Winograd F(4x4,3x3) (AVX-512 machines): where it measures at
 * least 10% faster than the direct convolution (auto), never, or wherever eligible (force). Its
 * transformed weights take 4x a 3x3 conv's memory: off keeps the least memory (yolov3-416 fp32: 572
 * against 782 MiB peak, 1.16x the latency; bench/results/cpu-winograd.md). */
enum drt_winograd { DRT_WINOGRAD_AUTO = 0, DRT_WINOGRAD_OFF = 1, DRT_WINOGRAD_FORCE = 2 };

/* Debug switches: environment variables the library still reads, for comparisons and profiling,
 * never needed for correct results: DRT_CPU_ISA=sse41|avx2|avx512|avx512_vnni|avx512_bf16 (caps
 * oneDNN's and darkrt's instruction sets, process-wide, before the first engine); DRT_CPU_PROFILE=1
 * (time per layer, logged when the engine is freed; =cpu: the thread's CPU time); DRT_CPU_DW_INT8=0 (int8 depthwise
 * convs by oneDNN, not darkrt's AVX-512 VNNI kernel: the same bytes); DRT_CUDA_GRAPH=0 (no CUDA graphs);
 * DRT_CUDA_ASYNC=0 (every run waits for the device); DRT_CUDA_LEGACY=1 (cuDNN's legacy API only);
 * DRT_CUDA_PLAN_THREADS=N (a plan's stored cuDNN execution plans rebuilt on N threads at load; default 8;
 * 1: one after another);
 * DRT_CUDA_HEUR=B (cuDNN's mode B heuristics); DRT_CUDA_VERBOSE=1 (as opts.verbose, CUDA engines);
 * DRT_CUDA_FUSE_MISH=0 (mish/swish convs outside cuDNN's graph); DRT_CUDA_SPLIT=0 (the legacy conv
 * where cuDNN's graph refuses the whole epilogue, not conv + bias in the graph); DRT_NVJPEG_BACKEND=hybrid (nvJPEG's
 * hybrid backend); DRT_CUDA_PINNED_SLABS=1 (page-locked frame blocks from 32 MiB slabs); DRT_NVJPEG_NO_WAIT=1 (GPU
 * decode from a plan: the workers decode until nvJPEG is open); DRT_NVJPEG_PREFETCH=1 (each batch's JPEGs decoded
 * by nvJPEG on a thread of their own); DRT_PIPELINE_CONTEXTS=1 (the pipeline's second batch in flight on a context
 * of its own: its own stream and buffers); DRT_TIMELINE=1 (load and first-batch steps timed since the process started).
 * DRT_MODULE_DIR: where modules are looked for first. (The list: HACKING.md, "Environment variables".) */

/* int8 calibration: each tensor's clipping threshold is its largest |x| over the calibration
 * images (default: measured best for YOLO heads), the 99.999th percentile of |x|, the
 * KL-divergence search of TensorRT's entropy calibration, or the clip with the smallest mean
 * squared quantization error (rounding below it, clipping above). */
enum drt_calib_method { DRT_CALIB_MAX = 0, DRT_CALIB_ENTROPY = 1, DRT_CALIB_PERCENTILE = 2, DRT_CALIB_MSE = 3 };

DRT_API drt_engine_opts drt_engine_opts_default(void);

/* "ref", "cpu", "cuda"; "fp32", "fp16", "bf16", "int8". Parsers return -1 for an unknown name. */
DRT_API const char *drt_device_name(drt_device device);
DRT_API const char *drt_precision_name(drt_precision precision);
DRT_API int drt_device_parse(const char *name, int *device_index_out);
DRT_API int drt_precision_parse(const char *name);

/* Builds an engine for the model. The engine keeps no pointer into the model: the model
 * may be freed afterwards. */
DRT_API drt_status drt_engine_create(const drt_model *model, const drt_engine_opts *opts,
                                     drt_engine **engine_out);

/* Serialized engines ("plans"): versioned and checksummed; a plan for another darkrt
 * version, CPU feature set or GPU is refused with a message that says so. */
DRT_API drt_status drt_engine_save_plan(const drt_engine *engine, const char *plan_path);
DRT_API drt_status drt_engine_load_plan(const char *plan_path, const drt_engine_opts *opts,
                                        drt_engine **engine_out);

/* Runs the network on `batch` images: input is float32 NCHW, RGB in [0,1], at the model's
 * input size (preprocessed already). */
DRT_API drt_status drt_engine_run(drt_engine *engine, const float *input, int batch);

/* A stateful model (drt_model_stateful: AlexeyAB's [crnn]) carries its hidden state from each image to the next:
 * through the batch items of a run in order, and from one run to the next, per run state (the engine's own, each
 * context's). Its state starts at zeros, as AlexeyAB's Darknet's; these set it back to zeros (a new video or
 * sequence). No-ops for other models. The cuda engine refuses stateful models. */
DRT_API drt_status drt_engine_reset_state(drt_engine *engine);

/* The raw head tensors (what enters each [yolo] layer), float32 NCHW, of the last run.
 * data stays valid until the next run or free. data_out and desc_out are optional (NULL). */
typedef struct drt_tensor_desc {
    int n, c, h, w;
} drt_tensor_desc;

DRT_API int drt_engine_num_heads(const drt_engine *engine);
DRT_API drt_status drt_engine_head(const drt_engine *engine, int head, const float **data_out,
                                   drt_tensor_desc *desc_out);

/* The model the engine was built from (for plans: the copy inside the plan). Borrowed:
 * valid until the engine is freed. */
DRT_API const drt_model *drt_engine_model(const drt_engine *engine);

DRT_API drt_device drt_engine_device(const drt_engine *engine);
DRT_API drt_precision drt_engine_precision(const drt_engine *engine);

/* Bytes the engine holds: weights and planned activations, on the host and on the device. */
typedef struct drt_engine_memory {
    size_t host_weights, host_activations, device_weights, device_activations, device_workspace;
    size_t naive_activations; /* what one buffer per layer would take */
} drt_engine_memory;
DRT_API void drt_engine_memory_usage(const drt_engine *engine, drt_engine_memory *out);

DRT_API void drt_engine_free(drt_engine *engine);

/* A new context of the engine (ref, cpu and cuda engines; a backend without contexts refuses
 * with DRT_STATUS_UNSUPPORTED). Thread-safe on one engine (a CUDA engine makes and frees its
 * contexts one at a time, and captures a context's graph for a new batch size on its first run
 * of it under the same lock; runs themselves take no lock). A CUDA context holds device memory
 * of its own: the activations, input and heads of max_batch and cuDNN's workspace (what
 * drt_engine_memory_usage reports as device_activations + device_workspace, less the device
 * stages' buffers). */
DRT_API drt_status drt_context_create(const drt_engine *engine, drt_context **ctx_out);

/* drt_engine_run and drt_engine_head through this context: the same results as the engine's
 * own context, bit for bit, with heads that belong to the context. One thread at a time per
 * context. */
DRT_API drt_status drt_context_run(drt_context *ctx, const float *input, int batch);
DRT_API drt_status drt_context_head(const drt_context *ctx, int head, const float **data_out,
                                    drt_tensor_desc *desc_out);
DRT_API drt_status drt_context_reset_state(drt_context *ctx);
DRT_API void drt_context_free(drt_context *ctx);

#ifdef __cplusplus
}
#endif
#endif
