/* drt_engine_opts.calib_half (src/engine/calib.c): the calibration images are the first calib_max_images of the
 * folder by name, and of those the 1st, 3rd... (half 1) or the 2nd, 4th... (half 2): build --min-map calibrates its
 * candidates on one half and validates them on the other, interleaved so that views of one photo (named alike,
 * sorted together) fall on both sides. Against the images loaded and preprocessed one by one: a folder of 5 links
 * to Darknet's sample photos (a-dog, b-eagle, c-giraffe, d-scream, e-horses), at most 4 taken: half 0 gives a-d,
 * half 1 a and c, half 2 b and d; at most 5, half 1 gives a, c, e; half 3 is refused. */
#include "engine/calib.h"
#include "graph/model.h"
#include "test-models.h"
#include "unit/check.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const photos[] = {"a-dog", "b-eagle", "c-giraffe", "d-scream", "e-horses"};
enum { N_PHOTOS = 5 };

/* Image k of the folder, loaded and preprocessed for m on its own (per floats at out). */
static int one_image(const drt_model *m, const char *dir, int k, float *out)
{
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/%s.jpg", dir, photos[k]);
    drt_image *img;
    if (drt_image_load(p, &img) != DRT_OK) return -1;
    drt_status s = drt_image_preprocess(img, m->resize, m->width, m->height, out);
    drt_image_free(img);
    return s == DRT_OK ? 0 : -1;
}

/* drt_calib_inputs with at most max images and half gives exactly the images want[0..n_want). */
static void check_half(const drt_model *m, const char *dir, int max, int half, const int *want, int n_want)
{
    float *in = NULL, *one = NULL;
    int n = 0;
    size_t per = (size_t)3 * m->width * m->height;
    CHECK(drt_calib_inputs(m, dir, 0, max, half, NULL, &in, &n) == DRT_OK, "max %d half %d: %s", max, half, drt_last_error());
    CHECK(n == n_want, "max %d half %d: %d images, want %d", max, half, n, n_want);
    one = malloc(sizeof(float) * per);
    for (int i = 0; in && one && i < n && i < n_want; i++)
        CHECK(one_image(m, dir, want[i], one) == 0 && !memcmp(in + per * i, one, sizeof(float) * per),
              "max %d half %d: image %d is not %s", max, half, i, photos[want[i]]);
    free(one);
    free(in);
}

int main(void)
{
    char dir[] = "/tmp/drt-calib-half-XXXXXX", abs_data[PATH_MAX];
    if (!mkdtemp(dir) || !realpath(sample_dir(), abs_data)) {
        printf("skip: Darknet's sample images are not in %s\n", sample_dir());
        return 77;
    }
    for (int k = 0; k < N_PHOTOS; k++) {
        char src[PATH_MAX + 64], dst[PATH_MAX + 64];
        snprintf(src, sizeof src, "%s/%s.jpg", abs_data, strchr(photos[k], '-') + 1);
        snprintf(dst, sizeof dst, "%s/%s.jpg", dir, photos[k]);
        CHECK(symlink(src, dst) == 0, "link %s", dst);
    }
    drt_model *m = load_cfg_text(dir, "c.cfg",
                                 "[net]\nwidth=64\nheight=48\nchannels=3\n"
                                 "[convolutional]\nfilters=18\nsize=1\nstride=1\npad=1\nactivation=linear\n"
                                 "[yolo]\nmask=0,1,2\nanchors=10,14, 23,27, 37,58\nclasses=1\nnum=3\n", 1);
    CHECK(m != NULL, "model: %s", drt_last_error());
    if (m && !failures) {
        check_half(m, dir, 4, 0, (const int[]){0, 1, 2, 3}, 4);
        check_half(m, dir, 4, 1, (const int[]){0, 2}, 2);
        check_half(m, dir, 4, 2, (const int[]){1, 3}, 2);
        check_half(m, dir, 5, 1, (const int[]){0, 2, 4}, 3);
        float *in = NULL;
        int n = 0;
        CHECK(drt_calib_inputs(m, dir, 0, 4, 3, NULL, &in, &n) != DRT_OK && in == NULL && strstr(drt_last_error(), "calib_half 3"),
              "half 3 accepted (%s)", drt_last_error());
        free(in);
    }
    drt_model_free(m);
    for (int k = 0; k < N_PHOTOS; k++) {
        char p[PATH_MAX + 64];
        snprintf(p, sizeof p, "%s/%s.jpg", dir, photos[k]);
        unlink(p);
    }
    remove_cfg_dir(dir, "c.cfg");
    return DONE();
}
