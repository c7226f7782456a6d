#!/usr/bin/env python3
"""Import of ONNX files darkrt did not write: built here with onnx.helper the way NVIDIA's TensorRT
sample yolov3_to_onnx.py builds them (Conv + BatchNormalization + LeakyRelu, opset 11 Resize with
roi/scales initializers, a fixed batch of 64, initializers also as graph inputs, no YOLO metadata),
plus Upsample-7/9, Resize-10, Resize-13 with sizes, Constant and Identity nodes and another
BatchNormalization epsilon. darkrt's reference pass on the imported file must match onnxruntime
on the same file and darkrt's pass on the Darknet cfg."""
import os

import onnx

import nvidia_style
import onnxtest as t


def run_case(name, size, what, batch_run=1, **kw):
    cfg, w = t.model(name)
    m = nvidia_style.build(cfg, w, size, size, **kw)
    onnx.checker.check_model(m, full_check=True)
    path = os.path.join(t.tmpdir(), "nv.onnx")
    onnx.save(m, path)
    batch = kw.get("batch", 64)
    x = t.inputs(batch, 3, size, size, seed=11)
    got_ort = t.ort_run(path, x)
    got = t.ref_run(path, x[:batch_run])  # the file's fixed batch is overridden
    t.compare("%s %s: darkrt(import) vs onnxruntime" % (name, what), got, [o[:batch_run] for o in got_ort])
    ref = t.ref_run(cfg, x[:batch_run], "--weights", w, "--size", "%dx%d" % (size, size))
    t.compare("%s %s: darkrt(import) vs darkrt(cfg)" % (name, what), got, ref)
    return path


if __name__ == "__main__":
    if not os.path.exists(t.DARKRT):
        t.skip("no darkrt binary in " + t.BUILD)
    # The sample's shape: batch 64, opset 11, Resize(asymmetric, floor) with roi/scales initializers.
    path = run_case("yolov3-tiny", 224, "NVIDIA-style batch 64 opset 11", batch_run=2)
    r = t.darkrt("run", path, "--random", "1", "-o", os.devnull)
    t.check("no darkrt YOLO metadata" in r.stderr, "a file without metadata should warn that its heads have no anchors: %s" % r.stderr)
    run_case("yolov3", 128, "NVIDIA-style opset 11, Resize defaults (half_pixel)", batch=1, resize="default")
    run_case("yolov3-tiny", 128, "Upsample-7", batch=1, opset=7, resize="upsample")
    run_case("yolov3-tiny", 128, "Upsample-9", batch=2, opset=9, resize="upsample")
    run_case("yolov3-tiny", 128, "Resize-10", batch=1, opset=10, resize="scales")
    run_case("yolov3-tiny", 128, "Resize-13 Constant scales, Identity outputs, BN eps 1e-3", batch=1, opset=13,
             constants=True, bn_eps=1e-3)
    run_case("yolov3-tiny", 128, "Resize-13 sizes", batch=1, opset=13, resize="sizes")
    run_case("yolov3-tiny", 128, "Resize-13 Constant sizes", batch=1, opset=13, resize="sizes", constants=True)
    t.finish()
