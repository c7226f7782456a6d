/* Detections as JSON: one object per image (see detect.h for the schema). */
#include "vision/vision.h"
#include "core/error.h"
#include "core/utf8.h"

#include <stdio.h>

void drt_detections_write_json(FILE *out, const char *image_name, int width, int height,
                               const drt_detections *dets, const drt_model *model,
                               const drt_stage_times *times, const char *indent)
{
    DRT_ARG_OR(out, "out", );
    if (!indent) indent = "";
    fprintf(out, "%s{\"image\": ", indent);
    drt_utf8_write_json(out, image_name ? image_name : "");
    fprintf(out, ", \"width\": %d, \"height\": %d,\n%s \"detections\": [", width, height, indent);
    for (int i = 0; dets && i < dets->count; i++) {
        const drt_detection *d = &dets->items[i];
        const char *name = model ? drt_model_class_name(model, d->class_id) : NULL;
        char id_label[32];
        snprintf(id_label, sizeof id_label, "%d", d->class_id);
        fprintf(out, "%s\n%s  {\"class_id\": %d, \"label\": ", i ? "," : "", indent, d->class_id);
        drt_utf8_write_json(out, name ? name : id_label);
        fprintf(out, ", \"score\": %.6f, \"box\": {\"x1\": %.2f, \"y1\": %.2f, \"x2\": %.2f, \"y2\": %.2f}}",
                d->score, d->x1, d->y1, d->x2, d->y2);
    }
    if (dets && dets->count) fprintf(out, "\n%s ", indent);
    fprintf(out, "],\n%s \"timing_ms\": {\"preprocess\": %.3f, \"inference\": %.3f, \"postprocess\": %.3f}}",
            indent, times ? times->preprocess_ms : 0, times ? times->inference_ms : 0,
            times ? times->postprocess_ms : 0);
}
