/* Shared by the fuzz targets: hands the loaders a file holding the input, checks their contract. */
#ifndef DRT_FUZZ_COMMON_H
#define DRT_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "darkrt.h"

/* The input being run, for failure messages (the replay binary sets it to the corpus file). */
static const char *fuzz_current_input = "(libFuzzer input)";
static long fuzz_accepted; /* inputs the loader accepted (the replay reports it) */

#define FUZZ_FAIL(...)                                                                  \
    do {                                                                                \
        fprintf(stderr, "fuzz: contract broken on %s: ", fuzz_current_input);           \
        fprintf(stderr, __VA_ARGS__);                                                   \
        fprintf(stderr, "\n");                                                          \
        abort();                                                                        \
    } while (0)

static char fuzz_dir[256];

static inline void fuzz_remove_dir(void)
{
    static const char *const names[] = {"input.cfg", "input.weights", "input.onnx", "input.plan",
                                        "input.png", "input.jpg", "input.bmp", "input.ppm",
                                        "input.img", "fixed.cfg", "export.onnx", "input.json", "header.plan"};
    char path[320];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", fuzz_dir, names[i]);
        unlink(path);
    }
    rmdir(fuzz_dir);
}

/* A private directory for this process (loaders take paths, not buffers), in memory where it can be:
 * on ext4, rewriting a file with O_TRUNC flushes it to the disk at close (the replace-by-truncate
 * heuristic), which took 60% of every execution; /dev/shm (tmpfs) never touches the disk. */
static const char *fuzz_tmpdir(void)
{
    if (!fuzz_dir[0]) {
        const char *base = getenv("TMPDIR");
        if (!base || !*base) base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(fuzz_dir, sizeof fuzz_dir, "%s/drt-fuzz-XXXXXX", base);
        if (!mkdtemp(fuzz_dir)) {
            perror("fuzz: mkdtemp");
            abort();
        }
        atexit(fuzz_remove_dir);
    }
    return fuzz_dir;
}

/* Writes data to <tmpdir>/<name> and returns the path (static storage, one per name). */
static const char *fuzz_write_file(const char *name, const uint8_t *data, size_t size)
{
    static char paths[4][320];
    static int next;
    char *path = paths[next++ % 4];
    snprintf(path, sizeof paths[0], "%s/%s", fuzz_tmpdir(), name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        perror("fuzz: open");
        abort();
    }
    for (size_t done = 0; done < size;) {
        ssize_t n = write(fd, data + done, size - done);
        if (n <= 0) {
            perror("fuzz: write");
            abort();
        }
        done += (size_t)n;
    }
    close(fd);
    return path;
}

/* The contract of every loader on any input: success with an object, or a failure with no object
 * and one line of detail naming the file; never INTERNAL (a bug) and never a crash or leak. */
/* The first loader outcome of the current input, "accepted" or "STATUS: detail" (unit/fuzz-replay checks
 * each seed's against tests/fuzz/seeds/expect.txt); the replay clears it before each input. */
static char fuzz_outcome[640];

static inline void fuzz_note_outcome(drt_status s, const char *path)
{
    if (fuzz_outcome[0]) return;
    if (s == DRT_OK) {
        snprintf(fuzz_outcome, sizeof fuzz_outcome, "accepted");
        return;
    }
    /* The input's temporary directory differs per run: name the file by its base name alone. */
    const char *msg = drt_last_error(), *dir = strrchr(path, '/');
    size_t dlen = dir ? (size_t)(dir - path) + 1 : 0;
    char *o = fuzz_outcome, *end = fuzz_outcome + sizeof fuzz_outcome - 1;
    o += snprintf(o, (size_t)(end - o), "%s: ", drt_status_str(s));
    while (*msg && o < end) {
        if (dlen && !strncmp(msg, path, dlen)) msg += dlen;
        else *o++ = *msg++;
    }
    *o = 0;
}

