/* darkrt._darkrt.Pipeline: the streaming pipeline (include/darkrt/pipeline.h) over one engine, for
 * Engine.stream. One Python thread submits and takes results; the pipeline holds the engine's lock
 * from creation to free, since nothing else may run the engine meanwhile. */
#include <string.h>
#include "pydarkrt.h"
#include "darkrt/pipeline.h"

typedef struct drtpy_pipeline {
    PyObject_HEAD
    drtpy_engine *engine; /* a reference; its lock is held while p exists */
    drt_pipeline *p;
    int rgb, max_in_flight;
} drtpy_pipeline;

static void pipeline_release(drtpy_pipeline *self)
{
    if (!self->p) return;
    Py_BEGIN_ALLOW_THREADS
    drt_pipeline_free(self->p);
    Py_END_ALLOW_THREADS
    self->p = NULL;
    self->engine->stream_owner = 0;
    PyThread_release_lock(self->engine->lock);
}

static void pipeline_dealloc(drtpy_pipeline *self)
{
    pipeline_release(self);
    Py_XDECREF(self->engine);
    PyObject_Free(self);
}

static int pipeline_start(drtpy_pipeline *self, const drt_pipeline_opts *o)
{
    drt_status s;
    drt_pipeline_opts got = drt_pipeline_opts_default(); /* get_opts copies out as far as got.size says */
    Py_BEGIN_ALLOW_THREADS
    PyThread_acquire_lock(self->engine->lock, WAIT_LOCK);
    s = drt_pipeline_create(self->engine->engine, o, &self->p);
    if (s == DRT_OK) s = drt_pipeline_get_opts(self->p, &got);
    Py_END_ALLOW_THREADS
    if (s != DRT_OK) {
        drtpy_raise(s);
        if (self->p) drt_pipeline_free(self->p);
        self->p = NULL;
        PyThread_release_lock(self->engine->lock);
        return -1;
    }
    self->engine->stream_owner = PyThread_get_thread_ident();
    self->max_in_flight = got.max_in_flight;
    return 0;
}

static PyObject *pipeline_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kw[] = {"engine", "rgb", "workers", "batch", "max_in_flight", "thresh", "nms", "frames", NULL};
    PyObject *engine;
    drt_pipeline_opts o = drt_pipeline_opts_default();
    int rgb = 0;
    float thresh = 0.25f, nms = 0.45f;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!|piiiffp", kw, &drtpy_engine_type, &engine, &rgb, &o.workers,
                                     &o.batch, &o.max_in_flight, &thresh, &nms, &o.keep_image))
        return NULL;
    if (drtpy_engine_busy((drtpy_engine *)engine) || drtpy_detect_opts((drtpy_engine *)engine, thresh, nms, &o.detect))
        return NULL;
    drtpy_pipeline *self = (drtpy_pipeline *)type->tp_alloc(type, 0);
    if (!self) return NULL;
    Py_INCREF(engine);
    self->engine = (drtpy_engine *)engine;
    self->rgb = rgb;
    if (pipeline_start(self, &o) != 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static int ready(drtpy_pipeline *self)
{
    if (self->p) return 0;
    drtpy_raise_msg(DRT_STATUS_INVALID_ARG, "stream: the pipeline is freed");
    return -1;
}

/* submit(item, index=0): a path (decoded by a worker) or an 8-bit frame (copied before return);
 * index names the item in errors. */
static PyObject *pipeline_submit(drtpy_pipeline *self, PyObject *args)
{
    PyObject *item;
    int index = 0;
    drtpy_input in;
    if (!PyArg_ParseTuple(args, "O|i", &item, &index)) return NULL;
    if (ready(self)) return NULL;
    if (drtpy_input_open(item, index, &in) != 0) {
        drtpy_input_close(&in); /* a view taken before its check failed */
        return NULL;
    }
    drt_status s;
    drt_frame f = {0};
    if (!in.path)
        f = (drt_frame){.w = (int)in.view.shape[1], .h = (int)in.view.shape[0],
                        .format = self->rgb ? DRT_PIXEL_RGB8 : DRT_PIXEL_BGR8, .data = in.view.buf,
                        .stride = (size_t)(in.view.strides ? in.view.strides[0] : 3 * in.view.shape[1])};
    Py_BEGIN_ALLOW_THREADS
    s = in.path ? drt_pipeline_submit_file(self->p, PyBytes_AS_STRING(in.path), NULL)
                : drt_pipeline_submit_frame(self->p, &f, NULL);
    Py_END_ALLOW_THREADS
    drtpy_input_close(&in);
    if (s != DRT_OK) return drtpy_raise(s);
    Py_RETURN_NONE;
}

/* submit_video(video) -> (frame index, pts, frames dropped before it) of the frame read from `video`
 * and queued, or None at its end. The frame goes from the decoder to the pipeline's copy without passing through Python. */
static PyObject *pipeline_submit_video(drtpy_pipeline *self, PyObject *arg)
{
    if (!PyObject_TypeCheck(arg, &drtpy_video_type))
        return drtpy_raise_msg(DRT_STATUS_INVALID_ARG, "stream: submit_video takes a darkrt._darkrt.Video");
    drtpy_video *v = (drtpy_video *)arg;
    if (ready(self)) return NULL;
    if (!v->video) return drtpy_raise_msg(DRT_STATUS_INVALID_ARG, "stream: the video is closed");
    drt_video_frame vf = {0};
    long long dropped = 0;
    drt_status s, queued = DRT_OK;
    Py_BEGIN_ALLOW_THREADS
    s = drtpy_video_next(v, &vf, &dropped);
    if (s == DRT_OK && vf.data) {
        drt_frame f = {.w = vf.w, .h = vf.h, .format = DRT_PIXEL_RGB8, .data = vf.data, .stride = vf.stride};
        queued = drt_pipeline_submit_frame(self->p, &f, NULL);
    }
    Py_END_ALLOW_THREADS
    if (s != DRT_OK) return drtpy_raise_msg(s, "%s", v->error);
    if (queued != DRT_OK) return drtpy_raise(queued);
    if (!vf.data) Py_RETURN_NONE;
    return Py_BuildValue("(LdL)", (long long)vf.index, vf.pts, dropped);
}

/* start_sequence(): the items submitted from now on are a new sequence of a stateful model (no-op for others). */
static PyObject *pipeline_start_sequence(drtpy_pipeline *self, PyObject *unused)
{
    (void)unused;
    if (ready(self)) return NULL;
    drt_status s = drt_pipeline_start_sequence(self->p);
    if (s != DRT_OK) return drtpy_raise(s);
    Py_RETURN_NONE;
}

static PyObject *pipeline_close(drtpy_pipeline *self, PyObject *unused)
{
    (void)unused;
    if (self->p) drt_pipeline_close(self->p);
    Py_RETURN_NONE;
}

/* The result's RGB8 image (keep_image) as packed HxWx3 bytes, BGR unless rgb; None without one. */
static PyObject *result_image(const drt_pipeline_result *r, int rgb)
{
    const drt_frame *im = &r->image;
    if (!im->data) Py_RETURN_NONE;
    size_t row = 3 * (size_t)im->w, stride = im->stride ? im->stride : row;
    PyObject *bytes = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)(row * (size_t)im->h));
    if (!bytes) return NULL;
    unsigned char *out = (unsigned char *)PyByteArray_AS_STRING(bytes);
    for (int y = 0; y < im->h; y++) {
        const unsigned char *in = im->data + stride * (size_t)y;
        unsigned char *o = out + row * (size_t)y;
        if (rgb) {
            memcpy(o, in, row);
            continue;
        }
        for (size_t x = 0; x < row; x += 3) o[x] = in[x + 2], o[x + 1] = in[x + 1], o[x + 2] = in[x];
    }
    return Py_BuildValue("(Nii)", bytes, im->h, im->w);
}

