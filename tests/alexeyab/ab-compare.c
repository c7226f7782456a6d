/* darkrt against AlexeyAB's Darknet (libdarknet.so from scripts/alexeyab-build.sh), one cfg a run:
 *   ab-compare heads CFG SIZE SEED DIR
 *     darkrt synthesises weights for CFG at SIZE x SIZE; AlexeyAB parses the same cfg and loads
 *     them: every parameter it holds must equal darkrt's, and their count the file's (it reads
 *     every byte, in darkrt's order). Then the same random input through both: every tensor that
 *     enters a [yolo] layer within TOL x max|value| (TOL: 1e-4, or the 6th argument). With a 7th argument N > 1,
 *     N different inputs one after another in the same AlexeyAB network (a [crnn] carries its state from each to
 *     the next) and the same darkrt engine, heads compared after each; then darkrt again from a reset state, the N
 *     as one batch (its items in order), against the same N.
 *   ab-compare detect CFG WEIGHTS IMAGE... DIR
 *     darkrt decodes each image and writes it as PNG; both sides read that PNG (same pixels) and
 *     detect with the cfg's own settings (AlexeyAB's test_detector: letter_box, nms_kind,
 *     beta_nms, thresh 0.25, nms 0.45). Every box equal: same class, IoU >= 0.999, score +- 1e-4.
 * DRT_AB_DEVICE=cpu|cuda runs that engine instead of the reference engine.
 * Prints one line per check ("ok" or "FAIL"); exits 0, 1 (a difference), 77 (darkrt refuses
 * the cfg: the reason is the last line) or 3 (AlexeyAB cannot run it). */
#include "darknet.h"
/* Exported by libdarknet.so but declared in its src/ headers only. */
network parse_network_cfg_custom(char *filename, int batch, int time_steps);
void load_weights(network *net, char *filename);
image load_image(char *filename, int w, int h, int c);

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "darkrt.h"
#include "darknet-compare.h"
#include "graph/model.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
/* Darknet frees only part of what it allocates: its allocations are not ours to report. */
#define AB_BEGIN() __lsan_disable()
#define AB_END() __lsan_enable()
#else
#define AB_BEGIN() ((void)0)
#define AB_END() ((void)0)
#endif

#define MAX_HEADS 16
#define MAX_DETS 4096

static int failures;

static int same(const char *what, int i, const float *ab, const float *rt, size_t n)
{
    if (!n) return 1;
    if (!ab || !rt || memcmp(ab, rt, n * sizeof(float)) != 0) {
        printf("FAIL layout: layer %d %s: AlexeyAB's values differ from darkrt's\n", i, what);
        failures++;
        return 0;
    }
    return 1;
}

/* darkrt's layer of AlexeyAB's layer i: an antialiased layer's blur is a layer of its own in darkrt (the
 * fixed convs after one), inside the layer in AlexeyAB's ([upsample] downsampling and [crop] are fixed convs of
 * their own section); a [crnn] is five (input conv, state, self conv, sum, output conv: its first). */
static int darkrt_index(const drt_model *m, int i)
{
    int j = 0;
    for (int k = 0; k < i && j < m->n_layers; k++, j++) {
        if (j + 1 < m->n_layers && m->layers[j + 1].fixed && m->layers[j + 1].fixed != DRT_FIXED_SUM &&
            m->layers[j + 1].fixed != DRT_FIXED_CROP)
            j++;
        if (j + 1 < m->n_layers && m->layers[j + 1].type == DRT_LAYER_STATE) j += 4;
    }
    return j;
}

/* One conv's parameters (load_convolutional_weights: biases, scales, mean, variance, weights); the floats it read. */
static size_t check_conv(int i, const layer *l, const drt_layer *d)
{
    size_t n = (size_t)l->n, bn = l->batch_normalize ? n : 0;
    if (d->type != DRT_LAYER_CONV) {
        printf("FAIL layout: layer %d is a conv in AlexeyAB's Darknet, not in darkrt\n", i);
        failures++;
    } else if (same("biases", i, l->biases, d->biases, n) && same("scales", i, l->scales, d->scales, bn) &&
               same("rolling_mean", i, l->rolling_mean, d->rolling_mean, bn)) {
        if (same("rolling_variance", i, l->rolling_variance, d->rolling_var, bn))
            same("weights", i, l->weights, d->weights, (size_t)l->nweights);
    }
    return l->share_layer ? 0 : n + 3 * bn + (size_t)l->nweights; /* share_index: none in the file */
}

