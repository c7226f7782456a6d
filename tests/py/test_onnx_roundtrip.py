#!/usr/bin/env python3
"""Round trip: Darknet -> ONNX (darkrt convert) -> darkrt's importer -> reference pass equals the
reference pass on the Darknet cfg + weights; and re-exporting the imported model (darkrt convert
MODEL.onnx) still matches onnxruntime. yolov3/yolov3-spp at 160x160 to keep ASan runs short."""
import os

import onnx

import onnxtest as t


def roundtrip(name, size, *flags):
    cfg, w = t.model(name)
    d = t.tmpdir()
    size_flags = ["--size", "%dx%d" % size] if size else []
    path = os.path.join(d, "m.onnx")
    t.darkrt("convert", cfg, w, "-o", path, *flags, *size_flags)
    dims = onnx.load(path, load_external_data=False).graph.input[0].type.tensor_type.shape.dim
    x = t.inputs(2, 3, dims[2].dim_value, dims[3].dim_value, seed=7)
    ref = t.ref_run(cfg, x, "--weights", w, *size_flags)
    got = t.ref_run(path, x)
    what = "%s %s" % (name, " ".join(flags) or "default")
    ratio = t.compare(what + ": darkrt run .onnx vs .cfg", got, ref)
    if "--fold-bn" not in flags:
        # the importer keeps BatchNormalization as Darknet's batchnorm: the same arithmetic
        t.check(ratio == 0, what + ": unfolded round trip should be bit-identical, ratio %g" % ratio)
    again = os.path.join(d, "again.onnx")
    t.darkrt("convert", path, "-o", again, "--opset", "11", "--batch", "dynamic")
    t.check_model(again)
    t.compare(what + ": re-exported import, onnxruntime vs darkrt ref", t.ort_run(again, x), ref)
    meta = {p.key: p.value for p in onnx.load(again, load_external_data=False).metadata_props}
    orig = {p.key: p.value for p in onnx.load(path, load_external_data=False).metadata_props}
    for k in orig:
        if k.startswith("yolo.") and not k.endswith(".layer"):
            t.check(meta.get(k) == orig[k], "%s: metadata %s changed through import: %s -> %s" % (what, k, orig[k], meta.get(k)))


def size_override():
    """The importer takes another input size (drt_load_opts width/height) like the cfg loader does."""
    cfg, w = t.model("yolov3-tiny")
    path = os.path.join(t.tmpdir(), "tiny.onnx")
    t.darkrt("convert", cfg, w, "-o", path, "--batch", "64")
    x = t.inputs(1, 3, 320, 320, seed=2)
    t.compare("yolov3-tiny .onnx (416, batch 64) run at --size 320x320 vs .cfg at 320x320",
              t.ref_run(path, x, "--size", "320x320"), t.ref_run(cfg, x, "--weights", w, "--size", "320x320"))


if __name__ == "__main__":
    if not os.path.exists(t.DARKRT):
        t.skip("no darkrt binary in " + t.BUILD)
    roundtrip("yolov3-tiny", None, "--opset", "13")
    roundtrip("yolov3-tiny", None, "--opset", "11", "--fold-bn", "--batch", "dynamic")
    roundtrip("yolo-fastest-1.1", None, "--opset", "11", "--batch", "4")
    roundtrip("yolo-fastest-1.1", None, "--opset", "13", "--fold-bn")
    roundtrip("yolov3", (160, 160), "--opset", "13")
    roundtrip("yolov3-spp", (160, 160), "--opset", "11", "--batch", "dynamic")
    size_override()
    t.finish()
