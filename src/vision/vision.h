/* Internals of src/vision: decoders, Darknet's resize, YOLO decode and NMS on raw head arrays. */
#ifndef DRT_VISION_VISION_H
#define DRT_VISION_VISION_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "darkrt.h"

#define DRT_IMAGE_MAX_FILE_BYTES ((size_t)1 << 30) /* image files read at most */

/* Refuses dimensions that are zero or exceed DRT_IMAGE_MAX_PIXELS (before any allocation). */
drt_status drt_image_check_size(const char *path, const char *format, long long w, long long h);

/* Converts interleaved 8-bit pixels (n_in = 1 grey, 3 RGB, or more: extra channels ignored)
 * to a 3-channel planar float image in [0,1], applying EXIF orientation 1..8. */
drt_status drt_image_from_u8(const char *path, const uint8_t *pixels, int w, int h, int n_in,
                             int orientation, drt_image **image_out);

/* Source pixel of output pixel (x, y) for EXIF orientation o (1..8); w, h are the source's. */
void drt_oriented_source(int o, int x, int y, int w, int h, int *sx, int *sy);

/* Decoded 8-bit pixels before orientation: n interleaved channels (1 grey, 3 RGB), malloc'd. */
typedef struct drt_u8_pixels {
    uint8_t *data;
    int w, h, n, orientation;
    int full_w, full_h; /* decoded at 1/scale (drt_jpeg_decode_u8_fit): the file's size; else 0 */
    int scale;          /* 2, 4 or 8 with full_w; else 0 */
} drt_u8_pixels;

/* JPEG straight to 8 bits, with its EXIF orientation. */
drt_status drt_jpeg_decode_u8(const char *path, const uint8_t *data, size_t size, drt_u8_pixels *out);
/* Where a decoder puts its pixels instead of malloc (the caller's memory: page-locked, say);
 * alloc never fails short of malloc failing; release takes back what alloc gave. */
typedef struct drt_pixel_alloc {
    void *(*alloc)(void *ctx, size_t bytes);
    void (*release)(void *ctx, void *ptr);
    void *ctx;
} drt_pixel_alloc;
/* drt_jpeg_decode_u8 into a's memory (out->data is a's). */
drt_status drt_jpeg_decode_u8_into(const char *path, const uint8_t *data, size_t size, const drt_pixel_alloc *a,
                                   drt_u8_pixels *out);
/* drt_jpeg_decode_u8_into at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling: far less IDCT and colour
 * work) when the picture at that scale still covers its resize into net_w x net_h (letterbox: the
 * aspect kept; else stretched), so the resize only shrinks; out->full_w/full_h: the file's size
 * (before orientation) when scaled. The pixels differ from a full decode's then: close, not equal. */
drt_status drt_jpeg_decode_u8_fit(const char *path, const uint8_t *data, size_t size, const drt_pixel_alloc *a,
                                  int net_w, int net_h, int letterbox, drt_u8_pixels *out);
/* 1 when a device JPEG decoder takes the file as it is (its header: baseline Huffman, 8-bit YCbCr,
 * 4:4:4/4:2:2/4:4:0/4:2:0, no EXIF rotation, a sane size), with its size in *w, *h; 0 for the
 * host decoder (anything else, or not a JPEG). */
int drt_jpeg_device_ok(const char *path, const uint8_t *data, size_t size, int *w, int *h);

/* A tight RGB8 frame of the pixels with the orientation applied; takes px->data (freed or kept). */
drt_status drt_frame_from_u8(const char *path, drt_u8_pixels *px, drt_frame *out);

/* In-tree only: an NVDEC frame left on the GPU; data points to its drt_nv12_gpu (vision/nv12-sws.h),
 * which drt_frame_release releases and frees. The public API refuses it (drt_frame_check); the
 * pipeline takes it from in-tree callers (drt_pipeline_submit_frame_adopt) for a device's
 * preprocess_frame. */
#define DRT_PIXEL_NV12_GPU ((drt_pixel_format)0x100)

/* Converts a frame (RGB8, BGR8, NV12, any stride) into a new tight RGB8 frame (malloc'd). */
drt_status drt_frame_to_rgb8(const drt_frame *in, drt_frame *out);

/* Refuses a malformed frame: sizes, the pixel limit, format, stride, data. */
drt_status drt_frame_check(const drt_frame *f);


/* Decoders of one in-memory file to 8-bit pixels; path only names it in messages. PNG and
 * BMP/PNM (stb) have no orientation (1). */
