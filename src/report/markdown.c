/* The comparison as a Markdown table shaped like the study's: a row a measure, a column an engine. */
#include "report/report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void drt_report_format_bytes(double bytes, char *buf, size_t size)
{
    if (!isfinite(bytes) || bytes < 0) snprintf(buf, size, "–");
    else if (bytes >= 1024.0 * 1024 * 1024) snprintf(buf, size, "%.2f GiB", bytes / (1024.0 * 1024 * 1024));
    else if (bytes >= 1024.0 * 1024) snprintf(buf, size, "%.1f MiB", bytes / (1024.0 * 1024));
    else snprintf(buf, size, "%.0f KiB", bytes / 1024.0);
}

static int usable(const drt_report_engine *e) { return e->available && !e->failed; }

static void cell_stat(char *buf, size_t n, drt_report_stat s)
{
    if (!isfinite(s.median)) snprintf(buf, n, "–");
    else snprintf(buf, n, "%.2f / %.2f", s.median, s.p90);
}

/* The highest score over all images, with its label. */
static void cell_confidence(char *buf, size_t n, const drt_report_engine *e, const drt_model *names)
{
    const drt_detection *best = NULL;
    for (int i = 0; i < e->n_images; i++)
        if (e->images[i].dets.count && (!best || e->images[i].dets.items[0].score > best->score))
            best = &e->images[i].dets.items[0];
    if (!best) {
        snprintf(buf, n, "none");
        return;
    }
    const char *label = names ? drt_model_class_name(names, best->class_id) : NULL;
    if (label) snprintf(buf, n, "%.3f (%s)", best->score, label);
    else snprintf(buf, n, "%.3f (class %d)", best->score, best->class_id);
}

typedef enum row_kind {
    ROW_PRE, ROW_INF, ROW_POST, ROW_TOTAL, ROW_SPEEDUP, ROW_CONF, ROW_DETS, ROW_RSS, ROW_DEVMEM,
    ROW_MATCH, ROW_IOU, ROW_SCORE, ROW_MAP, ROW_HEADS, ROW_COUNT
} row_kind;

static const char *const row_names[ROW_COUNT] = {
    "preprocess ms (median / p90)", "inference ms (median / p90)", "postprocess ms (median / p90)",
    "total ms (median sum)", "inference speed-up vs ref", "top confidence", "detections (all images)", "peak host RSS",
    "device memory", "matched / missing / extra vs ref", "mean IoU of matches", "largest score change",
    "mAP@0.5 vs ref", "max abs diff of raw heads (relative)"};

static void cell(char *buf, size_t n, row_kind row, const drt_report *r, const drt_report_engine *e,
                 const drt_model *names)
{
    const drt_eval_agreement *a = &e->agree;
    int total = 0;
    switch (row) {
    case ROW_PRE: cell_stat(buf, n, e->pre); return;
    case ROW_INF: cell_stat(buf, n, e->inf); return;
    case ROW_POST: cell_stat(buf, n, e->post); return;
    case ROW_TOTAL:
        if (isfinite(e->pre.median + e->inf.median + e->post.median))
            snprintf(buf, n, "%.2f", e->pre.median + e->inf.median + e->post.median);
        else snprintf(buf, n, "–");
        return;
    case ROW_SPEEDUP: {
        double ref_inf = r->ref_index >= 0 ? r->engines[r->ref_index].inf.median : NAN;
        if (isfinite(ref_inf) && e->inf.median > 0) snprintf(buf, n, "%.2fx", ref_inf / e->inf.median);
        else snprintf(buf, n, "–");
        return;
    }
    case ROW_CONF: cell_confidence(buf, n, e, names); return;
    case ROW_DETS:
        for (int i = 0; i < e->n_images; i++) total += e->images[i].dets.count;
        snprintf(buf, n, "%d", total);
        return;
    case ROW_RSS: drt_report_format_bytes(e->peak_rss_bytes, buf, n); return;
    case ROW_DEVMEM: drt_report_format_bytes(e->device_memory_bytes, buf, n); return;
    default: break;
    }
    if (r->ref_index >= 0 && e == &r->engines[r->ref_index]) {
        snprintf(buf, n, "(reference)");
        return;
    }
    if (row == ROW_HEADS) {
        if (isinf(e->head_max_abs_diff)) snprintf(buf, n, "inf (NaN/Inf in heads)");
        else if (!isfinite(e->head_max_abs_diff)) snprintf(buf, n, "–");
        else if (e->head_max_abs_ref > 0)
            snprintf(buf, n, "%.3g (%.2g)", e->head_max_abs_diff, e->head_max_abs_diff / e->head_max_abs_ref);
        else snprintf(buf, n, "%.3g", e->head_max_abs_diff);
        return;
    }
    if (!e->has_agreement) {
        snprintf(buf, n, "–");
        return;
    }
    if (row == ROW_MATCH) snprintf(buf, n, "%d / %d / %d", a->matched, a->missing, a->extra);
    else if (row == ROW_IOU) snprintf(buf, n, "%.4f", drt_eval_agreement_mean_iou(a));
    else if (row == ROW_SCORE) snprintf(buf, n, "%.4f", a->max_score_delta);
    else snprintf(buf, n, "%.4f", e->map50);
}

int drt_report_row_count(void) { return ROW_COUNT; }
int drt_report_row_first_agreement(void) { return ROW_MATCH; }
const char *drt_report_row_name(int row) { return row_names[row]; }

void drt_report_cell(const drt_report *r, int engine, int row, char *buf, size_t size)
{
    const drt_report_engine *e = &r->engines[engine];
    if (!usable(e)) snprintf(buf, size, "%s", e->failed ? "failed" : "unavailable");
    else cell(buf, size, (row_kind)row, r, e, r->names);
}

void drt_report_write_markdown(const drt_report *r, FILE *out)
{
    fprintf(out, "| %s |", "");
    for (int i = 0; i < r->n_engines; i++) fprintf(out, " %s%s |", r->engines[i].name, i == r->ref_index ? " (reference)" : "");
    fputs("\n|---|", out);
    for (int i = 0; i < r->n_engines; i++) fputs("---:|", out);
    fputc('\n', out);
    for (int row = 0; row < ROW_COUNT; row++) {
        fprintf(out, "| %s |", row_names[row]);
        for (int i = 0; i < r->n_engines; i++) {
            char buf[128];
            drt_report_cell(r, i, row, buf, sizeof buf);
            fprintf(out, " %s |", buf);
        }
        fputc('\n', out);
    }
    for (int i = 0; i < r->n_engines; i++) {
        const drt_report_engine *e = &r->engines[i];
        if (!usable(e)) fprintf(out, "\n%s %s: %s", e->name, e->failed ? "failed" : "unavailable", e->reason ? e->reason : "(no reason given)");
    }
    fprintf(out, "\n\nModel %s, input %dx%d, %d image(s), %d run(s) after %d warm-up, thresh %.2f, nms %.2f; %s.\n",
            r->model ? r->model : "?", r->net_w, r->net_h, r->ref_index >= 0 ? r->engines[r->ref_index].n_images : 0,
            r->runs, r->warmup, r->thresh, r->nms, r->machine ? r->machine : "unknown machine");
}
