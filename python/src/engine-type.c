/* darkrt._darkrt.Engine: detect on frames and files, raw runs, plans. Runs hold the engine's lock
 * with the GIL released. */
#include <stdlib.h>
#include <string.h>
#include "pydarkrt.h"

PyObject *drtpy_engine_wrap(drt_engine *engine)
{
    drtpy_engine *obj = PyObject_New(drtpy_engine, &drtpy_engine_type);
    PyThread_type_lock lock = obj ? PyThread_allocate_lock() : NULL;
    if (!lock) {
        drt_engine_free(engine);
        if (obj) PyObject_Free(obj);
        return obj ? PyErr_NoMemory() : NULL;
    }
    obj->engine = engine;
    obj->lock = lock;
    obj->stream_owner = 0;
    obj->detect_c_seconds = 0;
    drt_tensor_desc d = {1, 0, 0, 0};
    drt_engine_head(engine, 0, NULL, &d); /* before any run, a head's n is the engine's max batch */
    obj->max_batch = d.n > 0 ? d.n : 1;
    return (PyObject *)obj;
}

int drtpy_engine_busy(drtpy_engine *self)
{
    if (self->stream_owner != PyThread_get_thread_ident()) return 0;
    drtpy_raise_msg(DRT_STATUS_INVALID_ARG, "engine: a stream (Engine.stream) on this thread owns it: finish or "
                    "close the stream first");
    return -1;
}

static void engine_dealloc(drtpy_engine *self)
{
    drt_engine_free(self->engine);
    PyThread_free_lock(self->lock);
    PyObject_Free(self);
}

drt_status drtpy_detect_inputs(drtpy_engine *self, const drtpy_input *in, int first, int n, int rgb,
                               const drt_detect_opts *opts, drt_detections **dets, int (*sizes)[2])
{
    drt_image *ims[DRTPY_CHUNK_MAX] = {0};
    drt_status s = DRT_OK;
    for (int i = 0; i < n && s == DRT_OK; i++) {
        s = drtpy_input_image(&in[i], first + i, rgb, &ims[i]);
        if (s == DRT_OK) sizes[i][0] = ims[i]->w, sizes[i][1] = ims[i]->h;
    }
    if (s == DRT_OK) {
        PyThread_acquire_lock(self->lock, WAIT_LOCK);
        s = drt_detect_batch(self->engine, (const drt_image *const *)ims, n, opts, dets, NULL);
        PyThread_release_lock(self->lock);
    }
    for (int i = 0; i < n; i++) drt_image_free(ims[i]);
    return s;
}

/* (width, height, boxes, scores, class_ids): bytearrays of float32 N x 4, float32 N, int32 N. */
PyObject *drtpy_result_tuple(const drt_detections *d, const int size[2])
{
    Py_ssize_t n = d->count;
    PyObject *boxes = PyByteArray_FromStringAndSize(NULL, n * 4 * (Py_ssize_t)sizeof(float));
    PyObject *scores = PyByteArray_FromStringAndSize(NULL, n * (Py_ssize_t)sizeof(float));
    PyObject *ids = PyByteArray_FromStringAndSize(NULL, n * (Py_ssize_t)sizeof(int32_t));
    if (!boxes || !scores || !ids) {
        Py_XDECREF(boxes);
        Py_XDECREF(scores);
        Py_XDECREF(ids);
        return NULL;
    }
    float *b = (float *)PyByteArray_AS_STRING(boxes), *sc = (float *)PyByteArray_AS_STRING(scores);
    int32_t *id = (int32_t *)PyByteArray_AS_STRING(ids);
    for (Py_ssize_t i = 0; i < n; i++) {
        const drt_detection *x = &d->items[i];
        b[4 * i] = x->x1, b[4 * i + 1] = x->y1, b[4 * i + 2] = x->x2, b[4 * i + 3] = x->y2;
        sc[i] = x->score;
        id[i] = x->class_id;
    }
    return Py_BuildValue("(iiNNN)", size[0], size[1], boxes, scores, ids);
}

/* Detects in one chunk and appends its results to `out`. Returns 0 or -1 (raised). */
static int detect_into(drtpy_engine *self, drtpy_input *in, int first, int n, int rgb, const drt_detect_opts *o,
                       PyObject *out)
{
    drt_detections *dets[DRTPY_CHUNK_MAX] = {0};
    int sizes[DRTPY_CHUNK_MAX][2];
    drt_status s;
    double t0, t1;
    Py_BEGIN_ALLOW_THREADS
    t0 = drtpy_now_s();
    s = drtpy_detect_inputs(self, in, first, n, rgb, o, dets, sizes);
    t1 = drtpy_now_s();
    Py_END_ALLOW_THREADS
    self->detect_c_seconds += t1 - t0;
    if (s != DRT_OK) {
        drtpy_raise(s);
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        PyObject *t = rc ? NULL : drtpy_result_tuple(dets[i], sizes[i]);
        if (!t || PyList_Append(out, t) < 0) rc = -1;
        Py_XDECREF(t);
        drt_detections_free(dets[i]);
    }
    return rc;
}