drt_status drt_png_decode_u8(const char *path, const uint8_t *data, size_t size, drt_u8_pixels *out);
drt_status drt_stb_decode_u8(const char *path, const uint8_t *data, size_t size, drt_u8_pixels *out);
/* Any format darkrt reads, by its magic bytes: the one decoder behind drt_image_load (floats) and
 * drt_frame_load (bytes), so neither converts through the other. */
drt_status drt_image_decode_u8(const char *path, const uint8_t *data, size_t size, drt_u8_pixels *out);
/* The file read (regular files, at most 1 GiB) and decoded by drt_image_decode_u8. */
drt_status drt_image_read_u8(const char *path, drt_u8_pixels *out);

/* EXIF orientation (1..8) from an APP1 "Exif" payload; 1 when absent or malformed. */
int drt_exif_orientation(const uint8_t *app1, size_t size);

/* Darknet's resize_image (two-pass bilinear, its exact float arithmetic) of planar src into
 * planar dst of dst_w x dst_h, row stride dst_stride and plane stride dst_plane (floats).
 * scratch holds dst_w * src->h floats. */
void drt_darknet_resize(const drt_image *src, int dst_w, int dst_h, float *dst, size_t dst_stride,
                        size_t dst_plane, float *scratch);

/* Darknet's resize_image step between source pixels for dst pixels: (src - 1) / (dst - 1). */
float drt_darknet_resize_scale(int src, int dst);

/* Darknet's letterbox geometry: the resized size inside net_w x net_h. */
void drt_letterbox_size(int img_w, int img_h, int net_w, int net_h, int *new_w, int *new_h);

/* One YOLO head of one batch item, as the [yolo] layer sees its input. */
typedef struct drt_yolo_head {
    const float *data;     /* n * (5 + classes) planes of w * h floats */
    int w, h, n, classes;
    float anchors[64];     /* w, h of each of the n anchors (masked), in network pixels */
    float scale_x_y;       /* 1 when absent */
    int new_coords;        /* Scaled-YOLOv4: already logistic, w = (2 t)^2 anchor */
    int region;            /* YOLOv2 [region]: softmax classes, anchors in grid cells */
    int gaussian;          /* [Gaussian_yolo]: n * (9 + classes) planes, scores x (1 - mean sigma) */
    int detection;         /* YOLOv1 [detection]: 1 when w = h = side, data laid out as get_detection_detections reads */
    int det_sqrt, det_softmax; /* [detection]: w, h squared; softmax over each cell's classes */
} drt_yolo_head;

/* How network-relative boxes map to image pixels (Darknet's correct_yolo_boxes):
 * x_img = (x - off_x) / div_x * img_w; sizes are multiplied by mul_w, mul_h. */
typedef struct drt_box_map {
    double off_x, off_y;
    float div_x, div_y, mul_w, mul_h;
    int img_w, img_h;
} drt_box_map;

drt_box_map drt_yolo_box_map(int net_w, int net_h, int img_w, int img_h, drt_resize resize);

/* The logit of p, lowered a little so the exact test after it decides borderline values. */
float drt_logit_floor(double p);

/* Head h of engine e for batch item `item`, with its [yolo] parameters (data: e->heads). */
drt_status drt_engine_yolo_head(const drt_engine *e, int h, int item, drt_yolo_head *hd);

/* drt_detect_decode from the heads of ctx, a context of e, after its last drt_context_run (o: a full,
 * settled drt_detect_opts). */
drt_status drt_detect_decode_context(const drt_engine *e, const drt_context *ctx, int item, int img_w, int img_h,
                                     const drt_detect_opts *o, drt_detections **dets_out);

/* A candidate box: one class of one cell-anchor. */
typedef struct drt_candidate {
    float x1, y1, x2, y2; /* image pixels, not clamped */
    float score;
    int class_id;
    unsigned id; /* the cell-anchor, counted over the heads in order: fixes the order of equal scores */
} drt_candidate;

/* A growable array of candidates (one allocation, reused). */
typedef struct drt_candidates {
    drt_candidate *items;
    size_t count, cap;
    unsigned next_id; /* id of the next head's first cell-anchor */
} drt_candidates;

/* Appends the candidates of one head above thresh (Darknet's get_yolo_detections with
 * correct_yolo_boxes), in image pixels; the head's cell-anchor ids start at out->next_id. */
drt_status drt_yolo_decode_head(const drt_yolo_head *head, int net_w, int net_h, int img_w,
                                int img_h, drt_resize resize, float thresh, drt_candidates *out);

/* What NMS compares: the kind, its threshold and exponent, and the image size (DIoU works on
 * image-relative boxes, as Darknet's). */
typedef struct drt_nms_rule {
    drt_nms_kind kind;
    float thresh, beta;
    float img_w, img_h;
} drt_nms_rule;

