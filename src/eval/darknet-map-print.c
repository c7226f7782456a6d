/* Darknet's `detector map` report lines, and the same numbers as JSON. */
#include "eval/darknet-map.h"
#include "report/json.h"

static const char *class_name(char *const *names, int c)
{
    return names && names[c] ? names[c] : "?";
}

void drt_dn_map_print(FILE *out, const drt_dn_map_result *r, float iou_thresh, float conf_thresh,
                      char *const *names)
{
    for (int c = 0; c < r->classes; c++)
        fprintf(out, "class_id = %d, name = %s, ap = %2.2f%%   \t (TP = %d, FP = %d) \n", c, class_name(names, c),
                r->ap[c] * 100, r->tp[c], r->fp[c]);
    fprintf(out, "\n for conf_thresh = %1.2f, precision = %1.2f, recall = %1.2f, F1-score = %1.2f \n", conf_thresh,
            r->precision, r->recall, r->f1);
    fprintf(out, " for conf_thresh = %0.2f, TP = %d, FP = %d, FN = %d, average IoU = %2.2f %% \n", conf_thresh,
            r->tp_all, r->fp_all, r->fn_all, r->avg_iou * 100);
    fprintf(out, "\n IoU threshold = %2.0f %%, ", iou_thresh * 100);
    if (r->points) fprintf(out, "used %d Recall-points \n", r->points);
    else fprintf(out, "used Area-Under-Curve for each unique Recall \n");
    fprintf(out, " mean average precision (mAP@%0.2f) = %f, or %2.2f %% \n", iou_thresh, r->map, r->map * 100);
}

void drt_dn_map_write_json(FILE *out, const drt_dn_map_result *r, float iou_thresh, char *const *names)
{
    fprintf(out, "{\"points\": %d, \"iou_thresh\": ", r->points);
    drt_json_write_number(out, iou_thresh);
    fputs(", \"map\": ", out);
    drt_json_write_number(out, r->map);
    fprintf(out, ", \"tp\": %d, \"fp\": %d, \"fn\": %d, \"precision\": ", r->tp_all, r->fp_all, r->fn_all);
    drt_json_write_number(out, r->precision);
    fputs(", \"recall\": ", out);
    drt_json_write_number(out, r->recall);
    fputs(", \"f1\": ", out);
    drt_json_write_number(out, r->f1);
    fputs(", \"average_iou\": ", out);
    drt_json_write_number(out, r->avg_iou);
    fputs(",\n \"classes\": [", out);
    for (int c = 0; c < r->classes; c++) {
        fprintf(out, "%s\n  {\"class_id\": %d, \"name\": ", c ? "," : "", c);
        drt_json_write_string(out, class_name(names, c));
        fputs(", \"ap\": ", out);
        drt_json_write_number(out, r->ap[c]);
        fprintf(out, ", \"labels\": %d, \"tp\": %d, \"fp\": %d}", r->truths[c], r->tp[c], r->fp[c]);
    }
    fputs("]}\n", out);
}
