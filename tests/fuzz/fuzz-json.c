/* libFuzzer target: the JSON readers of eval and compare. The input is parsed as eval's reference and
 * engine files and compare's peer files are (drt_json_parse_all, then every engine entry through
 * drt_report_engine_from_json, images given as {"images": [...]}, an array, or one object), and what
 * loads is scored against itself (matching, mAP over its class ids) and written back as JSON. */
#include "fuzz-common.h"
#include "report/json.h"
#include "report/report.h"

/* eval and compare score what they read: do it here too (class ids, boxes and scores are input). */
static void fuzz_score(const drt_report_engine *e)
{
    drt_eval_map *map = NULL;
    if (drt_eval_map_create(0.5, &map) != DRT_OK) return;
    for (int i = 0; i < e->n_images; i++) {
        drt_eval_map_add(map, &e->images[i].dets, &e->images[i].dets);
    }
    double ap = 0;
    int n = 0;
    drt_eval_map_compute(map, &ap, &n);
    drt_eval_map_free(map);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (out) {
        drt_report_engine_write_json(e, NULL, out, 2);
        fclose(out);
    }
    free(text);
}

static void fuzz_entry(const drt_json *obj, const char *path)
{
    drt_report_engine e;
    drt_report_engine_init(&e);
    drt_status s = drt_report_engine_from_json(obj, path, &e);
    if (s == DRT_OK) snprintf(fuzz_outcome, sizeof fuzz_outcome, "accepted"); /* one entry read: the file loads */
    else fuzz_note_outcome(s, path);
    if (s == DRT_OK) {
        fuzz_accepted++;
        fuzz_score(&e);
    } else if (!drt_last_error()[0]) {
        FUZZ_FAIL("engine entry refused (%s) without a message", drt_status_str(s));
    }
    drt_report_engine_clear(&e);
}

static int fuzz_json(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    drt_json *all = NULL;
    drt_status s = drt_json_parse_all(text, size, "input.json", &all);
    free(text);
    if (s != DRT_OK) {
        fuzz_note_outcome(s, "input.json");
        if (all) FUZZ_FAIL("JSON parse failed (%s) but returned a value", drt_status_str(s));
        return 0;
    }
    for (size_t i = 0; i < all->count; i++) {
        const drt_json *v = &all->items[i], *engines = drt_json_get(v, "engines"), *images = drt_json_get(v, "images");
        /* compare's peers: {"engines": [...]}, an array of engine objects, or one */
        const drt_json *list = engines ? engines : v->type == DRT_JSON_ARRAY ? v : NULL;
        for (size_t k = 0; list && list->type == DRT_JSON_ARRAY && k < list->count && k < 64; k++)
            fuzz_entry(&list->items[k], "input.json");
        if (!list) fuzz_entry(v, "input.json");
        /* eval's files: {"images": [...]}, an array of images or one image, wrapped as eval wraps them */
        drt_json one = *v;
        drt_json arr = images ? *images : v->type == DRT_JSON_ARRAY ? *v : (drt_json){.type = DRT_JSON_ARRAY, .count = 1, .items = &one};
        drt_json vals[2] = {{.type = DRT_JSON_STRING, .string = "eval"}, arr};
        char *keys[2] = {"engine", "images"};
        drt_json wrapper = {.type = DRT_JSON_OBJECT, .count = 2, .items = vals, .keys = keys};
        fuzz_entry(&wrapper, "input.json");
    }
    drt_json_free(all);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_json(data, size); }
#endif
