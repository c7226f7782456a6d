/* An image as an in-memory PNG, base64-encoded for embedding in HTML (data: URLs). */
#include "report/report.h"
#include "core/error.h"
#include "vision/png-memory.h"

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

typedef struct membuf {
    unsigned char *data;
    size_t size, cap;
    int oom;
} membuf;

static void write_mem(png_structp png, png_bytep bytes, png_size_t n)
{
    membuf *m = png_get_io_ptr(png);
    if (m->oom) return;
    if (m->size + n > m->cap) {
        size_t want = (m->cap ? m->cap * 2 : 65536) + n;
        unsigned char *grown = realloc(m->data, want);
        if (!grown) {
            m->oom = 1;
            return;
        }
        m->data = grown;
        m->cap = want;
    }
    memcpy(m->data + m->size, bytes, n);
    m->size += n;
}

static void flush_mem(png_structp png) { (void)png; }

static unsigned char to_byte(float v)
{
    v = v * 255.0f + 0.5f;
    return v <= 0 ? 0 : v >= 255 ? 255 : (unsigned char)v;
}

/* Planar float RGB (or grey) to interleaved 8-bit RGB. */
static unsigned char *to_rgb8(const drt_image *im)
{
    size_t plane = (size_t)im->w * (size_t)im->h;
    unsigned char *rgb = malloc(plane * 3);
    if (!rgb) return NULL;
    for (size_t i = 0; i < plane; i++)
        for (int c = 0; c < 3; c++) rgb[i * 3 + c] = to_byte(im->data[(im->c >= 3 ? (size_t)c : 0) * plane + i]);
    return rgb;
}

static drt_status encode_png(const drt_image *im, membuf *m)
{
    unsigned char *volatile rgb = to_rgb8(im);
    png_structp png = png_create_write_struct_2(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL, NULL, drt_png_malloc,
                                                  drt_png_free);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    drt_status s = DRT_OK;
    if (!rgb || !png || !info) {
        s = drt_error(DRT_STATUS_OOM, "report: out of memory encoding a %dx%d PNG", im->w, im->h);
        goto done;
    }
    if (setjmp(png_jmpbuf(png))) {
        s = drt_error(DRT_STATUS_INTERNAL, "report: libpng failed encoding a %dx%d PNG", im->w, im->h);
        goto done;
    }
    png_set_write_fn(png, m, write_mem, flush_mem);
    png_set_IHDR(png, info, (png_uint_32)im->w, (png_uint_32)im->h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 6);
    png_write_info(png, info);
    for (int y = 0; y < im->h; y++) png_write_row(png, rgb + (size_t)y * (size_t)im->w * 3);
    png_write_end(png, NULL);
    if (m->oom) s = drt_error(DRT_STATUS_OOM, "report: out of memory encoding a %dx%d PNG", im->w, im->h);
done:
    png_destroy_write_struct(png ? &png : NULL, info ? &info : NULL);
    free(rgb);
    return s;
}

static char *base64(const unsigned char *data, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
    if (!out) return NULL;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)data[i] << 16 | (i + 1 < n ? (unsigned)data[i + 1] << 8 : 0) | (i + 2 < n ? data[i + 2] : 0);
        *o++ = tab[v >> 18 & 63];
        *o++ = tab[v >> 12 & 63];
        *o++ = i + 1 < n ? tab[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? tab[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

drt_status drt_report_png_base64(const drt_image *image, char **b64_out)
{
    *b64_out = NULL;
    membuf m = {0};
    drt_status s = encode_png(image, &m);
    if (s == DRT_OK) {
        *b64_out = base64(m.data, m.size);
        if (!*b64_out) s = drt_error(DRT_STATUS_OOM, "report: out of memory for base64");
    }
    free(m.data);
    return s;
}
