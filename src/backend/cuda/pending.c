/* PENDING (helper cuda): replaced by the CUDA backend (cuda-backend.c + *.cu). Compiled only in CUDA builds. */
#ifdef DRT_HAVE_CUDA
#include "engine/engine.h"
#include "core/error.h"
static drt_status create(drt_engine *e, const void *b, size_t n) { (void)e; (void)b; (void)n; return drt_error(DRT_STATUS_UNSUPPORTED, "cuda pending"); }
static drt_status run(drt_engine *e, const float *in, int b) { (void)e; (void)in; (void)b; return DRT_STATUS_UNSUPPORTED; }
const drt_backend drt_backend_cuda = {.name = "cuda", .device = DRT_DEVICE_CUDA, .create = create, .run = run};
#else
typedef int drt_cuda_pending_unused;
#endif
