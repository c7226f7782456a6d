/* drt_frame_preprocess of 8-bit frames already at the network input's inner size (video's
 * --fast-resize hands such frames over; the letterbox then skips Darknet's resize): the network
 * input equals, bit for bit, Darknet's resize of the float image (drt_image_preprocess, which
 * always resizes), for a stretch at the network size and a letterbox at its inner size, RGB8 and
 * BGR8, tight rows and padded ones; and a frame one pixel off still resizes. Frames of other
 * sizes (down to a third, up from a quarter, one pixel wide or high) give the float image's input
 * too: the 8-bit resize reads only the rows the second pass uses, each once. */
#include "darkrt.h"
#include "unit/check.h"

#include <stdlib.h>
#include <string.h>

#define NET_W 96
#define NET_H 64

/* A w x h frame of pseudo-random bytes (rows of `stride`) and the float image drt_image_load
 * would give for it (v / 255, RGB planes). */
static drt_image *make(int w, int h, size_t stride, drt_pixel_format fmt, unsigned char *bytes)
{
    unsigned seed = (unsigned)(w * 31 + h);
    for (size_t i = 0; i < stride * (size_t)h; i++) bytes[i] = (unsigned char)((seed = seed * 1103515245u + 12345u) >> 16);
    drt_image *im = NULL;
    if (drt_image_create(w, h, 3, &im) != DRT_OK) return NULL;
    for (int k = 0; k < 3; k++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int ch = fmt == DRT_PIXEL_BGR8 ? 2 - k : k;
                im->data[((size_t)k * h + y) * w + x] = (float)(bytes[(size_t)y * stride + 3 * x + ch] / 255.);
            }
    return im;
}

static void check(int w, int h, drt_resize mode, drt_pixel_format fmt, size_t pad)
{
    static unsigned char bytes[(3 * NET_W * 3 + 16) * 3 * NET_H];
    static float want[3 * NET_W * NET_H], got[3 * NET_W * NET_H];
    size_t stride = (size_t)w * 3 + pad;
    drt_image *im = make(w, h, stride, fmt, bytes);
    drt_frame f = {.w = w, .h = h, .format = fmt, .data = bytes, .stride = pad ? stride : 0};
    memset(got, 0xff, sizeof got);
    drt_status a = drt_image_preprocess(im, mode, NET_W, NET_H, want);
    drt_status b = drt_frame_preprocess(&f, mode, NET_W, NET_H, got);
    CHECK(im && a == DRT_OK && b == DRT_OK, "%dx%d: %s", w, h, drt_last_error());
    CHECK(!memcmp(want, got, sizeof want), "%dx%d mode %d format %d pad %zu: differs from Darknet's resize", w, h,
          (int)mode, (int)fmt, pad);
    drt_image_free(im);
}

int main(void)
{
    for (int fmt = DRT_PIXEL_RGB8; fmt <= DRT_PIXEL_BGR8; fmt++)
        for (size_t pad = 0; pad <= 13; pad += 13) {
            check(NET_W, NET_H, DRT_RESIZE_STRETCH, (drt_pixel_format)fmt, pad);     /* the network's size */
            check(NET_W, NET_H, DRT_RESIZE_LETTERBOX, (drt_pixel_format)fmt, pad);   /* fills it: no padding */
            check(NET_W, NET_H / 2, DRT_RESIZE_LETTERBOX, (drt_pixel_format)fmt, pad); /* the letterbox's inner size */
            check(NET_W / 2, NET_H, DRT_RESIZE_LETTERBOX, (drt_pixel_format)fmt, pad);
            check(NET_W - 1, NET_H, DRT_RESIZE_STRETCH, (drt_pixel_format)fmt, pad); /* one off: resized */
            for (int mode = 0; mode < DRT_RESIZE_COUNT; mode++) {
                check(3 * NET_W, 3 * NET_H - 7, (drt_resize)mode, (drt_pixel_format)fmt, pad); /* down */
                check(NET_W / 4 + 1, NET_H / 4, (drt_resize)mode, (drt_pixel_format)fmt, pad); /* up */
                check(1, NET_H * 2, (drt_resize)mode, (drt_pixel_format)fmt, pad);
                check(NET_W * 2, 1, (drt_resize)mode, (drt_pixel_format)fmt, pad);
                check(1, 1, (drt_resize)mode, (drt_pixel_format)fmt, pad);
            }
        }
    return DONE();
}
