/* darkrt detect's outputs: where each drawn PNG goes, the JSON array, and the writer thread
 * that draws and writes PNGs off the pipeline's critical path. */
#ifndef DRT_CLI_DETECT_OUTPUT_H
#define DRT_CLI_DETECT_OUTPUT_H

#include <stdio.h>
#include "darkrt.h"

/* The part of each input path kept under -o DIR: the path after the inputs' longest common
 * directory, with "." and ".." components and leading slashes dropped. Returns the length of
 * the common directory prefix (chars to skip in every input). */
size_t detect_common_dir(char *const *paths, int n);

/* "<dir>/<rel without extension>.png" for input `path` (rel = path + skip, cleaned). */
void detect_png_path(const char *dir, const char *path, size_t skip, char *buf, size_t n);

/* One JSON array element: the image's result, or {"image", "error"} when it failed. */
void detect_json_item(FILE *out, const drt_pipeline_result *r, const drt_model *model, int first);

typedef struct detect_writer detect_writer;

/* Starts the writer thread; model gives the labels (borrowed). root: the -o directory, below
 * which missing directories are made (NULL: none are). */
int detect_writer_start(const drt_model *model, const char *root, detect_writer **out);
/* Hands over a result with its image (keep_image) to draw into png_path; takes r. Blocks when
 * the queue is full. */
void detect_writer_push(detect_writer *w, drt_pipeline_result *r, const char *png_path);
/* Writes what is queued, stops the thread; returns the number of PNGs that failed (each
 * reported on its own line). */
int detect_writer_finish(detect_writer *w);

#endif