int drtpy_detect_opts(drtpy_engine *self, float thresh, float nms, drt_detect_opts *o)
{
    const drt_model *m = drt_engine_model(self->engine);
    if (drt_model_channels(m) != 3) {
        drtpy_raise_msg(DRT_STATUS_UNSUPPORTED, "detect: the model takes %d channels: frames have 3",
                        drt_model_channels(m));
        return -1;
    }
    if (!(thresh >= 0 && thresh <= 1) || !(nms >= 0 && nms <= 1)) {
        drtpy_raise_msg(DRT_STATUS_INVALID_ARG, "detect: thresh %g, nms %g: must be in [0, 1]", thresh, nms);
        return -1;
    }
    *o = drt_detect_opts_for_model(m); /* resize and NMS kind as the cfg asks */
    o->thresh = thresh;
    o->nms = nms;
    return 0;
}

static PyObject *engine_detect(drtpy_engine *self, PyObject *args, PyObject *kwargs)
{
    static char *kw[] = {"items", "rgb", "thresh", "nms", NULL};
    PyObject *items, *out = NULL;
    int rgb = 0;
    float thresh = 0.25f, nms = 0.45f;
    drt_detect_opts o;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|pff", kw, &items, &rgb, &thresh, &nms)) return NULL;
    if (drtpy_engine_busy(self) || drtpy_detect_opts(self, thresh, nms, &o) != 0) return NULL;
    PyObject *seq = PySequence_Fast(items, "detect: items must be a sequence of frames or paths");
    if (!seq) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    int chunk = self->max_batch < DRTPY_CHUNK_MAX ? self->max_batch : DRTPY_CHUNK_MAX;
    drtpy_input in[DRTPY_CHUNK_MAX];
    out = PyList_New(0);
    self->detect_c_seconds = 0;
    for (Py_ssize_t first = 0; out && first < n; first += chunk) {
        int k = n - first < chunk ? (int)(n - first) : chunk, opened = 0, rc = 0;
        for (; opened < k && rc == 0; opened++)
            rc = drtpy_input_open(PySequence_Fast_GET_ITEM(seq, first + opened), (int)(first + opened), &in[opened]);
        if (rc == 0) rc = detect_into(self, in, (int)first, k, rgb, &o, out);
        for (int i = 0; i < opened; i++) drtpy_input_close(&in[i]);
        if (rc != 0) Py_CLEAR(out);
    }
    Py_DECREF(seq);
    return out;
}

/* The input of run(): float32, C-contiguous N x C x H x W at the model's size. 0, or -1 (raised). */
static int check_tensor(drtpy_engine *self, const Py_buffer *v)
{
    const drt_model *m = drt_engine_model(self->engine);
    Py_ssize_t want[3] = {drt_model_channels(m), drt_model_height(m), drt_model_width(m)};
    const char *f = v->format ? v->format : "B";
    if (strchr("<=@", f[0])) f++;
    if (f[0] != 'f' || v->itemsize != 4) {
        drtpy_raise_msg(DRT_STATUS_INVALID_ARG, "run: format '%s': the tensor must be float32", v->format);
        return -1;
    }
    int shape_ok = v->ndim == 4 && v->shape[0] >= 1 && v->shape[0] <= self->max_batch;
    for (int i = 0; shape_ok && i < 3; i++) shape_ok = v->shape[i + 1] == want[i];
    if (!shape_ok) {
        drtpy_raise_msg(DRT_STATUS_INVALID_ARG, "run: the tensor must be N x %zd x %zd x %zd (NCHW, N 1..%d), "
                        "ndim %d given", want[0], want[1], want[2], self->max_batch, v->ndim);
        return -1;
    }
    return 0;
}

/* Copies of every head of the last run: [(bytearray, (n, c, h, w))]. Holding the lock. */
static PyObject *heads_list(drtpy_engine *self)
{
    int n = drt_engine_num_heads(self->engine);
    PyObject *out = PyList_New(n);
    for (int i = 0; out && i < n; i++) {
        const float *data;
        drt_tensor_desc d;
        drt_engine_head(self->engine, i, &data, &d);
        Py_ssize_t count = (Py_ssize_t)d.n * d.c * d.h * d.w;
        PyObject *bytes = PyByteArray_FromStringAndSize((const char *)data, count * (Py_ssize_t)sizeof(float));
        PyObject *t = bytes ? Py_BuildValue("(N(iiii))", bytes, d.n, d.c, d.h, d.w) : NULL;
        if (!t) Py_CLEAR(out);
        else PyList_SET_ITEM(out, i, t);
    }
    return out;
}

