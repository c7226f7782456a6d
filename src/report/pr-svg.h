/* Precision-recall cards of the eval pages (eval --coco --html, eval --data --html): an SVG frame of
 * size x size pixels, the plot 28 pixels from the left and 4 from the top, PLOT = size - 36 wide and
 * tall; a point (recall, precision) is drawn at (28 + recall * PLOT, 4 + (1 - precision) * PLOT),
 * to 0.1 pixel (tests/py/test_coco_eval.py and test_darknet_map.py read the curves back). */
#ifndef DRT_REPORT_PR_SVG_H
#define DRT_REPORT_PR_SVG_H

#include <stdio.h>

void drt_report_pr_card_open(FILE *out, const char *title, int size);
void drt_report_pr_line_open(FILE *out, const char *color);
void drt_report_pr_point(FILE *out, int size, double recall, double precision);
/* Ends a curve; its tooltip says label. */
void drt_report_pr_line_close(FILE *out, const char *label);
void drt_report_pr_card_close(FILE *out);

#endif
