/* End to end against Darknet itself: yolo-fastest-1.1 on Debian's darknet images, darkrt's
 * drt_detect_image (ref engine) vs libdarknet (letterbox_image, network_predict,
 * get_network_boxes, do_nms_sort) on the same decoded pixels: same classes, scores within
 * 0.01, IoU >= 0.95, nothing unmatched above thresh + 0.02. Also checks that darkrt's JPEG
 * decode equals Darknet's own load_image_color (OpenCV in Debian's build) within 2/255, and
 * that darkrt's network input equals Darknet's letterbox bit for bit. */
#include "darkrt.h"
#include "darknet-vision-util.h"

static const char *const images[] = {"dog", "person", "horses", "eagle", "giraffe", "kite", "scream"};

/* Darknet's view of a darkrt image (same planar [0,1] layout): a copy it may own. */
static image to_darknet(const drt_image *im)
{
    image out = make_image(im->w, im->h, im->c);
    memcpy(out.data, im->data, (size_t)im->w * im->h * im->c * sizeof(float));
    return out;
}

static int check_input(const char *name, const drt_image *im, image sized, int w, int h)
{
    float *ours = malloc((size_t)w * h * 3 * sizeof(float));
    int bad = drt_image_preprocess(im, DRT_RESIZE_LETTERBOX, w, h, ours) != DRT_OK ||
              memcmp(ours, sized.data, (size_t)w * h * 3 * sizeof(float)) != 0;
    if (bad) printf("FAIL %s: darkrt's letterboxed input differs from Darknet's letterbox_image\n", name);
    free(ours);
    return bad;
}

/* darkrt's decode vs Darknet's load_image_color of the same file. */
static int check_decode(const char *name, const char *path, const drt_image *im)
{
    image dn = load_image_color((char *)path, 0, 0);
    size_t n = (size_t)im->w * im->h * 3, differ = 0;
    float worst = 0;
    int bad = dn.w != im->w || dn.h != im->h || dn.c != 3;
    for (size_t i = 0; !bad && i < n; i++) {
        float d = fabsf(dn.data[i] - im->data[i]);
        differ += d > 0;
        worst = fmaxf(worst, d);
    }
    if (bad || worst > 2.f / 255) {
        printf("FAIL %s: darkrt's decode differs from Darknet's load_image_color (%dx%d vs %dx%d, max %.4f)\n",
               name, im->w, im->h, dn.w, dn.h, worst);
        bad = 1;
    } else {
        printf("%-8s decode: %zu of %zu values differ from Darknet's load_image_color (max %.1f/255)\n", name,
               differ, n, worst * 255);
    }
    free_image(dn);
    return bad;
}

typedef struct engine_run {
    const char *name;
    drt_engine *engine;
    match_stats total;
} engine_run;

/* darkrt's detections of one engine vs Darknet's pairs. */
static int compare_engine(engine_run *r, const char *name, const drt_image *im, dn_pair *pairs, int n_pairs)
{
    drt_detect_opts o = drt_detect_opts_default();
    drt_detections *d = NULL;
    drt_stage_times t;
    int bad = 0;
    for (int i = 0; i < n_pairs; i++) pairs[i].matched = 0;
    if (drt_detect_image(r->engine, im, &o, &d, &t) != DRT_OK) {
        printf("FAIL %s (%s): drt_detect_image: %s\n", name, r->name, drt_last_error());
        return 1;
    }
    match_stats st = match_detections(name, pairs, n_pairs, d, .25f);
    printf("%-8s %-4s Darknet %2d, darkrt %2d, matched %2d, max score diff %.2g, min IoU %.4f  (pre %.1f, "
           "inference %.1f, post %.3f ms)\n", name, r->name, st.darknet, st.darkrt, st.matched, st.max_score_diff,
           st.matched ? st.min_iou : 1.f, t.preprocess_ms, t.inference_ms, t.postprocess_ms);
    bad += st.bad;
    r->total.darknet += st.darknet, r->total.darkrt += st.darkrt, r->total.matched += st.matched;
    r->total.max_score_diff = fmaxf(r->total.max_score_diff, st.max_score_diff);
    if (st.matched) r->total.min_iou = fminf(r->total.min_iou, st.min_iou);
    if (st.darknet == 0 && st.darkrt == 0 && strcmp(name, "scream") != 0) {
        printf("FAIL %s: no detections at all (a vacuous comparison)\n", name);
        bad++;
    }
    drt_detections_free(d);
    return bad;
}

