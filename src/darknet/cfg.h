/* Darknet .cfg files as text: sections of key=value entries with their line numbers. */
#ifndef DRT_DARKNET_CFG_H
#define DRT_DARKNET_CFG_H

#include "darkrt/status.h"

typedef struct drt_cfg_entry {
    char *key, *value; /* trimmed; point into the section's text */
    int line;
    int used;          /* set by the parser when it reads the key */
} drt_cfg_entry;

typedef struct drt_cfg_section {
    char *name; /* between the brackets, e.g. "convolutional" */
    int line;
    int n_entries;
    drt_cfg_entry *entries;
} drt_cfg_section;

typedef struct drt_cfg {
    const char *path; /* borrowed, for messages */
    char *text;       /* the whole file, split in place */
    int n_sections;
    drt_cfg_section *sections;
} drt_cfg;

/* Limits a cfg must fit (hostile files). */
#define DRT_CFG_MAX_BYTES (16u << 20)
#define DRT_CFG_MAX_SECTIONS 20001 /* [net] + DRT_MAX_LAYERS (graph/model.h) */

/* Splits a cfg text into sections: comments ('#', ';'), blank lines, spaces around '=' and
 * CRLF are accepted. Takes ownership of text (malloc'd, NUL-terminated) even on failure.
 * Errors name path:line and the rule. */
drt_status drt_cfg_lex(const char *path, char *text, drt_cfg *cfg_out);

/* Reads and splits a cfg file. */
drt_status drt_cfg_read(const char *path, drt_cfg *cfg_out);

void drt_cfg_release(drt_cfg *cfg);

/* Builds the model's layers from the sections (no shapes, no weights). warn: print unknown
 * keys. */
struct drt_model;
drt_status drt_cfg_to_model(const drt_cfg *cfg, int warn, struct drt_model **model_out);

/* A [crop] of crop_width cw x crop_height ch on a w x h input as a fixed conv: its size (the margin + 1) into
 * *size_out; one that does not fit with the same margin on both axes (at most 63) is an error naming path:line
 * and `input` (what the w x h is). */
drt_status drt_cfg_crop_size(const char *path, int line, int cw, int ch, int w, int h, const char *input, int *size_out);

#endif
