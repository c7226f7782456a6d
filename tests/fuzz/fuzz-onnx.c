/* libFuzzer target: the ONNX importer (drt_model_load_onnx). */
#include "fuzz-common.h"

static int fuzz_onnx(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_file("input.onnx", data, size);
    drt_load_opts o = fuzz_load_opts();
    drt_model *m = NULL;
    drt_status s = drt_model_load_onnx(path, &o, &m);
    fuzz_check_result("onnx load", s, m, path);
    if (m) fuzz_exercise_model(m);
    drt_model_free(m);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_onnx(data, size); }
#endif
