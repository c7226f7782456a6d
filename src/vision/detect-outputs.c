/* detect's standard outputs: YOLO label files and a COCO results file, written atomically. */
#include "vision/detect-outputs.h"
#include "vision/detect-coco.h"
#include "core/error.h"
#include "core/fileio.h"
#include "eval/coco.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct drt_std_outputs {
    drt_std_outputs_opts opts;
    drt_coco_set *set;  /* --coco annotations, NULL without */
    double *class_map;  /* category id per class */
    int n_classes, first;
    drt_atomic_file results;
};

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* "1,2,3": one category id per class. */
static drt_status parse_ids(const char *text, int n_classes, double **out)
{
    double *ids = malloc((size_t)n_classes * sizeof *ids);
    if (!ids) return drt_error(DRT_STATUS_OOM, "detect: out of memory");
    const char *p = text;
    int n = 0;
    for (char *end; *p && n < n_classes; p = *end == ',' ? end + 1 : end, n++) {
        ids[n] = strtod(p, &end);
        if (end == p || (*end && *end != ',')) break;
    }
    if (n != n_classes || *p) {
        free(ids);
        return drt_error(DRT_STATUS_INVALID_ARG, "detect: --category-ids %s: needs %d comma-separated numbers (one per class)",
                         text, n_classes);
    }
    *out = ids;
    return DRT_OK;
}

static drt_status open_coco(drt_std_outputs *o, const drt_model *model)
{
    const drt_std_outputs_opts *op = &o->opts;
    if (op->coco_ann) DRT_TRY(drt_coco_load_set(op->coco_ann, &o->set));
    if (op->category_ids) {
        o->n_classes = drt_model_num_classes(model);
        if (o->n_classes < 1) return drt_error(DRT_STATUS_INVALID_ARG, "detect: --category-ids: the model has no YOLO head");
        DRT_TRY(parse_ids(op->category_ids, o->n_classes, &o->class_map));
    } else {
        const drt_coco_set *s = o->set;
        DRT_TRY(drt_coco_class_map(model, s ? s->cat_ids : NULL, s ? s->cat_names : NULL, s ? s->n_cats : 0,
                                   &o->class_map, &o->n_classes));
    }
    if (!op->coco_json) return DRT_OK;
    DRT_TRY(drt_atomic_open(&o->results, op->coco_json));
    fputs("[", o->results.fp);
    return DRT_OK;
}

drt_status drt_std_outputs_open(const drt_std_outputs_opts *opts, const drt_model *model, drt_std_outputs **out)
{
    *out = NULL;
    if (!opts->txt_dir && !opts->coco_json) {
        if (opts->save_conf || opts->coco_ann || opts->category_ids)
            return drt_error(DRT_STATUS_INVALID_ARG, "detect: %s needs %s",
                             opts->save_conf ? "--save-conf" : opts->coco_ann ? "--coco" : "--category-ids",
                             opts->save_conf ? "--save-txt DIR" : "--coco-json FILE");
        return DRT_OK;
    }
    if (opts->txt_dir && mkdir(opts->txt_dir, 0777) != 0) {
        int err = errno; /* mkdir's reason (stat may set errno) */
        struct stat st;
        int there = stat(opts->txt_dir, &st) == 0;
        if (there && !S_ISDIR(st.st_mode))
            return drt_error(DRT_STATUS_IO, "detect: --save-txt %s: not a directory", opts->txt_dir);
        if (!there) {
            errno = err;
            return drt_error_errno(DRT_STATUS_IO, "detect: --save-txt %s: cannot create the directory", opts->txt_dir);
        }
    }
    drt_std_outputs *o = calloc(1, sizeof *o);
    if (!o) return drt_error(DRT_STATUS_OOM, "detect: out of memory");
    o->opts = *opts;
    o->first = 1;
    drt_status s = opts->coco_json || opts->coco_ann || opts->category_ids ? open_coco(o, model) : DRT_OK;
    if (s != DRT_OK) {
        drt_std_outputs_close(o, 0);
        return s;
    }
    *out = o;
    return DRT_OK;
}

/* class cx cy w h [score], the box clipped to the image and normalized by its size. */
static drt_status write_txt(const drt_std_outputs *o, const char *image_path, int w, int h, const drt_detections *d)
{
    char path[4096];
    const char *base = base_name(image_path), *dot = strrchr(base, '.');
    int stem = dot ? (int)(dot - base) : (int)strlen(base);
    snprintf(path, sizeof path, "%s/%.*s.txt", o->opts.txt_dir, stem, base);
    drt_atomic_file af;
    DRT_TRY(drt_atomic_open(&af, path));
    for (int i = 0; i < d->count; i++) {
        double b[4];
        drt_coco_detection_bbox(&d->items[i], w, h, b);
        fprintf(af.fp, "%d %.6f %.6f %.6f %.6f", d->items[i].class_id, (b[0] + b[2] / 2) / w, (b[1] + b[3] / 2) / h,
                b[2] / w, b[3] / h);
        if (o->opts.save_conf) fprintf(af.fp, " %.6f", d->items[i].score);
        fputc('\n', af.fp);
    }
    return drt_atomic_commit(&af);
}

/* The image id: the annotations' image with this file name, else the numeric file name. */
static drt_status image_id(const drt_std_outputs *o, const char *image_path, double *id)
{
    const char *base = base_name(image_path);
    for (int i = 0; o->set && i < o->set->n_images; i++)
        if (o->set->image_files[i] && !strcmp(base_name(o->set->image_files[i]), base)) {
            *id = o->set->image_ids[i];
            return DRT_OK;
        }
    if (drt_coco_image_id_from_name(image_path, id) == 0) return DRT_OK;
    return drt_error(DRT_STATUS_INVALID_ARG, "detect: %s: no image_id (%s, and the file name is not a number)", image_path,
                     o->set ? "not in the --coco annotations" : "no --coco annotations");
}

drt_status drt_std_outputs_add(drt_std_outputs *o, const char *image_path, int w, int h, const drt_detections *d)
{
    if (!o) return DRT_OK;
    if (o->opts.txt_dir) DRT_TRY(write_txt(o, image_path, w, h, d));
    if (!o->opts.coco_json) return DRT_OK;
    double id;
    DRT_TRY(image_id(o, image_path, &id));
    drt_coco_write_results(o->results.fp, id, d, w, h, o->class_map, o->n_classes, &o->first);
    return DRT_OK;
}

drt_status drt_std_outputs_close(drt_std_outputs *o, int commit)
{
    if (!o) return DRT_OK;
    drt_status s = DRT_OK;
    if (o->results.fp) {
        fputs("]\n", o->results.fp);
        if (commit) s = drt_atomic_commit(&o->results);
        else drt_atomic_abort(&o->results);
    }
    drt_coco_set_free(o->set);
    free(o->class_map);
    free(o);
    return s;
}
