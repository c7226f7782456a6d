/* darkrt eval --coco: COCO mAP (pycocotools' COCOeval) of a results file, or of an engine run
 * over the annotated images. */
#include "eval-modes.h"
#include "cli-util.h"
#include "compare.h"
#include "core/error.h"
#include "core/fileio.h"
#include "eval/coco.h"
#include "report/coco-html.h"
#include "vision/detect-coco.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct coco_args {
    const char *ann, *results, *images, *engine, *json, *html;
    int thresh_given;
    cmp_opts c; /* model, weights, names, calib, threads, thresholds (compare's parser) */
} coco_args;

static drt_status write_outputs(const coco_args *a, const drt_coco_set *set, const drt_coco_result *r)
{
    drt_coco_print(stdout, set, r);
    if (a->json) {
        drt_atomic_file af;
        DRT_TRY(drt_atomic_open(&af, a->json));
        drt_coco_write_json(af.fp, set, r);
        DRT_TRY(drt_atomic_commit(&af));
    }
    if (a->html) DRT_TRY(drt_report_write_coco_html(a->html, a->ann, set, r));
    return DRT_OK;
}

drt_status cli_eval_open_engine(const cmp_opts *c, const char *spec, drt_model **model_out, drt_engine **engine_out)
{
    int idx = 0;
    drt_engine_opts eo = cli_engine_opts_default();
    if (cmp_parse_engine(spec, &eo.device, &idx, &eo.precision) != 0)
        return drt_error(DRT_STATUS_INVALID_ARG, "eval: --engine %s: unknown (e.g. ref, cpu-fp32, cpu-int8, cuda-fp16)",
                         spec);
    eo.device_index = idx;
    eo.threads = c->threads;
    eo.calib_dir = c->calib;
    drt_status s = cli_load_model(c->model, c->weights, &c->load, c->names, model_out);
    if (s == DRT_OK) s = drt_engine_create(*model_out, &eo, engine_out);
    return s;
}

/* Runs the engine over every annotated image (DIR/file_name) and collects its detections. */
static drt_status detect_all(const coco_args *a, const drt_coco_set *set, drt_coco_dets *dets)
{
    drt_model *model = NULL;
    drt_engine *engine = NULL;
    double *map = NULL;
    int n_classes = 0;
    drt_status s = cli_eval_open_engine(&a->c, a->engine, &model, &engine);
    if (s == DRT_OK) s = drt_coco_class_map(model, set->cat_ids, set->cat_names, set->n_cats, &map, &n_classes);
    drt_detect_opts dopts = drt_detect_opts_for_model(model); /* as the cfg asks */
    dopts.thresh = a->thresh_given ? a->c.thresh : 0.001f;
    dopts.nms = a->c.nms;
    for (int i = 0; s == DRT_OK && i < set->n_images; i++) {
        char path[4096];
        drt_image *img = NULL;
        drt_detections *d = NULL;
        if (!set->image_files[i]) {
            s = drt_error(DRT_STATUS_FORMAT, "%s: image %.17g has no file_name", a->ann, set->image_ids[i]);
            break;
        }
        snprintf(path, sizeof path, "%s/%s", a->images, set->image_files[i]);
        s = drt_image_load(path, &img);
        if (s == DRT_OK) s = drt_detect_image(engine, img, &dopts, &d, NULL);
        for (int j = 0; s == DRT_OK && j < d->count; j++) {
            double b[4];
            int cls = d->items[j].class_id;
            int k = cls >= 0 && cls < n_classes ? drt_coco_find_id(set->cat_ids, set->n_cats, map[cls]) : -1;
            drt_coco_detection_bbox(&d->items[j], img->w, img->h, b);
            if (k >= 0) s = drt_coco_dets_add(dets, i, k, b, d->items[j].score);
        }
        drt_detections_free(d);
        drt_image_free(img);
    }
    if (s == DRT_OK)
        fprintf(stderr, "darkrt eval: %d images, %zu detections (engine %s, score threshold %g)\n", set->n_images,
                dets->count, a->engine, (double)dopts.thresh);
    drt_engine_free(engine);
    drt_model_free(model);
    free(map);
    return s;
}

static int run(const coco_args *a)
{
    drt_coco_set *set = NULL;
    drt_coco_dets dets = {0};
    drt_coco_result *r = NULL;
    drt_status s = drt_coco_load_set(a->ann, &set);
    if (s == DRT_OK) s = a->results ? drt_coco_load_dets(a->results, set, &dets) : detect_all(a, set, &dets);
    if (s == DRT_OK) s = drt_coco_evaluate(set, &dets, &r);
    if (s == DRT_OK) s = write_outputs(a, set, r);
    drt_coco_result_free(r);
    drt_coco_dets_clear(&dets);
    drt_coco_set_free(set);
    return s == DRT_OK ? 0 : cli_fail(s);
}

/* Takes --coco, --results, --images, --engine, --json and --html; the rest is compare's. */
static int take_options(int argc, char **argv, coco_args *a, char **rest, int *n_rest)
{
    static const char *const own[] = {"--coco", "--results", "--images", "--engine", "--json", "--html"};
    const char **slots[] = {&a->ann, &a->results, &a->images, &a->engine, &a->json, &a->html};
    rest[(*n_rest)++] = argv[0];
    for (int i = 1; i < argc; i++) {
        int which = -1;
        for (int k = 0; k < 6; k++)
            if (!strcmp(argv[i], own[k])) which = k;
        a->thresh_given |= !strcmp(argv[i], "--thresh");
        if (which < 0) {
            rest[(*n_rest)++] = argv[i];
            continue;
        }
        if (i + 1 >= argc) return cli_usage_error("eval", "%s: needs a value", argv[i]);
        *slots[which] = argv[++i];
    }
    if (!a->ann) return cli_usage_error("eval", "--coco ANNOTATIONS.json is needed");
    if (!a->results == !a->images)
        return cli_usage_error("eval", "--coco needs either --results RESULTS.json or MODEL --images DIR");
    if (a->results && *n_rest > 1) return cli_usage_error("eval", "%s: unexpected with --results", rest[1]);
    return 0;
}

int cli_eval_coco(int argc, char **argv)
{
    coco_args a;
    memset(&a, 0, sizeof a);
    a.engine = "cpu-fp32";
    char **rest = calloc((size_t)argc + 2, sizeof *rest);
    int n_rest = 0;
    if (!rest) return cli_usage_error("eval", "out of memory");
    int rc = take_options(argc, argv, &a, rest, &n_rest);
    if (rc == 0 && a.images) {
        rest[n_rest++] = (char *)a.images; /* compare's parser wants an input */
        rc = cmp_parse_args(n_rest, rest, "eval", &a.c);
    }
    if (rc == 0) rc = run(&a);
    free(a.c.inputs);
    free(rest);
    return rc;
}
