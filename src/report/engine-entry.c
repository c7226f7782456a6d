/* One engine's results: lifetime, reading from JSON (workers and peers), writing as JSON. */
#include "report/report.h"
#include "core/error.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void drt_report_engine_init(drt_report_engine *e)
{
    memset(e, 0, sizeof *e);
    e->pre = e->inf = e->post = (drt_report_stat){NAN, NAN};
    e->peak_rss_bytes = e->device_memory_bytes = NAN;
    e->head_max_abs_diff = e->head_max_abs_ref = NAN;
    e->map50 = NAN;
}

void drt_report_engine_clear(drt_report_engine *e)
{
    free(e->name);
    free(e->kind);
    free(e->runtime);
    free(e->device);
    free(e->precision);
    free(e->reason);
    for (int i = 0; i < e->n_images; i++) {
        free(e->images[i].path);
        free(e->images[i].dets.items);
    }
    free(e->images);
    drt_report_engine_init(e);
}

void drt_report_free(drt_report *r)
{
    for (int i = 0; i < r->n_engines; i++) drt_report_engine_clear(&r->engines[i]);
    free(r->engines);
    if (r->figures)
        for (int i = 0; i < r->n_figure_images * r->n_engines; i++) free(r->figures[i]);
    free(r->figures);
    free(r->model);
    free(r->weights);
    free(r->machine);
    memset(r, 0, sizeof *r);
    r->ref_index = -1;
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static drt_report_stat read_stat(const drt_json *timing, const char *key)
{
    const drt_json *s = drt_json_get(timing, key);
    return (drt_report_stat){drt_json_get_number(s, "median", NAN), drt_json_get_number(s, "p90", NAN)};
}

static int by_score_desc(const void *pa, const void *pb)
{
    const drt_detection *a = pa, *b = pb;
    return (a->score < b->score) - (a->score > b->score);
}

/* A JSON number as a count or id: -1 unless a whole number in 0..INT_MAX (casting 1e10 is undefined). */
static int json_whole(const drt_json *o, const char *key, double fallback)
{
    double v = drt_json_get_number(o, key, fallback);
    return v >= 0 && v <= INT_MAX && v == floor(v) ? (int)v : -1;
}

static drt_status read_detections(const drt_json *arr, const char *source, const char *image, drt_detections *out)
{
    out->count = 0;
    out->items = NULL;
    if (!arr) return DRT_OK;
    if (arr->type != DRT_JSON_ARRAY)
        return drt_error(DRT_STATUS_FORMAT, "%s: image %s: \"detections\" must be an array", source, image);
    out->items = calloc(arr->count + 1, sizeof *out->items);
    if (!out->items) return drt_error(DRT_STATUS_OOM, "%s: out of memory", source);
    for (size_t i = 0; i < arr->count; i++) {
        const drt_json *d = &arr->items[i], *box = drt_json_get(d, "box");
        drt_detection x = {json_whole(d, "class_id", -1), (float)drt_json_get_number(d, "score", NAN),
                           (float)drt_json_get_number(box, "x1", NAN), (float)drt_json_get_number(box, "y1", NAN),
                           (float)drt_json_get_number(box, "x2", NAN), (float)drt_json_get_number(box, "y2", NAN)};
        if (x.class_id < 0 || !isfinite(x.score) || !isfinite(x.x1) || !isfinite(x.y1) || !isfinite(x.x2) || !isfinite(x.y2))
            return drt_error(DRT_STATUS_FORMAT,
                             "%s: image %s: detection %zu: needs a whole class_id 0..2147483647, score and box {x1,y1,x2,y2} numbers",
                             source, image, i);
        out->items[out->count++] = x;
    }
    qsort(out->items, (size_t)out->count, sizeof *out->items, by_score_desc); /* as darkrt keeps them */
    return DRT_OK;
}

static drt_status read_images(const drt_json *arr, const char *source, drt_report_engine *e)
{
    if (!arr) return DRT_OK;
    if (arr->type != DRT_JSON_ARRAY) return drt_error(DRT_STATUS_FORMAT, "%s: \"images\" must be an array", source);
    e->images = calloc(arr->count + 1, sizeof *e->images);
    if (!e->images) return drt_error(DRT_STATUS_OOM, "%s: out of memory", source);
    for (size_t i = 0; i < arr->count; i++) {
        const drt_json *im = &arr->items[i];
        const char *path = drt_json_get_string(im, "image");
        if (!path) return drt_error(DRT_STATUS_FORMAT, "%s: images[%zu]: needs an \"image\" path", source, i);
        drt_report_image *out = &e->images[e->n_images++];
        out->path = strdup(path);
        out->width = json_whole(im, "width", 0) < 0 ? 0 : json_whole(im, "width", 0);
        out->height = json_whole(im, "height", 0) < 0 ? 0 : json_whole(im, "height", 0);
        if (!out->path) return drt_error(DRT_STATUS_OOM, "%s: out of memory", source);
        DRT_TRY(read_detections(drt_json_get(im, "detections"), source, path, &out->dets));
    }
    return DRT_OK;
}

drt_status drt_report_engine_from_json(const drt_json *o, const char *source, drt_report_engine *e)
{
    drt_report_engine_init(e);
    if (!o || o->type != DRT_JSON_OBJECT) return drt_error(DRT_STATUS_FORMAT, "%s: an engine entry must be a JSON object", source);
    const char *name = drt_json_get_string(o, "engine");
    if (!name || !*name) return drt_error(DRT_STATUS_FORMAT, "%s: engine entry without an \"engine\" name", source);
    const drt_json *avail = drt_json_get(o, "available"), *failed = drt_json_get(o, "failed");
    const drt_json *timing = drt_json_get(o, "timing_ms"), *heads = drt_json_get(o, "heads_vs_reference");
    e->name = strdup(name);
    e->kind = dup_or_null(drt_json_get_string(o, "kind"));
    e->runtime = dup_or_null(drt_json_get_string(o, "runtime"));
    e->device = dup_or_null(drt_json_get_string(o, "device"));
    e->precision = dup_or_null(drt_json_get_string(o, "precision"));
    e->reason = dup_or_null(drt_json_get_string(o, "reason"));
    e->available = !avail || avail->type != DRT_JSON_FALSE;
    e->failed = failed && failed->type == DRT_JSON_TRUE;
    e->threads = drt_json_get_count(o, "threads");
    e->runs = drt_json_get_count(o, "runs");
    e->warmup = drt_json_get_count(o, "warmup");
    e->pre = read_stat(timing, "preprocess");
    e->inf = read_stat(timing, "inference");
    e->post = read_stat(timing, "postprocess");
    e->peak_rss_bytes = drt_json_get_number(o, "peak_rss_bytes", NAN);
    e->device_memory_bytes = drt_json_get_number(o, "device_memory_bytes", NAN);
    e->head_max_abs_diff = drt_json_get_number(heads, "max_abs_diff", NAN);
    e->head_max_abs_ref = drt_json_get_number(heads, "max_abs_ref", NAN);
    e->head_images = drt_json_get_count(heads, "images");
    if (e->head_max_abs_diff >= 1e300) e->head_max_abs_diff = INFINITY; /* written for NaN/Inf heads */
    if (!e->name) return drt_error(DRT_STATUS_OOM, "%s: out of memory", source);
    return read_images(drt_json_get(o, "images"), source, e);
}

void drt_report_image_write_json(const drt_report_image *im, const drt_model *names, FILE *out)
{
    fputs("{\"image\": ", out);
    drt_json_write_string(out, im->path);
    fprintf(out, ", \"width\": %d, \"height\": %d, \"top_confidence\": ", im->width, im->height);
    drt_json_write_number(out, im->dets.count ? im->dets.items[0].score : NAN);
    fputs(", \"detections\": [", out);
    for (int k = 0; k < im->dets.count; k++) {
        const drt_detection *d = &im->dets.items[k];
        fprintf(out, "%s{\"class_id\": %d, \"label\": ", k ? ", " : "", d->class_id);
        drt_json_write_string(out, names ? drt_model_class_name(names, d->class_id) : NULL);
        fputs(", \"score\": ", out);
        drt_json_write_number(out, d->score);
        fputs(", \"box\": {\"x1\": ", out);
        drt_json_write_number(out, d->x1);
        fputs(", \"y1\": ", out);
        drt_json_write_number(out, d->y1);
        fputs(", \"x2\": ", out);
        drt_json_write_number(out, d->x2);
        fputs(", \"y2\": ", out);
        drt_json_write_number(out, d->y2);
        fputs("}}", out);
    }
    fputs("]}", out);
}

static void key(FILE *out, int indent, const char *k)
{
    fprintf(out, ",\n%*s\"%s\": ", indent + 2, "", k);
}

static void write_stat(FILE *out, const char *name, drt_report_stat s, int last)
{
    fprintf(out, "\"%s\": {\"median\": ", name);
    drt_json_write_number(out, s.median);
    fputs(", \"p90\": ", out);
    drt_json_write_number(out, s.p90);
    fputs(last ? "}" : "}, ", out);
}

static void write_agreement(const drt_report_engine *e, FILE *out, int indent)
{
    const drt_eval_agreement *a = &e->agree;
    key(out, indent, "agreement");
    fprintf(out, "{\"reference_detections\": %d, \"detections\": %d, \"matched\": %d, \"missing\": %d, \"extra\": %d, "
                 "\"mean_iou\": ", a->ref_count, a->eng_count, a->matched, a->missing, a->extra);
    drt_json_write_number(out, drt_eval_agreement_mean_iou(a));
    fputs(", \"max_score_delta\": ", out);
    drt_json_write_number(out, a->max_score_delta);
    fputs(", \"map50\": ", out);
    drt_json_write_number(out, e->map50);
    fputs("}", out);
}

void drt_report_engine_write_json(const drt_report_engine *e, const drt_model *names, FILE *out, int indent)
{
    fprintf(out, "%*s{\n%*s\"engine\": ", indent, "", indent + 2, "");
    drt_json_write_string(out, e->name);
    const char *texts[][2] = {{"kind", e->kind}, {"runtime", e->runtime}, {"device", e->device},
                              {"precision", e->precision}, {"reason", e->reason}};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        key(out, indent, texts[i][0]);
        drt_json_write_string(out, texts[i][1]);
    }
    key(out, indent, "available");
    fputs(e->available ? "true" : "false", out);
    key(out, indent, "failed");
    fputs(e->failed ? "true" : "false", out);
    key(out, indent, "threads");
    fprintf(out, "%d", e->threads);
    key(out, indent, "runs");
    fprintf(out, "%d", e->runs);
    key(out, indent, "warmup");
    fprintf(out, "%d", e->warmup);
    key(out, indent, "timing_ms");
    fputc('{', out);
    write_stat(out, "preprocess", e->pre, 0);
    write_stat(out, "inference", e->inf, 0);
    write_stat(out, "postprocess", e->post, 1);
    fputc('}', out);
    key(out, indent, "peak_rss_bytes");
    drt_json_write_number(out, e->peak_rss_bytes);
    key(out, indent, "device_memory_bytes");
    drt_json_write_number(out, e->device_memory_bytes);
    if (isfinite(e->head_max_abs_diff) || isinf(e->head_max_abs_diff)) {
        key(out, indent, "heads_vs_reference");
        fputs("{\"max_abs_diff\": ", out);
        drt_json_write_number(out, isinf(e->head_max_abs_diff) ? 1e308 : e->head_max_abs_diff);
        fputs(", \"max_abs_ref\": ", out);
        drt_json_write_number(out, e->head_max_abs_ref);
        fprintf(out, ", \"images\": %d}", e->head_images);
    }
    if (e->has_agreement) write_agreement(e, out, indent);
    key(out, indent, "images");
    fputs("[", out);
    for (int i = 0; i < e->n_images; i++) {
        fprintf(out, "%s\n%*s", i ? "," : "", indent + 4, "");
        drt_report_image_write_json(&e->images[i], names, out);
    }
    if (e->n_images) fprintf(out, "\n%*s", indent + 2, "");
    fprintf(out, "]\n%*s}", indent, "");
}