static inline void fuzz_check_result(const char *what, drt_status s, const void *out, const char *path)
{
    fuzz_note_outcome(s, path);
    if (s == DRT_OK) {
        if (!out) FUZZ_FAIL("%s returned OK without an object", what);
        fuzz_accepted++;
        return;
    }
    if (out) FUZZ_FAIL("%s failed (%s) but returned an object", what, drt_status_str(s));
    const char *msg = drt_last_error();
    if (s == DRT_STATUS_UNSUPPORTED && strstr(msg, "pending")) return; /* the loader is not built yet */
#ifdef FUZZ_SKIP_KNOWN /* exploration builds only: FUZZ_LENIENT=1 checks crashes and leaks, not messages */
    if (getenv("FUZZ_LENIENT")) return;
#endif
    if (s == DRT_STATUS_INTERNAL) FUZZ_FAIL("%s: internal error: %s", what, msg);
    if (!msg[0]) FUZZ_FAIL("%s failed (%s) with no detail text", what, drt_status_str(s));
    if (strchr(msg, '\n')) FUZZ_FAIL("%s: detail text is not one line: %s", what, msg);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (!strstr(msg, base)) FUZZ_FAIL("%s: detail text does not name the file %s: %s", what, base, msg);
}

static FILE *fuzz_devnull(void)
{
    static FILE *fp;
    if (!fp) fp = fopen("/dev/null", "w");
    if (!fp) abort();
    return fp;
}

/* Uses a loaded model the way the CLI would: inspect it and, when it is small, build a reference
 * engine, run it on a grey input and decode its heads. */
static inline void fuzz_exercise_engine(drt_engine *e, const drt_model *m)
{
    size_t in = (size_t)drt_model_width(m) * (size_t)drt_model_height(m) * (size_t)drt_model_channels(m);
    float *input = calloc(in ? in : 1, sizeof(float));
    if (!input) return;
    for (size_t i = 0; i < in; i++) input[i] = 0.5f;
    drt_status s = drt_engine_run(e, input, 1);
    free(input);
    if (s == DRT_STATUS_INTERNAL) FUZZ_FAIL("engine run: internal error: %s", drt_last_error());
    if (s != DRT_OK) return;
    size_t head_values = 0;
    for (int h = 0; h < drt_engine_num_heads(e); h++) {
        const float *data;
        drt_tensor_desc d;
        if (drt_engine_head(e, h, &data, &d) != DRT_OK) FUZZ_FAIL("head %d of %d missing", h, drt_engine_num_heads(e));
        head_values += (size_t)d.c * d.h * d.w;
    }
    /* NMS is quadratic in the boxes, as Darknet's: a small input upsampled into 50k candidates
     * that all pass (a grey input) takes seconds under ASan, which is not what this target looks for */
    if (head_values > 65536) return;
    drt_detect_opts o = drt_detect_opts_default();
    drt_detections *dets = NULL;
    s = drt_detect_decode(e, 0, 64, 48, &o, &dets);
    if (s == DRT_STATUS_INTERNAL) FUZZ_FAIL("decode: internal error: %s", drt_last_error());
    drt_detections_free(dets);
}

static inline int fuzz_model_is_small(const drt_model *m)
{
    double pixels = (double)drt_model_width(m) * drt_model_height(m) * drt_model_channels(m);
    return pixels > 0 && pixels <= 64 * 64 * 4 && drt_model_flops(m) < 4e6 && drt_model_num_layers(m) <= 64 &&
           drt_model_num_params(m) < 200000;
}

static inline void fuzz_exercise_model(const drt_model *m)
{
    drt_model_print(m, fuzz_devnull());
    (void)drt_model_class_name(m, 0);
    if (!fuzz_model_is_small(m)) return;
    drt_engine_opts eo = drt_engine_opts_default();
    eo.device = DRT_DEVICE_REF;
    drt_engine *e = NULL;
    drt_status s = drt_engine_create(m, &eo, &e);
    if (s == DRT_STATUS_INTERNAL) FUZZ_FAIL("engine create: internal error: %s", drt_last_error());
    if (s == DRT_OK) fuzz_exercise_engine(e, m);
    drt_engine_free(e);
}

static inline drt_load_opts fuzz_load_opts(void)
{
    drt_load_opts o = drt_load_opts_default();
    o.warn = 0;
    return o;
}

#endif
