/* YOLO decode + NMS alone against Darknet's: the head tensors Darknet computed for
 * yolo-fastest-1.1 on Debian's images go through darkrt's decoder (with the [yolo]
 * parameters Darknet parsed) and must give Darknet's get_network_boxes + do_nms_sort result,
 * at several thresholds (more boxes and more NMS work at low ones). Needs no darkrt engine. */
#include "darkrt.h"
#include "vision/vision.h"
#include "darknet-vision-util.h"

static const char *const images[] = {"dog", "person", "horses", "kite"};

/* darkrt's decode of Darknet's own head inputs (the output of the layer before each [yolo]). */
static drt_detections *decode_darknet_heads(network *net, int img_w, int img_h, float thresh, float nms)
{
    drt_candidates c = {0};
    for (int i = 0; i < net->n; i++) {
        layer *l = &net->layers[i];
        if (l->type != YOLO) continue;
        drt_yolo_head h = {.data = net->layers[i - 1].output, .w = l->w, .h = l->h, .n = l->n,
                           .classes = l->classes, .scale_x_y = 1, .new_coords = 0};
        for (int a = 0; a < l->n; a++) {
            h.anchors[2 * a] = l->biases[2 * l->mask[a]];
            h.anchors[2 * a + 1] = l->biases[2 * l->mask[a] + 1];
        }
        if (drt_yolo_decode_head(&h, net->w, net->h, img_w, img_h, DRT_RESIZE_LETTERBOX, thresh, &c) != DRT_OK)
            printf("FAIL decode: %s\n", drt_last_error());
    }
    drt_nms_per_class(&c, &(drt_nms_rule){DRT_NMS_IOU, nms, .6f, (float)img_w, (float)img_h});
    drt_detections *d = NULL;
    drt_detections_from_candidates(&c, img_w, img_h, 0, &d);
    free(c.items);
    return d;
}

static int run(network *net, const char *name, float thresh)
{
    char path[512];
    snprintf(path, sizeof path, "/usr/share/darknet/data/%s.jpg", name);
    drt_image *im;
    if (drt_image_load(path, &im) != DRT_OK) return printf("FAIL %s\n", drt_last_error()), 1;
    image dim = make_image(im->w, im->h, 3);
    memcpy(dim.data, im->data, (size_t)im->w * im->h * 3 * sizeof(float));
    image sized = letterbox_image(dim, net->w, net->h);
    network_predict(net, sized.data);
    int n = 0, classes = net->layers[net->n - 1].classes;
    detection *dets = get_network_boxes(net, im->w, im->h, thresh, .5f, 0, 1, &n);
    do_nms_sort(dets, n, classes, .45f);
    dn_pair pairs[4096];
    int n_pairs = darknet_pairs(dets, n, classes, thresh, im->w, im->h, pairs, 4096);
    drt_detections *d = decode_darknet_heads(net, im->w, im->h, thresh, .45f);
    char label[64];
    snprintf(label, sizeof label, "%s@%.2f", name, thresh);
    match_stats st = match_detections(label, pairs, n_pairs, d, thresh);
    printf("%-12s Darknet %3d, darkrt %3d, matched %3d, max score diff %.2g, min IoU %.6f\n", label, st.darknet,
           st.darkrt, st.matched, st.max_score_diff, st.matched ? st.min_iou : 1.f);
    int bad = st.bad + (st.darknet != st.darkrt); /* same decoder input: the same count */
    if (st.darknet != st.darkrt) printf("FAIL %s: counts differ\n", label);
    drt_detections_free(d);
    free_detections(dets, n);
    free_image(sized);
    free_image(dim);
    drt_image_free(im);
    return bad;
}

int main(void)
{
    char cfg[4096], weights[4096];
    if (!fastest_paths(cfg, weights, sizeof cfg)) {
        printf("skipped: yolo-fastest-1.1 not found (set DRT_SHARED)\n");
        return SKIP;
    }
    network *net = load_darknet_alexeyab(cfg, weights);
    static const float threshes[] = {.05f, .25f, .5f};
    int bad = 0;
    for (size_t i = 0; i < sizeof images / sizeof images[0]; i++)
        for (size_t t = 0; t < sizeof threshes / sizeof threshes[0]; t++) bad += run(net, images[i], threshes[t]);
    free_network(net);
    printf(bad ? "%d failure(s)\n" : "decode + NMS match Darknet\n", bad);
    return bad ? 1 : 0;
}
