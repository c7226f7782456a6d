/* darkrt convert: Darknet cfg + weights (or an ONNX file) -> ONNX. */
#include <stdio.h>
#include <string.h>

#include "cli-util.h"
#include "commands.h"

static const char *const help =
    "usage: darkrt convert CFG [WEIGHTS] -o MODEL.onnx [options]   (weights positional or -w)\n"
    "       darkrt convert MODEL.onnx -o OUT.onnx [options]   (re-export an ONNX file through darkrt's importer)\n"
    "\n"
    "Writes an ONNX graph that computes exactly what Darknet computes. Input \"images\" float\n"
    "[N,3,H,W] (RGB, pixel/255, letterboxed with 0.5 by default); outputs head0, head1, ... are the\n"
    "raw tensors entering each [yolo] layer; metadata_props carry anchors, masks, classes, scale_x_y,\n"
    "new_coords, input size, class names and the preprocessing contract.\n"
    "\n"
    "  -o FILE              output .onnx (written atomically)\n"
    "  -w, --weights FILE   the cfg's .weights (or the second argument)\n"
    "  --random-weights     synthesised weights instead (darkrt synth, seed 1)\n"
    "  --anchors LIST --masks LIST [--classes N]  YOLO heads of an ONNX file without darkrt's\n"
    "                       metadata (see darkrt detect --help); written into the output's metadata\n"
    "  --opset N            ONNX opset, 9..18 (default 13; 11 is also common; below 10 writes Upsample)\n"
    "  --batch N|dynamic    input batch: a fixed N (default 1) or a symbolic \"batch\" dimension\n"
    "  --size WxH           network input size (default: the cfg's width x height)\n"
    "  --fold-bn            fold batchnorm into the conv weights and biases\n"
    "  --bn alexeyab|pjreddie  the Darknet fork's batchnorm formula (default alexeyab = ONNX's\n"
    "                       BatchNormalization). pjreddie's (x-mean)/(sqrt(var)+1e-6) has no ONNX op,\n"
    "                       so --bn pjreddie always folds batchnorm (implies --fold-bn)\n"
    "  --names FILE         class names, one a line, stored in the metadata\n"
    "  --decode             append the YOLO decode and per-class NonMaxSuppression (opset >= 11), as\n"
    "                       darkrt detect does: a second input \"image_size\" float [N,2] gives each\n"
    "                       image's (width, height) before the letterbox; outputs \"boxes\" [K,4] float\n"
    "                       (x1, y1, x2, y2 in image pixels, clamped to the image), \"scores\" [K] float,\n"
    "                       \"class_ids\" [K] int64, \"image_index\" [K] int64 (grouped by image, then class,\n"
    "                       by falling score)\n"
    "  --thresh X, --nms X  with --decode: score threshold (default 0.25) and NMS IoU (default 0.45)\n";

int drt_cmd_convert(int argc, char **argv)
{
    const char *pos[2] = {0}, *out = NULL, *names = NULL, *weights = NULL;
    int n_pos = 0, took;
    drt_onnx_opts o = drt_onnx_opts_default();
    drt_load_opts lo = drt_load_opts_default();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(help, stdout);
            return 0;
        } else if (!strcmp(a, "-o") && v) {
            out = v, i++;
        } else if ((!strcmp(a, "-w") || !strcmp(a, "--weights")) && v) {
            weights = v, i++;
        } else if (!strcmp(a, "--opset") && v) {
            if (cli_parse_int("convert", a, v, 9, 18, &o.opset)) return 2;
            i++;
        } else if (!strcmp(a, "--batch") && v) {
            if (!strcmp(v, "dynamic")) o.batch = 0;
            else if (cli_parse_int("convert", a, v, 1, 65536, &o.batch)) return 2;
            i++;
        } else if (!strcmp(a, "--size") && v) {
            if (cli_parse_size("convert", a, v, &lo.width, &lo.height)) return 2;
            i++;
        } else if (!strcmp(a, "--fold-bn")) {
            o.fold_bn = 1;
        } else if (!strcmp(a, "--bn") && v) {
            if (!strcmp(v, "alexeyab")) lo.bn = DRT_BN_ALEXEYAB;
            else if (!strcmp(v, "pjreddie")) lo.bn = DRT_BN_PJREDDIE, o.fold_bn = 1;
            else return cli_usage_error("convert", "--bn %s: must be alexeyab or pjreddie", v);
            i++;
        } else if (!strcmp(a, "--names") && v) {
            names = v, i++;
        } else if (!strcmp(a, "--decode")) {
            o.decode = 1;
        } else if ((!strcmp(a, "--thresh") || !strcmp(a, "--nms")) && v) {
            if (cli_parse_float("convert", a, v, 0, 1, a[2] == 't' ? &o.decode_thresh : &o.decode_nms)) return 2;
            i++;
        } else if ((took = cli_model_option("convert", a, v, &weights)) >= 0) {
            if (!took) return 2;
            i += took - 1;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error("convert", "%s: unknown option or missing value (darkrt convert --help)", a);
        } else if (n_pos < 2) {
            pos[n_pos++] = a;
        } else {
            return cli_usage_error("convert", "%s: too many arguments (CFG WEIGHTS -o OUT.onnx)", a);
        }
    }
    if (n_pos == 2 && weights) return cli_usage_error("convert", "%s: weights given twice (-w %s)", pos[1], weights);
    if (n_pos == 2) weights = pos[1];
    if (!out || n_pos < 1 || (cli_has_suffix(pos[0], ".onnx") && n_pos != 1))
        return cli_usage_error("convert", "need CFG WEIGHTS -o OUT.onnx, or MODEL.onnx -o OUT.onnx (darkrt convert --help)");
    drt_model *m = NULL;
    drt_status s = cli_load_model(pos[0], weights, &lo, names, &m);
    if (s == DRT_OK) s = drt_model_export_onnx(m, out, &o);
    drt_model_free(m);
    if (s != DRT_OK) return cli_fail(s);
    fprintf(cli_summary_stream(out), "wrote %s (opset %d, batch %s%s%s)\n", out, o.opset, o.batch > 0 ? "fixed" : "dynamic",
            o.fold_bn ? ", batchnorm folded" : "", o.decode ? ", decode + NMS" : "");
    return 0;
}
