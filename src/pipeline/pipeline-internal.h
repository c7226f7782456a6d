/* Internals of the pipeline: a ring of in-flight items shared by the producer, the workers,
 * the batcher and the consumer under one mutex. */
#ifndef DRT_PIPELINE_INTERNAL_H
#define DRT_PIPELINE_INTERNAL_H

#include <pthread.h>
#include "darkrt.h"
#include "core/clock.h"

/* An item moves QUEUED -> DECODING -> READY (workers) -> DONE (batcher) -> returned (consumer). */
enum item_state { ITEM_FREE = 0, ITEM_QUEUED, ITEM_DECODING, ITEM_READY, ITEM_DONE };

typedef struct pipeline_item {
    enum item_state state;
    long long index;
    void *tag;
    char *path;            /* file items (owned) */
    drt_frame frame;       /* the decoded (or copied) RGB8 pixels, owned (pinned: the engine's host_alloc);
                            * for a JPEG left to the device, only its size */
    int pinned;
    int pin_ok;            /* the engine's page-locked memory may be used (set when a worker takes it) */
    int device_jpeg_ok;    /* its JPEG may be left to the device's decoder (set when a worker takes it) */
    int full_w, full_h;    /* fast decode: the picture's size (oriented) when the frame is 1/scale of it; else 0 */
    int scale;
    unsigned char *jpeg;   /* a JPEG file's bytes to decode on the device (owned), or NULL */
    size_t jpeg_size;
    unsigned char *file;   /* the file's bytes, read already (MIXED's JPEG thread: a file its decoder did not
                            * take), for the host decode (owned; taken by it), or NULL */
    size_t file_size;
    float *input;          /* the letterboxed network input (host preprocessing), owned */
    drt_status status;
    char *error;           /* owned; NULL when status is DRT_OK */
    drt_pipeline_times times;
    double submitted_ms;
    int seq_start;         /* drt_pipeline_start_sequence came before it: a stateful model's state is reset before it runs */
    drt_pipeline_result *result; /* DONE: what next() hands out */
} pipeline_item;

/* Where the threads' time went (ms, summed over threads), for DRT_TIMELINE's profile line at free:
 * what bounds the rate (busy workers, a starved or a waiting batcher, a blocked producer). */
typedef struct pipeline_prof {
    double created_ms;
    double worker_busy, worker_idle;      /* decoding + letterboxing; waiting for submitted items */
    double producer_blocked;              /* submit waiting for room (max_in_flight) */
    double batch_wait, batch_begin, batch_launch, batch_finish; /* the batch thread */
    double consumer_wait;                 /* next() waiting for the next result in order */
    long long batches, batch_items;
    long long late_pinned;                /* items moved into page-locked memory after their decode (load) */
    long long pageable_staged;            /* items the batch thread staged from pageable memory */
    long long jpeg_items;                 /* MIXED: files the JPEG thread had the device decode */
    double jpeg_busy, jpeg_idle;          /* the JPEG thread: decoding runs; waiting for submitted items */
    long long prefetched;                 /* GPU decode: batches whose JPEGs the device decoded while the last
                                           * batch's results were taken (batch thread) */
    long long context_batches;            /* DRT_PIPELINE_CONTEXTS: batches run on the batch thread's context (tests
                                           * read it: golden/cuda-pipeline) */
} pipeline_prof;

/* A pipeline from a plan (drt_pipeline_create_plan): the batch thread loads the engine (owned)
 * while the workers decode; engine stays NULL until then. */
enum engine_state { ENGINE_LOADING = 0, ENGINE_READY, ENGINE_FAILED };

