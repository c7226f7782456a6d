/* darkrt compare's worker: one engine in its own process (so peak memory is its own), timed
 * over the images, its detections and raw-head differences written as a JSON entry. */
#include "compare.h"
#include "cli-util.h"
#include "core/fileio.h"
#include "report/report.h"
#include "backend/registry.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HEADS_FILE_MAX ((size_t)256 << 20) /* reference heads kept for comparison, at most */

typedef struct progress {
    const char *name;
    int done, total, tty;
    double last_ms;
} progress;

static void progress_step(progress *p, int image, int n_images)
{
    p->done++;
    if (!p->tty) return;
    double now = drt_now_ms();
    if (p->done < p->total && now - p->last_ms < 100) return;
    p->last_ms = now;
    int width = 30, fill = (int)((long)p->done * width / p->total);
    fprintf(stderr, "\r  %-12s [", p->name);
    for (int i = 0; i < width; i++) fputs(i < fill ? "#" : "-", stderr);
    fprintf(stderr, "] %3d%%  image %d/%d", (int)(100L * p->done / p->total), image + 1, n_images);
    if (p->done == p->total) fputs("\r\033[K", stderr);
    fflush(stderr);
}

static char *status_text(drt_status s)
{
    const char *detail = drt_last_error();
    size_t n = strlen(detail) + 64;
    char *t = malloc(n);
    if (t) snprintf(t, n, "%s: %s", drt_status_str(s), detail[0] ? detail : "(no detail)");
    return t;
}

static const char *calib_dir(const cmp_opts *o, char *buf, size_t size, char **images)
{
    if (o->calib) return o->calib;
    const char *slash = strrchr(images[0], '/');
    if (!slash) return ".";
    snprintf(buf, size, "%.*s", (int)(slash - images[0]), images[0]);
    return buf[0] ? buf : "/";
}

/* Compares (or, for the reference, records) the last run's heads. */
static void handle_heads(drt_engine *engine, FILE *heads, int write, size_t *written, drt_report_engine *e,
                         drt_eval_diff *diff, float **buf, size_t *buf_n)
{
    int complete = 1;
    for (int h = 0; heads && h < drt_engine_num_heads(engine); h++) {
        const float *data;
        drt_tensor_desc d;
        if (drt_engine_head(engine, h, &data, &d) != DRT_OK) return;
        size_t n = (size_t)d.c * d.h * d.w;
        if (write) {
            if (*written + n * sizeof(float) > HEADS_FILE_MAX) return;
            *written += fwrite(data, sizeof(float), n, heads) * sizeof(float);
            continue;
        }
        if (n > *buf_n) {
            float *grown = realloc(*buf, n * sizeof(float));
            if (!grown) return;
            *buf = grown;
            *buf_n = n;
        }
        if (fread(*buf, sizeof(float), n, heads) != n) {
            complete = 0;
            break;
        }
        drt_eval_diff_add(diff, *buf, data, n);
    }
    if (heads && complete) e->head_images++;
}

/* Times every image over warm-up + runs, keeps the last run's detections. Images are decoded one at
 * a time (a directory of photos need not fit in memory); *bad_input says an image could not be read. */
static drt_status run_images(const cmp_opts *o, drt_engine *engine, char **paths, int n, drt_report_engine *e,
                             int *bad_input)
{
    size_t total = (size_t)n * (size_t)o->runs;
    double *t[3] = {malloc(total * sizeof(double)), malloc(total * sizeof(double)), malloc(total * sizeof(double))};
    FILE *heads = o->heads_path ? fopen(o->heads_path, o->heads_write ? "wb" : "rb") : NULL;
    drt_eval_diff diff = {0};
    float *buf = NULL;
    size_t buf_n = 0, written = 0, k = 0;
    progress pg = {e->name, 0, n * (o->runs + o->warmup), isatty(2), 0};
    drt_detect_opts dopts = drt_detect_opts_for_model(drt_engine_model(engine)); /* as the cfg asks */
    dopts.thresh = o->thresh;
    dopts.nms = o->nms;
    drt_status s = t[0] && t[1] && t[2] ? DRT_OK : DRT_STATUS_OOM;
    for (int i = 0; s == DRT_OK && i < n; i++) {
        drt_detections *dets = NULL;
        drt_image *image = NULL;
        s = drt_image_load(paths[i], &image);
        if (s != DRT_OK) {
            *bad_input = 1;
            break;
        }
        for (int r = 0; s == DRT_OK && r < o->warmup + o->runs; r++) {
            drt_stage_times st;
            drt_detections_free(dets);
            dets = NULL;
            /* a stateful model ([crnn]): every run from a zero state (each image the first of a sequence), so the
             * repeated timing runs and every engine see the same thing */
            if (drt_model_stateful(drt_engine_model(engine))) s = drt_engine_reset_state(engine);
            if (s == DRT_OK) s = drt_detect_image(engine, image, &dopts, &dets, &st);
            if (s == DRT_OK && r >= o->warmup) {
                t[0][k] = st.preprocess_ms;
                t[1][k] = st.inference_ms;
                t[2][k++] = st.postprocess_ms;
            }
            progress_step(&pg, i, n);
        }
        if (s != DRT_OK) {
            drt_detections_free(dets);
            drt_image_free(image);
            break;
        }
        drt_report_image *im = &e->images[e->n_images++];
        im->path = strdup(paths[i]);
        im->width = image->w;
        im->height = image->h;
        im->dets.items = malloc(sizeof(drt_detection) * (size_t)(dets->count + 1));
        if (!im->path || !im->dets.items) s = DRT_STATUS_OOM;
        else memcpy(im->dets.items, dets->items, sizeof(drt_detection) * (size_t)(im->dets.count = dets->count));
        drt_detections_free(dets);
        drt_image_free(image);
        handle_heads(engine, heads, o->heads_write, &written, e, &diff, &buf, &buf_n);
    }
    if (s == DRT_OK) {
        drt_report_stat *stats[3] = {&e->pre, &e->inf, &e->post};
        for (int j = 0; j < 3; j++)
            *stats[j] = (drt_report_stat){drt_eval_percentile(t[j], k, 50), drt_eval_percentile(t[j], k, 90)};
        if (heads && !o->heads_write) {
            e->head_max_abs_diff = diff.max_abs_diff;
            e->head_max_abs_ref = diff.max_abs_ref;
        }
    }
    if (heads) fclose(heads);
    if (pg.tty && s != DRT_OK) fputs("\r\033[K", stderr);
    free(buf);
    for (int j = 0; j < 3; j++) free(t[j]);
    return s;
}

