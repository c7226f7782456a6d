/* darkrt compare's pieces: options, the image list, and the per-engine worker process. */
#ifndef DRT_CLI_COMPARE_H
#define DRT_CLI_COMPARE_H

#include "darkrt.h"

#define CMP_MAX_ENGINES 16
#define CMP_MAX_PEERS 16

typedef struct cmp_opts {
    const char *model, *weights, *names, *calib, *json, *html;
    const char *engines_text;
    const char *peers[CMP_MAX_PEERS];
    int n_peers;
    drt_load_opts load;
    int runs, warmup, threads, html_images;
    float thresh, nms;
    char **inputs; /* images and directories, as given */
    int n_inputs;
    /* Worker mode (internal): run one engine and write its JSON entry. */
    const char *worker_engine, *worker_out, *heads_path;
    int heads_write; /* 1: write the reference heads; 0: compare against them */
} cmp_opts;

/* Parses the command line (shared by the parent and its workers, and by eval; command names
 * the command in messages). Returns 0, or the exit code
 * after printing a one-line error. */
int cmp_parse_args(int argc, char **argv, const char *command, cmp_opts *o);

/* Expands the inputs (directories: their image files, sorted) into a malloc'd list of
 * malloc'd paths. Returns 0 or prints an error and returns 1. */
int cmp_list_images(const cmp_opts *o, char ***paths_out, int *count_out);
void cmp_free_list(char **paths, int count);

/* "ref", "cpu-fp32", "cuda:1-fp16" -> device, index, precision. Returns 0 or -1. */
int cmp_parse_engine(const char *spec, drt_device *device, int *index, drt_precision *precision);

/* The worker: builds one engine, runs it over the images and writes its JSON entry to
 * o->worker_out. Exit code 0 also when the engine is unavailable (the entry says why). */
int cmp_worker_main(const cmp_opts *o);

/* Peak resident set of this process since exec (VmHWM), in bytes; NaN if unknown. */
double cmp_peak_rss_bytes(void);

#endif