/* Every parameter AlexeyAB loaded equals darkrt's (a share_index conv: its source's); their count is the file's. */
static void check_layout(network *net, const drt_model *m)
{
    size_t ab_floats = 0;
    for (int i = 0; i < net->n && darkrt_index(m, i) < m->n_layers; i++) {
        layer *l = &net->layers[i];
        const drt_layer *d = &m->layers[darkrt_index(m, i)];
        if (l->type == BATCHNORM) { /* load_batchnorm_weights: biases, scales, mean, variance of its c channels */
            size_t c = (size_t)l->c;
            ab_floats += 4 * c;
            if (d->type != DRT_LAYER_BATCHNORM) {
                printf("FAIL layout: layer %d is a [batchnorm] in AlexeyAB's Darknet, not in darkrt\n", i);
                failures++;
            } else if (same("biases", i, l->biases, d->biases, c) && same("scales", i, l->scales, d->scales, c)) {
                if (same("rolling_mean", i, l->rolling_mean, d->rolling_mean, c))
                    same("rolling_variance", i, l->rolling_variance, d->rolling_var, c);
            }
            continue;
        }
        if ((l->type == SHORTCUT && l->nweights > 0) || l->type == IMPLICIT) { /* load_shortcut/implicit_weights */
            ab_floats += (size_t)l->nweights;
            if (d->type != (l->type == SHORTCUT ? DRT_LAYER_SHORTCUT : DRT_LAYER_IMPLICIT) || d->n_weights != (size_t)l->nweights) {
                printf("FAIL layout: layer %d: AlexeyAB's %d weights are not darkrt's %zu\n", i, l->nweights, d->n_weights);
                failures++;
            } else {
                same("weights", i, l->weights, d->weights, (size_t)l->nweights);
            }
            continue;
        }
        if (l->type == CONNECTED) { /* load_connected_weights: biases, weights [outputs][inputs], then bn's three */
            size_t n = (size_t)l->outputs, bn = l->batch_normalize ? n : 0, nw = n * (size_t)l->inputs;
            ab_floats += n + nw + 3 * bn;
            if (d->type != DRT_LAYER_CONV || !d->connected || d->n_weights != nw) {
                printf("FAIL layout: layer %d is a [connected] of %zu weights in AlexeyAB's Darknet, not in darkrt\n", i, nw);
                failures++;
            } else if (same("biases", i, l->biases, d->biases, n) && same("weights", i, l->weights, d->weights, nw) &&
                       same("scales", i, l->scales, d->scales, bn)) {
                if (same("rolling_mean", i, l->rolling_mean, d->rolling_mean, bn))
                    same("rolling_variance", i, l->rolling_variance, d->rolling_var, bn);
            }
            continue;
        }
        if (l->type == LOCAL) { /* load_weights_upto: biases (outputs), weights (size^2 x c x n x locations) */
            size_t n = (size_t)l->outputs, nw = (size_t)l->size * l->size * l->c * l->n * l->out_w * l->out_h;
            ab_floats += n + nw;
            if (d->type != DRT_LAYER_LOCAL || d->n_weights != nw) {
                printf("FAIL layout: layer %d is a [local] of %zu weights in AlexeyAB's Darknet, not in darkrt\n", i, nw);
                failures++;
            } else if (same("biases", i, l->biases, d->biases, n)) {
                same("weights", i, l->weights, d->weights, nw);
            }
            continue;
        }
        if (l->type == CRNN) { /* load_weights: its input, self and output convs, darkrt's layers 0, 2 and 4 of five */
            if (d[1].type != DRT_LAYER_STATE) {
                printf("FAIL layout: layer %d is a [crnn] in AlexeyAB's Darknet, not in darkrt\n", i);
                failures++;
                continue;
            }
            ab_floats += check_conv(i, l->input_layer, d) + check_conv(i, l->self_layer, d + 2) +
                         check_conv(i, l->output_layer, d + 4);
            continue;
        }
        if (l->type == CONVOLUTIONAL) ab_floats += check_conv(i, l, d);
    }
    int ok = darkrt_index(m, net->n) == m->n_layers && ab_floats == m->n_params;
    printf("%s layout: %d layers, AlexeyAB reads %zu floats, darkrt wrote %zu\n", ok ? "ok  " : "FAIL", net->n,
           ab_floats, m->n_params);
    failures += !ok;
}

