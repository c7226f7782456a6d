/* YOLO head decoding as Darknet's yolo layer does it (logistic on x, y, objectness and classes;
 * scale_x_y; exp(w) * anchor / net size; new_coords for Scaled-YOLOv4; [region], [Gaussian_yolo] and
 * YOLOv1's [detection] as AlexeyAB decodes them), then correct_yolo_boxes
 * back to image pixels. Fast path: a cell is skipped on a compare of its objectness logit with
 * logit(thresh), and a class on a compare with logit(thresh / objectness), before any exp. */
#include "vision/vision.h"
#include "core/error.h"

#include <math.h>
#include <stdlib.h>

/* Darknet's logistic_activate: 1./(1. + exp(-x)) in double, stored as float. */
static float logistic(float x) { return (float)(1. / (1. + exp(-x))); }

float drt_logit_floor(double p)
{
    if (p <= 0) return -INFINITY;
    if (p >= 1) return INFINITY;
    return (float)(log(p / (1 - p)) - 1e-4);
}

static drt_status reserve(drt_candidates *c, size_t more)
{
    if (c->count + more <= c->cap) return DRT_OK;
    size_t cap = c->cap ? c->cap * 2 : 256;
    while (cap < c->count + more) cap *= 2;
    drt_candidate *items = realloc(c->items, cap * sizeof *items);
    if (!items) return drt_error(DRT_STATUS_OOM, "detect: out of memory for %zu boxes", cap);
    c->items = items;
    c->cap = cap;
    return DRT_OK;
}

drt_box_map drt_yolo_box_map(int net_w, int net_h, int img_w, int img_h, drt_resize resize)
{
    int new_w = net_w, new_h = net_h;
    if (resize == DRT_RESIZE_LETTERBOX) drt_letterbox_size(img_w, img_h, net_w, net_h, &new_w, &new_h);
    drt_box_map m = {.off_x = (net_w - new_w) / 2. / net_w, .off_y = (net_h - new_h) / 2. / net_h,
                 .div_x = (float)new_w / net_w, .div_y = (float)new_h / net_h,
                 .mul_w = (float)net_w / new_w, .mul_h = (float)net_h / new_h,
                 .img_w = img_w, .img_h = img_h};
    return m;
}

/* A network-relative box (centre, size) in image pixels: correct_yolo_boxes. */
static void to_pixels(float bx, float by, float bw, float bh, const drt_box_map *m, float out[4])
{
    bx = (float)((bx - m->off_x) / m->div_x);
    by = (float)((by - m->off_y) / m->div_y);
    bw *= m->mul_w;
    bh *= m->mul_h;
    out[0] = (bx - bw / 2) * m->img_w;
    out[1] = (by - bh / 2) * m->img_h;
    out[2] = (bx + bw / 2) * m->img_w;
    out[3] = (by + bh / 2) * m->img_h;
}

/* One cell-anchor's box in image pixels (Darknet's get_yolo_box + correct_yolo_boxes). */
static void cell_box(const drt_yolo_head *hd, const float *p, size_t stride, int a, int col, int row,
                     int net_w, int net_h, const drt_box_map *m, float out[4])
{
    float tx = p[0], ty = p[stride], tw = p[2 * stride], th = p[3 * stride];
    float s = hd->scale_x_y, bias = (float)(-0.5 * (s - 1));
    float bx, by, bw, bh;
    if (hd->region) { /* get_region_box: anchors in grid cells */
        tx = logistic(tx), ty = logistic(ty), s = 1;
        tw = (float)(exp(tw) * hd->anchors[2 * a] / hd->w);
        th = (float)(exp(th) * hd->anchors[2 * a + 1] / hd->h);
    }
    if (!hd->new_coords && !hd->region) {
        tx = logistic(tx);
        ty = logistic(ty);
    }
    if (s != 1) {
        tx = tx * s + bias;
        ty = ty * s + bias;
    }
    bx = (col + tx) / hd->w;
    by = (row + ty) / hd->h;
    if (hd->region) {
        bw = tw;
        bh = th;
    } else if (hd->new_coords) {
        bw = tw * tw * 4 * hd->anchors[2 * a] / net_w;
        bh = th * th * 4 * hd->anchors[2 * a + 1] / net_h;
    } else {
        bw = (float)(exp(tw) * hd->anchors[2 * a] / net_w);
        bh = (float)(exp(th) * hd->anchors[2 * a + 1] / net_h);
    }
    to_pixels(bx, by, bw, bh, m, out);
}

/* AlexeyAB's float logistic (activate_array), as its [Gaussian_yolo] forward applies it. */
static float logistic_f(float x) { return 1.f / (1.f + expf(-x)); }

