/* Float images: allocation, the size limit, 8-bit to planar float with EXIF orientation,
 * and drt_image_load's dispatch on the file's magic bytes. */
#include "vision/vision.h"
#include "core/error.h"
#include "core/fileio.h"

#include <stdlib.h>
#include <string.h>


drt_status drt_image_create(int w, int h, int c, drt_image **image_out)
{
    DRT_ARG(image_out, "image_out");
    *image_out = NULL;
    if (w < 1 || h < 1 || c < 1 || c > 4 || (long long)w * h > DRT_IMAGE_MAX_PIXELS)
        return drt_error(DRT_STATUS_INVALID_ARG, "image %dx%dx%d: sizes must be >= 1, channels 1..4, "
                         "at most %ld pixels", w, h, c, (long)DRT_IMAGE_MAX_PIXELS);
    drt_image *im = malloc(sizeof *im);
    float *data = malloc((size_t)w * (size_t)h * (size_t)c * sizeof(float));
    if (!im || !data) {
        free(im);
        free(data);
        return drt_error(DRT_STATUS_OOM, "image %dx%dx%d: out of memory", w, h, c);
    }
    *im = (drt_image){.w = w, .h = h, .c = c, .data = data};
    *image_out = im;
    return DRT_OK;
}

void drt_image_free(drt_image *image)
{
    if (!image) return;
    free(image->data);
    free(image);
}

drt_status drt_image_check_size(const char *path, const char *format, long long w, long long h)
{
    if (w < 1 || h < 1)
        return drt_error(DRT_STATUS_FORMAT, "%s: %s header: %lldx%lld pixels: sizes must be >= 1",
                         path, format, w, h);
    if (w > DRT_IMAGE_MAX_PIXELS || h > DRT_IMAGE_MAX_PIXELS || w * h > DRT_IMAGE_MAX_PIXELS)
        return drt_error(DRT_STATUS_OOM, "%s: %s header: %lldx%lld pixels: more than darkrt's limit of "
                         "%ld pixels (8192x8192; a decompression bomb or a corrupt header)",
                         path, format, w, h, (long)DRT_IMAGE_MAX_PIXELS);
    return DRT_OK;
}

void drt_oriented_source(int o, int x, int y, int w, int h, int *sx, int *sy)
{
    switch (o) {
    case 2: *sx = w - 1 - x; *sy = y; break;
    case 3: *sx = w - 1 - x; *sy = h - 1 - y; break;
    case 4: *sx = x; *sy = h - 1 - y; break;
    case 5: *sx = y; *sy = x; break;
    case 6: *sx = y; *sy = h - 1 - x; break;
    case 7: *sx = w - 1 - y; *sy = h - 1 - x; break;
    case 8: *sx = w - 1 - y; *sy = x; break;
    default: *sx = x; *sy = y; break;
    }
}

drt_status drt_image_from_u8(const char *path, const uint8_t *pixels, int w, int h, int n_in,
                             int orientation, drt_image **image_out)
{
    *image_out = NULL;
    if (orientation < 1 || orientation > 8) orientation = 1;
    int swap = orientation >= 5;
    int ow = swap ? h : w, oh = swap ? w : h;
    drt_image *im;
    drt_status s = drt_image_create(ow, oh, 3, &im);
    if (s != DRT_OK) {
        drt_error_prefix("%s", path);
        return s;
    }
    size_t plane = (size_t)ow * (size_t)oh;
    float lut[256];
    for (int v = 0; v < 256; v++) lut[v] = (float)(v / 255.); /* Darknet: data[i] / 255. */
    for (int y = 0; y < oh; y++) {
        for (int x = 0; x < ow; x++) {
            int sx = x, sy = y;
            if (orientation != 1) drt_oriented_source(orientation, x, y, w, h, &sx, &sy);
            const uint8_t *p = pixels + ((size_t)sy * (size_t)w + (size_t)sx) * (size_t)n_in;
            size_t o = (size_t)y * (size_t)ow + (size_t)x;
            for (int k = 0; k < 3; k++) im->data[k * plane + o] = lut[p[n_in >= 3 ? k : 0]];
        }
    }
    *image_out = im;
    return DRT_OK;
}

static int has_prefix(const uint8_t *d, size_t n, const char *magic, size_t k)
{
    return n >= k && memcmp(d, magic, k) == 0;
}

drt_status drt_image_decode_u8(const char *path, const uint8_t *data, size_t size, drt_u8_pixels *out)
{
    *out = (drt_u8_pixels){0};
    drt_status s;
    if (has_prefix(data, size, "\xFF\xD8\xFF", 3))
        s = drt_jpeg_decode_u8(path, data, size, out);
    else if (has_prefix(data, size, "\x89PNG\r\n\x1A\n", 8))
        s = drt_png_decode_u8(path, data, size, out);
    else if (size >= 2 && data[0] == 'P' && data[1] >= '1' && data[1] <= '4')
        s = drt_error(DRT_STATUS_UNSUPPORTED, "%s: PNM P%c (ASCII or 1-bit): darkrt reads binary PPM (P6) and PGM (P5)",
                      path, data[1]);
    else if (has_prefix(data, size, "BM", 2) || (size >= 2 && data[0] == 'P' && (data[1] == '5' || data[1] == '6')))
        s = drt_stb_decode_u8(path, data, size, out);
    else if (size == 0)
        s = drt_error(DRT_STATUS_FORMAT, "%s: empty file: not an image", path);
    else
        s = drt_error(DRT_STATUS_FORMAT, "%s: unknown image format (darkrt reads JPEG, PNG, BMP, PPM/PGM)", path);
    return s;
}

drt_status drt_image_read_u8(const char *path, drt_u8_pixels *out)
{
    *out = (drt_u8_pixels){0};
    if (!path) return drt_error(DRT_STATUS_INVALID_ARG, "image: no path");
    uint8_t *data;
    size_t size;
    DRT_TRY(drt_read_file(path, DRT_IMAGE_MAX_FILE_BYTES, &data, &size));
    drt_status s = drt_image_decode_u8(path, data, size, out);
    free(data);
    return s;
}

drt_status drt_image_load(const char *path, drt_image **image_out)
{
    DRT_ARG(image_out, "image_out");
    *image_out = NULL;
    DRT_ARG(path, "path");
    drt_u8_pixels px;
    drt_status s = drt_image_read_u8(path, &px);
    if (s == DRT_OK) s = drt_image_from_u8(path, px.data, px.w, px.h, px.n, px.orientation, image_out);
    free(px.data);
    return s;
}
