/* eval --data --html: Darknet's `detector map` numbers and each class's precision-recall curve. */
#ifndef DRT_REPORT_DARKNET_MAP_HTML_H
#define DRT_REPORT_DARKNET_MAP_HTML_H

#include "eval/darknet-map.h"

/* Writes the page to path (atomically); source names the .data file in the header; names (may be
 * NULL) has r->classes entries. */
drt_status drt_report_write_dn_map_html(const char *path, const char *source, const drt_dn_map_result *r,
                                        float iou_thresh, char *const *names);

#endif
