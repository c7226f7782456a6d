/* PENDING (helper onnx): replaced by onnx-export.c, onnx-import.c. */
#include "graph/model.h"
#include "core/error.h"
drt_status drt_model_load_onnx(const char *p, const drt_load_opts *o, drt_model **m)
{ (void)p; (void)o; *m = NULL; return drt_error(DRT_STATUS_UNSUPPORTED, "onnx pending"); }
drt_onnx_opts drt_onnx_opts_default(void) { return (drt_onnx_opts){.size = sizeof(drt_onnx_opts), .opset = 13, .batch = 1}; }
drt_status drt_model_export_onnx(const drt_model *m, const char *p, const drt_onnx_opts *o)
{ (void)m; (void)p; (void)o; return drt_error(DRT_STATUS_UNSUPPORTED, "onnx pending"); }