/* An xnor=1 conv: AlexeyAB's detector binarizes it (calculate_binary_weights after fuse_conv_batchnorm), and without
 * that its forward passes the whole weight count as each filter's size to binarize_weights (out of bounds). */
static int any_xnor(const network *net)
{
    for (int i = 0; i < net->n; i++)
        if (net->layers[i].type == CONVOLUTIONAL && net->layers[i].xnor) return 1;
    return 0;
}

typedef struct heads {
    int n;
    float *data[MAX_HEADS];
    size_t size[MAX_HEADS];
} heads;

static int is_head(LAYER_TYPE t) { return t == YOLO || t == GAUSSIAN_YOLO || t == REGION || t == DETECTION; }

/* AlexeyAB's heads for one input, copied (a sequence keeps each image's). */
static void ab_heads(network *net, float *input, heads *hs)
{
    AB_BEGIN();
    network_predict_ptr(net, input);
    AB_END();
    for (int i = 1; i < net->n && hs->n < MAX_HEADS; i++) {
        if (!is_head(net->layers[i].type)) continue;
        const layer *p = &net->layers[i - 1];
        hs->size[hs->n] = (size_t)p->outputs;
        hs->data[hs->n] = malloc(hs->size[hs->n] * sizeof(float));
        memcpy(hs->data[hs->n++], p->output, (size_t)p->outputs * sizeof(float));
    }
}

static void free_heads(heads *hs)
{
    for (int k = 0; k < hs->n; k++) free(hs->data[k]);
    hs->n = 0;
}

/* Batch item b of darkrt's last run against AlexeyAB's heads of the same image. */
static void compare_heads(const char *name, const heads *ab, drt_engine *e, int b, double tol)
{
    int n = drt_engine_num_heads(e);
    if (n != ab->n || n == 0) {
        printf("FAIL heads: AlexeyAB has %d, darkrt %d\n", ab->n, n);
        failures++;
        return;
    }
    for (int k = 0; k < n; k++) {
        const float *d;
        drt_tensor_desc td;
        drt_engine_head(e, k, &d, &td);
        size_t size = (size_t)td.c * td.h * td.w;
        d += size * (size_t)b;
        if (size != ab->size[k]) {
            printf("FAIL heads: head %d has %zu values in AlexeyAB's Darknet, %zu in darkrt\n", k, ab->size[k], size);
            failures++;
            continue;
        }
        double max_diff = 0, max_abs = 0;
        for (size_t i = 0; i < size; i++) {
            double a = ab->data[k][i], diff = fabs(a - d[i]);
            if (!(diff <= max_diff)) max_diff = diff; /* NaN propagates */
            if (fabs(a) > max_abs) max_abs = fabs(a);
        }
        double ratio = max_abs > 0 ? max_diff / max_abs : max_diff;
        int ok = ratio <= tol && max_abs > 0;
        printf("%s heads: %s head %d (%dx%dx%d): max|diff| %.3g, max|value| %.4g, ratio %.3g (limit %.0e)\n",
               ok ? "ok  " : "FAIL", name, k, td.c, td.h, td.w, max_diff, max_abs, ratio, tol);
        failures += !ok;
    }
}