/* One [Gaussian_yolo] anchor plane set (get_gaussian_yolo_detections): planes x, sigma x, y, sigma y,
 * w, sigma w, h, sigma h, objectness, classes; each class score is objectness x class x
 * (1 - the mean of the four sigmas). */
static drt_status gaussian_anchor(const drt_yolo_head *hd, const float *base, size_t stride, int a, int net_w,
                                  int net_h, const drt_box_map *m, float thresh, unsigned id0, drt_candidates *out)
{
    float s = hd->scale_x_y, bias = (float)(-0.5 * (s - 1));
    for (size_t i = 0; i < stride; i++) {
        const float *p = base + i;
        float obj = logistic_f(p[8 * stride]);
        if (!(obj > thresh)) continue;
        float tx = logistic_f(p[0]) * s + bias, ty = logistic_f(p[2 * stride]) * s + bias;
        float bx = ((float)(i % hd->w) + tx) / hd->w, by = ((float)(i / hd->w) + ty) / hd->h;
        float bw = (float)(exp(p[4 * stride]) * hd->anchors[2 * a] / net_w);
        float bh = (float)(exp(p[6 * stride]) * hd->anchors[2 * a + 1] / net_h);
        float box[4];
        to_pixels(bx, by, bw, bh, m, box);
        if (isnan(box[0]) || isnan(box[1]) || isnan(box[2]) || isnan(box[3])) continue;
        float sigmas = logistic_f(p[stride]) + logistic_f(p[3 * stride]) + logistic_f(p[5 * stride]) + logistic_f(p[7 * stride]);
        double uc_aver = sigmas / 4.0;
        for (int j = 0; j < hd->classes; j++) {
            float prob = (float)(obj * logistic_f(p[(size_t)(9 + j) * stride]) * (1.0 - uc_aver));
            if (!(prob > thresh)) continue;
            DRT_TRY(reserve(out, 1));
            out->items[out->count++] = (drt_candidate){box[0], box[1], box[2], box[3], prob, j, id0 + (unsigned)i};
        }
    }
    return DRT_OK;
}

/* A [region]'s classes: AlexeyAB's softmax (largest subtracted, exp in double stored as float). */
static drt_status region_classes(const drt_yolo_head *hd, const float *cls, size_t stride, float obj, float thresh,
                                 const float box[4], unsigned id, drt_candidates *out)
{
    float largest = -INFINITY, sum = 0;
    for (int j = 0; j < hd->classes; j++) largest = fmaxf(largest, cls[(size_t)j * stride]);
    for (int j = 0; j < hd->classes; j++) sum += (float)exp(cls[(size_t)j * stride] - largest);
    for (int j = 0; j < hd->classes; j++) {
        float prob = obj * ((float)exp(cls[(size_t)j * stride] - largest) / sum);
        if (!(prob > thresh)) continue;
        DRT_TRY(reserve(out, 1));
        out->items[out->count++] = (drt_candidate){box[0], box[1], box[2], box[3], prob, j, id};
    }
    return DRT_OK;
}

/* Appends the classes of one cell-anchor whose objectness x probability exceeds thresh. */
static drt_status cell_classes(const drt_yolo_head *hd, const float *cls, size_t stride, float obj,
                               float thresh, const float box[4], unsigned id, drt_candidates *out)
{
    float cut = hd->new_coords ? (float)(thresh / obj) - 1e-6f : drt_logit_floor(thresh / obj);
    for (int j = 0; j < hd->classes; j++) {
        float t = cls[(size_t)j * stride];
        if (t <= cut) continue;
        float prob = obj * (hd->new_coords ? t : logistic(t));
        if (!(prob > thresh)) continue;
        DRT_TRY(reserve(out, 1));
        out->items[out->count++] = (drt_candidate){box[0], box[1], box[2], box[3], prob, j, id};
    }
    return DRT_OK;
}

/* YOLOv1's [detection] (AlexeyAB's get_detection_detections, its forward's softmax first): for cell i (row-major)
 * and box n, the objectness p[side^2 x classes + i x num + n], the box p[side^2 x (classes + num) + (i x num + n)
 * x 4 ...]: x = (x + col) / side, y likewise, w = w^2 (sqrt=1) or w; each class: objectness x p[i x classes + j].
 * Raw values, no logistic: a negative objectness times a negative class is a positive score, as there. */
