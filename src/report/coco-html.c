/* eval --coco --html: the 12 COCO stats, per-category APs and precision-recall curves (SVG). */
#include "report/coco-html.h"
#include "report/pr-svg.h"
#include "report/report.h"
#include "core/error.h"
#include "core/fileio.h"

static const char *const CURVE_COLORS[2] = {"#4e79a7", "#e15759"};

/* Precision at recall threshold rc, IoU index t, area all, 100 detections: category k, or the
 * mean over categories with ground truth (k < 0); -1 when there is none. */
static double curve_point(const drt_coco_result *r, int t, int rc, int k)
{
    double sum = 0;
    int n = 0;
    for (int j = 0; j < r->n_cats; j++) {
        double v = drt_coco_precision(r, t, rc, j, 0, 2);
        if ((k < 0 || j == k) && v > -1) {
            sum += v;
            n++;
        }
    }
    return n ? sum / n : -1;
}

/* One card: precision against recall at IoU 0.50 and 0.75. */
static void svg_pr(FILE *out, const drt_coco_result *r, int k, const char *title, int size)
{
    drt_report_pr_card_open(out, title, size);
    static const int ts[2] = {0, 5}; /* IoU 0.50 and 0.75 */
    for (int c = 0; c < 2; c++) {
        drt_report_pr_line_open(out, CURVE_COLORS[c]);
        for (int rc = 0; rc < DRT_COCO_R; rc++) {
            double p = curve_point(r, ts[c], rc, k);
            if (p < 0) break;
            drt_report_pr_point(out, size, drt_coco_rec_thr(rc), p);
        }
        char label[32];
        snprintf(label, sizeof label, "IoU %.2f", drt_coco_iou_thr(ts[c]));
        drt_report_pr_line_close(out, label);
    }
    drt_report_pr_card_close(out);
}

static void write_tables(FILE *out, const drt_coco_set *set, const drt_coco_result *r)
{
    fputs("<table><thead><tr>", out);
    for (int i = 0; i < 12; i++) fprintf(out, "<th>%s</th>", drt_coco_stat_names[i]);
    fputs("</tr></thead><tr>", out);
    for (int i = 0; i < 12; i++) fprintf(out, "<td>%.4f</td>", r->stats[i]);
    fputs("</tr></table><h2>Per category (area all, 100 detections)</h2>"
          "<table><thead><tr><th>category</th><th>id</th><th>AP</th><th>AP50</th><th>AP75</th></tr></thead>", out);
    for (int k = 0; k < set->n_cats; k++) {
        double ap = drt_coco_class_ap(r, k, -1);
        if (ap < 0) continue;
        fputs("<tr><td>", out);
        drt_report_html_escape(out, set->cat_names[k] ? set->cat_names[k] : "?");
        fprintf(out, "</td><td>%.17g</td><td>%.4f</td><td>%.4f</td><td>%.4f</td></tr>", set->cat_ids[k], ap,
                drt_coco_class_ap(r, k, 0), drt_coco_class_ap(r, k, 5));
    }
    fputs("</table>", out);
}

drt_status drt_report_write_coco_html(const char *path, const char *source, const drt_coco_set *set,
                                      const drt_coco_result *r)
{
    drt_atomic_file af;
    DRT_TRY(drt_atomic_open(&af, path));
    FILE *out = af.fp;
    drt_report_html_start(out, "darkrt eval", "darkrt eval: COCO mAP", source);
    fprintf(out, " · %d images · %d categories · pycocotools' COCOeval semantics · darkrt %s</div>", set->n_images,
            set->n_cats, drt_version());
    write_tables(out, set, r);
    fprintf(out, "<h2>Precision-recall (<span style=\"color:%s\">IoU 0.50</span>, "
                 "<span style=\"color:%s\">IoU 0.75</span>; 101 recall points)</h2><div class=charts>",
            CURVE_COLORS[0], CURVE_COLORS[1]);
    svg_pr(out, r, -1, "mean over categories", 320);
    for (int k = 0; k < set->n_cats; k++)
        if (drt_coco_class_ap(r, k, -1) >= 0) svg_pr(out, r, k, set->cat_names[k] ? set->cat_names[k] : "?", 200);
    fputs("</div></body></html>\n", out);
    return drt_atomic_commit(&af);
}
