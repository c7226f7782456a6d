/* The comparison as one self-contained HTML page: table, inline SVG bar charts, drawn images. */
#include "report/report.h"

#include <math.h>
#include <string.h>

void drt_report_html_escape(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '<') fputs("&lt;", out);
        else if (*s == '>') fputs("&gt;", out);
        else if (*s == '&') fputs("&amp;", out);
        else if (*s == '"') fputs("&quot;", out);
        else fputc(*s, out);
    }
}

static const char *const CSS =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px auto;max-width:1320px;"
    "padding:0 20px;color:#1d232b;background:#f6f7f9}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}"
    ".meta{color:#5b6470;margin-bottom:14px}"
    "table{border-collapse:collapse;background:#fff;box-shadow:0 1px 3px #0002;font-variant-numeric:tabular-nums}"
    "th,td{padding:6px 12px;border-bottom:1px solid #e4e7eb;text-align:right;white-space:nowrap}"
    "th:first-child,td:first-child{text-align:left;color:#3b4450}"
    "thead th{background:#26313d;color:#fff;font-weight:600}"
    "tr.sep td{border-top:2px solid #9aa5b1}"
    ".na{color:#9aa5b1}.ref{font-weight:400;opacity:.75}"
    ".charts{display:flex;flex-wrap:wrap;gap:18px}"
    ".card{background:#fff;box-shadow:0 1px 3px #0002;padding:12px 14px;border-radius:4px}"
    ".card h3{margin:0 0 6px;font-size:14px}"
    ".imgrow{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:12px;margin-bottom:18px}"
    ".imgrow figure{margin:0;background:#fff;box-shadow:0 1px 3px #0002;padding:8px;border-radius:4px}"
    ".imgrow img{display:block;width:100%;height:auto}"
    "figcaption{font-size:13px;color:#3b4450;margin-top:6px}"
    ".notes{color:#5b6470;font-size:13px;margin-top:8px}";

static void esc(FILE *out, const char *s)
{
    drt_report_html_escape(out, s);
}

void drt_report_html_start(FILE *out, const char *title, const char *heading, const char *source)
{
    fputs("<!doctype html><html lang=en><head><meta charset=utf-8><title>", out);
    esc(out, title);
    fprintf(out, "</title><meta name=viewport content=\"width=device-width,initial-scale=1\"><style>%s</style></head><body><h1>",
            CSS);
    esc(out, heading);
    fputs("</h1><div class=meta>", out);
    esc(out, source);
}

static const char *const STAGE_COLORS[3] = {"#4e79a7", "#f28e2b", "#59a14f"};

static int usable(const drt_report_engine *e) { return e->available && !e->failed; }

/* Horizontal bars: one row an engine, up to 3 stacked segments each. */
static void svg_bars(FILE *out, const drt_report *r, const char *title, const char *unit, const char *const *legend,
                     int n_seg, double (*value)(const drt_report_engine *, int))
{
    const int label_w = 130, bar_w = 320, row_h = 30, top = 30;
    double max = 0;
    for (int i = 0; i < r->n_engines; i++) {
        double sum = 0;
        for (int s = 0; s < n_seg && usable(&r->engines[i]); s++) {
            double v = value(&r->engines[i], s);
            if (isfinite(v) && v > 0) sum += v;
        }
        if (sum > max) max = sum;
    }
    int h = top + row_h * r->n_engines + 10, w = label_w + bar_w + 110;
    fprintf(out, "<div class=card><h3>%s</h3><svg width=%d height=%d viewBox=\"0 0 %d %d\" "
                 "xmlns=\"http://www.w3.org/2000/svg\" font-size=12 font-family=\"system-ui,sans-serif\">",
            title, w, h, w, h);
    for (int s = 0, x = label_w; s < n_seg; s++) {
        fprintf(out, "<rect x=%d y=6 width=12 height=12 fill=\"%s\"/><text x=%d y=16>%s</text>", x, STAGE_COLORS[s], x + 16, legend[s]);
        x += 24 + 7 * (int)strlen(legend[s]);
    }
    for (int i = 0; i < r->n_engines; i++) {
        const drt_report_engine *e = &r->engines[i];
        int y = top + i * row_h;
        fprintf(out, "<text x=%d y=%d text-anchor=end>", label_w - 8, y + 18);
        esc(out, e->name);
        fputs("</text>", out);
        if (!usable(e)) {
            fprintf(out, "<text x=%d y=%d fill=\"#9aa5b1\">%s</text>", label_w + 4, y + 18, e->failed ? "failed" : "unavailable");
            continue;
        }
        double x = label_w, sum = 0;
        for (int s = 0; s < n_seg; s++) {
            double v = value(e, s);
            if (!isfinite(v) || v <= 0 || max <= 0) continue;
            double bw = v / max * bar_w;
            fprintf(out, "<rect x=\"%.1f\" y=%d width=\"%.1f\" height=%d fill=\"%s\"><title>%.3f %s</title></rect>",
                    x, y + 5, bw < 0.5 ? 0.5 : bw, row_h - 10, STAGE_COLORS[s], v, unit);
            x += bw;
            sum += v;
        }
        if (sum > 0) fprintf(out, "<text x=\"%.1f\" y=%d>%.*f %s</text>", x + 6, y + 19, sum < 10 ? 2 : 1, sum, unit);
        else fprintf(out, "<text x=%d y=%d fill=\"#9aa5b1\">n/a</text>", label_w + 4, y + 18);
    }
    fputs("</svg></div>", out);
}

