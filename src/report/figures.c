/* The HTML report's pictures: each engine's detections drawn on each image, as base64 PNGs. */
#include "report/report.h"
#include "core/error.h"

#include <stdlib.h>
#include <string.h>

/* Area-averaging downscale to at most max_width pixels wide (a copy at the same size otherwise). */
static drt_status shrink(const drt_image *src, int max_width, drt_image **out)
{
    int w = src->w, h = src->h;
    if (max_width > 0 && w > max_width) {
        h = (int)((long)h * max_width / w);
        w = max_width;
        if (h < 1) h = 1;
    }
    DRT_TRY(drt_image_create(w, h, src->c, out));
    drt_image *dst = *out;
    for (int c = 0; c < src->c; c++) {
        const float *sp = src->data + (size_t)c * src->w * src->h;
        float *dp = dst->data + (size_t)c * w * h;
        for (int y = 0; y < h; y++) {
            int y0 = (int)((long)y * src->h / h), y1 = (int)((long)(y + 1) * src->h / h);
            if (y1 <= y0) y1 = y0 + 1;
            for (int x = 0; x < w; x++) {
                int x0 = (int)((long)x * src->w / w), x1 = (int)((long)(x + 1) * src->w / w);
                if (x1 <= x0) x1 = x0 + 1;
                double sum = 0;
                for (int yy = y0; yy < y1; yy++)
                    for (int xx = x0; xx < x1; xx++) sum += sp[(size_t)yy * src->w + xx];
                dp[(size_t)y * w + x] = (float)(sum / ((double)(y1 - y0) * (x1 - x0)));
            }
        }
    }
    return DRT_OK;
}

/* The image list to show: the reference's, else the first engine that has images. */
static const drt_report_engine *image_source(const drt_report *r)
{
    if (r->ref_index >= 0 && r->engines[r->ref_index].n_images) return &r->engines[r->ref_index];
    for (int i = 0; i < r->n_engines; i++)
        if (r->engines[i].n_images) return &r->engines[i];
    return NULL;
}

static drt_status draw_one(const drt_image *original, const drt_detections *dets, const drt_model *names,
                           int max_width, char **b64_out)
{
    drt_image *canvas = NULL, *small = NULL;
    drt_status s = drt_image_create(original->w, original->h, original->c, &canvas);
    if (s == DRT_OK) {
        memcpy(canvas->data, original->data, sizeof(float) * (size_t)original->w * original->h * original->c);
        drt_detections_draw(canvas, dets, names);
        s = shrink(canvas, max_width, &small);
    }
    if (s == DRT_OK) s = drt_report_png_base64(small, b64_out);
    drt_image_free(canvas);
    drt_image_free(small);
    return s;
}

drt_status drt_report_draw_figures(drt_report *r, int max_images, int max_width)
{
    const drt_report_engine *src = image_source(r);
    int n = src ? src->n_images : 0;
    if (n > max_images) n = max_images;
    if (n <= 0 || r->n_engines <= 0) return DRT_OK;
    r->figures = calloc((size_t)n * r->n_engines, sizeof *r->figures);
    if (!r->figures) return drt_error(DRT_STATUS_OOM, "report: out of memory");
    r->n_figure_images = n;
    for (int i = 0; i < n; i++) {
        drt_image *img = NULL;
        drt_status s = drt_image_load(src->images[i].path, &img);
        if (s != DRT_OK) {
            drt_warn("report: %s: cannot draw: %s", src->images[i].path, drt_last_error());
            continue;
        }
        for (int k = 0; s == DRT_OK && k < r->n_engines; k++) {
            const drt_report_engine *e = &r->engines[k];
            const drt_report_image *mine =
                e->available && !e->failed ? drt_report_find_image(e, src->images[i].path) : NULL;
            if (mine) s = draw_one(img, &mine->dets, r->names, max_width, &r->figures[(size_t)i * r->n_engines + k]);
        }
        drt_image_free(img);
        if (s != DRT_OK) return s;
    }
    return DRT_OK;
}
