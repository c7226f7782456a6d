/* eval --data --html: the mAP, a table of the classes and a precision-recall card for each class
 * with labels: its points at its own detections, by rank, as Darknet's pr[class][rank]. */
#include "report/darknet-map-html.h"
#include "report/pr-svg.h"
#include "report/report.h"
#include "core/error.h"
#include "core/fileio.h"

static const char *class_name(char *const *names, int c) { return names && names[c] ? names[c] : "?"; }

static void write_table(FILE *out, const drt_dn_map_result *r, char *const *names)
{
    fputs("<table><thead><tr><th>class_id</th><th>name</th><th>AP</th><th>labels</th><th>TP at 0.25</th>"
          "<th>FP at 0.25</th></tr></thead>", out);
    for (int c = 0; c < r->classes; c++) {
        if (!r->truths[c] && r->curve_start[c] == r->curve_start[c + 1]) continue;
        fprintf(out, "<tr><td>%d</td><td>", c);
        drt_report_html_escape(out, class_name(names, c));
        fprintf(out, "</td><td>%.4f</td><td>%d</td><td>%d</td><td>%d</td></tr>", r->ap[c], r->truths[c], r->tp[c],
                r->fp[c]);
    }
    fputs("</table>", out);
}

drt_status drt_report_write_dn_map_html(const char *path, const char *source, const drt_dn_map_result *r,
                                        float iou_thresh, char *const *names)
{
    drt_atomic_file af;
    DRT_TRY(drt_atomic_open(&af, path));
    FILE *out = af.fp;
    drt_report_html_start(out, "darkrt eval", "darkrt eval: Darknet's detector map", source);
    fprintf(out, " · %d classes · AlexeyAB Darknet's validate_detector_map semantics · darkrt %s</div>", r->classes,
            drt_version());
    fprintf(out, "<h2>mAP@%.2f = %.6f (%s)</h2>", (double)iou_thresh, r->map,
            r->points ? (r->points == 11 ? "11 recall points" : "101 recall points") : "area under the curve");
    write_table(out, r, names);
    fputs("<h2>Precision-recall (at each of the class's detections, by score)</h2><div class=charts>", out);
    for (int c = 0; c < r->classes; c++) {
        if (!r->truths[c]) continue;
        char title[256];
        snprintf(title, sizeof title, "%d %s", c, class_name(names, c));
        drt_report_pr_card_open(out, title, 200);
        drt_report_pr_line_open(out, "#4e79a7");
        for (size_t k = r->curve_start[c]; k < r->curve_start[c + 1]; k++)
            drt_report_pr_point(out, 200, r->curve_recall[k], r->curve_precision[k]);
        char label[48];
        snprintf(label, sizeof label, "IoU %.2f, AP %.4f", (double)iou_thresh, r->ap[c]);
        drt_report_pr_line_close(out, label);
        drt_report_pr_card_close(out);
    }
    fputs("</div></body></html>\n", out);
    return drt_atomic_commit(&af);
}
