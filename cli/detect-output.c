/* darkrt detect's outputs: PNG paths that keep inputs apart, JSON array items, and the writer
 * thread (drawing and PNG encoding cost more than the engine on small models). */
#include "detect-output.h"
#include "cli-util.h"
#include "core/utf8.h"
#include "vision/vision.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define QUEUE 8

size_t detect_common_dir(char *const *paths, int n)
{
    if (n < 1) return 0;
    const char *slash = strrchr(paths[0], '/');
    size_t len = slash ? (size_t)(slash - paths[0]) + 1 : 0; /* the first path's directory, with its slash */
    for (int i = 1; i < n && len; i++) {
        size_t k = 0;
        while (k < len && paths[i][k] == paths[0][k]) k++;
        while (k > 0 && paths[0][k - 1] != '/') k--; /* back to a whole directory */
        len = k;
    }
    return len;
}

/* Appends the components of rel to buf, dropping empty, "." and ".." ones. */
static void append_clean(char *buf, size_t n, const char *rel)
{
    size_t used = strlen(buf);
    while (*rel) {
        size_t k = strcspn(rel, "/");
        int skip = k == 0 || (k == 1 && rel[0] == '.') || (k == 2 && rel[0] == '.' && rel[1] == '.');
        if (!skip && used + k + 2 < n) {
            if (used && buf[used - 1] != '/') buf[used++] = '/';
            memcpy(buf + used, rel, k);
            used += k;
            buf[used] = 0;
        }
        rel += k + (rel[k] == '/');
    }
}

void detect_png_path(const char *dir, const char *path, size_t skip, char *buf, size_t n)
{
    snprintf(buf, n, "%s", dir);
    append_clean(buf, n, path + skip);
    char *base = strrchr(buf, '/'), *dot = strrchr(base ? base : buf, '.');
    if (dot && dot != (base ? base + 1 : buf)) *dot = 0;
    strncat(buf, ".png", n - strlen(buf) - 1);
}

void detect_json_item(FILE *out, const drt_pipeline_result *r, const drt_model *model, int first)
{
    fputs(first ? "[\n" : ",\n", out);
    if (r->status != DRT_OK) {
        fputs("  {\"image\": ", out);
        drt_utf8_write_json(out, r->source ? r->source : "");
        fputs(", \"error\": ", out);
        drt_utf8_write_json(out, r->error);
        fputs("}", out);
        return;
    }
    drt_stage_times t = {r->times.decode_ms + r->times.preprocess_ms, r->times.inference_ms, r->times.postprocess_ms};
    drt_detections_write_json(out, r->source, r->width, r->height, r->dets, model, &t, "  ");
}

typedef struct write_job {
    drt_pipeline_result *r;
    char *png;
} write_job;

struct detect_writer {
    const drt_model *model;
    const char *root;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    write_job q[QUEUE];
    int head, count, done, failures;
};

/* mkdir -p of the directories above path, below root (path starts with root). */
static int make_parents(const char *root, char *path)
{
    if (!root) return 0;
    for (char *s = strchr(path + strlen(root), '/'); s; s = strchr(s + 1, '/')) {
        *s = 0;
        int rc = mkdir(path, 0777) != 0 && errno != EEXIST;
        *s = '/';
        if (rc) return -1;
    }
    return 0;
}

static int write_png(const detect_writer *w, drt_pipeline_result *r, char *png)
{
    drt_image *im; /* the kept frame is tight RGB8 (drt_frame_load): to floats as drt_image_load does */
    drt_status s = drt_image_from_u8(png, r->image.data, r->image.w, r->image.h, 3, 1, &im);
    if (s != DRT_OK) return cli_fail(s);
    drt_detections_draw(im, r->dets, w->model);
    if (make_parents(w->root, png) != 0) {
        fprintf(stderr, "darkrt detect: %s: cannot create the directories above it\n", png);
        s = DRT_STATUS_IO;
    } else if ((s = drt_image_save_png(im, png)) != DRT_OK) {
        cli_fail(s);
    }
    drt_image_free(im);
    return s != DRT_OK;
}

static void *writer_main(void *arg)
{
    detect_writer *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->count && !w->done) pthread_cond_wait(&w->changed, &w->lock);
        if (!w->count) break;
        write_job j = w->q[w->head];
        pthread_mutex_unlock(&w->lock);
        int failed = write_png(w, j.r, j.png);
        drt_pipeline_result_free(j.r);
        free(j.png);
        pthread_mutex_lock(&w->lock);
        w->failures += failed;
        w->head = (w->head + 1) % QUEUE;
        w->count--;
        pthread_cond_broadcast(&w->changed);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int detect_writer_start(const drt_model *model, const char *root, detect_writer **out)
{
    detect_writer *w = calloc(1, sizeof *w);
    if (!w) return -1;
    w->model = model;
    w->root = root;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->changed, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        free(w);
        return -1;
    }
    *out = w;
    return 0;
}

void detect_writer_push(detect_writer *w, drt_pipeline_result *r, const char *png_path)
{
    char *png = strdup(png_path);
    if (!png) {
        fprintf(stderr, "darkrt detect: %s: out of memory\n", png_path);
        drt_pipeline_result_free(r);
        pthread_mutex_lock(&w->lock);
        w->failures++;
        pthread_mutex_unlock(&w->lock);
        return;
    }
    pthread_mutex_lock(&w->lock);
    while (w->count == QUEUE) pthread_cond_wait(&w->changed, &w->lock);
    w->q[(w->head + w->count) % QUEUE] = (write_job){r, png};
    w->count++;
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
}

int detect_writer_finish(detect_writer *w)
{
    if (!w) return 0;
    pthread_mutex_lock(&w->lock);
    w->done = 1;
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    int failures = w->failures;
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->changed);
    free(w);
    return failures;
}
