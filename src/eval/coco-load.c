/* COCO annotations and results files read as pycocotools' COCO() and loadRes() read them. */
#include "eval/coco.h"
#include "core/error.h"
#include "report/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

int drt_coco_find_id(const double *ids, int n, double id)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (ids[mid] == id) return mid;
        if (ids[mid] < id) lo = mid + 1;
        else hi = mid - 1;
    }
    return -1;
}

/* The number at key; fails naming the file, the list, the item and the key. */
static drt_status need_number(const drt_json *o, const char *key, const char *path, const char *list, size_t i,
                              double *out)
{
    const drt_json *v = o->type == DRT_JSON_OBJECT ? drt_json_get(o, key) : NULL;
    if (!v || v->type != DRT_JSON_NUMBER || !isfinite(v->number))
        return drt_error(DRT_STATUS_FORMAT, "%s: %s[%zu]: \"%s\" must be a number", path, list, i, key);
    *out = v->number;
    return DRT_OK;
}

static drt_status need_bbox(const drt_json *o, const char *path, const char *list, size_t i, double bbox[4])
{
    const drt_json *v = drt_json_get(o, "bbox");
    if (!v || v->type != DRT_JSON_ARRAY || v->count != 4)
        return drt_error(DRT_STATUS_FORMAT, "%s: %s[%zu]: \"bbox\" must be [x, y, w, h]", path, list, i);
    for (int k = 0; k < 4; k++) {
        if (v->items[k].type != DRT_JSON_NUMBER || !isfinite(v->items[k].number))
            return drt_error(DRT_STATUS_FORMAT, "%s: %s[%zu]: \"bbox\" must hold 4 numbers", path, list, i);
        bbox[k] = v->items[k].number;
    }
    return DRT_OK;
}

/* Sorted unique ids of a list of objects (images or categories). */
static drt_status collect_ids(const drt_json *list, const char *path, const char *name, double **ids_out, int *n_out)
{
    if (!list || list->type != DRT_JSON_ARRAY || list->count == 0 || list->count > 100000000)
        return drt_error(DRT_STATUS_FORMAT, "%s: \"%s\" must be a non-empty list", path, name);
    double *ids = malloc(list->count * sizeof *ids);
    if (!ids) return drt_error(DRT_STATUS_OOM, "%s: out of memory", path);
    for (size_t i = 0; i < list->count; i++) {
        drt_status s = need_number(&list->items[i], "id", path, name, i, &ids[i]);
        if (s != DRT_OK) { free(ids); return s; }
    }
    qsort(ids, list->count, sizeof *ids, cmp_double);
    int n = 0;
    for (size_t i = 0; i < list->count; i++)
        if (n == 0 || ids[n - 1] != ids[i]) ids[n++] = ids[i];
    *ids_out = ids;
    *n_out = n;
    return DRT_OK;
}

/* The first value of a string key per id (file_name, name); later duplicates of an id are ignored. */
static drt_status collect_strings(const drt_json *list, const double *ids, int n, const char *key, const char *path,
                                  char ***out)
{
    char **s = calloc((size_t)n, sizeof *s);
    if (!s) return drt_error(DRT_STATUS_OOM, "%s: out of memory", path);
    *out = s;
    for (size_t i = 0; i < list->count; i++) {
        const char *v = drt_json_get_string(&list->items[i], key);
        int k = drt_coco_find_id(ids, n, drt_json_get_number(&list->items[i], "id", NAN));
        if (!v || k < 0 || s[k]) continue;
        if (!(s[k] = strdup(v))) return drt_error(DRT_STATUS_OOM, "%s: out of memory", path);
    }
    return DRT_OK;
}

static drt_status image_sizes(const drt_json *list, drt_coco_set *set, const char *path)
{
    set->image_w = calloc((size_t)set->n_images, sizeof *set->image_w);
    set->image_h = calloc((size_t)set->n_images, sizeof *set->image_h);
    if (!set->image_w || !set->image_h) return drt_error(DRT_STATUS_OOM, "%s: out of memory", path);
    for (size_t i = 0; i < list->count; i++) {
        const drt_json *o = &list->items[i];
        int k = drt_coco_find_id(set->image_ids, set->n_images, drt_json_get_number(o, "id", NAN));
        double w = drt_json_get_number(o, "width", 0), h = drt_json_get_number(o, "height", 0);
        if (k >= 0 && set->image_w[k] == 0 && w > 0 && w < 1e6 && h > 0 && h < 1e6) {
            set->image_w[k] = (int)w;
            set->image_h[k] = (int)h;
        }
    }
    return DRT_OK;
}

/* Annotations of listed images and categories, in file order (getAnnIds' order within a cell).
 * "ignore" is overwritten by "iscrowd" as in COCOeval._prepare; a missing area is w*h. */
static drt_status load_annotations(const drt_json *list, drt_coco_set *set, const char *path)
{
    if (!list) return DRT_OK;
    if (list->type != DRT_JSON_ARRAY) return drt_error(DRT_STATUS_FORMAT, "%s: \"annotations\" must be a list", path);
    if (!(set->gt = malloc((list->count + 1) * sizeof *set->gt))) return drt_error(DRT_STATUS_OOM, "%s: out of memory", path);
    for (size_t i = 0; i < list->count; i++) {
        const drt_json *o = &list->items[i];
        drt_coco_box b = {0};
        double image_id, cat_id;
        DRT_TRY(need_number(o, "image_id", path, "annotations", i, &image_id));
        DRT_TRY(need_number(o, "category_id", path, "annotations", i, &cat_id));
        DRT_TRY(need_number(o, "id", path, "annotations", i, &b.id));
        DRT_TRY(need_bbox(o, path, "annotations", i, b.bbox));
        b.image = drt_coco_find_id(set->image_ids, set->n_images, image_id);
        b.category = drt_coco_find_id(set->cat_ids, set->n_cats, cat_id);
        if (b.image < 0 || b.category < 0) continue;
        b.area = drt_json_get_number(o, "area", b.bbox[2] * b.bbox[3]);
        const drt_json *crowd = drt_json_get(o, "iscrowd");
        b.iscrowd = crowd && (crowd->type == DRT_JSON_TRUE || (crowd->type == DRT_JSON_NUMBER && crowd->number != 0));
        set->gt[set->n_gt++] = b;
    }
    return DRT_OK;
}

