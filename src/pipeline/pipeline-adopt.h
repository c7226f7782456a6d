/* In-tree callers' way to queue frames whose pixels they hand over rather than have copied. */
#ifndef DRT_PIPELINE_ADOPT_H
#define DRT_PIPELINE_ADOPT_H

#include "darkrt.h"

/* Queues an RGB8 frame of tight rows (stride 0 or 3 * w) whose pixels come from malloc: the
 * pipeline owns them from the call on, whatever it returns (freed with the item, or at once on
 * failure), and frame->data is set to NULL. drt_pipeline_submit_frame copies them instead (its
 * caller keeps its buffer): at 1080p that is 6 MB a frame in the one thread that submits, which
 * bounds how many live streams detect keeps. Refuses (and frees) other formats and strides, except
 * DRT_PIXEL_NV12_GPU (vision/vision.h: an NVDEC frame on the engine's GPU, released with the item),
 * which needs preprocessing on the device and keep_image off. */
drt_status drt_pipeline_submit_frame_adopt(drt_pipeline *p, drt_frame *frame, void *tag);

#endif
