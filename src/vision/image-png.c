/* PNG decoding with libpng: 1..16-bit, grey, grey+alpha, RGB, RGBA, palette, interlaced.
 * 16-bit samples keep their high byte and alpha is dropped, as Darknet's loaders do. The size
 * is checked from IHDR before any pixel memory is allocated. */
#include "vision/vision.h"
#include "core/error.h"
#include "vision/png-memory.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct png_source {
    const uint8_t *data;
    size_t size, pos;
    char message[200];
    int oom; /* an allocation failed (drt_png_malloc) */
} png_source;

static void on_read(png_structp png, png_bytep out, png_size_t n)
{
    png_source *src = png_get_io_ptr(png);
    if (n > src->size - src->pos) png_error(png, "the data ends early: the file is truncated");
    memcpy(out, src->data + src->pos, n);
    src->pos += n;
}

static void on_error(png_structp png, png_const_charp msg)
{
    png_source *src = png_get_error_ptr(png);
    snprintf(src->message, sizeof src->message, "%s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg) { (void)png; (void)msg; }

/* Sets libpng's transformations so every row comes out as 8-bit grey or RGB (plus alpha). */
static void set_transforms(png_structp png, png_infop info)
{
    int type = png_get_color_type(png, info), depth = png_get_bit_depth(png, info);
    if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (type == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16) png_set_strip_16(png);
    if (type & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
}

static unsigned long be32(const uint8_t *p)
{
    return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 | p[3];
}

drt_status drt_png_decode_u8(const char *path, const uint8_t *data, size_t size, drt_u8_pixels *out)
{
    *out = (drt_u8_pixels){0};
    /* The size from IHDR (always the first chunk) before libpng reads anything else. */
    if (size >= 24 && memcmp(data + 12, "IHDR", 4) == 0)
        DRT_TRY(drt_image_check_size(path, "PNG", (long long)be32(data + 16), (long long)be32(data + 20)));
    png_source src = {.data = data, .size = size};
    png_structp png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, &src, on_error, on_warning, &src.oom,
                                                 drt_png_malloc, drt_png_free);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    uint8_t *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    volatile drt_status s = DRT_OK;
    if (!info) {
        s = drt_error(DRT_STATUS_OOM, "%s: PNG: out of memory", path);
        goto done;
    }
    if (setjmp(png_jmpbuf(png))) {
        s = src.oom ? drt_error(DRT_STATUS_OOM, "%s: PNG: out of memory", path)
                    : drt_error(DRT_STATUS_FORMAT, "%s: PNG: %s", path, src.message);
        goto done;
    }
    png_set_read_fn(png, &src, on_read);
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff); /* our own limit applies below */
    png_set_chunk_malloc_max(png, 64u << 20);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    s = drt_image_check_size(path, "PNG", w, h);
    if (s != DRT_OK) goto done;
    set_transforms(png, info);
    int n = png_get_channels(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    if (rowbytes != (size_t)w * (size_t)n) {
        s = drt_error(DRT_STATUS_INTERNAL, "%s: PNG: row of %zu bytes for %u pixels x %d", path, rowbytes, w, n);
        goto done;
    }
    pixels = malloc(rowbytes * h);
    rows = malloc(h * sizeof *rows);
    if (!pixels || !rows) {
        s = drt_error(DRT_STATUS_OOM, "%s: PNG: out of memory for %ux%u pixels", path, w, h);
        goto done;
    }
    for (png_uint_32 y = 0; y < h; y++) rows[y] = pixels + (size_t)y * rowbytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    *out = (drt_u8_pixels){.data = pixels, .w = (int)w, .h = (int)h, .n = n, .orientation = 1};
    pixels = NULL; /* the caller's now */
done:
    png_destroy_read_struct(png ? &png : NULL, info ? &info : NULL, NULL);
    free(pixels);
    free(rows);
    return s;
}