struct drt_pipeline {
    drt_engine *engine;
    drt_pipeline_opts opts;
    int net_w, net_h, host_pre;
    int pinned_frames;     /* workers put decoded pixels in the engine's page-locked memory (under the lock) */
    char *plan_path;       /* a pipeline from a plan (owned); NULL when given an engine */
    drt_engine_opts engine_opts;
    int engine_opts_given;
    enum engine_state engine_state; /* under the lock */
    drt_status load_status;
    char *load_error;      /* why the plan did not load (owned) */
    int decode_settled;    /* workers may take items: the decode place is known (GPU/AUTO from a plan: once
                            * loaded, unless jpeg_no_wait) */
    int jpeg_no_wait;      /* DRT_NVJPEG_NO_WAIT=1 (a debug switch, off by default until measured on the device):
                            * GPU decode from a plan neither waits for the device's JPEG decoder at the load
                            * nor holds the workers back meanwhile */
    int jpeg_prefetch;     /* DRT_NVJPEG_PREFETCH=1 (likewise): each batch's JPEGs decoded by the device from a
                            * thread of their own while the last batch's results are taken */
    int batch_contexts;    /* DRT_PIPELINE_CONTEXTS=1 (likewise; resolved when the engine is adopted): with pre or decode on
                            * a device, the second batch in flight runs on a context of its own (batch_ctx: stream,
                            * input, heads and stage buffers), so that its staging does not queue behind the first's run */
    drt_context *batch_ctx; /* the batch thread's, made as the fourth batch is staged (make_batch_context; NULL until
                             * then, or when it could not be made: every batch on the engine's own run state) */
    int jpeg_ready;        /* GPU decode: the device's JPEG decoder is open, workers leave JPEGs to it; until
                            * then (jpeg_no_wait: nvJPEG's hardware backend opens in the background, ~0.6 s)
                            * they decode them as for CPU decode (under the lock) */
    int jpeg_failed;       /* GPU decode: the decoder did not open: the workers decode every file (the batch thread's) */
    const struct drt_device_stages *jpeg_early; /* whose JPEG decoder opened ahead of the engine (closed
                                                 * at free if no engine took it), or NULL */
    pthread_mutex_t lock;
    pthread_cond_t work, ready, done, space, loaded;
    pipeline_item *ring;   /* ring_cap slots; item i lives in slot i % ring_cap */
    int ring_cap;          /* max_in_flight, and LOAD_EXTRA_ITEMS more for a plan's pipeline: while its
                            * engine loads, submit blocks only at ring_cap and the workers decode until
                            * load_budget bytes of pixels wait (the load is then covered by decoding) */
    size_t load_budget, load_bytes;
    long long submitted, next_work, next_batch, next_out;
    long long gathered;    /* items before it are in a batch of the batch thread's (staged or about to be) */
    long long next_pin;    /* the workers' pin cursor: items before it need no move to page-locked memory */
    int closed, stopping;
    int seq_pending;       /* drt_pipeline_start_sequence: the next item submitted starts a sequence */
    int stateful;          /* the engine's model is stateful (set with the engine): sequences cut batches */
    pthread_t *workers, batcher;
    int n_workers, batcher_started;
    int joined;            /* drt_pipeline_stop: the threads are gone */
    pthread_t jpeg_thread; /* MIXED decode: the device's JPEG decoder beside the workers (pipeline-jpeg.c) */
    int jpeg_started;
    drt_context **contexts; /* worker_engines: n_contexts made with the engine (as many as the workers, or
                             * fewer under the activation budget); the first n_idle are free: a worker takes
                             * one per item and gives it back with the item done (under the lock) */
    int n_contexts, n_idle;
    float *batch_input;
    pipeline_prof prof;    /* written under the lock (the batch thread: its own fields, alone) */
};

/* The profile line (DRT_TIMELINE=1), once the threads are gone. */
void drt_pipeline_prof_log(const drt_pipeline *p);

/* A result's error text when it has none (not freed). */
extern const char drt_pipeline_no_error[];

/* Checks and resolves what needs the engine (batch, detect options, decode place) and makes it the
 * pipeline's (under the lock: workers read pinned_frames and the decode place there). */
drt_status drt_pipeline_adopt_engine(drt_pipeline *p, drt_engine *e);

/* The batch thread's first step for a pipeline from a plan: the engine loaded and adopted, or the
 * failure recorded (engine_state) for submit, next and drt_pipeline_engine to report. */
void drt_pipeline_load_engine(drt_pipeline *p);

/* DRT_OK with the engine ready, else the load's error (set on this thread); under the lock. */
drt_status drt_pipeline_engine_status(drt_pipeline *p);

pipeline_item *drt_pipeline_slot(drt_pipeline *p, long long index);
void drt_pipeline_item_clear(drt_pipeline *p, pipeline_item *it);

/* Whether item `index` is decoded straight into the engine's page-locked memory: within twice
 * max_in_flight of the batch thread. Items further ahead (a plan's backlog: thousands of files
 * submitted during the load) go to ordinary memory, and the workers move them when the batch
 * thread gets near (the late pins), so the pool stays about that many blocks: each one costs a
 * cudaHostAlloc to make and a cudaFreeHost at the end (MIXED's JPEG thread pins all it decodes:
 * the device's copies land there directly). Under the lock. */
int drt_pipeline_pin_now(const drt_pipeline *p, long long index);

/* Decode (files) and host letterbox of an item a thread took, outside the lock (errors: the item's). */
void drt_pipeline_prepare_item(drt_pipeline *p, pipeline_item *it);

void *drt_pipeline_worker_main(void *arg);
void *drt_pipeline_jpeg_main(void *arg);
void *drt_pipeline_batcher_main(void *arg);

#endif
