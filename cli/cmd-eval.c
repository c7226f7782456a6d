/* darkrt eval: an engine's detections against reference detections (agreement and mAP@0.5),
 * either from two `darkrt detect --json` files or by running two engines over images. */
#include "commands.h"
#include "compare.h"
#include "eval-modes.h"
#include "cli-util.h"
#include "core/error.h"
#include "core/fileio.h"
#include "report/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const USAGE =
    "usage: darkrt eval REF.json ENGINE.json [--iou T] [--min-map M] [--json FILE]\n"
    "       darkrt eval --coco ANNOTATIONS.json --results RESULTS.json [--json FILE] [--html FILE]\n"
    "       darkrt eval MODEL --coco ANNOTATIONS.json --images DIR [--engine cpu-fp32] [--weights W]\n"
    "                   [--thresh 0.001] [--nms T] [--json FILE] [--html FILE]\n"
    "       darkrt eval --data FILE.data --results DETECT.json [--points 0|11|101] [--iou-thresh T] [--json FILE]\n"
    "                  [--html FILE]\n"
    "       darkrt eval MODEL --data FILE.data [--engine cpu-fp32] [--points 0|11|101] [--iou-thresh T] [--json FILE]\n"
    "                  [--html FILE]\n"
    "       darkrt eval MODEL IMAGE|DIR... [-w|--weights W] [--random-weights] [--bn alexeyab|pjreddie] [--engine cpu-int8]\n"
    "                   [--reference ref] [--calib DIR] [--threads N] [--thresh T] [--nms T] [--iou T]\n"
    "                   [--min-map M] [--json FILE]\n"
    "Scores the engine's detections against the reference's taken as ground truth: matched,\n"
    "missing and extra boxes, mean IoU, largest score change and mAP@IoU (VOC all-point AP,\n"
    "averaged over the classes the reference found). --min-map makes a lower mAP exit 1.\n"
    "With --coco: COCO mAP@[.5:.95], @.5, @.75 and AR against the annotations, per category and\n"
    "overall, as pycocotools' COCOeval computes them (bbox).\n"
    "With --data: AlexeyAB Darknet's `detector map` on the valid= images and their YOLO labels\n"
    "(labels/ or beside the images, as Darknet finds them): AP per class and mAP, by area under the\n"
    "curve (--points 0, Darknet's default), VOC 2007's 11 points or 101 points; detections at\n"
    "score 0.005 and NMS 0.45 as Darknet's; --html adds each class's precision-recall curve.\n";

typedef struct eval_args {
    cmp_opts c;               /* model, weights, images, thresholds (the compare parser's fields) */
    const char *engine, *reference, *out_json;
    float iou, min_map;
    char *positional[2];
} eval_args;

drt_status cli_eval_load_detections(const char *path, drt_report_engine *e)
{
    drt_json *all;
    DRT_TRY(drt_json_load_file(path, &all));
    drt_status s = DRT_OK;
    for (size_t i = 0; s == DRT_OK && i < all->count; i++) {
        const drt_json *v = &all->items[i], *list = drt_json_get(v, "images");
        if (!list) list = v->type == DRT_JSON_ARRAY ? v : NULL;
        size_t n = list ? list->count : 1;
        drt_report_image *grown = realloc(e->images, sizeof *grown * (size_t)(e->n_images + (int)n + 1));
        if (!grown) { s = drt_error(DRT_STATUS_OOM, "%s: out of memory", path); break; }
        e->images = grown;
        drt_json wrapper = {.type = DRT_JSON_OBJECT};
        drt_report_engine one;
        /* Reuse the engine-entry reader: wrap the image list as {"engine": "x", "images": [...]}. */
        drt_json items_arr = list ? *list : (drt_json){.type = DRT_JSON_ARRAY, .count = 1, .items = (drt_json *)v};
        drt_json name = {.type = DRT_JSON_STRING, .string = "eval"};
        drt_json vals[2] = {name, items_arr};
        char *keys[2] = {"engine", "images"};
        wrapper.count = 2;
        wrapper.items = vals;
        wrapper.keys = keys;
        s = drt_report_engine_from_json(&wrapper, path, &one);
        for (int k = 0; s == DRT_OK && k < one.n_images; k++) e->images[e->n_images++] = one.images[k];
        if (s == DRT_OK) one.n_images = 0;
        drt_report_engine_clear(&one);
    }
    drt_json_free(all);
    if (s == DRT_OK && e->n_images == 0) s = drt_error(DRT_STATUS_FORMAT, "%s: no images with detections", path);
    return s;
}

