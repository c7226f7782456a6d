/* The precision-recall cards both eval pages draw (see pr-svg.h). */
#include "report/pr-svg.h"
#include "report/report.h"

enum { PAD = 28 };

static int plot_size(int size) { return size - PAD - 8; }

void drt_report_pr_card_open(FILE *out, const char *title, int size)
{
    int plot = plot_size(size);
    fputs("<div class=card><h3>", out);
    drt_report_html_escape(out, title);
    fprintf(out, "</h3><svg width=%d height=%d xmlns=\"http://www.w3.org/2000/svg\" font-size=10 "
                 "font-family=\"system-ui,sans-serif\"><rect x=%d y=4 width=%d height=%d fill=none stroke=\"#c8ced6\"/>"
                 "<text x=%d y=%d text-anchor=middle>recall</text><text x=4 y=12>1</text><text x=%d y=%d>0</text>",
            size, size, PAD, plot, plot, PAD + plot / 2, size - 2, PAD - 10, plot + 4);
}

void drt_report_pr_line_open(FILE *out, const char *color)
{
    fprintf(out, "<polyline fill=none stroke=\"%s\" stroke-width=1.5 points=\"", color);
}

void drt_report_pr_point(FILE *out, int size, double recall, double precision)
{
    int plot = plot_size(size);
    fprintf(out, "%.1f,%.1f ", PAD + recall * plot, 4 + (1 - precision) * plot);
}

void drt_report_pr_line_close(FILE *out, const char *label)
{
    fputs("\"><title>", out);
    drt_report_html_escape(out, label);
    fputs("</title></polyline>", out);
}

void drt_report_pr_card_close(FILE *out) { fputs("</svg></div>", out); }
