/* darkrt pipeline: a stream of images (files or 8-bit frames) in, detections out, in order.
 *
 * A pool of worker threads decodes and letterboxes while the engine runs the previous batch;
 * batches hold up to the engine's max batch (the last one may be partial); results come back
 * in submission order; a bad item is a result with its own error and the stream goes on.
 * Detections are the same, box for box, as drt_image_load + drt_detect_batch on the same pixels.
 *
 * Thread-safety: one pipeline has one producer and one consumer. submit_* and close are called
 * from one thread (the producer), next from one thread (the consumer). One thread may be both:
 * submit blocks while max_in_flight results are unread, so such a caller takes a result (next)
 * whenever max_in_flight (drt_pipeline_get_opts) items are pending, before submitting more.
 * Results are independent objects: free them on any thread. While a pipeline exists it owns
 * its engine: nothing else may run that engine until drt_pipeline_free returns.
 */
#ifndef DARKRT_PIPELINE_H
#define DARKRT_PIPELINE_H

#include <stddef.h>
#include "darkrt/status.h"
#include "darkrt/engine.h"
#include "darkrt/image.h"
#include "darkrt/detect.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct drt_pipeline drt_pipeline;

/* Where files' JPEG bytes are decoded. GPU: on the engine's device (nvJPEG on CUDA; pre on the
 * device, no keep_image), the files it does not take (progressive, grey, CMYK, rotated by EXIF...)
 * on the host; its pixels differ slightly from libjpeg's, so boxes are close, not equal. AUTO: GPU
 * where the engine and options allow it, else CPU. FAST: on the CPU, a JPEG at least twice the
 * network input's size at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling; no keep_image): boxes close
 * to CPU's, not equal, in the picture's coordinates. MIXED: both decoders at once: the workers
 * decode on the host, and a thread of the pipeline's takes runs of up to a batch of the next items
 * from the same queue and has the device decode their JPEGs to host pixels (on CUDA: nvJPEG on a
 * stream of its own, beside the engine; its decoder opens once the engine is there, meanwhile and
 * while a plan's engine loads the workers decode everything); whoever is free takes the next items,
 * so each decoder's share follows its speed. Which one decodes an image depends on timing, so boxes
 * are close to CPU's and may differ between runs (needs pre on the device, no keep_image, as GPU). */
typedef enum drt_image_decode {
    DRT_IMAGE_DECODE_CPU = 0,
    DRT_IMAGE_DECODE_GPU = 1,
    DRT_IMAGE_DECODE_AUTO = 2,
    DRT_IMAGE_DECODE_FAST = 3,
    DRT_IMAGE_DECODE_MIXED = 4,
    DRT_IMAGE_DECODE_COUNT
} drt_image_decode;

/* darkrt detect's --max-det default, and what int8's --min-map search scores per image. */
#define DRT_MAX_DET_DEFAULT 300

typedef struct drt_pipeline_opts {
    size_t size;          /* sizeof(drt_pipeline_opts); smaller (older) structs are accepted */
    int workers;          /* decode/letterbox threads; 0: sized to the machine */
    int batch;            /* images per engine run, 1..the engine's max batch; 0: the max batch */
    int max_in_flight;    /* submitted but not yet returned by next(); submit blocks at the bound;
                           * 0: 4 batches or 2 per worker, whichever is larger */
    int keep_image;       /* results carry the decoded RGB8 image (drawing, video) */
    int max_det;          /* keep at most this many detections per image (highest scores); 0: all;
                           * DRT_MAX_DET_DEFAULT is what darkrt detect keeps */
    drt_image_decode image_decode; /* files' JPEG decode: CPU (default: libjpeg, exact), GPU, AUTO, FAST or MIXED */
    int worker_engines;   /* 1: where the engine runs on the host (no device stages; contexts) with pre and decode
                           * on the host and JPEGs decoded on the CPU, each worker also runs the engine on the image
                           * it decoded, one image a run, on a drt_context, and decodes its detections: with a
                           * CPU engine of threads = 1 the cores run whole images side by side, none waiting on
                           * another (batch is then unused). A context per worker, or fewer shared (logged) where
                           * they and the engine's own activations would pass its max_activation_bytes; none fit,
                           * a stateful model (drt_model_stateful), or elsewhere: as 0. get_opts, once the engine is
                           * there, gives how many workers run it at a time (its contexts), or 0. 0 (default):
                           * batches of `batch` images on one batch thread, taken in submission order (a stateful
                           * model's state carries from each image to the next) */
    /* Last, so that drt_detect_opts can grow: an older caller's struct ends with its older, shorter
     * drt_detect_opts (detect.size says how long). New fields go before it. */
    drt_detect_opts detect; /* threshold, NMS, resize, stage places (as drt_detect_batch) */
} drt_pipeline_opts;

DRT_API drt_pipeline_opts drt_pipeline_opts_default(void);

