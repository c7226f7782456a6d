/* The whole comparison as one JSON document. */
#include "report/report.h"

void drt_report_write_json(const drt_report *r, FILE *out)
{
    fputs("{\n  \"darkrt\": ", out);
    drt_json_write_string(out, drt_version());
    fputs(",\n  \"model\": ", out);
    drt_json_write_string(out, r->model);
    fputs(",\n  \"weights\": ", out);
    drt_json_write_string(out, r->weights);
    fputs(",\n  \"machine\": ", out);
    drt_json_write_string(out, r->machine);
    fprintf(out, ",\n  \"input\": {\"width\": %d, \"height\": %d}", r->net_w, r->net_h);
    fputs(",\n  \"thresh\": ", out);
    drt_json_write_number(out, r->thresh);
    fputs(", \"nms\": ", out);
    drt_json_write_number(out, r->nms);
    fprintf(out, ", \"runs\": %d, \"warmup\": %d", r->runs, r->warmup);
    fputs(",\n  \"reference\": ", out);
    drt_json_write_string(out, r->ref_index >= 0 ? r->engines[r->ref_index].name : NULL);
    fputs(",\n  \"engines\": [\n", out);
    for (int i = 0; i < r->n_engines; i++) {
        drt_report_engine_write_json(&r->engines[i], r->names, out, 4);
        fputs(i + 1 < r->n_engines ? ",\n" : "\n", out);
    }
    fputs("  ]\n}\n", out);
}
