/* A fixed held-out split for int8 tests, as bench/int8-accuracy.sh makes it with the CLI: views
 * (whole, mirrored, four corner crops of 75%, the centre crop of 60%; bench/int8-images.py's) of
 * Darknet's dog, eagle, giraffe, scream calibrate and validate; the views of horses, kite, person
 * are scored, against the fp32 engine's detections at 0.25, with the int8 engine's ranked down to
 * 0.005 (the protocol of mAP against labels, and build --min-map's). */
#ifndef DRT_TESTS_INT8_HELDOUT_H
#define DRT_TESTS_INT8_HELDOUT_H

#include "darkrt.h"

#include <dirent.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const heldout_calib[] = {"dog", "eagle", "giraffe", "scream"};
static const char *const heldout_score[] = {"horses", "kite", "person"};

static drt_image *heldout_crop(const drt_image *im, int x0, int y0, int w, int h, int mirror)
{
    drt_image *v = NULL;
    if (drt_image_create(w, h, im->c, &v) != DRT_OK) return NULL;
    for (int c = 0; c < im->c; c++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                v->data[((size_t)c * h + y) * w + x] =
                    im->data[((size_t)c * im->h + y0 + y) * im->w + x0 + (mirror ? w - 1 - x : x)];
    return v;
}

/* The six views of data_dir/NAME.jpg for each name, as dir/NAME-VIEW.png (dir is made). */
static int heldout_views(const char *dir, const char *data_dir, const char *const *names, int n)
{
    static const char *const view[6] = {"whole", "mirror", "tl", "tr", "bl", "br"};
    if (mkdir(dir, 0700)) return -1;
    for (int i = 0; i < n; i++) {
        char path[1200];
        drt_image *im;
        snprintf(path, sizeof path, "%s/%s.jpg", data_dir, names[i]);
        if (drt_image_load(path, &im) != DRT_OK) return -1;
        int w = im->w, h = im->h, cw = w * 3 / 4, ch = h * 3 / 4;
        int at[6][4] = {{0, 0, w, h}, {0, 0, w, h}, {0, 0, cw, ch}, {w - cw, 0, cw, ch}, {0, h - ch, cw, ch}, {w - cw, h - ch, cw, ch}};
        for (int k = 0; k < 7; k++) {
            drt_image *v = k < 6 ? heldout_crop(im, at[k][0], at[k][1], at[k][2], at[k][3], k == 1)
                                 : heldout_crop(im, (w - w * 3 / 5) / 2, (h - h * 3 / 5) / 2, w * 3 / 5, h * 3 / 5, 0);
            snprintf(path, sizeof path, "%s/%s-%s.png", dir, names[i], k < 6 ? view[k] : "centre");
            drt_status s = v ? drt_image_save_png(v, path) : DRT_STATUS_OOM;
            drt_image_free(v);
            if (s != DRT_OK) { drt_image_free(im); return -1; }
        }
        drt_image_free(im);
    }
    return 0;
}

static void heldout_remove(const char *dir)
{
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        char p[1200];
        if (e->d_name[0] == '.') continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if (d) closedir(d);
    rmdir(dir);
}

/* mAP@0.5 of q's detections (ranked down to 0.005) against truth's (at 0.25) over the images of
 * dir; -1 on an error (printed). */
static double heldout_map(const drt_model *m, drt_engine *truth, drt_engine *q, const char *dir, int *images_out)
{
    drt_detect_opts dt = drt_detect_opts_for_model(m), dq = dt;
    dq.thresh = 0.005f;
    drt_eval_map *em = NULL;
    double v = -1;
    int n = 0, bad = drt_eval_map_create(0.5, &em) != DRT_OK;
    DIR *d = opendir(dir);
    for (struct dirent *e; !bad && d && (e = readdir(d));) {
        char p[1200];
        if (e->d_name[0] == '.') continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        drt_image *img = NULL;
        drt_detections *a = NULL, *b = NULL;
        bad = drt_image_load(p, &img) != DRT_OK || drt_detect_image(truth, img, &dt, &a, NULL) != DRT_OK ||
              drt_detect_image(q, img, &dq, &b, NULL) != DRT_OK || drt_eval_map_add(em, a, b) != DRT_OK;
        if (bad) printf("FAIL: %s: %s\n", p, drt_last_error());
        n++;
        drt_detections_free(a);
        drt_detections_free(b);
        drt_image_free(img);
    }
    if (d) closedir(d);
    if (!bad && n > 0 && drt_eval_map_compute(em, &v, NULL) != DRT_OK) v = -1;
    drt_eval_map_free(em);
    if (images_out) *images_out = n;
    return v;
}

#endif
