/* .weights reading and writing (both header versions, exact sizes, atomic writes) and the
 * synthesised weights (splitmix64 known answers, determinism, He scale, residual scaling). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "darkrt.h"
#include "graph/model.h"

static int failures;
static char dir[] = "/tmp/darkrt-weights-XXXXXX";
#define CHECK(cond) do { if (!(cond)) { printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

/* conv(bn) 3x3 3->16, conv(bn) 3x3 16->64, conv(bn) 1x1 64->64 ending a residual branch,
 * shortcut, conv 1x1 64->18 (no bn), yolo */
static const char *cfg_text =
    "[net]\nwidth=16\nheight=16\nchannels=3\n"
    "[convolutional]\nbatch_normalize=1\nfilters=16\nsize=3\npad=1\nactivation=leaky\n"
    "[convolutional]\nbatch_normalize=1\nfilters=64\nsize=3\npad=1\nactivation=leaky\n"
    "[convolutional]\nbatch_normalize=1\nfilters=64\nsize=1\nactivation=leaky\n"
    "[shortcut]\nfrom=-2\nactivation=linear\n"
    "[convolutional]\nfilters=18\nsize=1\nactivation=linear\n"
    "[yolo]\nmask=0,1,2\nanchors=1,1,2,2,3,3\nclasses=1\nnum=3\n";

