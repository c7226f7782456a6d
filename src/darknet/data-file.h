/* Darknet's dataset layout: .data files, image lists and YOLO label files. */
#ifndef DRT_DARKNET_DATA_FILE_H
#define DRT_DARKNET_DATA_FILE_H

#include <stddef.h>
#include "darkrt.h"
#include "eval/darknet-map.h"

typedef struct drt_data_file {
    char *valid; /* list of images to score (resolved path), NULL when not given */
    char *names; /* class names file, NULL when not given */
    int classes; /* 0 when not given */
} drt_data_file;

/* Reads key=value lines ('#' and ';' start comments). Paths are taken as given when they exist
 * from the working directory (Darknet's way), else relative to the .data file. */
drt_status drt_data_file_read(const char *path, drt_data_file *out);
void drt_data_file_clear(drt_data_file *d);

/* The non-blank lines of a list file, trimmed (malloc'd strings). */
drt_status drt_read_path_list(const char *path, char ***paths_out, int *n_out);

/* AlexeyAB's replace_image_to_label: images/{train,val}{2014,2017}/ and JPEGImages/ become
 * labels/..., and the image extension becomes .txt (so labels lie beside other images). */
void drt_darknet_label_path(const char *image_path, char *out, size_t size);

/* "class x y w h" lines. A missing file gives no labels and *found_out 0 (as Darknet). */
drt_status drt_darknet_read_labels(const char *path, drt_dn_box **boxes_out, int *n_out, int *found_out);

#endif