static drt_status detection_head(const drt_yolo_head *hd, const drt_box_map *m, float thresh, drt_candidates *out)
{
    int side = hd->w, cells = side * side;
    const float *p = hd->data;
    float *probs = malloc(sizeof(float) * (size_t)(hd->classes > 0 ? hd->classes : 1));
    if (!probs) return drt_error(DRT_STATUS_OOM, "detect: out of memory for %d classes", hd->classes);
    drt_status s = DRT_OK;
    for (int i = 0; s == DRT_OK && i < cells; i++) {
        const float *cls = p + (size_t)i * hd->classes;
        for (int j = 0; j < hd->classes; j++) probs[j] = cls[j];
        if (hd->det_softmax) { /* AlexeyAB's softmax: the largest subtracted, exp in double stored as float */
            float largest = -INFINITY, sum = 0;
            for (int j = 0; j < hd->classes; j++) largest = fmaxf(largest, probs[j]);
            for (int j = 0; j < hd->classes; j++) sum += probs[j] = (float)exp(probs[j] - largest);
            for (int j = 0; j < hd->classes; j++) probs[j] /= sum;
        }
        for (int n = 0; s == DRT_OK && n < hd->n; n++) {
            float scale = p[(size_t)cells * hd->classes + (size_t)i * hd->n + n];
            const float *b = p + (size_t)cells * (hd->classes + hd->n) + ((size_t)i * hd->n + n) * 4;
            float bx = (b[0] + (float)(i % side)) / side, by = (b[1] + (float)(i / side)) / side;
            float bw = hd->det_sqrt ? (float)((double)b[2] * b[2]) : b[2], bh = hd->det_sqrt ? (float)((double)b[3] * b[3]) : b[3];
            float box[4];
            to_pixels(bx, by, bw, bh, m, box);
            if (isnan(box[0]) || isnan(box[1]) || isnan(box[2]) || isnan(box[3])) continue;
            for (int j = 0; s == DRT_OK && j < hd->classes; j++) {
                float prob = scale * probs[j];
                if (!(prob > thresh) || (s = reserve(out, 1)) != DRT_OK) continue;
                out->items[out->count++] =
                    (drt_candidate){box[0], box[1], box[2], box[3], prob, j, out->next_id + (unsigned)(i * hd->n + n)};
            }
        }
    }
    free(probs);
    out->next_id += (unsigned)(cells * hd->n);
    return s;
}

drt_status drt_yolo_decode_head(const drt_yolo_head *hd, int net_w, int net_h, int img_w, int img_h,
                                drt_resize resize, float thresh, drt_candidates *out)
{
    if (hd->n < 1 || hd->n > 32 || hd->classes < 0 || hd->w < 1 || hd->h < 1)
        return drt_error(DRT_STATUS_INVALID_ARG, "detect: head %dx%d with %d anchors and %d classes",
                         hd->w, hd->h, hd->n, hd->classes);
    drt_box_map m = drt_yolo_box_map(net_w, net_h, img_w, img_h, resize);
    if (hd->detection) return detection_head(hd, &m, thresh, out);
    size_t stride = (size_t)hd->w * (size_t)hd->h;
    float obj_cut = hd->new_coords ? thresh : drt_logit_floor(thresh);
    for (int a = 0; a < hd->n && hd->gaussian; a++)
        DRT_TRY(gaussian_anchor(hd, hd->data + (size_t)a * (size_t)(9 + hd->classes) * stride, stride, a, net_w, net_h, &m,
                                thresh, out->next_id + (unsigned)((size_t)a * stride), out));
    for (int a = 0; a < hd->n && !hd->gaussian; a++) {
        const float *base = hd->data + (size_t)a * (size_t)(5 + hd->classes) * stride;
        const float *objp = base + 4 * stride;
        for (size_t i = 0; i < stride; i++) {
            if (objp[i] <= obj_cut) continue;
            float obj = hd->new_coords ? objp[i] : logistic(objp[i]);
            if (obj <= thresh) continue;
            float box[4];
            cell_box(hd, base + i, stride, a, (int)(i % hd->w), (int)(i / hd->w), net_w, net_h, &m, box);
            /* NaN heads give no box; an overflowed exp (inf size) is clamped to the image later. */
            if (isnan(box[0]) || isnan(box[1]) || isnan(box[2]) || isnan(box[3])) continue;
            unsigned id = out->next_id + (unsigned)((size_t)a * stride + i);
            if (hd->region) DRT_TRY(region_classes(hd, base + 5 * stride + i, stride, obj, thresh, box, id, out));
            else DRT_TRY(cell_classes(hd, base + 5 * stride + i, stride, obj, thresh, box, id, out));
        }
    }
    out->next_id += (unsigned)((size_t)hd->n * stride);
    return DRT_OK;
}
