/* PENDING (helper ref): replaced by the reference forward pass. */
#include "engine/engine.h"
#include "core/error.h"
static drt_status create(drt_engine *e, const void *b, size_t n) { (void)e; (void)b; (void)n; return drt_error(DRT_STATUS_UNSUPPORTED, "ref pending"); }
static drt_status run(drt_engine *e, const float *in, int b) { (void)e; (void)in; (void)b; return DRT_STATUS_UNSUPPORTED; }
const drt_backend drt_backend_ref = {.name = "ref", .device = DRT_DEVICE_REF, .create = create, .run = run};
