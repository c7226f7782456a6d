/* Agreement of every engine with the reference engine, image by image. */
#include "report/report.h"
#include "core/error.h"

#include <string.h>

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The same path, else the only image with the same file name (a peer run from another directory). */
const drt_report_image *drt_report_find_image(const drt_report_engine *e, const char *path)
{
    const drt_report_image *by_name = NULL;
    int n_by_name = 0;
    for (int i = 0; i < e->n_images; i++) {
        if (!strcmp(e->images[i].path, path)) return &e->images[i];
        if (!strcmp(base_name(e->images[i].path), base_name(path))) {
            by_name = &e->images[i];
            n_by_name++;
        }
    }
    return n_by_name == 1 ? by_name : NULL;
}

static drt_status agree_one(const drt_report_engine *ref, drt_report_engine *e, double iou_thresh)
{
    drt_eval_map *map = NULL;
    DRT_TRY(drt_eval_map_create(iou_thresh, &map));
    memset(&e->agree, 0, sizeof e->agree);
    drt_status s = DRT_OK;
    int compared = 0;
    for (int i = 0; s == DRT_OK && i < ref->n_images; i++) {
        const drt_report_image *mine = drt_report_find_image(e, ref->images[i].path);
        if (!mine) continue; /* a peer may have run on a subset: compare what both saw */
        compared++;
        s = drt_eval_match(&ref->images[i].dets, &mine->dets, iou_thresh, NULL, &e->agree);
        if (s == DRT_OK) s = drt_eval_map_add(map, &ref->images[i].dets, &mine->dets);
    }
    if (s == DRT_OK && compared > 0) {
        s = drt_eval_map_compute(map, &e->map50, NULL);
        e->has_agreement = s == DRT_OK;
    }
    drt_eval_map_free(map);
    return s;
}

drt_status drt_report_compute_agreement(drt_report *r, double iou_thresh)
{
    if (r->ref_index < 0) return DRT_OK;
    const drt_report_engine *ref = &r->engines[r->ref_index];
    if (!ref->available || ref->failed) return DRT_OK;
    for (int i = 0; i < r->n_engines; i++) {
        drt_report_engine *e = &r->engines[i];
        if (i == r->ref_index || !e->available || e->failed) continue;
        DRT_TRY(agree_one(ref, e, iou_thresh));
    }
    return DRT_OK;
}
