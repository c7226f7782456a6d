/* darkrt eval --data: AlexeyAB Darknet's `detector map` on a .data file's valid= images and their
 * YOLO labels, with detections from an engine run or a `darkrt detect --json` file. */
#include "eval-modes.h"
#include "cli-util.h"
#include "compare.h"
#include "core/error.h"
#include "core/fileio.h"
#include "darknet/data-file.h"
#include "eval/darknet-map.h"
#include "report/darknet-map-html.h"
#include "vision/detect-coco.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct dn_args {
    const char *data, *results, *engine, *json, *resize, *html;
    int points;
    float iou_thresh;
    cmp_opts c;
    drt_data_file df;
    char **names;
    int n_names;
} dn_args;

/* Pixel boxes to Darknet's relative centre boxes, in float as Darknet keeps them. */
static drt_status to_darknet(const drt_detections *d, int w, int h, drt_dn_box **out)
{
    drt_dn_box *b = malloc(((size_t)d->count + 1) * sizeof *b);
    if (!b) return drt_error(DRT_STATUS_OOM, "eval: out of memory");
    float fw = (float)w, fh = (float)h;
    for (int i = 0; i < d->count; i++) {
        const drt_detection *x = &d->items[i];
        b[i] = (drt_dn_box){x->class_id, (x->x1 + x->x2) / 2 / fw, (x->y1 + x->y2) / 2 / fh, (x->x2 - x->x1) / fw,
                            (x->y2 - x->y1) / fh, x->score};
    }
    *out = b;
    return DRT_OK;
}

/* One image: its labels where Darknet finds them, and its detections. */
static drt_status score_image(drt_dn_map *map, const char *image_path, const drt_detections *dets, int w, int h,
                              int *missing_labels)
{
    char label_path[4096];
    drt_dn_box *truth = NULL, *boxes = NULL;
    int n_truth = 0, found = 0;
    drt_darknet_label_path(image_path, label_path, sizeof label_path);
    drt_status s = drt_darknet_read_labels(label_path, &truth, &n_truth, &found);
    *missing_labels += s == DRT_OK && !found;
    if (s == DRT_OK) s = to_darknet(dets, w, h, &boxes);
    if (s == DRT_OK) s = drt_dn_map_add(map, truth, n_truth, boxes, dets->count, label_path);
    free(truth);
    free(boxes);
    return s;
}

static drt_status from_results(const dn_args *a, char **paths, int n, drt_dn_map *map, int *missing)
{
    drt_report_engine e;
    drt_report_engine_init(&e);
    drt_status s = cli_eval_load_detections(a->results, &e);
    for (int i = 0; s == DRT_OK && i < n; i++) {
        const drt_report_image *im = drt_report_find_image(&e, paths[i]);
        if (!im) s = drt_error(DRT_STATUS_FORMAT, "%s: no detections for %s (listed in %s)", a->results, paths[i], a->df.valid);
        else if (im->width < 1 || im->height < 1) s = drt_error(DRT_STATUS_FORMAT, "%s: %s: no image size", a->results, paths[i]);
        else s = score_image(map, paths[i], &im->dets, im->width, im->height, missing);
    }
    drt_report_engine_clear(&e);
    return s;
}

static drt_status from_engine(const dn_args *a, const drt_model *model, drt_engine *engine, char **paths, int n,
                              drt_dn_map *map, int *missing)
{
    drt_detect_opts dopts = drt_detect_opts_for_model(model); /* its nms_kind, as validate_detector_map */
    dopts.thresh = 0.005f; /* validate_detector_map's */
    dopts.nms = 0.45f;
    dopts.unclipped = 1; /* Darknet matches boxes past the image's edges as they are */
    dopts.resize = !strcmp(a->resize, "letterbox") ? DRT_RESIZE_LETTERBOX : !strcmp(a->resize, "stretch")
                       ? DRT_RESIZE_STRETCH : drt_detect_model_resize(model);
    drt_status s = DRT_OK;
    for (int i = 0; s == DRT_OK && i < n; i++) {
        drt_image *img = NULL;
        drt_detections *d = NULL;
        s = drt_image_load(paths[i], &img);
        if (s == DRT_OK) s = drt_detect_image(engine, img, &dopts, &d, NULL);
        if (s == DRT_OK) s = score_image(map, paths[i], d, img->w, img->h, missing);
        drt_detections_free(d);
        drt_image_free(img);
    }
    return s;
}

static drt_status report(const dn_args *a, const drt_dn_map *map, int n_images, int missing)
{
    drt_dn_map_result r;
    DRT_TRY(drt_dn_map_compute(map, a->points, &r));
    if (missing) fprintf(stderr, "darkrt eval: note: %d of %d images have no label file (scored as empty)\n", missing, n_images);
    drt_dn_map_print(stdout, &r, a->iou_thresh, 0.25f, a->n_names >= r.classes ? a->names : NULL);
    drt_status s = DRT_OK;
    if (a->json) {
        drt_atomic_file af;
        s = drt_atomic_open(&af, a->json);
        if (s == DRT_OK) {
            drt_dn_map_write_json(af.fp, &r, a->iou_thresh, a->n_names >= r.classes ? a->names : NULL);
            s = drt_atomic_commit(&af);
        }
    }
    if (s == DRT_OK && a->html)
        s = drt_report_write_dn_map_html(a->html, a->data, &r, a->iou_thresh, a->n_names >= r.classes ? a->names : NULL);
    drt_dn_map_result_clear(&r);
    return s;
}

