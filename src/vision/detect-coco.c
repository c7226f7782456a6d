/* COCO results from detections: class -> category id mapping and the results-file objects. */
#include "vision/detect-coco.h"
#include "core/error.h"
#include "graph/model.h"
#include "report/json.h"

#include <stdlib.h>
#include <string.h>

/* Darknet's coco_ids (and the COCO 2017 category ids): class i of an 80-class model. */
static const int COCO80_TO_91[80] = {
    1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27, 28, 31,
    32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59,
    60, 61, 62, 63, 64, 65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90};

int drt_model_num_classes(const drt_model *m)
{
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i].type == DRT_LAYER_YOLO) return m->layers[i].classes;
    return 0;
}

/* Every class named, and each name found among the categories: the map by name. */
static int map_by_name(const drt_model *m, int n, const double *cat_ids, char *const *cat_names, int n_cats,
                       double *out)
{
    for (int c = 0; c < n; c++) {
        const char *name = drt_model_class_name(m, c);
        int found = -1;
        for (int k = 0; name && cat_names && k < n_cats && found < 0; k++)
            if (cat_names[k] && !strcmp(cat_names[k], name)) found = k;
        if (found < 0) return 0;
        out[c] = cat_ids[found];
    }
    return 1;
}

drt_status drt_coco_class_map(const drt_model *m, const double *cat_ids, char *const *cat_names, int n_cats,
                              double **map_out, int *n_classes_out)
{
    *map_out = NULL;
    int n = drt_model_num_classes(m);
    if (n <= 0) return drt_error(DRT_STATUS_INVALID_ARG, "coco: the model has no YOLO head, so no classes to map");
    double *map = malloc((size_t)n * sizeof *map);
    if (!map) return drt_error(DRT_STATUS_OOM, "coco: out of memory");
    if (cat_ids && map_by_name(m, n, cat_ids, cat_names, n_cats, map)) {
        /* by name */
    } else if (n == 80) {
        for (int c = 0; c < n; c++) map[c] = COCO80_TO_91[c];
    } else if (cat_ids && n == n_cats) {
        for (int c = 0; c < n; c++) map[c] = cat_ids[c];
    } else if (!cat_ids) {
        for (int c = 0; c < n; c++) map[c] = c;
    } else {
        free(map);
        return drt_error(DRT_STATUS_INVALID_ARG,
                         "coco: %d model classes and %d categories: names differ and counts differ, so no mapping", n,
                         n_cats);
    }
    *map_out = map;
    *n_classes_out = n;
    return DRT_OK;
}

void drt_coco_detection_bbox(const drt_detection *d, int img_w, int img_h, double bbox[4])
{
    double x1 = d->x1 < 0 ? 0 : d->x1, y1 = d->y1 < 0 ? 0 : d->y1;
    double x2 = d->x2 > img_w ? img_w : d->x2, y2 = d->y2 > img_h ? img_h : d->y2;
    bbox[0] = x1;
    bbox[1] = y1;
    bbox[2] = x2 > x1 ? x2 - x1 : 0;
    bbox[3] = y2 > y1 ? y2 - y1 : 0;
}

void drt_coco_write_results(FILE *out, double image_id, const drt_detections *dets, int img_w, int img_h,
                            const double *class_map, int n_classes, int *first)
{
    for (int i = 0; i < dets->count; i++) {
        const drt_detection *d = &dets->items[i];
        if (d->class_id < 0 || d->class_id >= n_classes) continue;
        double b[4];
        drt_coco_detection_bbox(d, img_w, img_h, b);
        fprintf(out, "%s{\"image_id\": %.17g, \"category_id\": %.17g, \"bbox\": [%.10g, %.10g, %.10g, %.10g], \"score\": ",
                *first ? "" : ",\n", image_id, class_map[d->class_id], b[0], b[1], b[2], b[3]);
        drt_json_write_number(out, d->score);
        fputc('}', out);
        *first = 0;
    }
}

int drt_coco_image_id_from_name(const char *path, double *id_out)
{
    const char *base = strrchr(path, '/'), *p;
    base = base ? base + 1 : path;
    double v = 0;
    for (p = base; *p >= '0' && *p <= '9' && p - base < 15; p++) v = v * 10 + (*p - '0');
    if (p == base || *p != '.') return -1;
    *id_out = v;
    return 0;
}
