/* darkrt eval's label modes: COCO annotations (--coco) and Darknet's layout (--data). */
#ifndef DRT_CLI_EVAL_MODES_H
#define DRT_CLI_EVAL_MODES_H

#include "compare.h"
#include "report/report.h"

/* The whole command line of `darkrt eval` when it has --coco / --data; return the exit code. */
int cli_eval_coco(int argc, char **argv);
int cli_eval_darknet(int argc, char **argv);

/* Every image of a `darkrt detect --json` file (an object per image, an array of them, or an
 * engine entry) appended to e. */
drt_status cli_eval_load_detections(const char *path, drt_report_engine *e);

/* Loads the model (--weights, --bn, --names) and builds the engine named by spec ("cpu-int8"). */
drt_status cli_eval_open_engine(const cmp_opts *c, const char *spec, drt_model **model_out, drt_engine **engine_out);

#endif