static int run_image(network *net, engine_run *runs, int n_runs, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "/usr/share/darknet/data/%s.jpg", name);
    drt_image *im;
    if (drt_image_load(path, &im) != DRT_OK) {
        printf("FAIL %s: %s\n", path, drt_last_error());
        return 1;
    }
    int bad = check_decode(name, path, im);
    image dim = to_darknet(im);
    image sized = letterbox_image(dim, net->w, net->h);
    bad += check_input(name, im, sized, net->w, net->h);
    network_predict(net, sized.data);
    int n = 0, classes = net->layers[net->n - 1].classes;
    detection *dets = get_network_boxes(net, im->w, im->h, .25f, .5f, 0, 1, &n);
    do_nms_sort(dets, n, classes, .45f);
    dn_pair pairs[512];
    int n_pairs = darknet_pairs(dets, n, classes, .25f, im->w, im->h, pairs, 512);
    for (int i = 0; i < n_runs; i++) bad += compare_engine(&runs[i], name, im, pairs, n_pairs);
    free_detections(dets, n);
    free_image(sized);
    free_image(dim);
    drt_image_free(im);
    return bad;
}

/* The ref engine (required) and the optimized CPU engine (when it is built). */
static int open_engines(const drt_model *m, engine_run *runs)
{
    drt_engine_opts eo = drt_engine_opts_default();
    eo.device = DRT_DEVICE_REF;
    runs[0] = (engine_run){"ref", NULL, {0, 0, 0, 0, 0, 1}};
    drt_status s = drt_engine_create(m, &eo, &runs[0].engine);
    if (s != DRT_OK) return printf("ref engine: %s\n", drt_last_error()), s == DRT_STATUS_UNSUPPORTED ? -SKIP : -1;
    eo.device = DRT_DEVICE_CPU;
    runs[1] = (engine_run){"cpu", NULL, {0, 0, 0, 0, 0, 1}};
    s = drt_engine_create(m, &eo, &runs[1].engine);
    if (s == DRT_OK) return 2;
    printf("note: the optimized CPU engine is not compared: %s\n", drt_last_error());
    return s == DRT_STATUS_UNSUPPORTED ? 1 : -1;
}

int main(void)
{
    char cfg[4096], weights[4096];
    if (!fastest_paths(cfg, weights, sizeof cfg)) {
        printf("skipped: yolo-fastest-1.1 not found (set DRT_SHARED)\n");
        return SKIP;
    }
    drt_model *m = NULL;
    engine_run runs[2];
    int n_runs = -SKIP;
    if (drt_model_load_darknet(cfg, weights, NULL, &m) == DRT_OK) n_runs = open_engines(m, runs);
    else printf("darkrt: %s\n", drt_last_error());
    if (n_runs < 0) {
        if (n_runs == -SKIP) printf("skipped: the darknet loader or the ref engine is not built yet\n");
        drt_model_free(m);
        return n_runs == -SKIP ? SKIP : 1;
    }
    network *net = load_darknet_alexeyab(cfg, weights);
    int bad = 0;
    for (size_t i = 0; i < sizeof images / sizeof images[0]; i++) bad += run_image(net, runs, n_runs, images[i]);
    for (int k = 0; k < n_runs; k++) {
        match_stats *t = &runs[k].total;
        printf("all (%s): Darknet %d, darkrt %d, matched %d, max score diff %.2g, min IoU %.4f\n", runs[k].name,
               t->darknet, t->darkrt, t->matched, t->max_score_diff, t->min_iou);
        drt_engine_free(runs[k].engine);
    }
    free_network(net);
    drt_model_free(m);
    printf(bad ? "%d failure(s)\n" : "all images match Darknet\n", bad);
    return bad ? 1 : 0;
}
