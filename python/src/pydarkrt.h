/* darkrt's Python extension (darkrt._darkrt): what its files share. */
#ifndef PYDARKRT_H
#define PYDARKRT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <time.h>
#include "darkrt.h"
#include "darkrt/video.h"

/* darkrt.Error; raised with darkrt's one-line message (drt_last_error) and .status. */
extern PyObject *drtpy_error;

/* Raises darkrt.Error for status s with the calling thread's drt_last_error(); returns NULL.
 * Call on the thread that saw the failure (the message is per thread), holding the GIL. */
PyObject *drtpy_raise(drt_status s);
/* Raises darkrt.Error with a message of the package's own (bad frames, bad arguments). */
PyObject *drtpy_raise_msg(drt_status s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same, returning -1 (for int-returning checks). */
int drtpy_fail(drt_status s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

typedef struct drtpy_model {
    PyObject_HEAD
    drt_model *model;
} drtpy_model;

/* An engine runs one batch at a time (its activations and heads are per engine): runs take
 * `lock`, with the GIL released, so threads may share it and queue on it. */
typedef struct drtpy_engine {
    PyObject_HEAD
    drt_engine *engine;
    PyThread_type_lock lock;
    int max_batch;
    unsigned long stream_owner; /* the thread whose open stream holds `lock`; 0: none */
    double detect_c_seconds;    /* the last detect's C work (drtpy_detect_inputs, all chunks), for
                                   bench/python-overhead.py: the rest of its time is Python's */
} drtpy_engine;

/* Seconds on CLOCK_MONOTONIC, time.perf_counter's clock. */
static inline double drtpy_now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* A live source's reader thread and its queue (video-live.c). */
typedef struct drtpy_live drtpy_live;

/* Starts a thread reading `video` ahead into a queue of depth `capacity`; when the consumer falls
 * behind the oldest frames are dropped (a live source keeps its pace), a burst stays (src/video/live-drop.h).
 * NULL when out of memory. */
drtpy_live *drtpy_live_start(drt_video *video, int capacity);
/* The oldest queued frame (waits for one), valid until the next call; frame->data NULL at the end.
 * A failure's message goes to err. *dropped: frames dropped since the previous call. Needs no GIL. */
drt_status drtpy_live_next(drtpy_live *l, drt_video_frame *frame, long long *dropped, char *err, size_t err_size);
/* Stops the reader (after its current read: at most the source's timeout) and frees l; accepts NULL. */
void drtpy_live_stop(drtpy_live *l);

/* A video source (darkrt/video.h) that Engine.stream reads; video NULL once closed. Live sources
 * (cameras, network streams) are read by their own thread (live), files in the caller's. */
typedef struct drtpy_video {
    PyObject_HEAD
    drt_video *video;
    drtpy_live *live;
    char error[1024]; /* the last failure's message */
} drtpy_video;

/* The next frame of v (display order; *dropped frames of a live source skipped before it). DRT_OK
 * with frame->data NULL at the end; on failure the message is in v->error. Needs no GIL. */
drt_status drtpy_video_next(drtpy_video *v, drt_video_frame *frame, long long *dropped);

extern PyTypeObject drtpy_model_type;
extern PyTypeObject drtpy_video_type;
extern PyTypeObject drtpy_engine_type;
extern PyTypeObject drtpy_pipeline_type;

/* Raises darkrt.Error (returns -1) when a stream on the calling thread holds the engine: waiting
 * for its lock would never end. Else 0. */
int drtpy_engine_busy(drtpy_engine *self);
/* Detect options for the engine's model (resize, NMS kind) with these thresholds. 0, or -1 (raised). */
int drtpy_detect_opts(drtpy_engine *self, float thresh, float nms, drt_detect_opts *o);
/* (width, height, boxes, scores, class_ids): bytearrays of float32 N x 4, float32 N, int32 N. */
PyObject *drtpy_result_tuple(const drt_detections *d, const int size[2]);

/* Engine options from names; raises darkrt.Error for a bad one. Returns 0 or -1. */
int drtpy_engine_opts(const char *device, const char *precision, int batch, int threads, drt_engine_opts *o);

/* Wraps an engine (takes ownership; frees it on failure). */
PyObject *drtpy_engine_wrap(drt_engine *engine);

/* One input of detect: a file path (decoded by darkrt) or an 8-bit HxWx3 frame (a view). */
typedef struct drtpy_input {
    PyObject *path; /* bytes from PyUnicode_FSConverter, or NULL */
    Py_buffer view; /* valid when path is NULL */
    int has_view;
} drtpy_input;

/* Fills *in from a Python object; raises darkrt.Error naming item `index` when it is neither a
 * path nor a packed uint8 HxWx3 buffer. Returns 0 or -1. */
int drtpy_input_open(PyObject *obj, int index, drtpy_input *in);
void drtpy_input_close(drtpy_input *in);
/* Decodes or converts the input into darkrt's float image. Needs no GIL. */
drt_status drtpy_input_image(const drtpy_input *in, int index, int rgb, drt_image **image_out);

/* Inputs per batched run: the engine's max batch, at most this many (bounds the float images held). */
#define DRTPY_CHUNK_MAX 256

/* What engine.detect runs without the GIL: the inputs' images, then one drt_detect_batch of n
 * (<= DRTPY_CHUNK_MAX) under the engine's lock; dets[i] and sizes[i] (w, h) per input; `first` is
 * the first input's index for error messages. */
drt_status drtpy_detect_inputs(drtpy_engine *self, const drtpy_input *in, int first, int n, int rgb,
                               const drt_detect_opts *opts, drt_detections **dets, int (*sizes)[2]);

/* is_video_source(name) -> bool: drt_video_is_source. */
PyObject *drtpy_is_video_source(PyObject *self, PyObject *arg);

/* bench_detect_c(engine, item, rgb=False) -> seconds: bench/python-overhead.py's C side. */
PyObject *drtpy_bench_detect_c(PyObject *self, PyObject *args, PyObject *kwargs);

/* The image at `path` as 8-bit HxWx3 bytes (BGR or RGB) and its size. Raises on failure. */
PyObject *drtpy_imread(PyObject *self, PyObject *args, PyObject *kwargs);

#endif
