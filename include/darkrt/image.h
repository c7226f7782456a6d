/* darkrt images: decoding, Darknet's letterbox and stretch, drawing and PNG output. */
#ifndef DARKRT_IMAGE_H
#define DARKRT_IMAGE_H

#include <stddef.h>
#include "darkrt/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A float image as Darknet keeps one: planar (CHW), channels RGB (or grey), values in [0,1]. */
typedef struct drt_image {
    int w, h, c;
    float *data; /* c * h * w floats, owned by the image */
} drt_image;

/* Largest image darkrt decodes (pixels); larger ones are refused before any allocation. 8192 x
 * 8192 (64 Mi pixels, 768 MiB as floats) is far past what a detector's letterbox keeps, and
 * it stops decompression bombs: a 433-byte progressive JPEG declaring 57334 x 2553 pixels
 * decodes into 1.7 GB (tests/fuzz/seeds/hostile-images.py). */
#define DRT_IMAGE_MAX_PIXELS (8192L * 8192L)

/* Decodes JPEG (baseline and progressive, EXIF orientation applied), PNG (8/16-bit, grey,
 * alpha, palette, interlaced), BMP or binary PPM/PGM into 3-channel RGB, values v/255 as
 * Darknet computes them (16-bit samples keep their high byte; alpha is dropped, not blended).
 * The format comes from the file's first bytes. Refuses, with a message naming the file and
 * the rule, unreadable, truncated or corrupt files and sizes above DRT_IMAGE_MAX_PIXELS
 * (checked from the header, before any pixel memory is allocated). */
DRT_API drt_status drt_image_load(const char *path, drt_image **image_out);
DRT_API drt_status drt_image_create(int w, int h, int c, drt_image **image_out);
DRT_API void drt_image_free(drt_image *image);

/* 8-bit pixels, interleaved, in memory the caller owns: what decoders, cameras and numpy give.
 * RGB8/BGR8: h rows of `stride` bytes (3 * w used). NV12: the Y plane (h rows of `stride` bytes),
 * then the interleaved UV plane ((h + 1) / 2 rows of `stride` bytes, U first); w and h even or
 * odd; converted to RGB with BT.601 limited-range coefficients (video's usual). */
typedef enum drt_pixel_format {
    DRT_PIXEL_RGB8 = 0,
    DRT_PIXEL_BGR8 = 1,
    DRT_PIXEL_NV12 = 2,
    DRT_PIXEL_FORMAT_COUNT
} drt_pixel_format;

typedef struct drt_frame {
    int w, h;
    drt_pixel_format format;
    const unsigned char *data;
    size_t stride; /* bytes per row; 0: tight (3 * w for RGB8/BGR8, w for NV12) */
} drt_frame;

/* Decodes an image file (formats and limits as drt_image_load) into a tight RGB8 frame whose
 * pixels are malloc'd: release them with drt_frame_release. Each value v is the byte that
 * drt_image_load turns into v / 255. */
DRT_API drt_status drt_frame_load(const char *path, drt_frame *frame_out);
DRT_API void drt_frame_release(drt_frame *frame); /* frees frame->data (from drt_frame_load) and clears it */

typedef enum drt_resize {
    DRT_RESIZE_LETTERBOX = 0, /* keep aspect, pad with 0.5, as pjreddie's Darknet does */
    DRT_RESIZE_STRETCH = 1,
    DRT_RESIZE_COUNT
} drt_resize;

/* Writes the network input for `image` into out (c * h * w floats), exactly as Darknet
 * computes it (its bilinear resize). */
DRT_API drt_status drt_image_preprocess(const drt_image *image, drt_resize mode, int net_w, int net_h,
                                        float *out);

/* The same network input from an 8-bit frame, to the last bit (RGB8/BGR8/NV12; NV12 is
 * converted to RGB8 first). */
DRT_API drt_status drt_frame_preprocess(const drt_frame *frame, drt_resize mode, int net_w, int net_h, float *out);

/* Writes an 8-bit PNG (through a temporary file renamed into place). */
DRT_API drt_status drt_image_save_png(const drt_image *image, const char *png_path);

#ifdef __cplusplus
}
#endif
#endif
