/* Darknet .weights files: header (major, minor, revision, seen), then every conv's floats in
 * layer order (biases, [scales, rolling mean, rolling variance], kernel), read in one go. */
#include "darknet/darknet.h"
#include "core/error.h"
#include "core/fileio.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Darknet's rule (parser.c load_weights): 64-bit `seen` from version 0.2 on. */
static int seen_bytes(int32_t major, int32_t minor)
{
    return (major * 10 + minor) >= 2 && major < 1000 && minor < 1000 ? 8 : 4;
}

/* flipped=1 (AlexeyAB's load_convolutional_weights): the file holds each kernel transposed, as a
 * [c/groups*size*size][filters] matrix. Converts params (laid out as the model's) between the
 * file's order and darkrt's, in either direction; false when out of memory. */
static int flip_kernels(const drt_model *m, float *params, int to_file)
{
    for (int i = 0; i < m->n_layers; i++) {
        const drt_layer *l = &m->layers[i];
        if (l->type != DRT_LAYER_CONV || !l->flipped || !l->n_weights || l->share) continue; /* shared: its source's */
        size_t n = (size_t)l->filters, k = l->n_weights / n;
        float *w = params + (l->weights - m->params), *t = malloc(l->n_weights * sizeof *t);
        if (!t) return 0;
        for (size_t f = 0; f < n; f++)
            for (size_t j = 0; j < k; j++) {
                if (to_file) t[j * n + f] = w[f * k + j];
                else t[f * k + j] = w[j * n + f];
            }
        memcpy(w, t, l->n_weights * sizeof *t);
        free(t);
    }
    return 1;
}

static int any_flipped(const drt_model *m)
{
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i].type == DRT_LAYER_CONV && m->layers[i].flipped) return 1;
    return 0;
}

drt_status drt_darknet_read_weights(drt_model *m, const char *path)
{
    drt_status s = DRT_OK;
    FILE *fp;
    size_t file_size;
    DRT_TRY(drt_fopen_input(path, &fp, &file_size));
    int32_t ver[3];
    if (fread(ver, sizeof ver, 1, fp) != 1) {
        s = drt_error(DRT_STATUS_FORMAT, "%s: %lld bytes: too short for the 12-byte Darknet header (major, minor, revision)",
                      path, (long long)file_size);
        goto done;
    }
    if (ver[0] < 0 || ver[1] < 0 || ver[2] < 0 || ver[0] >= 1000 || ver[1] >= 1000) {
        s = drt_error(DRT_STATUS_FORMAT, "%s: header version %d.%d.%d: not a Darknet weights file (major and minor must be 0..999)",
                      path, ver[0], ver[1], ver[2]);
        goto done;
    }
    size_t header = 12 + (size_t)seen_bytes(ver[0], ver[1]), n = 0;
    for (int i = 0; i < m->n_layers; i++) n += drt_layer_param_count(m, &m->layers[i]);
    unsigned long long want = header + 4ull * n, have = (unsigned long long)file_size;
    if (have != want) {
        s = drt_error(DRT_STATUS_FORMAT, "%s: %llu bytes, but %s needs %llu (version %d.%d header of %zu bytes + %zu floats): %s by %llu bytes",
                      path, have, m->source ? m->source : "the cfg", want, ver[0], ver[1], header, n,
                      have < want ? "too short" : "too long", have < want ? want - have : have - want);
        goto done;
    }
    if ((s = drt_model_alloc_params(m)) != DRT_OK) goto done;
    if (fseek(fp, (long)header, SEEK_SET) != 0 || fread(m->params, sizeof(float), n, fp) != n) {
        s = drt_error_errno(DRT_STATUS_IO, "%s: read failed", path);
        goto done;
    }
    if (!flip_kernels(m, m->params, 0)) {
        s = drt_error(DRT_STATUS_OOM, "%s: out of memory", path);
        goto done;
    }
    if ((s = drt_model_check_params(m, path)) != DRT_OK) goto done;
    m->has_weights = 1;
done:
    fclose(fp);
    return s;
}

drt_status drt_model_save_weights(const drt_model *m, const char *path)
{
    DRT_ARG(m, "model");
    DRT_ARG(path, "weights_path");
    float *params = m->params, *copy = NULL;
    if (any_flipped(m)) {
        if (!(params = copy = malloc(m->n_params * sizeof *copy)) ||
            !flip_kernels(m, (float *)memcpy(copy, m->params, m->n_params * sizeof *copy), 1)) {
            free(copy);
            return drt_error(DRT_STATUS_OOM, "%s: out of memory", path);
        }
    }
    drt_atomic_file af;
    drt_status s = drt_atomic_open(&af, path);
    const int32_t ver[3] = {0, 2, 0};
    const uint64_t seen = 0;
    if (s == DRT_OK && (fwrite(ver, sizeof ver, 1, af.fp) != 1 || fwrite(&seen, sizeof seen, 1, af.fp) != 1 ||
                        (m->n_params && fwrite(params, sizeof(float), m->n_params, af.fp) != m->n_params))) {
        s = drt_error_errno(DRT_STATUS_IO, "%s: write failed", path);
        drt_atomic_abort(&af);
    } else if (s == DRT_OK) {
        s = drt_atomic_commit(&af);
    }
    free(copy);
    return s;
}
