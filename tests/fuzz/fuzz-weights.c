/* libFuzzer target: the Darknet weights reader, on a fixed tiny cfg (corpus/cfg/tiny-yolo.cfg). */
#include "fuzz-common.h"

static const char fuzz_weights_cfg[] =
    "[net]\n"
    "batch=1\n"
    "subdivisions=1\n"
    "width=16\n"
    "height=16\n"
    "channels=3\n"
    "\n"
    "[convolutional]\n"
    "batch_normalize=1\n"
    "filters=8\n"
    "size=3\n"
    "stride=1\n"
    "pad=1\n"
    "activation=leaky\n"
    "\n"
    "[maxpool]\n"
    "size=2\n"
    "stride=2\n"
    "\n"
    "[convolutional]\n"
    "batch_normalize=1\n"
    "filters=8\n"
    "groups=8\n"
    "size=3\n"
    "stride=1\n"
    "pad=1\n"
    "activation=relu\n"
    "\n"
    "[shortcut]\n"
    "from=-2\n"
    "activation=linear\n"
    "\n"
    "[convolutional]\n"
    "filters=12\n"
    "size=1\n"
    "stride=1\n"
    "pad=1\n"
    "activation=linear\n"
    "\n"
    "[yolo]\n"
    "mask=0,1\n"
    "anchors=2,3, 4,5, 8,9\n"
    "classes=1\n"
    "num=3\n"
    "\n"
    "[route]\n"
    "layers=-3\n"
    "\n"
    "[upsample]\n"
    "stride=2\n"
    "\n"
    "[route]\n"
    "layers=-1,0\n"
    "\n"
    "[maxpool]\n"
    "size=2\n"
    "stride=1\n"
    "\n"
    "[convolutional]\n"
    "filters=12\n"
    "size=1\n"
    "stride=1\n"
    "pad=1\n"
    "activation=linear\n"
    "\n"
    "[yolo]\n"
    "mask=1,2\n"
    "anchors=2,3, 4,5, 8,9\n"
    "classes=1\n"
    "num=3\n";

static int fuzz_weights(const uint8_t *data, size_t size)
{
    static char cfg_path[320];
    if (!cfg_path[0])
        snprintf(cfg_path, sizeof cfg_path, "%s",
                 fuzz_write_file("fixed.cfg", (const uint8_t *)fuzz_weights_cfg, sizeof fuzz_weights_cfg - 1));
    const char *path = fuzz_write_file("input.weights", data, size);
    drt_load_opts o = fuzz_load_opts();
    drt_model *m = NULL;
    drt_status s = drt_model_load_darknet(cfg_path, path, &o, &m);
    fuzz_check_result("weights load", s, m, path);
    if (m) fuzz_exercise_model(m);
    drt_model_free(m);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_weights(data, size); }
#endif