/* The reference engine, or $DRT_AB_DEVICE's (cpu, cuda) to check an optimized engine the same way. */
static drt_status ref_engine_batch(const drt_model *m, int max_batch, drt_engine **e)
{
    drt_engine_opts eo = drt_engine_opts_default();
    eo.max_batch = max_batch;
    const char *dev = getenv("DRT_AB_DEVICE");
    int d = dev ? drt_device_parse(dev, &eo.device_index) : -1;
    eo.device = d >= 0 ? (drt_device)d : DRT_DEVICE_REF;
    return drt_engine_create(m, &eo, e);
}

static drt_status ref_engine(const drt_model *m, drt_engine **e) { return ref_engine_batch(m, 1, e); }

static int refused(const char *what)
{
    printf("darkrt refuses %s: %s\n", what, drt_last_error());
    return 77;
}

/* n inputs one after another through AlexeyAB's network and darkrt's engine (e: max batch n), heads compared after
 * each; then darkrt from a reset state with the n as one batch. */
static void compare_sequence(const char *base, network *net, drt_engine *e, int n, int seed, double tol, double *t_ab)
{
    size_t per = (size_t)net->w * net->h * net->c;
    float *x = malloc(per * (size_t)n * sizeof *x);
    heads *ab = calloc((size_t)n, sizeof *ab);
    for (int k = 0; k < n; k++) {
        char name[300];
        random_input(x + per * k, per, (uint64_t)seed + 1000u * (uint64_t)k); /* a different image each */
        double t0 = now_s();
        ab_heads(net, x + per * k, &ab[k]);
        *t_ab += now_s() - t0;
        snprintf(name, sizeof name, "%s image %d of %d", base, k + 1, n);
        if (drt_engine_run(e, x + per * k, 1) != DRT_OK) {
            printf("FAIL %s: darkrt run: %s\n", name, drt_last_error());
            failures++;
        } else {
            compare_heads(name, &ab[k], e, 0, tol);
        }
    }
    if (n > 1) {
        int ran = drt_engine_reset_state(e) == DRT_OK && drt_engine_run(e, x, n) == DRT_OK;
        if (!ran) {
            printf("FAIL %s: darkrt batch of %d: %s\n", base, n, drt_last_error());
            failures++;
        }
        for (int k = 0; k < n && ran; k++) {
            char name[300];
            snprintf(name, sizeof name, "%s batch item %d of %d (after a reset)", base, k + 1, n);
            compare_heads(name, &ab[k], e, k, tol);
        }
    }
    for (int k = 0; k < n; k++) free_heads(&ab[k]);
    free(ab);
    free(x);
}

static int run_heads(const char *src, int size, int seed, const char *dir, double tol, int n_images)
{
    char cfg[4096], weights[4096];
    const char *base = strrchr(src, '/') ? strrchr(src, '/') + 1 : src;
    snprintf(cfg, sizeof cfg, "%s/%s", dir, base);
    snprintf(weights, sizeof weights, "%s/%s.weights", dir, base);
    if (write_cfg(src, size, cfg) != 0) return 1;
    drt_load_opts lo = drt_load_opts_default();
    lo.warn = 0;
    drt_model *m = NULL, *loaded = NULL;
    drt_engine *e = NULL;
    double t0 = now_s();
    if (drt_model_load_darknet(cfg, NULL, &lo, &m) != DRT_OK) return refused(base);
    if (drt_model_synth_weights(m, (uint64_t)seed) != DRT_OK || drt_model_save_weights(m, weights) != DRT_OK ||
        drt_model_load_darknet(cfg, weights, &lo, &loaded) != DRT_OK) {
        printf("FAIL %s: %s\n", base, drt_last_error());
        drt_model_free(m);
        return 1;
    }
    drt_model_free(m);
    if (ref_engine_batch(loaded, n_images, &e) != DRT_OK) {
        drt_model_free(loaded);
        return refused(base);
    }
    AB_BEGIN();
    network net = parse_network_cfg_custom(cfg, 1, 1);
    load_weights(&net, weights);
    AB_END();
    check_layout(&net, loaded);
    if (any_xnor(&net)) { /* its detector's load: network_predict alone reads xnor weights out of bounds */
        AB_BEGIN();
        fuse_conv_batchnorm(net);
        calculate_binary_weights(net);
        AB_END();
    }
    double t_ab = now_s() - t0, t1 = now_s();
    compare_sequence(base, &net, e, n_images, seed, tol, &t_ab);
    printf("time: %s %dx%d: AlexeyAB %.2f s, darkrt %s %.2f s\n", base, size, size, t_ab,
           drt_device_name(drt_engine_device(e)), now_s() - t1 - (t_ab - (t1 - t0)));
    drt_engine_free(e);
    drt_model_free(loaded);
    return failures ? 1 : 0;
}

