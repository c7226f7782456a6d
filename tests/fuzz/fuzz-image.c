/* libFuzzer target: the image decoders (drt_image_load), then Darknet's letterbox of the result. */
#include "fuzz-common.h"

/* The file name a user would give such bytes (decoders may look at the suffix or the magic). */
static const char *fuzz_image_name(const uint8_t *d, size_t n)
{
    if (n >= 4 && d[0] == 0x89 && d[1] == 'P' && d[2] == 'N' && d[3] == 'G') return "input.png";
    if (n >= 2 && d[0] == 0xff && d[1] == 0xd8) return "input.jpg";
    if (n >= 2 && d[0] == 'B' && d[1] == 'M') return "input.bmp";
    if (n >= 2 && d[0] == 'P' && d[1] >= '1' && d[1] <= '6') return "input.ppm";
    return "input.img";
}

#ifdef FUZZ_SKIP_KNOWN
/* Exploration builds only (never CI): steps around reported bugs to find the next ones (tests/fuzz/README.md,
 * open findings): stb's PNM reader (int overflow in the header, heap overflow on 16-bit data) is skipped, and a
 * BMP's pixels are not checked against the bytes present (a 56-byte file decodes into 82 million pixels). */
static int fuzz_known_bug(const uint8_t *d, size_t n)
{
    if (n >= 26 && d[0] == 'B' && d[1] == 'M') {
        int32_t w, h;
        memcpy(&w, d + 18, 4);
        memcpy(&h, d + 22, 4);
        return (double)w * w + (double)h * h > 1e8;
    }
    return n >= 2 && d[0] == 'P';
}
#endif

static int fuzz_image(const uint8_t *data, size_t size)
{
#ifdef FUZZ_SKIP_KNOWN
    if (fuzz_known_bug(data, size)) return 0;
#endif
    const char *path = fuzz_write_file(fuzz_image_name(data, size), data, size);
    drt_image *img = NULL;
    drt_status s = drt_image_load(path, &img);
    fuzz_check_result("image load", s, img, path);
    if (img) {
        if (img->w < 1 || img->h < 1 || img->c != 3 || !img->data ||
            (long)img->w * img->h > DRT_IMAGE_MAX_PIXELS)
            FUZZ_FAIL("decoded image %dx%dx%d breaks the API (3 channels, 1..DRT_IMAGE_MAX_PIXELS)",
                      img->w, img->h, img->c);
        static float out[3 * 16 * 24];
        s = drt_image_preprocess(img, DRT_RESIZE_LETTERBOX, 24, 16, out);
        if (s != DRT_OK) FUZZ_FAIL("letterbox of a decoded %dx%d image failed: %s", img->w, img->h, drt_last_error());
        s = drt_image_preprocess(img, DRT_RESIZE_STRETCH, 16, 24, out);
        if (s != DRT_OK) FUZZ_FAIL("stretch of a decoded %dx%d image failed: %s", img->w, img->h, drt_last_error());
    }
    drt_image_free(img);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_image(data, size); }
#endif
