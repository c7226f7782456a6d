/* darkrt's .weights reader and writer against Darknet's own load_weights: every conv's biases,
 * batchnorm statistics and kernels agree float for float (yolo-fastest-1.1's real weights,
 * synthesised yolov3-tiny and yolov3), and synthesised weights keep Darknet's forward pass
 * bounded: yolov3's heads stay within [1, 1000] on dog.jpg. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "darknet.h"
#include "darkrt.h"
#include "graph/model.h"
#include "darknet-compare.h"
#include "test-models.h"

/* Darknet's 2018 parser leaks a little (option lists); not ours to fix. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libdarknet.so\n"; }

static int failures;

static int same(const char *what, int layer, const float *a, const float *b, size_t n)
{
    if (!memcmp(a, b, n * sizeof(float))) return 1;
    for (size_t k = 0; k < n; k++)
        if (a[k] != b[k]) {
            printf("FAIL layer %d %s[%zu]: darknet %g, darkrt %g\n", layer, what, k, a[k], b[k]);
            break;
        }
    return 0;
}

/* Loads cfg + weights in both; compares params; optionally runs Darknet and bounds the heads. */
static void check(const char *name, const char *cfg, const char *weights, int w, int forward)
{
    char tmp[256];
    snprintf(tmp, sizeof tmp, "/tmp/darkrt-weights-%d-%s.cfg", (int)getpid(), name);
    drt_load_opts o = drt_load_opts_default();
    o.warn = 0;
    o.width = o.height = w;
    drt_model *m = NULL;
    if (write_cfg(cfg, w, tmp) || drt_model_load_darknet(cfg, weights, &o, &m) != DRT_OK) {
        printf("FAIL %s: %s\n", name, drt_last_error());
        failures++;
        remove(tmp);
        return;
    }
    network *net = load_network(tmp, (char *)weights, 0);
    remove(tmp);
    set_batch_network(net, 1);
    int bad = 0;
    for (int i = 0; i < net->n && i < m->n_layers && bad < 3; i++) {
        layer *l = &net->layers[i];
        drt_layer *d = &m->layers[i];
        if (l->type != CONVOLUTIONAL) continue;
        bad += !same("biases", i, l->biases, d->biases, (size_t)l->n);
        if (l->batch_normalize) {
            bad += !same("scales", i, l->scales, d->scales, (size_t)l->n);
            bad += !same("rolling_mean", i, l->rolling_mean, d->rolling_mean, (size_t)l->n);
            bad += !same("rolling_variance", i, l->rolling_variance, d->rolling_var, (size_t)l->n);
        }
        if ((size_t)l->nweights != d->n_weights) { printf("FAIL layer %d: %d vs %zu weights\n", i, l->nweights, d->n_weights); bad++; }
        else bad += !same("weights", i, l->weights, d->weights, d->n_weights);
    }
    if (!bad) printf("ok %s: %zu parameters agree with Darknet's load_weights\n", name, m->n_params);
    if (!bad && forward) {
        image im = load_image_color("/usr/share/darknet/data/dog.jpg", 0, 0);
        image sized = letterbox_image(im, net->w, net->h);
        network_predict(net, sized.data);
        for (int i = 1; i < net->n; i++) {
            if (net->layers[i].type != YOLO) continue;
            layer *p = &net->layers[i - 1];
            float mx = 0;
            int finite = 1;
            for (int k = 0; k < p->outputs; k++) {
                finite &= isfinite(p->output[k]) != 0;
                if (fabsf(p->output[k]) > mx) mx = fabsf(p->output[k]);
            }
            int ok = finite && mx >= 1 && mx <= 1000;
            printf("%s %s head at layer %d (%dx%dx%d): max |x| %.2f\n", ok ? "ok" : "FAIL", name, i - 1, p->out_w,
                   p->out_h, p->out_c, mx);
            bad += !ok;
        }
        free_image(im);
        free_image(sized);
    }
    failures += bad != 0;
    free_network(net);
    drt_model_free(m);
}

/* Synthesises weights for a cfg with darkrt (seed 1, as tests/prepare-data.sh). */
static int synth(const char *cfg, const char *out)
{
    drt_load_opts o = drt_load_opts_default();
    o.warn = 0;
    drt_model *m = NULL;
    drt_status s = drt_model_load_darknet(cfg, NULL, &o, &m);
    if (s == DRT_OK) s = drt_model_synth_weights(m, 1);
    if (s == DRT_OK) s = drt_model_save_weights(m, out);
    if (s != DRT_OK) { printf("FAIL synth %s: %s\n", cfg, drt_last_error()); failures++; }
    drt_model_free(m);
    return s == DRT_OK;
}

int main(void)
{
    char cfg[1200], weights[1200];
    if (yolo_fastest_paths(cfg, weights, sizeof cfg)) check("yolo-fastest-1.1", cfg, weights, 0, 0);
    else { printf("FAIL %s: missing\n", weights); failures++; }
    static const char *const models[] = {"yolov3-tiny", "yolov3"};
    for (int i = 0; i < 2; i++) {
        snprintf(cfg, sizeof cfg, "/usr/share/darknet/cfg/%s.cfg", models[i]);
        snprintf(weights, sizeof weights, "/tmp/darkrt-weights-%d-%s.weights", (int)getpid(), models[i]);
        if (!synth(cfg, weights)) continue;
        check(models[i], cfg, weights, i == 1 ? 416 : 0, 1);
        remove(weights);
    }
    printf(failures ? "%d model(s) failed\n" : "all agree\n", failures);
    return failures != 0;
}
