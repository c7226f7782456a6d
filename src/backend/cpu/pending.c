/* PENDING (helper cpu): replaced by the optimized CPU engine. */
#include "engine/engine.h"
#include "core/error.h"
static drt_status create(drt_engine *e, const void *b, size_t n) { (void)e; (void)b; (void)n; return drt_error(DRT_STATUS_UNSUPPORTED, "cpu engine pending"); }
static drt_status run(drt_engine *e, const float *in, int b) { (void)e; (void)in; (void)b; return DRT_STATUS_UNSUPPORTED; }
const drt_backend drt_backend_cpu = {.name = "cpu", .device = DRT_DEVICE_CPU, .create = create, .run = run};
drt_status drt_engine_save_plan(const drt_engine *e, const char *p) { (void)e; (void)p; return drt_error(DRT_STATUS_UNSUPPORTED, "plans pending"); }
drt_status drt_engine_load_plan(const char *p, const drt_engine_opts *o, drt_engine **e) { (void)p; (void)o; *e = NULL; return drt_error(DRT_STATUS_UNSUPPORTED, "plans pending"); }
