/* libFuzzer target: eval --coco's JSON readers. The input up to its first NUL byte is the annotation
 * file (drt_coco_load_set), the rest the detections (drt_coco_load_dets; the annotations themselves
 * when there is no NUL); what loads is evaluated, summarized and written as JSON, as eval --coco does. */
#include "fuzz-common.h"
#include "eval/coco.h"

static int fuzz_coco(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t set_size = nul ? (size_t)(nul - data) : size;
    const char *set_path = fuzz_write_file("input.json", data, set_size);
    const char *det_path = nul ? fuzz_write_file("input.img", nul + 1, size - set_size - 1) : set_path;
    drt_coco_set *set = NULL;
    drt_status s = drt_coco_load_set(set_path, &set);
    fuzz_check_result("COCO annotations", s, set, set_path);
    if (!set) return 0;
    drt_coco_dets dets;
    memset(&dets, 0, sizeof dets);
    if (drt_coco_load_dets(det_path, set, &dets) == DRT_OK) {
        drt_coco_result *r = NULL;
        if (drt_coco_evaluate(set, &dets, &r) == DRT_OK) {
            drt_coco_summarize(r);
            char *text = NULL;
            size_t n = 0;
            FILE *out = open_memstream(&text, &n);
            if (out) {
                drt_coco_write_json(out, set, r);
                fclose(out);
            }
            free(text);
            drt_coco_result_free(r);
        }
    }
    drt_coco_dets_clear(&dets);
    drt_coco_set_free(set);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_coco(data, size); }
#endif
