/* The comparison report: per-engine results (darkrt engines and peers such as PyTorch or
 * ONNX Runtime), their JSON form, and the Markdown, JSON and HTML writers. */
#ifndef DRT_REPORT_REPORT_H
#define DRT_REPORT_REPORT_H

#include <stdio.h>
#include "darkrt.h"
#include "report/json.h"

/* Median and 90th percentile of one stage, in ms (NaN when not measured). */
typedef struct drt_report_stat {
    double median, p90;
} drt_report_stat;

/* One image as an engine saw it. */
typedef struct drt_report_image {
    char *path;
    int width, height;
    drt_detections dets; /* items malloc'd, sorted by score */
} drt_report_image;

typedef struct drt_report_engine {
    char *name;      /* "ref", "cpu-int8", "pytorch-cpu"... */
    char *kind;      /* "darkrt" or "peer" */
    char *runtime;   /* "darkrt 0.1.0", "torch 1.13.0"... */
    char *device;    /* "ref", "cpu", "cuda:0"... */
    char *precision; /* "fp32"... */
    int available;   /* 0: could not be built here (reason says why) */
    int failed;      /* built but failed while running (reason says why) */
    char *reason;
    int threads, runs, warmup;
    drt_report_stat pre, inf, post;
    double peak_rss_bytes;      /* the engine process's peak resident set; NaN unknown */
    double device_memory_bytes; /* GPU engines; NaN otherwise */
    int n_images;
    drt_report_image *images;
    /* Raw heads against the reference's (computed by darkrt engines; NaN when not compared). */
    double head_max_abs_diff, head_max_abs_ref;
    int head_images;
    /* Agreement with the reference (filled by drt_report_compute_agreement). */
    int has_agreement;
    drt_eval_agreement agree;
    double map50;
} drt_report_engine;

typedef struct drt_report {
    char *model, *weights, *machine;
    int net_w, net_h;
    float thresh, nms;
    int runs, warmup;
    int n_engines;
    drt_report_engine *engines;
    int ref_index; /* the reference engine, -1 if none usable */
    const drt_model *names; /* borrowed: class labels (may be NULL) */
    /* HTML figures: base64 PNGs, figures[image * n_engines + engine], NULL where none. */
    int n_figure_images;
    char **figures;
} drt_report;

/* Initialises an engine entry (numbers NaN, nothing owned). */
void drt_report_engine_init(drt_report_engine *e);
void drt_report_engine_clear(drt_report_engine *e);
void drt_report_free(drt_report *r);

/* Reads an engine entry from its JSON object (what `darkrt compare` workers and the peers in
 * bench/peers write). Messages name `source`. */
drt_status drt_report_engine_from_json(const drt_json *obj, const char *source, drt_report_engine *out);
/* Writes one engine entry as a JSON object (indent: spaces before each line); names (may be
 * NULL) labels the detections. */
void drt_report_engine_write_json(const drt_report_engine *e, const drt_model *names, FILE *out, int indent);
/* One image's detections as `darkrt detect --json` writes them. names may be NULL. */
void drt_report_image_write_json(const drt_report_image *im, const drt_model *names, FILE *out);

/* An engine's result for an image: the same path, else the only one with the same file name. */
const drt_report_image *drt_report_find_image(const drt_report_engine *e, const char *path);

/* Matches every engine's detections against the reference's, image by image (by path),
 * and fills agree and map50. */
drt_status drt_report_compute_agreement(drt_report *r, double iou_thresh);

/* The table's rows (measures) and the text of one cell, shared by the Markdown and HTML writers. */
int drt_report_row_count(void);
const char *drt_report_row_name(int row);
int drt_report_row_first_agreement(void); /* rows from here on compare with the reference */
void drt_report_cell(const drt_report *r, int engine, int row, char *buf, size_t size);

/* Writers. */
void drt_report_write_markdown(const drt_report *r, FILE *out);
void drt_report_write_json(const drt_report *r, FILE *out);
void drt_report_write_html(const drt_report *r, FILE *out);

/* Draws each engine's detections on the first max_images images (scaled down to max_width)
 * and keeps them as base64 PNGs for the HTML report (labels from r->names). */
drt_status drt_report_draw_figures(drt_report *r, int max_images, int max_width);

/* Encodes an 8-bit PNG of the image into memory, base64 (malloc'd, NUL-terminated). */
drt_status drt_report_png_base64(const drt_image *image, char **b64_out);

/* Text escaped for HTML. */
void drt_report_html_escape(FILE *out, const char *s);

/* A report page's start, the same for every report: the document's head (title, the shared style sheet), the <h1>
 * heading, and the meta line opened with `source` escaped (the caller adds to it and closes the </div>). */
void drt_report_html_start(FILE *out, const char *title, const char *heading, const char *source);

/* Human-readable bytes ("45.2 MiB"). */
void drt_report_format_bytes(double bytes, char *buf, size_t size);

#endif