/* next() -> None when done, else (index, source, status, error, (w, h, boxes, scores, class_ids) or None,
 * (pixels, h, w) or None). */
static PyObject *pipeline_next(drtpy_pipeline *self, PyObject *unused)
{
    (void)unused;
    if (ready(self)) return NULL;
    drt_pipeline_result *r = NULL;
    drt_status s;
    Py_BEGIN_ALLOW_THREADS
    s = drt_pipeline_next(self->p, &r);
    Py_END_ALLOW_THREADS
    if (s != DRT_OK) return drtpy_raise(s);
    if (!r) Py_RETURN_NONE;
    int size[2] = {r->width, r->height};
    PyObject *dets = r->status == DRT_OK ? drtpy_result_tuple(r->dets, size) : (Py_INCREF(Py_None), Py_None);
    PyObject *image = dets ? result_image(r, self->rgb) : NULL;
    PyObject *out = image ? Py_BuildValue("(LzisNN)", r->index, r->source, (int)r->status, r->error ? r->error : "",
                                          dets, image) : NULL;
    if (!image) Py_XDECREF(dets);
    drt_pipeline_result_free(r);
    return out;
}

static PyObject *pipeline_free_method(drtpy_pipeline *self, PyObject *unused)
{
    (void)unused;
    pipeline_release(self);
    Py_RETURN_NONE;
}

static PyObject *pipeline_max_in_flight(drtpy_pipeline *self, void *c)
{
    (void)c;
    return PyLong_FromLong(self->max_in_flight);
}

static PyMethodDef pipeline_methods[] = {
    {"submit", (PyCFunction)pipeline_submit, METH_VARARGS,
     "submit(path or frame, index=0): queues one item (blocks at max_in_flight)"},
    {"submit_video", (PyCFunction)pipeline_submit_video, METH_O,
     "submit_video(video) -> (frame index, pts, dropped) of the next frame, queued; None at the end (blocks like submit)"},
    {"start_sequence", (PyCFunction)pipeline_start_sequence, METH_NOARGS,
     "start_sequence(): the items submitted next are a new sequence (a stateful model's state restarts before them)"},
    {"close", (PyCFunction)pipeline_close, METH_NOARGS, "close(): no more input"},
    {"next", (PyCFunction)pipeline_next, METH_NOARGS, "next() -> the next result in order, None when done"},
    {"free", (PyCFunction)pipeline_free_method, METH_NOARGS, "free(): stops the workers, gives the engine back"},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef pipeline_getset[] = {
    {"max_in_flight", (getter)pipeline_max_in_flight, NULL, "items submitted and not yet returned, at most", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

PyTypeObject drtpy_pipeline_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "darkrt._darkrt.Pipeline",
    .tp_basicsize = sizeof(drtpy_pipeline),
    .tp_dealloc = (destructor)pipeline_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Pipeline(engine, rgb=False, workers=0, batch=0, max_in_flight=0, thresh=0.25, nms=0.45, frames=False)",
    .tp_methods = pipeline_methods,
    .tp_getset = pipeline_getset,
    .tp_new = pipeline_new,
};