drt_nms_rule drt_nms_rule_of(const drt_detect_opts *o, int img_w, int img_h);

/* Per-class greedy NMS with Darknet's do_nms_sort / AlexeyAB's diounms_sort semantics (sort by
 * score, drop a box whose overlap with a kept higher one exceeds the threshold); keeps survivors
 * in c, sorted by score. Equal scores go by id, so the result does not depend on the candidates'
 * order (the GPU's is another). */
void drt_nms_per_class(drt_candidates *c, const drt_nms_rule *rule);

float drt_box_iou(float ax1, float ay1, float ax2, float ay2, float bx1, float by1, float bx2,
                  float by2);

/* Turns candidates into detections, clamped to the image unless `unclipped` (caller frees with
 * drt_detections_free). */
drt_status drt_detections_from_candidates(const drt_candidates *c, int img_w, int img_h, int unclipped,
                                          drt_detections **dets_out);

/* Refuses a batch size outside 1..max batch and stage places the engine cannot run. */
drt_status drt_detect_check(const drt_engine *e, int n, const drt_detect_opts *o);

/* The two halves of drt_detect_run_decode. run: the engine on n preprocessed items (async: on a
 * device, with the heads left there for a device decode, it may return before the device is done,
 * so times[i].inference_ms is the launch; the decode waits); postprocess: YOLO decode + NMS of
 * that run (times[i].postprocess_ms). ctx: the run state they work on, that of the batch's begin
 * (NULL: the engine's own; else a context of e, whose heads the host decode reads). */
drt_status drt_detect_run(drt_engine *e, drt_context *ctx, const float *input, int n, const drt_detect_opts *o, int async,
                          drt_stage_times *times);
drt_status drt_detect_postprocess(drt_engine *e, drt_context *ctx, int n, const int *img_wh, const drt_detect_opts *o,
                                  drt_detections **dets_out, drt_stage_times *times);
/* The engine run and the postprocessing of drt_detect_batch, after preprocessing: input is the
 * host's float batch (NULL when the device's input was filled); img_wh: width, height of each
 * item. Fills dets_out[n] and times[i].inference_ms/postprocess_ms; on error no detections. */
drt_status drt_detect_run_decode(drt_engine *e, const float *input, int n, const int *img_wh,
                                 const drt_detect_opts *o, drt_detections **dets_out, drt_stage_times *times);

/* The device hook of the pipeline: detections for n decoded 8-bit frames (1..max batch) in one
 * engine run, identical to drt_detect_batch on the same pixels. host_input: the frames already
 * letterboxed on the host into n consecutive network inputs (the pipeline's workers do that for
 * host preprocessing), or NULL: this call preprocesses, on the host or, with pre on the device,
 * through the backend's stages (preprocess_frame when it has one: 8-bit upload). */
drt_status drt_detect_frames(drt_engine *e, const drt_frame *const *frames, int n, const drt_detect_opts *o,
                             const float *host_input, drt_detections **dets_out, drt_stage_times *times);
/* The same where item i may come as JPEG bytes to decode on the device (jpegs[i].data; frames[i]
 * then gives only its size, data NULL): the backend's preprocess_jpegs, and the host decoder for
 * the files it refuses. jpegs NULL: drt_detect_frames. */
struct drt_jpeg_src;
drt_status drt_detect_frames_jpeg(drt_engine *e, const drt_frame *const *frames, const struct drt_jpeg_src *jpegs,
                                  int n, const drt_detect_opts *o, const float *host_input, drt_detections **dets_out,
                                  drt_stage_times *times);
/* Its first part with pre on the device: checks, then the device input of run state ctx (NULL: the
 * engine's own; else a context of e) filled (enqueued: the device may still be working on it).
 * drt_detect_run and drt_detect_postprocess with the same ctx finish it; meanwhile the frames' and
 * JPEGs' bytes must stay as they are. */
drt_status drt_detect_frames_begin(drt_engine *e, drt_context *ctx, const drt_frame *const *frames,
                                   const struct drt_jpeg_src *jpegs, int n, const drt_detect_opts *o, drt_stage_times *times);
/* Starts the device's decode of the JPEGs (jpegs[i].data) of the next drt_detect_frames_begin with
 * the same jpegs and n, from another thread while the engine runs the batch before and its results
 * are taken (drt_device_stages.prefetch_jpegs; nothing where the device has none): begin then only
 * letterboxes them. Not concurrently with begin. */
drt_status drt_detect_frames_prefetch(drt_engine *e, const struct drt_jpeg_src *jpegs, int n);

#endif