/* Time spent on one item, in milliseconds. decode: file read + decode to 8 bits (frames: the
 * copy or conversion); preprocess: letterbox to the network input; inference: the engine run
 * divided by the batch size; postprocess: YOLO decode + NMS; latency: submit to result ready. */
typedef struct drt_pipeline_times {
    double decode_ms, preprocess_ms, inference_ms, postprocess_ms, latency_ms;
} drt_pipeline_times;

typedef struct drt_pipeline_result {
    void *tag;             /* as given to submit */
    long long index;       /* submission number, from 0 */
    const char *source;    /* the path for files; NULL for frames */
    drt_status status;     /* DRT_OK, or why this item failed */
    const char *error;     /* the one-line error ("" when status is DRT_OK) */
    int width, height;     /* the image's size (after EXIF orientation); 0 when it did not decode */
    drt_detections *dets;  /* NULL on failure; owned by the result */
    drt_frame image;       /* keep_image: the decoded image, RGB8, owned by the result; else data NULL */
    drt_pipeline_times times;
} drt_pipeline_result;

/* Starts the worker threads. The engine is borrowed and must outlive the pipeline.
 * Refuses a batch above the engine's max batch and a model that does not take 3 channels.
 * A stateful model's (drt_model_stateful) items are one sequence from the pipeline's start: the engine's state is
 * reset here and carried from item to item in submission order, until drt_pipeline_start_sequence starts another. */
DRT_API drt_status drt_pipeline_create(drt_engine *engine, const drt_pipeline_opts *opts, drt_pipeline **out);

/* The same from a plan file, without waiting for its engine: the plan's header gives the input size
 * and batch, the workers start decoding at once, and the batch thread loads the engine
 * (drt_engine_load_plan with engine_opts, NULL: defaults) meanwhile; a CUDA plan takes most of a
 * second to load. Until it is loaded, submit takes up to 8192 items more than max_in_flight and the
 * workers decode ahead until the pixels waiting reach an eighth of the machine's memory (at most
 * 4 GiB), so that the load is covered by decoding. The engine is the pipeline's (drt_pipeline_free
 * frees it). With GPU or AUTO
 * image_decode the workers wait for the engine (where the JPEGs are decoded depends on it). Pointers
 * in engine_opts must stay valid until the engine is loaded. When the plan does not load, submit,
 * next, drt_pipeline_engine and get_opts return its error (no item gets a result). */
DRT_API drt_status drt_pipeline_create_plan(const char *plan_path, const drt_engine_opts *engine_opts,
                                            const drt_pipeline_opts *opts, drt_pipeline **out);

/* The pipeline's engine (the one given, or the plan's once loaded: waits for it); borrowed. While
 * the pipeline runs, only read it (name, device, precision, model). */
DRT_API drt_status drt_pipeline_engine(drt_pipeline *p, drt_engine **engine_out);

/* The options in force, with every 0 ("sized for me") resolved to its value (AUTO decode: the
 * place chosen); from a plan, once its engine is loaded (waits for it). */
DRT_API drt_status drt_pipeline_get_opts(const drt_pipeline *p, drt_pipeline_opts *opts_out);

/* Queues one image file (decoded by a worker; its errors come back in its result; tag, any value or
 * NULL, comes back in it too). Blocks while
 * max_in_flight items are pending. Fails (no result) only for bad arguments or after close. */
DRT_API drt_status drt_pipeline_submit_file(drt_pipeline *p, const char *path, void *tag);

/* Queues one 8-bit frame. The pixels are copied (NV12 converted) before return: the caller may
 * reuse its buffer at once. Blocks like submit_file; refuses a malformed frame (sizes, stride,
 * format) with DRT_STATUS_INVALID_ARG and no result. */
DRT_API drt_status drt_pipeline_submit_frame(drt_pipeline *p, const drt_frame *frame, void *tag);

/* The items submitted from now on are a new sequence of a stateful model (drt_model_stateful): the engine's state
 * is reset before the first of them runs, as at the pipeline's start (a new video, stream, camera or folder of
 * stills), and no batch holds items of two sequences. Nothing changes for another model. Fails only for bad
 * arguments or after close. */
DRT_API drt_status drt_pipeline_start_sequence(drt_pipeline *p);

/* No more input; next() returns the rest, then NULL. */
DRT_API void drt_pipeline_close(drt_pipeline *p);

/* The next result in submission order; blocks until it is ready (with nothing pending, until
 * the next submit or close). *result_out = NULL once the pipeline is closed and every result
 * has been returned. */
DRT_API drt_status drt_pipeline_next(drt_pipeline *p, drt_pipeline_result **result_out);

DRT_API void drt_pipeline_result_free(drt_pipeline_result *r);

/* Stops the workers (pending items are dropped) and frees the pipeline; accepts NULL. */
DRT_API void drt_pipeline_free(drt_pipeline *p);

#ifdef __cplusplus
}
#endif
#endif