static char *path_in(const char *name)
{
    static char p[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static drt_model *load(const char *weights)
{
    drt_model *m = NULL;
    drt_load_opts o = drt_load_opts_default();
    if (drt_model_load_darknet(path_in("t.cfg"), weights, &o, &m) != DRT_OK) {
        printf("FAIL: load %s: %s\n", weights ? weights : "(no weights)", drt_last_error());
        failures++;
    }
    return m;
}

static double stddev(const float *v, size_t n, double *maxabs)
{
    double s = 0, s2 = 0;
    *maxabs = 0;
    for (size_t i = 0; i < n; i++) {
        s += v[i];
        s2 += (double)v[i] * v[i];
        if (fabs(v[i]) > *maxabs) *maxabs = fabs(v[i]);
    }
    return sqrt(s2 / n - (s / n) * (s / n));
}

static void synth_known_answers(void)
{
    drt_model *a = load(NULL), *b = load(NULL);
    if (!a || !b) goto done;
    CHECK(drt_model_synth_weights(a, 0) == DRT_OK && a->has_weights);
    /* splitmix64 seeded 0 first gives 0xE220A8397B1DCDAF (Vigna's reference splitmix64.c); its top
     * 24 bits make the first uniform, and the first float is layer 0's first bias in [-0.1, 0.1). */
    double u = (double)(0xE220A8397B1DCDAFull >> 40) / 16777216.0;
    CHECK(a->layers[0].biases[0] == (float)(-0.1 + 0.2 * u));
    CHECK(drt_model_synth_weights(b, 0) == DRT_OK && !memcmp(a->params, b->params, a->n_params * sizeof(float)));
    CHECK(drt_model_synth_weights(b, 1) == DRT_OK && memcmp(a->params, b->params, a->n_params * sizeof(float)));
    for (int i = 0; i < 3; i++) {
        drt_layer *l = &a->layers[i];
        for (int f = 0; f < l->filters; f++) {
            CHECK(l->scales[f] >= 0.5f && l->scales[f] < 1.5f);
            CHECK(l->rolling_var[f] >= 0.5f && l->rolling_var[f] < 1.5f);
            CHECK(fabsf(l->rolling_mean[f]) <= 0.1f && fabsf(l->biases[f]) <= 0.1f);
        }
    }
    /* He: std sqrt(2 / fan_in); layer 1 has fan_in 16 * 9 = 144 and 9216 draws */
    double mx, sd = stddev(a->layers[1].weights, a->layers[1].n_weights, &mx);
    CHECK(fabs(sd / sqrt(2.0 / 144) - 1) < 0.03 && mx <= sqrt(6.0 / 144));
    /* layer 2 ends a residual branch: a quarter of He (fan_in 64) */
    sd = stddev(a->layers[2].weights, a->layers[2].n_weights, &mx);
    CHECK(fabs(sd / (0.25 * sqrt(2.0 / 64)) - 1) < 0.03 && mx <= 0.25 * sqrt(6.0 / 64));
    sd = stddev(a->layers[4].weights, a->layers[4].n_weights, &mx);
    CHECK(fabs(sd / sqrt(2.0 / 64) - 1) < 0.05);
done:
    drt_model_free(a);
    drt_model_free(b);
}

static long file_size(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

static void round_trip(void)
{
    drt_model *a = load(NULL), *b = NULL, *c = NULL;
    if (!a) return;
    CHECK(drt_model_synth_weights(a, 42) == DRT_OK);
    char *w = path_in("a.weights");
    CHECK(drt_model_save_weights(a, w) == DRT_OK);
    /* 16*4 + 16*27 + 64*4 + 64*144 + 64*4 + 64*64 + 18 + 18*64 floats */
    size_t n = 64 + 432 + 256 + 9216 + 256 + 4096 + 18 + 1152;
    CHECK(a->n_params == n && file_size(w) == (long)(20 + 4 * n));
    FILE *fp = fopen(w, "rb");
    int32_t hdr[3] = {-1, -1, -1};
    uint64_t seen = 1;
    CHECK(fp && fread(hdr, 4, 3, fp) == 3 && fread(&seen, 8, 1, fp) == 1);
    CHECK(hdr[0] == 0 && hdr[1] == 2 && hdr[2] == 0 && seen == 0);
    if (fp) fclose(fp);
    b = load(w);
    CHECK(b && b->has_weights && b->n_params == n && !memcmp(a->params, b->params, n * sizeof(float)));
    /* the same floats behind a 0.1 header with a 32-bit seen */
    char *w1 = path_in("v01.weights");
    fp = fopen(w1, "wb");
    const int32_t v01[4] = {0, 1, 0, 12345};
    CHECK(fp && fwrite(v01, 4, 4, fp) == 4 && fwrite(a->params, 4, n, fp) == n);
    if (fp) fclose(fp);
    c = load(w1);
    CHECK(c && !memcmp(a->params, c->params, n * sizeof(float)));
    /* overwriting replaces the whole file; a failed save leaves nothing behind */
    drt_model_free(c);
    c = NULL;
    CHECK(drt_model_save_weights(a, w1) == DRT_OK && file_size(w1) == (long)(20 + 4 * n));
    CHECK(drt_model_save_weights(a, path_in("missing/dir.weights")) == DRT_STATUS_IO);
    CHECK(file_size(path_in("missing/dir.weights")) == -1);
    drt_model_free(a);
    drt_model_free(b);
}

static void load_errors(void)
{
    drt_model *m = NULL;
    drt_status s = drt_model_load_darknet(path_in("t.cfg"), path_in("t.cfg"), NULL, &m);
    CHECK(s == DRT_STATUS_FORMAT && !m);
    CHECK(strstr(drt_last_error(), "t.cfg: header version") || strstr(drt_last_error(), "bytes, but"));
    s = drt_model_load(path_in("t.cfg"), NULL, NULL, NULL);
    CHECK(s == DRT_STATUS_INVALID_ARG);
    s = drt_model_load(path_in("x.onnx"), path_in("a.weights"), NULL, &m);
    CHECK(s == DRT_STATUS_INVALID_ARG && strstr(drt_last_error(), "only a Darknet cfg takes a separate weights file"));
    drt_load_opts o = drt_load_opts_default();
    o.size = 4;
    CHECK(drt_model_load_darknet(path_in("t.cfg"), NULL, &o, &m) == DRT_STATUS_INVALID_ARG && !m);
    /* the dispatcher sends anything else to the cfg reader */
    CHECK(drt_model_load(path_in("t.cfg"), NULL, NULL, &m) == DRT_OK && m && m->n_layers == 6);
    drt_model_free(m);
}

int main(void)
{
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    FILE *fp = fopen(path_in("t.cfg"), "w");
    if (!fp) return 1;
    fputs(cfg_text, fp);
    fclose(fp);
    synth_known_answers();
    round_trip();
    load_errors();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("note: could not remove %s\n", dir);
    printf(failures ? "%d failure(s)\n" : "all passed\n", failures);
    return failures != 0;
}
