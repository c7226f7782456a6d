/* Where the C tests find their inputs: the shared yolo-fastest-1.1 (real weights) and Darknet's sample images. */
#ifndef TESTS_TEST_MODELS_H
#define TESTS_TEST_MODELS_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "darkrt.h"

/* The environment's value, or def when it is unset or empty. */
static inline const char *env_or(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v && *v ? v : def;
}

/* Darknet's sample images: DRT_DN_DATA, else Debian's /usr/share/darknet/data. */
static inline const char *sample_dir(void) { return env_or("DRT_DN_DATA", "/usr/share/darknet/data"); }

/* The int8 tests' calibration photos: four of Darknet's sample images. */
static const char *const calib_photos[] = {"dog", "eagle", "giraffe", "scream"};
enum { N_CALIB_PHOTOS = sizeof calib_photos / sizeof calib_photos[0] };

/* Links calib_photos from sample_dir() into a new folder made from the mkdtemp template dir; 0 on success. */
static inline int calib_photos_link(char *dir)
{
    char abs_data[PATH_MAX];
    if (!mkdtemp(dir) || !realpath(sample_dir(), abs_data)) return -1;
    for (int i = 0; i < N_CALIB_PHOTOS; i++) {
        char src[PATH_MAX + 64], dst[PATH_MAX + 64];
        snprintf(src, sizeof src, "%s/%s.jpg", abs_data, calib_photos[i]);
        snprintf(dst, sizeof dst, "%s/%s.jpg", dir, calib_photos[i]);
        if (symlink(src, dst) != 0) return -1;
    }
    return 0;
}

/* Removes calib_photos_link's folder and its links. */
static inline void calib_photos_remove(const char *dir)
{
    for (int i = 0; i < N_CALIB_PHOTOS; i++) {
        char p[PATH_MAX + 64];
        snprintf(p, sizeof p, "%s/%s.jpg", dir, calib_photos[i]);
        unlink(p);
    }
    rmdir(dir);
}

/* yolo-fastest-1.1's cfg and weights under DRT_SHARED (else DRT_ROOT/../shared) /models, written into cfg
 * and w (size bytes each); 0 when either is unreadable (tests skip then). */
static inline int yolo_fastest_paths(char *cfg, char *w, size_t size)
{
    char shared[1024];
    snprintf(shared, sizeof shared, "%s", env_or("DRT_SHARED", ""));
    if (!*shared) snprintf(shared, sizeof shared, "%s/../shared", env_or("DRT_ROOT", "."));
    snprintf(cfg, size, "%s/models/yolo-fastest-1.1/yolo-fastest-1.1.cfg", shared);
    snprintf(w, size, "%s/models/yolo-fastest-1.1/yolo-fastest-1.1.weights", shared);
    return access(cfg, R_OK) == 0 && access(w, R_OK) == 0;
}

/* The Darknet cfg text written to dir/name and loaded with synthesised weights (darkrt synth's, seed); NULL when
 * it cannot be written or loaded. */
static inline drt_model *load_cfg_text(const char *dir, const char *name, const char *text, uint64_t seed)
{
    char cfg[PATH_MAX];
    snprintf(cfg, sizeof cfg, "%s/%s", dir, name);
    FILE *f = fopen(cfg, "w");
    if (!f) return NULL;
    int bad = fputs(text, f) < 0;
    if (fclose(f) != 0 || bad) return NULL;
    drt_load_opts lo = drt_load_opts_default();
    lo.warn = 0;
    drt_model *m = NULL;
    if (drt_model_load_darknet(cfg, NULL, &lo, &m) != DRT_OK) return NULL;
    if (drt_model_synth_weights(m, seed) != DRT_OK) {
        drt_model_free(m);
        return NULL;
    }
    return m;
}

/* Removes load_cfg_text's file `name` and the folder dir it was written in. */
static inline void remove_cfg_dir(const char *dir, const char *name)
{
    char cfg[PATH_MAX];
    snprintf(cfg, sizeof cfg, "%s/%s", dir, name);
    remove(cfg);
    rmdir(dir);
}

/* yolo-fastest-1.1 (yolo_fastest_paths); NULL (with drt_last_error) when missing or unloadable. */
static inline drt_model *load_yolo_fastest(void)
{
    char cfg[1200], w[1200];
    yolo_fastest_paths(cfg, w, sizeof cfg);
    drt_load_opts lo = drt_load_opts_default();
    lo.warn = 0;
    drt_model *m = NULL;
    return drt_model_load_darknet(cfg, w, &lo, &m) == DRT_OK ? m : NULL;
}

/* yolo-fastest-1.1 into *m when it and Darknet's sample images are at hand: 0; 77 when either is missing and 1
 * when it does not load (each said). */
static inline int load_yolo_fastest_with_samples(drt_model **m)
{
    char cfg[1200], w[1200], dog[1200];
    snprintf(dog, sizeof dog, "%s/dog.jpg", sample_dir());
    if (!yolo_fastest_paths(cfg, w, sizeof cfg) || access(dog, R_OK)) {
        printf("skipped: yolo-fastest-1.1 or the darknet images are missing\n");
        return 77;
    }
    if (!(*m = load_yolo_fastest())) { printf("FAIL: %s\n", drt_last_error()); return 1; }
    return 0;
}

/* A CUDA engine of m at precision p for batches up to max_batch: 0 with *out set, 77 when this machine
 * has no CUDA device, 1 on any other failure (said). */
static inline int cuda_engine(const drt_model *m, drt_precision p, int max_batch, drt_engine **out)
{
    drt_engine_opts o = drt_engine_opts_default();
    o.device = DRT_DEVICE_CUDA;
    o.precision = p;
    o.max_batch = max_batch;
    drt_status s = drt_engine_create(m, &o, out);
    if (s == DRT_STATUS_NO_DEVICE || s == DRT_STATUS_UNSUPPORTED) return 77;
    if (s != DRT_OK) { printf("FAIL cuda engine: %s\n", drt_last_error()); return 1; }
    return 0;
}

/* Makes (and frees) a CUDA engine of m, which also starts the CUDA context: 0 when it can be made,
 * 77 when this machine has no CUDA device (said, m freed), 1 on any other failure (said). */
static inline int cuda_probe(drt_model *m)
{
    drt_engine_opts po = drt_engine_opts_default();
    po.device = DRT_DEVICE_CUDA;
    drt_engine *probe = NULL;
    drt_status ps = drt_engine_create(m, &po, &probe);
    if (ps == DRT_STATUS_NO_DEVICE || ps == DRT_STATUS_UNSUPPORTED) {
        printf("%s\nskipped: no CUDA device\n", drt_last_error());
        drt_model_free(m);
        return 77;
    }
    if (ps != DRT_OK) { printf("FAIL cuda engine: %s\n", drt_last_error()); return 1; }
    drt_engine_free(probe);
    return 0;
}

#endif