typedef struct box_pair {
    int class_id;
    float score, x1, y1, x2, y2;
    int matched;
} box_pair;

/* AlexeyAB's test_detector on a decoded image: its resize, predict, get_network_boxes, and the
 * NMS of the last detection layer; boxes above thresh in pixels, as it draws them. */
static int ab_detect(network *net, const char *png, int letter, box_pair *out, int max)
{
    AB_BEGIN();
    image im = load_image((char *)png, 0, 0, net->c);
    image sized = letter ? letterbox_image(im, net->w, net->h) : resize_image(im, net->w, net->h);
    layer l = net->layers[net->n - 1];
    for (int k = 0; k < net->n; k++)
        if (is_head(net->layers[k].type)) l = net->layers[k];
    network_predict_ptr(net, sized.data);
    int n = 0, count = 0;
    int v1 = l.type == DETECTION; /* get_detection_detections multiplies by w, h: 1 for relative boxes (test_yolo) */
    detection *dets = get_network_boxes(net, v1 ? 1 : im.w, v1 ? 1 : im.h, .25f, .5f, 0, 1, &n, letter);
    if (l.nms_kind == DEFAULT_NMS) do_nms_sort(dets, n, l.classes, .45f);
    else diounms_sort(dets, n, l.classes, .45f, l.nms_kind, l.beta_nms);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < l.classes && count < max; j++) {
            if (!(dets[i].prob[j] > .25f)) continue;
            box b = dets[i].bbox;
            out[count++] = (box_pair){j, dets[i].prob[j], (b.x - b.w / 2) * im.w, (b.y - b.h / 2) * im.h,
                                      (b.x + b.w / 2) * im.w, (b.y + b.h / 2) * im.h, 0};
        }
    free_detections(dets, n);
    free_image(sized);
    free_image(im);
    AB_END();
    return count;
}

static float clampf(float v, float hi) { return v < 0 ? 0 : v > hi ? hi : v; }

/* Every AlexeyAB box has its darkrt twin and nothing is left over. */
static void match(const char *name, box_pair *ab, int n_ab, const drt_detections *d, int img_w, int img_h)
{
    int matched = 0;
    float worst_iou = 1, worst_score = 0;
    for (int i = 0; i < n_ab; i++) {
        box_pair *a = &ab[i];
        float x1 = clampf(a->x1, (float)img_w), y1 = clampf(a->y1, (float)img_h);
        float x2 = clampf(a->x2, (float)img_w), y2 = clampf(a->y2, (float)img_h);
        int best = -1;
        float best_iou = 0;
        for (int k = 0; k < d->count; k++) {
            const drt_detection *r = &d->items[k];
            if (r->class_id != a->class_id) continue;
            float iw = fminf(x2, r->x2) - fmaxf(x1, r->x1), ih = fminf(y2, r->y2) - fmaxf(y1, r->y1);
            float inter = iw > 0 && ih > 0 ? iw * ih : 0;
            float uni = (x2 - x1) * (y2 - y1) + (r->x2 - r->x1) * (r->y2 - r->y1) - inter;
            /* two boxes clamped to a line (no area, as YOLOv1's off-image boxes): the same line within 0.01 pixel */
            float iou = uni > 0 ? inter / uni
                                : fabsf(x1 - r->x1) < .01f && fabsf(y1 - r->y1) < .01f && fabsf(x2 - r->x2) < .01f &&
                                      fabsf(y2 - r->y2) < .01f;
            /* a twin: IoU >= 0.999 and the closest score (boxes clamped to the whole image are all alike) */
            float sd = fabsf(r->score - a->score);
            int twin = iou >= .999f, best_twin = best >= 0 && best_iou >= .999f;
            if (twin ? !best_twin || sd < fabsf(d->items[best].score - a->score) : !best_twin && iou > best_iou)
                best_iou = iou, best = k;
        }
        if (best < 0 || best_iou < .999f || fabsf(d->items[best].score - a->score) > 1e-4f) {
            printf("FAIL detect: %s: AlexeyAB's class %d score %.5f box %.1f,%.1f,%.1f,%.1f has no twin in darkrt "
                   "(best IoU %.4f)\n", name, a->class_id, a->score, x1, y1, x2, y2, best_iou);
            failures++;
            continue;
        }
        matched++;
        worst_iou = fminf(worst_iou, best_iou);
        worst_score = fmaxf(worst_score, fabsf(d->items[best].score - a->score));
    }
    int ok = matched == n_ab && d->count == n_ab;
    printf("%s detect: %s: AlexeyAB %d boxes, darkrt %d, matched %d, min IoU %.5f, max score diff %.2g\n",
           ok ? "ok  " : "FAIL", name, n_ab, d->count, matched, worst_iou, worst_score);
    failures += !ok && matched == n_ab; /* each unmatched box counted above */
}

