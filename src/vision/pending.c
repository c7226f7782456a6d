/* PENDING (helper vision): replaced by image-io.c, letterbox.c, yolo-decode.c, nms.c, draw.c. */
#include "darkrt.h"
#include "core/error.h"
drt_status drt_image_load(const char *p, drt_image **o) { (void)p; *o = NULL; return drt_error(DRT_STATUS_UNSUPPORTED, "pending"); }
drt_status drt_image_create(int w, int h, int c, drt_image **o) { (void)w; (void)h; (void)c; *o = NULL; return drt_error(DRT_STATUS_UNSUPPORTED, "pending"); }
void drt_image_free(drt_image *i) { (void)i; }
drt_status drt_image_preprocess(const drt_image *i, drt_resize m, int w, int h, float *o) { (void)i; (void)m; (void)w; (void)h; (void)o; return DRT_STATUS_UNSUPPORTED; }
drt_status drt_image_save_png(const drt_image *i, const char *p) { (void)i; (void)p; return DRT_STATUS_UNSUPPORTED; }
drt_detect_opts drt_detect_opts_default(void) { return (drt_detect_opts){.size = sizeof(drt_detect_opts), .thresh = .25f, .nms = .45f}; }
drt_status drt_detect_image(drt_engine *e, const drt_image *i, const drt_detect_opts *o, drt_detections **d, drt_stage_times *t) { (void)e; (void)i; (void)o; (void)t; *d = NULL; return DRT_STATUS_UNSUPPORTED; }
drt_status drt_detect_decode(const drt_engine *e, int it, int w, int h, const drt_detect_opts *o, drt_detections **d) { (void)e; (void)it; (void)w; (void)h; (void)o; *d = NULL; return DRT_STATUS_UNSUPPORTED; }
void drt_detections_free(drt_detections *d) { (void)d; }
void drt_detections_draw(drt_image *i, const drt_detections *d, const drt_model *m) { (void)i; (void)d; (void)m; }
