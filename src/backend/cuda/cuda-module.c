/* libdarkrt-cuda.so's one export: the CUDA backend for the library that loads it (core/module.h). */
#include "backend/cuda/cuda-internal.h"
#include "core/module.h"

DRT_MODULE_ENTRY const void *drt_module_cuda(const drt_module_host *host)
{
    return drt_module_attach(host) ? &drt_backend_cuda : NULL;
}