/* Scores and prints; returns the exit code. */
static int score(const eval_args *a, const drt_report_engine *ref, const drt_report_engine *eng)
{
    drt_eval_agreement agree = {0};
    drt_eval_map *map = NULL;
    double m = 0;
    int n_classes = 0, compared = 0;
    drt_status s = drt_eval_map_create(a->iou, &map);
    for (int i = 0; s == DRT_OK && i < ref->n_images; i++) {
        const drt_report_image *mine = drt_report_find_image(eng, ref->images[i].path);
        if (!mine) {
            fprintf(stderr, "darkrt eval: note: %s: not in the engine's results (skipped)\n", ref->images[i].path);
            continue;
        }
        compared++;
        s = drt_eval_match(&ref->images[i].dets, &mine->dets, a->iou, NULL, &agree);
        if (s == DRT_OK) s = drt_eval_map_add(map, &ref->images[i].dets, &mine->dets);
    }
    if (s == DRT_OK) s = drt_eval_map_compute(map, &m, &n_classes);
    drt_eval_map_free(map);
    if (s != DRT_OK) return cli_fail(s);
    if (compared == 0) return cli_usage_error("eval", "no image appears in both result sets");
    printf("images %d  reference detections %d  engine detections %d\n", compared, agree.ref_count, agree.eng_count);
    printf("matched %d  missing %d  extra %d  mean IoU %.4f  largest score change %.4f\n", agree.matched,
           agree.missing, agree.extra, drt_eval_agreement_mean_iou(&agree), agree.max_score_delta);
    printf("mAP@%.2g %.4f over %d class%s\n", a->iou, m, n_classes, n_classes == 1 ? "" : "es");
    if (a->out_json) {
        drt_atomic_file af;
        s = drt_atomic_open(&af, a->out_json);
        if (s != DRT_OK) return cli_fail(s);
        fprintf(af.fp, "{\"images\": %d, \"reference_detections\": %d, \"detections\": %d, \"matched\": %d, "
                       "\"missing\": %d, \"extra\": %d, \"mean_iou\": ", compared, agree.ref_count, agree.eng_count,
                agree.matched, agree.missing, agree.extra);
        drt_json_write_number(af.fp, drt_eval_agreement_mean_iou(&agree));
        fputs(", \"max_score_delta\": ", af.fp);
        drt_json_write_number(af.fp, agree.max_score_delta);
        fprintf(af.fp, ", \"iou_thresh\": %g, \"map\": ", a->iou);
        drt_json_write_number(af.fp, m);
        fprintf(af.fp, ", \"classes\": %d}\n", n_classes);
        s = drt_atomic_commit(&af);
        if (s != DRT_OK) return cli_fail(s);
    }
    if (a->min_map > 0 && m < a->min_map) {
        fprintf(stderr, "darkrt eval: mAP %.4f is below --min-map %.4f\n", m, a->min_map);
        return 1;
    }
    return 0;
}

/* Runs one engine over the images in this process; keeps the detections. */
static drt_status run_engine(const eval_args *a, const drt_model *model, const char *spec, char **paths, int n,
                             drt_report_engine *e)
{
    drt_engine_opts eo = cli_engine_opts_default();
    int idx = 0;
    if (cmp_parse_engine(spec, &eo.device, &idx, &eo.precision) != 0)
        return drt_error(DRT_STATUS_INVALID_ARG, "eval: unknown engine %s (e.g. ref, cpu-fp32, cpu-int8, cuda-fp16)", spec);
    eo.device_index = idx;
    eo.threads = a->c.threads;
    eo.calib_dir = a->c.calib;
    drt_engine *engine = NULL;
    drt_report_engine_init(e);
    DRT_TRY(drt_engine_create(model, &eo, &engine));
    drt_detect_opts dopts = drt_detect_opts_for_model(model); /* as the cfg asks */
    dopts.thresh = a->c.thresh;
    dopts.nms = a->c.nms;
    drt_status s = (e->images = calloc((size_t)n, sizeof *e->images)) ? DRT_OK : DRT_STATUS_OOM;
    for (int i = 0; s == DRT_OK && i < n; i++) {
        drt_image *img = NULL;
        drt_detections *dets = NULL;
        s = drt_image_load(paths[i], &img);
        if (s == DRT_OK) s = drt_detect_image(engine, img, &dopts, &dets, NULL);
        if (s == DRT_OK) {
            drt_report_image *im = &e->images[e->n_images++];
            im->path = strdup(paths[i]);
            im->width = img->w;
            im->height = img->h;
            im->dets.items = malloc(sizeof(drt_detection) * (size_t)(dets->count + 1));
            if (!im->path || !im->dets.items) s = drt_error(DRT_STATUS_OOM, "eval: out of memory");
            else memcpy(im->dets.items, dets->items, sizeof(drt_detection) * (size_t)(im->dets.count = dets->count));
        }
        drt_detections_free(dets);
        drt_image_free(img);
    }
    drt_engine_free(engine);
    return s;
}

