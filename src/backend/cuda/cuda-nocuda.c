/* The CUDA backend in a build without nvcc: every call says so. */
#include "engine/engine.h"
#include "core/error.h"
static drt_status create(drt_engine *e, const void *b, size_t n)
{
    (void)e; (void)b; (void)n;
    return drt_error(DRT_STATUS_UNSUPPORTED, "cuda: this darkrt was built without CUDA (nvcc was not found)");
}
static drt_status check_plan(const void *b, size_t n, const char *path)
{
    (void)b; (void)n;
    return drt_error(DRT_STATUS_UNSUPPORTED, "%s: a CUDA plan, and this darkrt was built without CUDA (nvcc was not found)", path);
}
static drt_status run(drt_engine *e, const float *in, int b) { (void)e; (void)in; (void)b; return DRT_STATUS_UNSUPPORTED; }
const drt_backend drt_backend_cuda = {.name = "cuda", .device = DRT_DEVICE_CUDA, .create = create, .run = run,
                                    .check_plan = check_plan};
