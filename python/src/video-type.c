/* darkrt._darkrt.Video: a video source (include/darkrt/video.h: files, image sequences, V4L2
 * cameras, network streams) for Engine.stream, which hands its frames to the pipeline
 * (Pipeline.submit_video) without copying them through Python. One thread reads a source. */
#include <stdio.h>
#include "pydarkrt.h"

/* A live source's queue depth: frames it may have decoded ahead of the stream (its newest; older ones
 * drop once they wait longer than this many frames last, or beyond one second more: live-drop.h). */
#define LIVE_QUEUE 4

static void video_release(drtpy_video *self)
{
    Py_BEGIN_ALLOW_THREADS
    drtpy_live_stop(self->live); /* may wait for a read in progress */
    drt_video_free(self->video);
    Py_END_ALLOW_THREADS
    self->live = NULL;
    self->video = NULL;
}

drt_status drtpy_video_next(drtpy_video *v, drt_video_frame *frame, long long *dropped)
{
    *dropped = 0;
    if (v->live) return drtpy_live_next(v->live, frame, dropped, v->error, sizeof v->error);
    drt_status s = drt_video_read(v->video, frame);
    if (s != DRT_OK) snprintf(v->error, sizeof v->error, "%s", drt_last_error());
    return s;
}

static void video_dealloc(drtpy_video *self)
{
    video_release(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *video_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kw[] = {"url", "timeout", "format", NULL};
    PyObject *url = NULL;
    drt_video_opts o = drt_video_opts_default();
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O&|dz", kw, PyUnicode_FSConverter, &url, &o.timeout_s, &o.format))
        return NULL;
    if (!(o.timeout_s >= 0)) {
        Py_DECREF(url);
        return drtpy_raise_msg(DRT_STATUS_INVALID_ARG, "video: timeout %g s: must be >= 0 (0: 10 s)", o.timeout_s);
    }
    drt_video *v = NULL;
    drt_status s;
    Py_BEGIN_ALLOW_THREADS
    s = drt_video_open(PyBytes_AS_STRING(url), &o, &v);
    Py_END_ALLOW_THREADS
    Py_DECREF(url);
    if (s != DRT_OK) return drtpy_raise(s);
    drtpy_video *self = (drtpy_video *)type->tp_alloc(type, 0);
    if (!self) {
        drt_video_free(v);
        return NULL;
    }
    self->video = v;
    if (drt_video_get_info(v).live && !(self->live = drtpy_live_start(v, LIVE_QUEUE))) {
        Py_DECREF(self);
        return drtpy_raise_msg(DRT_STATUS_OOM, "video: cannot start a reader thread");
    }
    return (PyObject *)self;
}

static PyObject *video_close(drtpy_video *self, PyObject *unused)
{
    (void)unused;
    video_release(self);
    Py_RETURN_NONE;
}

static PyObject *video_info(drtpy_video *self, void *c)
{
    (void)c;
    if (!self->video) return drtpy_raise_msg(DRT_STATUS_INVALID_ARG, "video: closed");
    drt_video_info i = drt_video_get_info(self->video);
    return Py_BuildValue("{sisisdsLsOss}", "width", i.w, "height", i.h, "fps", i.fps, "frames", (long long)i.frames,
                         "live", i.live ? Py_True : Py_False, "codec", i.codec ? i.codec : "");
}

PyObject *drtpy_is_video_source(PyObject *self, PyObject *arg)
{
    PyObject *name = NULL;
    (void)self;
    if (!PyUnicode_FSConverter(arg, &name)) return NULL;
    int yes = drt_video_is_source(PyBytes_AS_STRING(name));
    Py_DECREF(name);
    return PyBool_FromLong(yes);
}

static PyMethodDef video_methods[] = {
    {"close", (PyCFunction)video_close, METH_NOARGS, "close(): frees the source"},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef video_getset[] = {
    {"info", (getter)video_info, NULL, "width, height, fps, frames (0: unknown), live, codec", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

PyTypeObject drtpy_video_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "darkrt._darkrt.Video",
    .tp_basicsize = sizeof(drtpy_video),
    .tp_dealloc = (destructor)video_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Video(url, timeout=0.0, format=None): a video source for Engine.stream (Pipeline.submit_video)",
    .tp_methods = video_methods,
    .tp_getset = video_getset,
    .tp_new = video_new,
};
