/* eval --coco's HTML page: stats, per-category APs and precision-recall curves. */
#ifndef DRT_REPORT_COCO_HTML_H
#define DRT_REPORT_COCO_HTML_H

#include "eval/coco.h"

/* Writes the page to path (atomically); source names the annotations in the header. */
drt_status drt_report_write_coco_html(const char *path, const char *source, const drt_coco_set *set,
                                      const drt_coco_result *r);

#endif
