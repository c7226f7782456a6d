/* PENDING (helper darknet): replaced by cfg-parse.c, weights.c, synth.c, inspect.c. */
#include "graph/model.h"
#include "core/error.h"
drt_status drt_model_load_darknet(const char *c, const char *w, const drt_load_opts *o, drt_model **m)
{ (void)c; (void)w; (void)o; *m = NULL; return drt_error(DRT_STATUS_UNSUPPORTED, "darknet loader pending"); }
drt_status drt_model_load(const char *p, const char *w, const drt_load_opts *o, drt_model **m)
{ return drt_model_load_darknet(p, w, o, m); }
drt_status drt_model_synth_weights(drt_model *m, uint64_t s) { (void)m; (void)s; return drt_error(DRT_STATUS_UNSUPPORTED, "pending"); }
drt_status drt_model_save_weights(const drt_model *m, const char *p) { (void)m; (void)p; return drt_error(DRT_STATUS_UNSUPPORTED, "pending"); }
drt_status drt_model_set_names_file(drt_model *m, const char *p) { (void)m; (void)p; return drt_error(DRT_STATUS_UNSUPPORTED, "pending"); }
double drt_model_flops(const drt_model *m) { (void)m; return 0; }
drt_status drt_model_print(const drt_model *m, FILE *f) { (void)m; (void)f; return drt_error(DRT_STATUS_UNSUPPORTED, "pending"); }
