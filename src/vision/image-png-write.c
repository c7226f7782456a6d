/* Writes a float image as an 8-bit RGB (or grey) PNG with libpng, through a temporary file
 * renamed into place, so a failed write never leaves a half-written PNG. */
#include "vision/vision.h"
#include "core/error.h"
#include "core/fileio.h"
#include "vision/png-memory.h"

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>

static void on_error(png_structp png, png_const_charp msg)
{
    (void)msg;
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg) { (void)png; (void)msg; }

static uint8_t to_u8(float v) { return v <= 0 ? 0 : v >= 1 ? 255 : (uint8_t)(v * 255.f + .5f); }

drt_status drt_image_save_png(const drt_image *im, const char *png_path)
{
    DRT_ARG(im, "image");
    DRT_ARG(png_path, "png_path");
    if (!im->data || (im->c != 1 && im->c != 3))
        return drt_error(DRT_STATUS_INVALID_ARG, "%s: PNG output needs a 1- or 3-channel image, not %d channels", png_path, im->c);
    drt_atomic_file af;
    DRT_TRY(drt_atomic_open(&af, png_path));
    volatile int oom = 0; /* set by drt_png_malloc, read after a longjmp */
    png_structp png = png_create_write_struct_2(PNG_LIBPNG_VER_STRING, NULL, on_error, on_warning, (void *)&oom, drt_png_malloc,
                                                  drt_png_free);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    uint8_t *volatile row = malloc((size_t)im->w * (size_t)im->c);
    if (!info || !row) {
        png_destroy_write_struct(png ? &png : NULL, info ? &info : NULL);
        free(row);
        drt_atomic_abort(&af);
        return drt_error(DRT_STATUS_OOM, "%s: out of memory", png_path);
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(row);
        drt_atomic_abort(&af);
        return oom ? drt_error(DRT_STATUS_OOM, "%s: out of memory writing the PNG", png_path)
                   : drt_error(DRT_STATUS_IO, "%s: writing the PNG failed (disk full?)", png_path);
    }
    png_init_io(png, af.fp);
    png_set_IHDR(png, info, (png_uint_32)im->w, (png_uint_32)im->h, 8,
                 im->c == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 6);
    png_write_info(png, info);
    size_t plane = (size_t)im->w * (size_t)im->h;
    for (int y = 0; y < im->h; y++) {
        for (int x = 0; x < im->w; x++)
            for (int k = 0; k < im->c; k++)
                row[(size_t)x * im->c + k] = to_u8(im->data[k * plane + (size_t)y * im->w + x]);
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    return drt_atomic_commit(&af);
}
