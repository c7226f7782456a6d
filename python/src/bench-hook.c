/* darkrt._darkrt.bench_detect_c: the C side of bench/python-overhead.py. It runs what
 * engine.detect(item) runs in C (the image, drt_detect_batch under the engine's lock, freeing the
 * detections) and times only that, so Engine.detect's time minus this one is the Python layer:
 * argument parsing, the buffer view, result arrays, labels. */
#include "pydarkrt.h"

PyObject *drtpy_bench_detect_c(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kw[] = {"engine", "item", "rgb", NULL};
    drtpy_engine *engine;
    PyObject *item;
    int rgb = 0;
    drt_detect_opts o;
    drtpy_input in;
    (void)self;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!O|p", kw, &drtpy_engine_type, &engine, &item, &rgb)) return NULL;
    if (drtpy_engine_busy(engine) || drtpy_detect_opts(engine, 0.25f, 0.45f, &o) != 0) return NULL;
    if (drtpy_input_open(item, 0, &in) != 0) {
        drtpy_input_close(&in);
        return NULL;
    }
    drt_detections *dets = NULL;
    int size[1][2];
    drt_status s;
    double seconds;
    Py_BEGIN_ALLOW_THREADS
    double t0 = drtpy_now_s();
    s = drtpy_detect_inputs(engine, &in, 0, 1, rgb, &o, &dets, size);
    drt_detections_free(dets);
    seconds = drtpy_now_s() - t0;
    Py_END_ALLOW_THREADS
    drtpy_input_close(&in);
    if (s != DRT_OK) return drtpy_raise(s);
    return PyFloat_FromDouble(seconds);
}