static int eval_images(eval_args *a)
{
    char **paths = NULL;
    int n = 0, rc;
    drt_model *model = NULL;
    drt_report_engine ref, eng;
    drt_report_engine_init(&ref);
    drt_report_engine_init(&eng);
    if (cmp_list_images(&a->c, &paths, &n)) return 1;
    if (!a->c.calib && paths[0] && strrchr(paths[0], '/')) {
        static char dir[4096];
        snprintf(dir, sizeof dir, "%.*s", (int)(strrchr(paths[0], '/') - paths[0]), paths[0]);
        a->c.calib = dir[0] ? dir : "/";
    }
    drt_status s = cli_load_model(a->c.model, a->c.weights, &a->c.load, NULL, &model);
    if (s == DRT_OK) s = run_engine(a, model, a->reference, paths, n, &ref);
    if (s == DRT_OK) s = run_engine(a, model, a->engine, paths, n, &eng);
    rc = s == DRT_OK ? score(a, &ref, &eng) : cli_fail(s);
    drt_report_engine_clear(&ref);
    drt_report_engine_clear(&eng);
    drt_model_free(model);
    cmp_free_list(paths, n);
    return rc;
}

/* Pulls eval's own options out of argv (the rest goes to the compare parser). */
static int take_own_options(int argc, char **argv, eval_args *a, char **rest, int *n_rest)
{
    a->engine = "cpu-fp32";
    a->reference = "ref";
    a->iou = 0.5f;
    *n_rest = 0;
    rest[(*n_rest)++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        int is_val = !strcmp(f, "--engine") || !strcmp(f, "--reference") || !strcmp(f, "--iou") ||
                     !strcmp(f, "--min-map") || !strcmp(f, "--json");
        if (!is_val) {
            rest[(*n_rest)++] = argv[i];
            continue;
        }
        if (i + 1 >= argc) return cli_usage_error("eval", "%s: needs a value", f);
        const char *v = argv[++i];
        if (!strcmp(f, "--engine")) a->engine = v;
        else if (!strcmp(f, "--reference")) a->reference = v;
        else if (!strcmp(f, "--json")) a->out_json = v;
        else if (cli_parse_float("eval", f, v, !strcmp(f, "--iou") ? 0.01 : 0, 1, !strcmp(f, "--iou") ? &a->iou : &a->min_map))
            return 2;
    }
    return 0;
}

int drt_cmd_eval(int argc, char **argv)
{
    eval_args a;
    memset(&a, 0, sizeof a);
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(USAGE, stdout);
            return 0;
        }
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--coco")) return cli_eval_coco(argc, argv);
        else if (!strcmp(argv[i], "--data")) return cli_eval_darknet(argc, argv);
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int n_rest = 0, rc = rest ? take_own_options(argc, argv, &a, rest, &n_rest) : 1;
    if (rc == 0) {
        int json_mode = n_rest == 3 && cli_has_suffix(rest[1], ".json") && cli_has_suffix(rest[2], ".json");
        if (json_mode) {
            drt_report_engine ref, eng;
            drt_report_engine_init(&ref);
            drt_report_engine_init(&eng);
            drt_status s = cli_eval_load_detections(rest[1], &ref);
            if (s == DRT_OK) s = cli_eval_load_detections(rest[2], &eng);
            rc = s == DRT_OK ? score(&a, &ref, &eng) : cli_fail(s);
            drt_report_engine_clear(&ref);
            drt_report_engine_clear(&eng);
        } else {
            rc = cmp_parse_args(n_rest, rest, "eval", &a.c);
            if (rc == 0) rc = eval_images(&a);
            free(a.c.inputs);
        }
    }
    free(rest);
    return rc;
}