static drt_status load_set(const drt_json *root, const char *path, drt_coco_set *set)
{
    if (root->type != DRT_JSON_OBJECT) return drt_error(DRT_STATUS_FORMAT, "%s: must be a JSON object", path);
    const drt_json *images = drt_json_get(root, "images"), *cats = drt_json_get(root, "categories");
    DRT_TRY(collect_ids(images, path, "images", &set->image_ids, &set->n_images));
    DRT_TRY(collect_ids(cats, path, "categories", &set->cat_ids, &set->n_cats));
    DRT_TRY(collect_strings(images, set->image_ids, set->n_images, "file_name", path, &set->image_files));
    DRT_TRY(collect_strings(cats, set->cat_ids, set->n_cats, "name", path, &set->cat_names));
    DRT_TRY(image_sizes(images, set, path));
    return load_annotations(drt_json_get(root, "annotations"), set, path);
}

drt_status drt_coco_load_set(const char *path, drt_coco_set **out)
{
    *out = NULL;
    drt_json *all = NULL;
    DRT_TRY(drt_json_load_file(path, &all));
    drt_coco_set *set = calloc(1, sizeof *set);
    drt_status s = set ? DRT_OK : drt_error(DRT_STATUS_OOM, "%s: out of memory", path);
    if (s == DRT_OK && all->count != 1) s = drt_error(DRT_STATUS_FORMAT, "%s: must hold one JSON object", path);
    if (s == DRT_OK) s = load_set(&all->items[0], path, set);
    drt_json_free(all);
    if (s != DRT_OK) drt_coco_set_free(set);
    else *out = set;
    return s;
}

static void free_strings(char **s, int n)
{
    for (int i = 0; s && i < n; i++) free(s[i]);
    free(s);
}

void drt_coco_set_free(drt_coco_set *set)
{
    if (!set) return;
    free(set->image_ids);
    free_strings(set->image_files, set->n_images);
    free(set->image_w);
    free(set->image_h);
    free(set->cat_ids);
    free_strings(set->cat_names, set->n_cats);
    free(set->gt);
    free(set);
}

static drt_status push_box(drt_coco_dets *d, const drt_coco_box *b)
{
    if (d->count == d->cap) {
        size_t want = d->cap ? d->cap * 2 : 256;
        drt_coco_box *grown = realloc(d->items, want * sizeof *grown);
        if (!grown) return drt_error(DRT_STATUS_OOM, "eval: out of memory for %zu detections", want);
        d->items = grown;
        d->cap = want;
    }
    d->items[d->count++] = *b;
    return DRT_OK;
}

drt_status drt_coco_dets_add(drt_coco_dets *d, int image, int category, const double bbox[4], double score)
{
    drt_coco_box b = {.image = image, .category = category, .score = score, .id = (double)d->count + 1};
    memcpy(b.bbox, bbox, sizeof b.bbox);
    b.area = bbox[2] * bbox[3];
    return push_box(d, &b);
}

/* loadRes: id is the 1-based place in the file (kept-out categories included), area w*h. */
static drt_status load_dets(const drt_json *list, const char *path, const drt_coco_set *set, drt_coco_dets *d)
{
    if (list->type != DRT_JSON_ARRAY) return drt_error(DRT_STATUS_FORMAT, "%s: must be a list of detections", path);
    for (size_t i = 0; i < list->count; i++) {
        const drt_json *o = &list->items[i];
        drt_coco_box b = {.id = (double)i + 1};
        double image_id, cat_id;
        DRT_TRY(need_number(o, "image_id", path, "results", i, &image_id));
        DRT_TRY(need_number(o, "category_id", path, "results", i, &cat_id));
        DRT_TRY(need_number(o, "score", path, "results", i, &b.score));
        DRT_TRY(need_bbox(o, path, "results", i, b.bbox));
        b.image = drt_coco_find_id(set->image_ids, set->n_images, image_id);
        if (b.image < 0)
            return drt_error(DRT_STATUS_FORMAT, "%s: results[%zu]: image_id %.17g is not in the annotations", path, i,
                             image_id);
        b.category = drt_coco_find_id(set->cat_ids, set->n_cats, cat_id);
        b.area = b.bbox[2] * b.bbox[3];
        if (b.category >= 0) DRT_TRY(push_box(d, &b));
    }
    return DRT_OK;
}

drt_status drt_coco_load_dets(const char *path, const drt_coco_set *set, drt_coco_dets *d)
{
    drt_json *all = NULL;
    DRT_TRY(drt_json_load_file(path, &all));
    drt_status s = all->count == 1 ? load_dets(&all->items[0], path, set, d)
                                   : drt_error(DRT_STATUS_FORMAT, "%s: must hold one JSON list", path);
    drt_json_free(all);
    return s;
}

void drt_coco_dets_clear(drt_coco_dets *d)
{
    free(d->items);
    memset(d, 0, sizeof *d);
}