/* Classes: the model's; without a model, classes= or the names count. */
static drt_status run(dn_args *a)
{
    char **paths = NULL;
    int n = 0, classes = a->df.classes, missing = 0;
    drt_model *model = NULL;
    drt_engine *engine = NULL;
    drt_dn_map *map = NULL;
    drt_status s = drt_read_path_list(a->df.valid, &paths, &n);
    if (s == DRT_OK && a->df.names) s = drt_read_path_list(a->df.names, &a->names, &a->n_names);
    if (!a->c.names) a->c.names = a->df.names;
    if (s == DRT_OK && !a->results) s = cli_eval_open_engine(&a->c, a->engine, &model, &engine);
    if (s == DRT_OK && model) classes = drt_model_num_classes(model);
    if (s == DRT_OK && !classes) classes = a->n_names;
    if (s == DRT_OK && a->n_names && a->n_names != classes)
        s = drt_error(DRT_STATUS_FORMAT, "%s: %d names but %d classes (the model's or classes=)", a->df.names,
                      a->n_names, classes);
    if (s == DRT_OK && classes < 1) s = drt_error(DRT_STATUS_FORMAT, "%s: no classes= and no names=", a->data);
    if (s == DRT_OK) s = drt_dn_map_create(classes, a->iou_thresh, 0.25f, &map);
    if (s == DRT_OK) s = a->results ? from_results(a, paths, n, map, &missing) : from_engine(a, model, engine, paths, n, map, &missing);
    if (s == DRT_OK) s = report(a, map, n, missing);
    drt_dn_map_free(map);
    drt_engine_free(engine);
    drt_model_free(model);
    for (int i = 0; i < n; i++) free(paths[i]);
    free(paths);
    return s;
}

static int take_options(int argc, char **argv, dn_args *a, char **rest, int *n_rest)
{
    static const char *const own[] = {"--data", "--results", "--engine", "--json", "--points", "--iou-thresh", "--resize",
                                      "--html"};
    enum { N_OWN = sizeof own / sizeof *own };
    const char *vals[N_OWN] = {0};
    rest[(*n_rest)++] = argv[0];
    for (int i = 1; i < argc; i++) {
        int which = -1;
        for (int k = 0; k < N_OWN; k++)
            if (!strcmp(argv[i], own[k])) which = k;
        if (which < 0) {
            rest[(*n_rest)++] = argv[i];
            continue;
        }
        if (i + 1 >= argc) return cli_usage_error("eval", "%s: needs a value", argv[i]);
        vals[which] = argv[++i];
    }
    a->data = vals[0];
    a->results = vals[1];
    a->engine = vals[2] ? vals[2] : "cpu-fp32";
    a->json = vals[3];
    a->html = vals[7];
    a->resize = vals[6] ? vals[6] : "stretch";
    if (vals[4] && cli_parse_int("eval", "--points", vals[4], 0, 101, &a->points)) return 2;
    if (a->points != 0 && a->points != 11 && a->points != 101)
        return cli_usage_error("eval", "--points %d: must be 0, 11 or 101", a->points);
    if (vals[5] && cli_parse_float("eval", "--iou-thresh", vals[5], 0, 1, &a->iou_thresh)) return 2;
    if (strcmp(a->resize, "stretch") && strcmp(a->resize, "letterbox") && strcmp(a->resize, "model"))
        return cli_usage_error("eval", "--resize %s: must be stretch, letterbox or model", a->resize);
    if (a->results && *n_rest > 1) return cli_usage_error("eval", "%s: unexpected with --results", rest[1]);
    if (!a->results && *n_rest < 2) return cli_usage_error("eval", "--data needs MODEL or --results DETECT.json");
    return 0;
}

int cli_eval_darknet(int argc, char **argv)
{
    dn_args a;
    memset(&a, 0, sizeof a);
    a.iou_thresh = 0.5f;
    char **rest = calloc((size_t)argc + 2, sizeof *rest);
    int n_rest = 0;
    if (!rest) return cli_usage_error("eval", "out of memory");
    int rc = take_options(argc, argv, &a, rest, &n_rest);
    if (rc == 0 && !a.results) {
        rest[n_rest++] = (char *)a.data; /* compare's parser wants an input */
        rc = cmp_parse_args(n_rest, rest, "eval", &a.c);
    }
    drt_status s = DRT_OK;
    if (rc == 0) s = drt_data_file_read(a.data, &a.df);
    if (rc == 0 && s == DRT_OK && !a.df.valid)
        s = drt_error(DRT_STATUS_PARSE, "%s: no valid= line (the list of images to score)", a.data);
    if (rc == 0 && s == DRT_OK) s = run(&a);
    if (rc == 0 && s != DRT_OK) rc = cli_fail(s);
    for (int i = 0; i < a.n_names; i++) free(a.names[i]);
    free(a.names);
    drt_data_file_clear(&a.df);
    free(a.c.inputs);
    free(rest);
    return rc;
}
