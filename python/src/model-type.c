/* darkrt._darkrt.Model: a loaded model (cfg + weights, ONNX or plan); builds engines, exports ONNX. */
#include <stdio.h>
#include <stdlib.h>
#include "pydarkrt.h"

static void model_dealloc(drtpy_model *self)
{
    drt_model_free(self->model);
    PyObject_Free(self);
}

static PyObject *model_build(drtpy_model *self, PyObject *args, PyObject *kwargs)
{
    static char *kw[] = {"device", "precision", "batch", "calib", "threads", NULL};
    const char *device = "cpu", *precision = "fp32";
    PyObject *calib = NULL;
    int batch = 1, threads = 0;
    drt_engine_opts o;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|ssiO&i", kw, &device, &precision, &batch,
                                     PyUnicode_FSConverter, &calib, &threads))
        return NULL;
    if (drtpy_engine_opts(device, precision, batch, threads, &o) != 0) {
        Py_XDECREF(calib);
        return NULL;
    }
    o.calib_dir = calib ? PyBytes_AS_STRING(calib) : NULL;
    drt_engine *e = NULL;
    drt_status s;
    Py_BEGIN_ALLOW_THREADS
    s = drt_engine_create(self->model, &o, &e);
    Py_END_ALLOW_THREADS
    Py_XDECREF(calib);
    if (s != DRT_OK) return drtpy_raise(s);
    return drtpy_engine_wrap(e);
}

static PyObject *model_export_onnx(drtpy_model *self, PyObject *args, PyObject *kwargs)
{
    static char *kw[] = {"path", "opset", "batch", "fold_bn", "decode", "thresh", "nms", NULL};
    PyObject *path = NULL;
    drt_onnx_opts o = drt_onnx_opts_default();
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O&|iippff", kw, PyUnicode_FSConverter, &path, &o.opset, &o.batch,
                                     &o.fold_bn, &o.decode, &o.decode_thresh, &o.decode_nms))
        return NULL;
    drt_status s;
    Py_BEGIN_ALLOW_THREADS
    s = drt_model_export_onnx(self->model, PyBytes_AS_STRING(path), &o);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    if (s != DRT_OK) return drtpy_raise(s);
    Py_RETURN_NONE;
}

static PyObject *model_set_names(drtpy_model *self, PyObject *args)
{
    PyObject *path = NULL;
    if (!PyArg_ParseTuple(args, "O&", PyUnicode_FSConverter, &path)) return NULL;
    drt_status s = drt_model_set_names_file(self->model, PyBytes_AS_STRING(path));
    Py_DECREF(path);
    if (s != DRT_OK) return drtpy_raise(s);
    Py_RETURN_NONE;
}

/* The inspect table (darkrt inspect), as text. */
static PyObject *model_summary(drtpy_model *self, PyObject *unused)
{
    char *text = NULL;
    size_t len = 0;
    (void)unused;
    FILE *f = open_memstream(&text, &len);
    if (!f) return PyErr_NoMemory();
    drt_status s = drt_model_print(self->model, f);
    fclose(f);
    PyObject *out = s == DRT_OK ? PyUnicode_DecodeUTF8(text, (Py_ssize_t)len, "replace") : drtpy_raise(s);
    free(text);
    return out;
}

static PyObject *model_class_names(drtpy_model *self, PyObject *unused)
{
    (void)unused;
    PyObject *names = PyList_New(0);
    for (int i = 0; names && i < 1 << 20; i++) {
        const char *n = drt_model_class_name(self->model, i);
        if (!n) break;
        PyObject *u = PyUnicode_DecodeUTF8(n, (Py_ssize_t)strlen(n), "replace");
        if (!u || PyList_Append(names, u) < 0) Py_CLEAR(names);
        Py_XDECREF(u);
    }
    return names;
}

static PyObject *model_width(drtpy_model *self, void *c) { (void)c; return PyLong_FromLong(drt_model_width(self->model)); }
static PyObject *model_height(drtpy_model *self, void *c) { (void)c; return PyLong_FromLong(drt_model_height(self->model)); }
static PyObject *model_channels(drtpy_model *self, void *c) { (void)c; return PyLong_FromLong(drt_model_channels(self->model)); }

static PyObject *model_stateful(drtpy_model *self, void *c)
{
    (void)c;
    return PyBool_FromLong(drt_model_stateful(self->model));
}

static PyMethodDef model_methods[] = {
    {"build", (PyCFunction)(void (*)(void))model_build, METH_VARARGS | METH_KEYWORDS,
     "build(device='cpu', precision='fp32', batch=1, calib=None, threads=0) -> Engine"},
    {"export_onnx", (PyCFunction)(void (*)(void))model_export_onnx, METH_VARARGS | METH_KEYWORDS,
     "export_onnx(path, opset=13, batch=1, fold_bn=False, decode=False, thresh=0.25, nms=0.45)"},
    {"set_names", (PyCFunction)model_set_names, METH_VARARGS, "set_names(path): class names, one a line"},
    {"summary", (PyCFunction)model_summary, METH_NOARGS, "the table darkrt inspect prints"},
    {"class_names", (PyCFunction)model_class_names, METH_NOARGS, "the class names the model carries ([] if none)"},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef model_getset[] = {
    {"width", (getter)model_width, NULL, "network input width", NULL},
    {"height", (getter)model_height, NULL, "network input height", NULL},
    {"channels", (getter)model_channels, NULL, "network input channels", NULL},
    {"stateful", (getter)model_stateful, NULL, "True for a recurrent model ([crnn]): its state carries from image to image",
     NULL},
    {NULL, NULL, NULL, NULL, NULL}};

PyTypeObject drtpy_model_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "darkrt._darkrt.Model",
    .tp_basicsize = sizeof(drtpy_model),
    .tp_dealloc = (destructor)model_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A loaded model (darkrt._darkrt.load_model).",
    .tp_methods = model_methods,
    .tp_getset = model_getset,
};
