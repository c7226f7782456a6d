/* libFuzzer target: the Darknet cfg parser (drt_model_load_darknet without weights). */
#include "fuzz-common.h"

static int fuzz_cfg(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_file("input.cfg", data, size);
    drt_load_opts o = fuzz_load_opts();
    drt_model *m = NULL;
    drt_status s = drt_model_load_darknet(path, NULL, &o, &m);
    fuzz_check_result("cfg load", s, m, path);
    if (m) fuzz_exercise_model(m);
    drt_model_free(m);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_cfg(data, size); }
#endif
