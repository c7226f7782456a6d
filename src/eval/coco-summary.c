/* COCOeval.summarize(): the 12 stats, per-category APs, and their text and JSON forms. */
#include "eval/coco.h"
#include "report/json.h"

const char *const drt_coco_stat_names[12] = {"AP", "AP50", "AP75", "APs", "APm", "APl",
                                             "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"};

/* numpy.linspace(start, stop, n): i * ((stop - start) / (n - 1)) + start, the last one stop. */
static double linspace(double start, double stop, int n, int i)
{
    return i == n - 1 ? stop : i * ((stop - start) / (n - 1)) + start;
}

double drt_coco_iou_thr(int t)
{
    return linspace(0.5, 0.95, DRT_COCO_T, t);
}

double drt_coco_rec_thr(int r)
{
    return linspace(0.0, 1.0, DRT_COCO_R, r);
}

double drt_coco_precision(const drt_coco_result *r, int t, int rc, int k, int a, int m)
{
    size_t at = (((size_t)t * DRT_COCO_R + (size_t)rc) * (size_t)r->n_cats + (size_t)k) * DRT_COCO_A + (size_t)a;
    return r->precision[at * DRT_COCO_M + (size_t)m];
}

static double recall_at(const drt_coco_result *r, int t, int k, int a, int m)
{
    return r->recall[((t * r->n_cats + k) * DRT_COCO_A + a) * DRT_COCO_M + m];
}

/* want -1: every threshold; else only t == want (-2 matches none, as np.where finding nothing). */
static int uses_t(int want, int t)
{
    return want == -1 || want == t;
}

/* _summarize: the mean of the values above -1 over thresholds, recalls and categories; -1 if none. */
static double summarize(const drt_coco_result *r, int ap, int t_only, int k_only, int a, int m)
{
    double sum = 0;
    long n = 0;
    for (int t = 0; t < DRT_COCO_T; t++) {
        if (!uses_t(t_only, t)) continue;
        for (int k = 0; k < r->n_cats; k++) {
            if (k_only >= 0 && k != k_only) continue;
            for (int rc = 0; rc < (ap ? DRT_COCO_R : 1); rc++) {
                double v = ap ? drt_coco_precision(r, t, rc, k, a, m) : recall_at(r, t, k, a, m);
                if (v > -1) {
                    sum += v;
                    n++;
                }
            }
        }
    }
    return n ? sum / (double)n : -1;
}

/* The index of an IoU threshold equal to v, as np.where(iouThr == p.iouThrs); -2 when none is. */
static int thr_index(double v)
{
    for (int t = 0; t < DRT_COCO_T; t++)
        if (drt_coco_iou_thr(t) == v) return t;
    return -2;
}

void drt_coco_summarize(drt_coco_result *r)
{
    int t50 = thr_index(.5), t75 = thr_index(.75);
    r->stats[0] = summarize(r, 1, -1, -1, 0, 2);
    r->stats[1] = summarize(r, 1, t50, -1, 0, 2);
    r->stats[2] = summarize(r, 1, t75, -1, 0, 2);
    for (int a = 1; a < DRT_COCO_A; a++) r->stats[2 + a] = summarize(r, 1, -1, -1, a, 2);
    for (int m = 0; m < DRT_COCO_M; m++) r->stats[6 + m] = summarize(r, 0, -1, -1, 0, m);
    for (int a = 1; a < DRT_COCO_A; a++) r->stats[8 + a] = summarize(r, 0, -1, -1, a, 2);
}

double drt_coco_class_ap(const drt_coco_result *r, int k, int t)
{
    return summarize(r, 1, t, k, 0, 2);
}

void drt_coco_print(FILE *out, const drt_coco_set *set, const drt_coco_result *r)
{
    static const char *const area[] = {"all", "small", "medium", "large"};
    static const int stat_area[12] = {0, 0, 0, 1, 2, 3, 0, 0, 0, 1, 2, 3};
    static const int stat_dets[12] = {100, 100, 100, 100, 100, 100, 1, 10, 100, 100, 100, 100};
    for (int i = 0; i < 12; i++) {
        const char *iou = i == 1 ? "0.50" : i == 2 ? "0.75" : "0.50:0.95";
        fprintf(out, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %.3f\n",
                i < 6 ? "Average Precision" : "Average Recall", i < 6 ? "(AP)" : "(AR)", iou, area[stat_area[i]],
                stat_dets[i], r->stats[i]);
    }
    fprintf(out, "\n%-24s %8s %8s %8s\n", "category", "AP", "AP50", "AP75");
    for (int k = 0; k < set->n_cats; k++) {
        double ap = drt_coco_class_ap(r, k, -1);
        if (ap < 0) continue; /* no ground truth */
        fprintf(out, "%-24.24s %8.4f %8.4f %8.4f\n", set->cat_names[k] ? set->cat_names[k] : "?", ap,
                drt_coco_class_ap(r, k, thr_index(.5)), drt_coco_class_ap(r, k, thr_index(.75)));
    }
}

static void write_array(FILE *out, const drt_coco_result *r, int k)
{
    fputc('[', out);
    for (int rc = 0; rc < DRT_COCO_R; rc++) {
        if (rc) fputs(", ", out);
        drt_json_write_number(out, k < 0 ? drt_coco_rec_thr(rc) : drt_coco_precision(r, 0, rc, k, 0, 2));
    }
    fputc(']', out);
}

void drt_coco_write_json(FILE *out, const drt_coco_set *set, const drt_coco_result *r)
{
    fputs("{\"stats\": {", out);
    for (int i = 0; i < 12; i++) {
        fprintf(out, "%s\"%s\": ", i ? ", " : "", drt_coco_stat_names[i]);
        drt_json_write_number(out, r->stats[i]);
    }
    fputs("},\n \"recall_thresholds\": ", out);
    write_array(out, r, -1);
    fputs(",\n \"categories\": [", out);
    for (int k = 0; k < set->n_cats; k++) {
        fprintf(out, "%s\n  {\"id\": %.17g, \"name\": ", k ? "," : "", set->cat_ids[k]);
        drt_json_write_string(out, set->cat_names[k]);
        const char *keys[3] = {"AP", "AP50", "AP75"};
        int ts[3] = {-1, thr_index(.5), thr_index(.75)};
        for (int i = 0; i < 3; i++) {
            fprintf(out, ", \"%s\": ", keys[i]);
            drt_json_write_number(out, drt_coco_class_ap(r, k, ts[i]));
        }
        fputs(", \"precision50\": ", out);
        write_array(out, r, k);
        fputc('}', out);
    }
    fputs("]}\n", out);
}
