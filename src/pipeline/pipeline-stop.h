/* In-tree callers' way to stop a pipeline's threads without freeing what it holds (the CLI's fast exit). */
#ifndef DRT_PIPELINE_STOP_H
#define DRT_PIPELINE_STOP_H

#include "darkrt.h"

/* Stops and joins the pipeline's threads (idle once every result is out) and logs its DRT_TIMELINE
 * profile; its items, engine and device memory stay until drt_pipeline_free (or the process's end). */
void drt_pipeline_stop(drt_pipeline *p);

#endif