static PyObject *engine_run(drtpy_engine *self, PyObject *arg)
{
    Py_buffer v;
    if (drtpy_engine_busy(self) || PyObject_GetBuffer(arg, &v, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0) return NULL;
    if (check_tensor(self, &v) != 0) {
        PyBuffer_Release(&v);
        return NULL;
    }
    drt_status s;
    Py_BEGIN_ALLOW_THREADS
    PyThread_acquire_lock(self->lock, WAIT_LOCK);
    s = drt_engine_run(self->engine, (const float *)v.buf, (int)v.shape[0]);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&v);
    /* The heads are copied before the lock is released: the next run overwrites them. */
    PyObject *out = s == DRT_OK ? heads_list(self) : drtpy_raise(s);
    PyThread_release_lock(self->lock);
    return out;
}

static PyObject *engine_save(drtpy_engine *self, PyObject *args)
{
    PyObject *path = NULL;
    if (drtpy_engine_busy(self) || !PyArg_ParseTuple(args, "O&", PyUnicode_FSConverter, &path)) return NULL;
    drt_status s;
    Py_BEGIN_ALLOW_THREADS
    PyThread_acquire_lock(self->lock, WAIT_LOCK);
    s = drt_engine_save_plan(self->engine, PyBytes_AS_STRING(path));
    PyThread_release_lock(self->lock);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    if (s != DRT_OK) return drtpy_raise(s);
    Py_RETURN_NONE;
}

/* reset_state(): a stateful model's state back to zeros (drt_engine_reset_state; a no-op for other models). */
static PyObject *engine_reset_state(drtpy_engine *self, PyObject *unused)
{
    (void)unused;
    if (drtpy_engine_busy(self)) return NULL;
    drt_status s;
    Py_BEGIN_ALLOW_THREADS
    PyThread_acquire_lock(self->lock, WAIT_LOCK);
    s = drt_engine_reset_state(self->engine);
    PyThread_release_lock(self->lock);
    Py_END_ALLOW_THREADS
    if (s != DRT_OK) return drtpy_raise(s);
    Py_RETURN_NONE;
}

static PyObject *engine_class_names(drtpy_engine *self, PyObject *unused)
{
    (void)unused;
    const drt_model *m = drt_engine_model(self->engine);
    PyObject *names = PyList_New(0);
    for (int i = 0; names && i < 1 << 20; i++) {
        const char *n = drt_model_class_name(m, i);
        if (!n) break;
        PyObject *u = PyUnicode_DecodeUTF8(n, (Py_ssize_t)strlen(n), "replace");
        if (!u || PyList_Append(names, u) < 0) Py_CLEAR(names);
        Py_XDECREF(u);
    }
    return names;
}

static PyObject *engine_info(drtpy_engine *self, void *c)
{
    (void)c;
    const drt_model *m = drt_engine_model(self->engine);
    return Py_BuildValue("{sssssisisisisN}", "device", drt_device_name(drt_engine_device(self->engine)), "precision",
                         drt_precision_name(drt_engine_precision(self->engine)), "max_batch", self->max_batch,
                         "width", drt_model_width(m), "height", drt_model_height(m), "channels", drt_model_channels(m),
                         "stateful", PyBool_FromLong(drt_model_stateful(m)));
}

static PyMethodDef engine_methods[] = {
    {"detect", (PyCFunction)(void (*)(void))engine_detect, METH_VARARGS | METH_KEYWORDS,
     "detect(items, rgb=False, thresh=0.25, nms=0.45) -> [(w, h, boxes, scores, class_ids)]"},
    {"run", (PyCFunction)engine_run, METH_O, "run(float32 NCHW buffer) -> [(bytearray, (n, c, h, w))] per head"},
    {"save", (PyCFunction)engine_save, METH_VARARGS, "save(path): writes the engine's plan"},
    {"reset_state", (PyCFunction)engine_reset_state, METH_NOARGS,
     "reset_state(): a stateful model's hidden state back to zeros (a new sequence); no-op for other models"},
    {"class_names", (PyCFunction)engine_class_names, METH_NOARGS, "the class names the model carries"},
    {NULL, NULL, 0, NULL}};

static PyObject *engine_detect_c_seconds(drtpy_engine *self, void *c)
{
    (void)c;
    return PyFloat_FromDouble(self->detect_c_seconds);
}

static PyGetSetDef engine_getset[] = {
    {"info", (getter)engine_info, NULL, "device, precision, max_batch, input size and stateful", NULL},
    {"detect_c_seconds", (getter)engine_detect_c_seconds, NULL,
     "seconds of the last detect's C work on this engine (images, engine run, decode, NMS); its other time is Python's", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

PyTypeObject drtpy_engine_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "darkrt._darkrt.Engine",
    .tp_basicsize = sizeof(drtpy_engine),
    .tp_dealloc = (destructor)engine_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A built or loaded engine (Model.build, load_plan).",
    .tp_methods = engine_methods,
    .tp_getset = engine_getset,
};