static double stage_value(const drt_report_engine *e, int s)
{
    return s == 0 ? e->pre.median : s == 1 ? e->inf.median : e->post.median;
}

static double memory_value(const drt_report_engine *e, int s)
{
    double v = s == 0 ? e->peak_rss_bytes : e->device_memory_bytes;
    return v / (1024.0 * 1024.0);
}

static void write_table(const drt_report *r, FILE *out)
{
    fputs("<table><thead><tr><th></th>", out);
    for (int i = 0; i < r->n_engines; i++) {
        fputs("<th>", out);
        esc(out, r->engines[i].name);
        if (i == r->ref_index) fputs(" <span class=ref>(reference)</span>", out);
        fputs("</th>", out);
    }
    fputs("</tr></thead><tbody>", out);
    for (int row = 0; row < drt_report_row_count(); row++) {
        fprintf(out, "<tr%s><td>", row == drt_report_row_first_agreement() ? " class=sep" : "");
        esc(out, drt_report_row_name(row));
        fputs("</td>", out);
        for (int i = 0; i < r->n_engines; i++) {
            char buf[128];
            drt_report_cell(r, i, row, buf, sizeof buf);
            int na = !strcmp(buf, "–") || !usable(&r->engines[i]);
            fputs(na ? "<td class=na>" : "<td>", out);
            esc(out, buf);
            fputs("</td>", out);
        }
        fputs("</tr>", out);
    }
    fputs("</tbody></table>", out);
}

static void write_images(const drt_report *r, FILE *out)
{
    const drt_report_engine *src = r->ref_index >= 0 ? &r->engines[r->ref_index] : NULL;
    for (int i = 0; i < r->n_engines && (!src || !src->n_images); i++) src = &r->engines[i];
    for (int im = 0; src && im < r->n_figure_images; im++) {
        const char *path = src->images[im].path, *base = strrchr(path, '/');
        fputs("<h3>", out);
        esc(out, base ? base + 1 : path);
        fputs("</h3><div class=imgrow>", out);
        for (int k = 0; k < r->n_engines; k++) {
            const drt_report_engine *e = &r->engines[k];
            const char *b64 = r->figures[(size_t)im * r->n_engines + k];
            if (!b64) continue;
            const drt_report_image *mine = drt_report_find_image(e, path);
            int count = mine ? mine->dets.count : 0;
            float top = count ? mine->dets.items[0].score : 0;
            fprintf(out, "<figure><img alt=\"\" src=\"data:image/png;base64,%s\"><figcaption><b>", b64);
            esc(out, e->name);
            fprintf(out, "</b> · %d detection%s", count, count == 1 ? "" : "s");
            if (count) fprintf(out, " · top %.3f", top);
            fputs("</figcaption></figure>", out);
        }
        fputs("</div>", out);
    }
}

void drt_report_write_html(const drt_report *r, FILE *out)
{
    drt_report_html_start(out, "darkrt compare", "darkrt compare", r->model);
    fprintf(out, " · input %dx%d · thresh %.2f · nms %.2f · %d run%s after %d warm-up · ", r->net_w, r->net_h,
            r->thresh, r->nms, r->runs, r->runs == 1 ? "" : "s", r->warmup);
    esc(out, r->machine);
    fprintf(out, " · darkrt %s</div>", drt_version());
    write_table(r, out);
    fputs("<div class=notes>", out);
    for (int i = 0; i < r->n_engines; i++) {
        const drt_report_engine *e = &r->engines[i];
        if (usable(e)) continue;
        fputs("<div><b>", out);
        esc(out, e->name);
        fprintf(out, "</b> %s: ", e->failed ? "failed" : "unavailable");
        esc(out, e->reason ? e->reason : "(no reason given)");
        fputs("</div>", out);
    }
    fputs("</div><h2>Stage times and memory</h2><div class=charts>", out);
    static const char *const stages[] = {"preprocess", "inference", "postprocess"};
    static const char *const mems[] = {"peak host RSS", "device memory"};
    svg_bars(out, r, "Time per image (median, ms)", "ms", stages, 3, stage_value);
    svg_bars(out, r, "Memory (MiB)", "MiB", mems, 2, memory_value);
    fputs("</div>", out);
    if (r->n_figure_images > 0) {
        fputs("<h2>Detections</h2>", out);
        write_images(r, out);
    }
    fputs("</body></html>\n", out);
}