static void detect_image(network *net, drt_engine *e, const char *path, const char *dir, int letter,
                         const drt_detect_opts *o)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char png[4096];
    snprintf(png, sizeof png, "%s/%s.png", dir, base);
    drt_image *decoded = NULL, *im = NULL;
    drt_detections *d = NULL;
    if (drt_image_load(path, &decoded) != DRT_OK || drt_image_save_png(decoded, png) != DRT_OK ||
        drt_image_load(png, &im) != DRT_OK || drt_detect_image(e, im, o, &d, NULL) != DRT_OK) {
        printf("FAIL detect: %s: %s\n", base, drt_last_error());
        failures++;
    } else {
        box_pair ab[MAX_DETS];
        int n = ab_detect(net, png, letter, ab, MAX_DETS);
        match(base, ab, n, d, im->w, im->h);
    }
    drt_detections_free(d);
    drt_image_free(im);
    drt_image_free(decoded);
}

static int run_detect(const char *cfg, const char *weights, char **images, int n, const char *dir)
{
    drt_load_opts lo = drt_load_opts_default();
    lo.warn = 0;
    drt_model *m = NULL;
    drt_engine *e = NULL;
    if (drt_model_load_darknet(cfg, weights, &lo, &m) != DRT_OK || ref_engine(m, &e) != DRT_OK) {
        drt_model_free(m);
        return refused(cfg);
    }
    drt_detect_opts o = drt_detect_opts_for_model(m);
    printf("darkrt: resize %s, NMS %s beta %g\n", o.resize == DRT_RESIZE_STRETCH ? "stretch" : "letterbox",
           drt_nms_kind_name(o.nms_kind), o.beta_nms);
    AB_BEGIN();
    network *net = load_network_custom((char *)cfg, (char *)weights, 0, 1); /* as test_detector: bn fused */
    if (any_xnor(net)) calculate_binary_weights(*net);                          /* and binary weights */
    AB_END();
    for (int i = 0; i < n; i++) detect_image(net, e, images[i], dir, net->letter_box, &o);
    drt_engine_free(e);
    drt_model_free(m);
    return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    /* darknet.c's main does this in a CPU build; libdarknet.so leaves 0, and calculate_binary_weights then inverts
     * the bits of xnor weights for its GPU kernels (binary_align_weights: gpu_index >= 0) */
    gpu_index = -1;
    if (argc >= 6 && !strcmp(argv[1], "heads"))
        return run_heads(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5], argc > 6 ? atof(argv[6]) : 1e-4,
                         argc > 7 && atoi(argv[7]) > 1 ? atoi(argv[7]) : 1);
    if (argc >= 5 && !strcmp(argv[1], "detect")) return run_detect(argv[2], argv[3], argv + 4, argc - 5, argv[argc - 1]);
    fprintf(stderr, "usage: ab-compare heads CFG SIZE SEED DIR [TOL [N]] | detect CFG WEIGHTS IMAGE... DIR\n");
    return 2;
}
