/* darkrt's preprocessing against libdarknet's own functions on the same pixels, bit for bit:
 * letterbox_image (letterbox mode) and resize_image (stretch mode), for shrinking, growing,
 * odd, square, 1-pixel and extreme-aspect images and several network sizes. Where Darknet's
 * letterbox degenerates (a resized side of 0 pixels drops the image; of 1 pixel it divides
 * 0 by 0 and yields NaN), darkrt keeps one row of real pixels: there the test only requires
 * finite values in [0, 1]. */
#include "darkrt.h"
#include "darknet-vision-util.h"

#include <stdint.h>

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static float rnd01(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (float)((rng >> 40) % 256) / 255.f; /* like decoded 8-bit pixels */
}

static int compare(const char *what, int iw, int ih, int nw, int nh, const float *ours, const float *theirs)
{
    size_t n = (size_t)nw * nh * 3, diff = 0, first = 0;
    for (size_t i = 0; i < n; i++)
        if (ours[i] != theirs[i] && diff++ == 0) first = i;
    if (!diff) return 0;
    printf("FAIL %s %dx%d -> %dx%d: %zu of %zu values differ (first at %zu: %.9g vs Darknet %.9g)\n", what, iw, ih,
           nw, nh, diff, n, first, ours[first], theirs[first]);
    return 1;
}

static int check_sane(int iw, int ih, int nw, int nh, const float *ours)
{
    for (size_t i = 0; i < (size_t)nw * nh * 3; i++)
        if (!(ours[i] >= 0 && ours[i] <= 1)) {
            printf("FAIL letterbox %dx%d -> %dx%d: value %zu is %g\n", iw, ih, nw, nh, i, ours[i]);
            return 1;
        }
    return 0;
}

/* Darknet's letterbox_image sizes: its own integer arithmetic. */
static int darknet_degenerate(int iw, int ih, int nw, int nh)
{
    int new_w, new_h;
    if (((float)nw / iw) < ((float)nh / ih)) new_w = nw, new_h = (ih * nw) / iw;
    else new_h = nh, new_w = (iw * nh) / ih;
    return new_w < 2 || new_h < 2;
}

static int check(int iw, int ih, int nw, int nh)
{
    drt_image *im;
    if (drt_image_create(iw, ih, 3, &im) != DRT_OK) return printf("FAIL create %dx%d\n", iw, ih), 1;
    for (size_t i = 0; i < (size_t)iw * ih * 3; i++) im->data[i] = rnd01();
    image dim = make_image(iw, ih, 3);
    memcpy(dim.data, im->data, (size_t)iw * ih * 3 * sizeof(float));
    float *ours = malloc((size_t)nw * nh * 3 * sizeof(float));
    int bad = 0;
    image boxed = letterbox_image(dim, nw, nh);
    if (drt_image_preprocess(im, DRT_RESIZE_LETTERBOX, nw, nh, ours) != DRT_OK) bad++;
    else if (darknet_degenerate(iw, ih, nw, nh)) bad += check_sane(iw, ih, nw, nh, ours);
    else bad += compare("letterbox", iw, ih, nw, nh, ours, boxed.data);
    image stretched = resize_image(dim, nw, nh);
    if (drt_image_preprocess(im, DRT_RESIZE_STRETCH, nw, nh, ours) != DRT_OK) bad++;
    else bad += compare("stretch", iw, ih, nw, nh, ours, stretched.data);
    free_image(boxed);
    free_image(stretched);
    free_image(dim);
    free(ours);
    drt_image_free(im);
    return bad;
}

int main(void)
{
    static const int sizes[][2] = {{768, 576}, {576, 768}, {640, 424}, {1352, 900}, {500, 375}, {320, 320},
                                   {100, 37},  {37, 100},  {1, 1},     {1, 50},    {50, 1},    {2, 3},
                                   {415, 417}, {1000, 7},  {3, 900},   {321, 319}};
    static const int nets[][2] = {{320, 320}, {416, 416}, {608, 608}, {416, 256}, {96, 160}};
    int bad = 0, cases = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (size_t j = 0; j < sizeof nets / sizeof nets[0]; j++, cases++)
            bad += check(sizes[i][0], sizes[i][1], nets[j][0], nets[j][1]);
    printf(bad ? "%d of %d cases differ from Darknet\n" : "%d cases: bit-identical to Darknet\n", bad ? bad : cases,
           cases);
    return bad ? 1 : 0;
}
