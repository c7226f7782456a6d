/* Frames for detect: numpy (or any buffer) uint8 HxWx3 views, and file paths, to darkrt images. */
#include <string.h>
#include "pydarkrt.h"

static int is_path(PyObject *obj)
{
    return PyUnicode_Check(obj) || PyBytes_Check(obj) || PyObject_HasAttrString(obj, "__fspath__");
}

static const char *dtype_word(const Py_buffer *v)
{
    const char *f = v->format ? v->format : "B";
    if (strchr("<>=!@", f[0])) f++;
    if (v->itemsize == 1 && (f[0] == 'B' || f[0] == 'c')) return NULL; /* uint8 */
    switch (f[0]) {
    case 'b': return "int8";
    case 'h': case 'H': return v->itemsize == 2 ? "16-bit integers" : "integers";
    case 'e': return "float16";
    case 'f': return "float32";
    case 'd': return "float64";
    case '?': return "bool";
    default: return "not uint8";
    }
}

/* The rules a frame must follow; 0, or -1 with darkrt.Error raised. */
static int check_frame(const Py_buffer *v, int index)
{
    const char *dtype = dtype_word(v);
    if (dtype)
        return drtpy_fail(DRT_STATUS_INVALID_ARG, "frame %d: dtype %s (format '%s'): frames must be uint8",
                               index, dtype, v->format ? v->format : "B");
    if (v->ndim == 2)
        return drtpy_fail(DRT_STATUS_INVALID_ARG, "frame %d: %zd x %zd grayscale: frames must be HxWx3 "
                               "(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))", index, v->shape[0], v->shape[1]);
    if (v->ndim != 3 || v->shape[2] != 3) {
        char shape[96] = "";
        for (int i = 0; i < v->ndim && i < 6; i++)
            snprintf(shape + strlen(shape), sizeof shape - strlen(shape), "%s%zd", i ? " x " : "", v->shape[i]);
        return drtpy_fail(DRT_STATUS_INVALID_ARG, "frame %d: shape (%s): frames must be HxWx3", index,
                               v->ndim ? shape : "scalar");
    }
    Py_ssize_t h = v->shape[0], w = v->shape[1];
    if (w < 1 || h < 1 || (double)w * (double)h > (double)DRT_IMAGE_MAX_PIXELS)
        return drtpy_fail(DRT_STATUS_INVALID_ARG, "frame %d: %zd x %zd pixels: must be 1..%ld pixels", index,
                               w, h, (long)DRT_IMAGE_MAX_PIXELS);
    const Py_ssize_t *st = v->strides;
    if (st && (st[2] != 1 || st[1] != 3 || st[0] < 3 * w))
        return drtpy_fail(DRT_STATUS_INVALID_ARG, "frame %d: strides (%zd, %zd, %zd): pixels must be packed "
                               "within each row, rows top to bottom (np.ascontiguousarray(frame))",
                               index, st[0], st[1], st[2]);
    return 0;
}

int drtpy_input_open(PyObject *obj, int index, drtpy_input *in)
{
    memset(in, 0, sizeof *in);
    if (is_path(obj)) return PyUnicode_FSConverter(obj, &in->path) ? 0 : -1;
    if (!PyObject_CheckBuffer(obj)) {
        drtpy_raise_msg(DRT_STATUS_INVALID_ARG, "frame %d: a %s: frames must be numpy uint8 HxWx3 arrays or file paths",
                        index, Py_TYPE(obj)->tp_name);
        return -1;
    }
    if (PyObject_GetBuffer(obj, &in->view, PyBUF_RECORDS_RO) != 0) return -1;
    in->has_view = 1;
    return check_frame(&in->view, index);
}

void drtpy_input_close(drtpy_input *in)
{
    Py_CLEAR(in->path);
    if (in->has_view) PyBuffer_Release(&in->view);
    in->has_view = 0;
}

/* Darknet's float pixels (v / 255.), planar RGB, from interleaved 8-bit BGR or RGB rows. */
static void frame_to_image(const Py_buffer *v, int rgb, drt_image *im)
{
    float lut[256];
    for (int i = 0; i < 256; i++) lut[i] = (float)(i / 255.);
    size_t plane = (size_t)im->w * (size_t)im->h;
    Py_ssize_t row_bytes = v->strides ? v->strides[0] : 3 * (Py_ssize_t)im->w;
    int src[3] = {rgb ? 0 : 2, 1, rgb ? 2 : 0}; /* source byte of R, G, B */
    for (int y = 0; y < im->h; y++) {
        const unsigned char *row = (const unsigned char *)v->buf + y * row_bytes;
        float *r = im->data + (size_t)y * im->w, *g = r + plane, *b = g + plane;
        for (int x = 0; x < im->w; x++) {
            r[x] = lut[row[3 * x + src[0]]];
            g[x] = lut[row[3 * x + src[1]]];
            b[x] = lut[row[3 * x + src[2]]];
        }
    }
}

drt_status drtpy_input_image(const drtpy_input *in, int index, int rgb, drt_image **image_out)
{
    if (in->path) return drt_image_load(PyBytes_AS_STRING(in->path), image_out);
    drt_status s = drt_image_create((int)in->view.shape[1], (int)in->view.shape[0], 3, image_out);
    (void)index;
    if (s != DRT_OK) return s;
    frame_to_image(&in->view, rgb, *image_out);
    return DRT_OK;
}

/* The inverse of Darknet's v / 255. is exact in float: round(v * 255) gives the file's bytes back. */
static void image_to_bytes(const drt_image *im, int rgb, unsigned char *out)
{
    size_t plane = (size_t)im->w * (size_t)im->h;
    for (size_t i = 0; i < plane; i++)
        for (int k = 0; k < 3; k++) {
            float v = im->data[(size_t)(rgb ? k : 2 - k) * plane + i] * 255.f + .5f;
            out[3 * i + (size_t)k] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
}

PyObject *drtpy_imread(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kw[] = {"path", "rgb", NULL};
    PyObject *path = NULL;
    int rgb = 0;
    (void)self;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O&|p", kw, PyUnicode_FSConverter, &path, &rgb)) return NULL;
    drt_image *im = NULL;
    drt_status s;
    Py_BEGIN_ALLOW_THREADS
    s = drt_image_load(PyBytes_AS_STRING(path), &im);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    if (s != DRT_OK) return drtpy_raise(s);
    PyObject *bytes = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)im->w * im->h * 3);
    if (bytes) image_to_bytes(im, rgb, (unsigned char *)PyByteArray_AS_STRING(bytes));
    PyObject *result = bytes ? Py_BuildValue("(Nii)", bytes, im->h, im->w) : NULL;
    drt_image_free(im);
    return result;
}
