/* darkrt._darkrt: the module, darkrt.Error, and loading models and plans. */
#include <stdarg.h>
#include "pydarkrt.h"

PyObject *drtpy_error;

PyObject *drtpy_raise_msg(drt_status s, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    PyObject *exc = PyObject_CallFunction(drtpy_error, "s", msg);
    if (!exc) return NULL;
    PyObject *status = PyLong_FromLong((long)s);
    if (status && PyObject_SetAttrString(exc, "status", status) == 0)
        PyErr_SetObject(drtpy_error, exc);
    Py_XDECREF(status);
    Py_DECREF(exc);
    return NULL;
}

int drtpy_fail(drt_status s, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    drtpy_raise_msg(s, "%s", msg);
    return -1;
}

PyObject *drtpy_raise(drt_status s)
{
    const char *detail = drt_last_error();
    return drtpy_raise_msg(s, "%s", detail[0] ? detail : drt_status_str(s));
}

/* A device name ("cpu", "cuda:1", "ref") and a precision name to engine options. */
int drtpy_engine_opts(const char *device, const char *precision, int batch, int threads, drt_engine_opts *o)
{
    *o = drt_engine_opts_default();
    int d = drt_device_parse(device, &o->device_index), p = drt_precision_parse(precision);
    if (d < 0) return drtpy_fail(DRT_STATUS_INVALID_ARG, "device '%s': must be cpu, cuda[:N] or ref", device);
    if (p < 0) return drtpy_fail(DRT_STATUS_INVALID_ARG, "precision '%s': must be fp32, fp16, bf16 or int8", precision);
    if (batch < 1 || batch > 4096) return drtpy_fail(DRT_STATUS_INVALID_ARG, "batch %d: must be 1..4096", batch);
    if (threads < 0) return drtpy_fail(DRT_STATUS_INVALID_ARG, "threads %d: must be >= 0 (0: OpenMP's count, all cores by default)", threads);
    o->device = (drt_device)d;
    o->precision = (drt_precision)p;
    o->max_batch = batch;
    o->threads = threads;
    return 0;
}

static PyObject *load_model(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kw[] = {"path", "weights", "bn", "width", "height", NULL};
    PyObject *path = NULL, *weights = NULL;
    const char *bn = "alexeyab";
    drt_load_opts lo = drt_load_opts_default();
    (void)self;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O&|O&sii", kw, PyUnicode_FSConverter, &path,
                                     PyUnicode_FSConverter, &weights, &bn, &lo.width, &lo.height))
        goto fail;
    if (strcmp(bn, "alexeyab") && strcmp(bn, "pjreddie")) {
        drtpy_raise_msg(DRT_STATUS_INVALID_ARG, "bn '%s': must be alexeyab or pjreddie", bn);
        goto fail;
    }
    lo.bn = !strcmp(bn, "pjreddie") ? DRT_BN_PJREDDIE : DRT_BN_ALEXEYAB;
    drt_model *m = NULL;
    drt_status s;
    Py_BEGIN_ALLOW_THREADS
    s = drt_model_load(PyBytes_AS_STRING(path), weights ? PyBytes_AS_STRING(weights) : NULL, &lo, &m);
    Py_END_ALLOW_THREADS
    Py_XDECREF(path);
    Py_XDECREF(weights);
    if (s != DRT_OK) return drtpy_raise(s);
    drtpy_model *obj = PyObject_New(drtpy_model, &drtpy_model_type);
    if (!obj) {
        drt_model_free(m);
        return NULL;
    }
    obj->model = m;
    return (PyObject *)obj;
fail:
    Py_XDECREF(path);
    Py_XDECREF(weights);
    return NULL;
}

static PyObject *load_plan(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kw[] = {"path", "device", "batch", "threads", NULL};
    PyObject *path = NULL;
    const char *device = "cpu";
    int batch = 1, threads = 0;
    drt_engine_opts o;
    (void)self;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O&|sii", kw, PyUnicode_FSConverter, &path, &device, &batch, &threads))
        return NULL;
    if (drtpy_engine_opts(device, "fp32", batch, threads, &o) != 0) {
        Py_DECREF(path);
        return NULL;
    }
    drt_engine *e = NULL;
    drt_status s;
    Py_BEGIN_ALLOW_THREADS
    s = drt_engine_load_plan(PyBytes_AS_STRING(path), &o, &e);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    if (s != DRT_OK) return drtpy_raise(s);
    return drtpy_engine_wrap(e);
}

static PyObject *version(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    return PyUnicode_FromString(drt_version());
}

static PyMethodDef methods[] = {
    {"load_model", (PyCFunction)(void (*)(void))load_model, METH_VARARGS | METH_KEYWORDS,
     "load_model(path, weights=None, bn='alexeyab', width=0, height=0) -> Model"},
    {"load_plan", (PyCFunction)(void (*)(void))load_plan, METH_VARARGS | METH_KEYWORDS,
     "load_plan(path, device='cpu', batch=1, threads=0) -> Engine"},
    {"imread", (PyCFunction)(void (*)(void))drtpy_imread, METH_VARARGS | METH_KEYWORDS,
     "imread(path, rgb=False) -> (bytearray, height, width): 8-bit HxWx3 pixels decoded by darkrt"},
    {"version", version, METH_NOARGS, "darkrt's version string"},
    {"is_video_source", drtpy_is_video_source, METH_O,
     "is_video_source(name) -> whether darkrt reads it as video (extension, scheme://, /dev/video*, % or * pattern)"},
    {"bench_detect_c", (PyCFunction)(void (*)(void))drtpy_bench_detect_c, METH_VARARGS | METH_KEYWORDS,
     "bench_detect_c(engine, item, rgb=False) -> seconds of engine.detect's C work on one item "
     "(bench/python-overhead.py)"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "darkrt._darkrt", "libdarkrt, wrapped", -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__darkrt(void)
{
    PyObject *m = PyModule_Create(&module);
    if (!m || PyType_Ready(&drtpy_model_type) < 0 || PyType_Ready(&drtpy_engine_type) < 0 ||
        PyType_Ready(&drtpy_pipeline_type) < 0 || PyType_Ready(&drtpy_video_type) < 0)
        goto fail;
    drtpy_error = PyErr_NewExceptionWithDoc("darkrt.Error",
                                            "A darkrt failure; str() is darkrt's one-line message, .status its code.",
                                            NULL, NULL);
    if (!drtpy_error || PyModule_AddObjectRef(m, "Error", drtpy_error) < 0 ||
        PyModule_AddObjectRef(m, "Model", (PyObject *)&drtpy_model_type) < 0 ||
        PyModule_AddObjectRef(m, "Engine", (PyObject *)&drtpy_engine_type) < 0 ||
        PyModule_AddObjectRef(m, "Pipeline", (PyObject *)&drtpy_pipeline_type) < 0 ||
        PyModule_AddObjectRef(m, "Video", (PyObject *)&drtpy_video_type) < 0)
        goto fail;
    return m;
fail:
    Py_XDECREF(m);
    return NULL;
}