static int write_entry(const cmp_opts *o, const drt_report_engine *e, const drt_model *model)
{
    drt_atomic_file af;
    drt_status s = drt_atomic_open(&af, o->worker_out);
    if (s != DRT_OK) return cli_fail(s);
    drt_report_engine_write_json(e, model, af.fp, 0);
    fputc('\n', af.fp);
    s = drt_atomic_commit(&af);
    return s == DRT_OK ? 0 : cli_fail(s);
}

static void fill_identity(const cmp_opts *o, drt_report_engine *e, drt_device dev, int index, drt_precision prec)
{
    char text[64];
    e->name = strdup(o->worker_engine);
    e->kind = strdup("darkrt");
    snprintf(text, sizeof text, "darkrt %s", drt_version());
    e->runtime = strdup(text);
    unsigned flags = drt_backend_entry_of(dev)->flags;
    if (flags & DRT_BACKEND_INDEXED) snprintf(text, sizeof text, "%s:%d", drt_device_name(dev), index);
    else snprintf(text, sizeof text, "%s", drt_device_name(dev));
    e->device = strdup(text);
    e->precision = strdup(drt_precision_name(prec));
    e->runs = o->runs;
    e->warmup = o->warmup;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    /* The reference pass is single-threaded; the CPU engine uses every core unless told otherwise. */
    e->threads = flags & DRT_BACKEND_ONE_THREAD ? 1 : flags & DRT_BACKEND_ALL_CORES && !o->threads ? (int)cores : o->threads;
}

int cmp_worker_main(const cmp_opts *o)
{
    drt_device dev;
    drt_precision prec;
    int index = 0, n = 0, rc = 1, bad_input = 0;
    char **paths = NULL;
    drt_model *model = NULL;
    drt_engine *engine = NULL;
    drt_report_engine e;
    drt_report_engine_init(&e);
    if (cmp_parse_engine(o->worker_engine, &dev, &index, &prec) != 0)
        return cli_usage_error("compare", "--engines: unknown engine %s", o->worker_engine);
    if (cmp_list_images(o, &paths, &n)) return 1;
    fill_identity(o, &e, dev, index, prec);
    drt_status s = cli_load_model(o->model, o->weights, &o->load, o->names, &model);
    e.images = calloc((size_t)n, sizeof *e.images);
    if (s == DRT_OK && (!e.images || !e.name)) s = DRT_STATUS_OOM;
    if (s != DRT_OK) {
        rc = cli_fail(s);
        goto done;
    }
    char dir[4096];
    drt_engine_opts eo = cli_engine_opts_default();
    eo.device = dev;
    eo.device_index = index;
    eo.precision = prec;
    eo.threads = o->threads;
    eo.calib_dir = prec == DRT_PREC_INT8 ? calib_dir(o, dir, sizeof dir, paths) : NULL;
    s = drt_engine_create(model, &eo, &engine);
    if (s != DRT_OK) {
        e.available = 0;
        e.reason = status_text(s);
    } else {
        e.available = 1;
        s = run_images(o, engine, paths, n, &e, &bad_input);
        if (bad_input) {
            rc = cli_fail(s); /* the inputs are wrong, not the engine */
            goto done;
        }
        if (s != DRT_OK) {
            e.failed = 1;
            e.reason = status_text(s);
        }
        drt_engine_memory mem;
        drt_engine_memory_usage(engine, &mem);
        size_t on_device = mem.device_weights + mem.device_activations + mem.device_workspace;
        if (on_device) e.device_memory_bytes = (double)on_device;
    }
    e.peak_rss_bytes = cmp_peak_rss_bytes();
    rc = write_entry(o, &e, model);
done:
    drt_engine_free(engine);
    drt_model_free(model);
    drt_report_engine_clear(&e);
    cmp_free_list(paths, n);
    return rc;
}
