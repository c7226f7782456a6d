#!/usr/bin/env python3
"""darkrt convert: every exported file passes onnx.checker (full_check) and onnxruntime's outputs
match darkrt's reference forward pass within 1e-4 x max|value|. Full matrix (opset 11, 13 x batch
1, 4, dynamic) on yolov3-tiny and yolo-fastest-1.1 at their cfg size; the same matrix for yolov3 and
yolov3-spp at 160x160 (same graph and weights, 7x fewer FLOPs), onnxruntime on two of them, and
yolov3 at its native 416 once."""
import os

import onnx

import nvidia_style
import onnxtest as t


def export(cfg, weights, out, *flags):
    t.darkrt("convert", cfg, weights, "-o", out, *flags)
    t.check_model(out)
    return out


def batch_flags(b):
    return ["--batch", "dynamic" if b == "dynamic" else str(b)]


def check_io(path, batch, want_heads):
    """Input images [N,3,H,W] with N fixed or "batch"; outputs head0..; no initializer among the inputs."""
    m = onnx.load(path, load_external_data=False)
    g = m.graph
    t.check([i.name for i in g.input] == ["images"], "%s: inputs %s" % (path, [i.name for i in g.input]))
    d0 = g.input[0].type.tensor_type.shape.dim[0]
    if batch == "dynamic":
        t.check(d0.dim_param == "batch", "%s: batch dim %s, want dim_param batch" % (path, d0))
    else:
        t.check(d0.dim_value == batch, "%s: batch dim %s, want %s" % (path, d0, batch))
    t.check([o.name for o in g.output] == ["head%d" % k for k in range(want_heads)], "%s: outputs %s" % (path, [o.name for o in g.output]))
    want_ir = {9: 4, 10: 5, 11: 6, 13: 7}[m.opset_import[0].version]
    t.check(m.ir_version == want_ir, "%s: ir_version %d, want %d" % (path, m.ir_version, want_ir))


def matrix(name, size_flags, ort_cases):
    cfg, w = t.model(name)
    d = t.tmpdir()
    ref = None
    for opset in (11, 13):
        for b in (1, 4, "dynamic"):
            path = export(cfg, w, os.path.join(d, "%s-%d-%s.onnx" % (name, opset, b)), "--opset", opset, *batch_flags(b), *size_flags)
            n_heads = len(onnx.load(path, load_external_data=False).graph.output)
            check_io(path, b, n_heads)
            if (opset, b) not in ort_cases:
                os.remove(path)
                continue
            n = 1 if b == 1 else (4 if b == 4 else 3)
            s = onnx.load(path).graph.input[0].type.tensor_type.shape.dim
            x = t.inputs(4, 3, s[2].dim_value, s[3].dim_value)
            if ref is None:
                ref = t.ref_run(cfg, x, "--weights", w, *size_flags)
            got = t.ort_run(path, x[:n])
            t.compare("%s opset %d batch %s: onnxruntime vs darkrt ref" % (name, opset, b), got, [r[:n] for r in ref])
            os.remove(path)
    print("%s: onnx.checker full_check passed for opset 11, 13 x batch 1, 4, dynamic" % name)


def variants():
    """yolov3-tiny as Upsample-9 / Resize-10, folded batchnorm, and pjreddie batchnorm (folded)."""
    cfg, w = t.model("yolov3-tiny")
    d = t.tmpdir()
    x = t.inputs(1, 3, 416, 416, seed=3)
    ref = t.ref_run(cfg, x, "--weights", w)
    for flags in (["--opset", "9"], ["--opset", "10"], ["--fold-bn"], ["--opset", "11", "--fold-bn"]):
        path = export(cfg, w, os.path.join(d, "v.onnx"), *flags)
        t.compare("yolov3-tiny %s: onnxruntime vs darkrt ref" % " ".join(flags), t.ort_run(path, x), ref)
    ref_pj = t.ref_run(cfg, x, "--weights", w, "--bn", "pjreddie")
    path = export(cfg, w, os.path.join(d, "pj.onnx"), "--bn", "pjreddie")
    meta = {p.key: p.value for p in onnx.load(path).metadata_props}
    t.check(meta.get("bn.formula") == "pjreddie" and meta.get("bn.folded") == "1", "pjreddie export metadata: %s" % meta.get("bn.formula"))
    t.compare("yolov3-tiny --bn pjreddie (folded): onnxruntime vs darkrt ref --bn pjreddie", t.ort_run(path, x), ref_pj)
    r = t.darkrt("convert", cfg, w, "-o", os.path.join(d, "bad.onnx"), "--opset", "99", check=False)
    t.check(r.returncode == 2 and not os.path.exists(os.path.join(d, "bad.onnx")), "--opset 99 must be refused: %s" % r.stderr)


def metadata():
    """metadata_props against the cfg (parsed here, not by darkrt) and the names file."""
    cfg, w = t.model("yolo-fastest-1.1")
    names = os.path.join(t.FASTEST, "coco.names")
    path = os.path.join(t.tmpdir(), "meta.onnx")
    t.darkrt("convert", cfg, w, "-o", path, "--names", names, "--batch", "dynamic")
    meta = {p.key: p.value for p in onnx.load(path, load_external_data=False).metadata_props}
    secs = nvidia_style.parse_cfg(cfg)
    yolos = [s for s in secs if s["type"] == "yolo"]
    t.check(meta.get("yolo.heads") == ",".join("head%d" % k for k in range(len(yolos))), "yolo.heads=%s" % meta.get("yolo.heads"))
    for k, y in enumerate(yolos):
        def num_list(v):
            return [float(a) for a in v.replace(" ", "").split(",") if a]
        key = "yolo.head%d." % k
        t.check(num_list(meta.get(key + "anchors", "")) == num_list(y["anchors"]), key + "anchors=%s" % meta.get(key + "anchors"))
        t.check(num_list(meta.get(key + "mask", "")) == num_list(y["mask"]), key + "mask=%s" % meta.get(key + "mask"))
        t.check(meta.get(key + "classes") == y["classes"] and meta.get(key + "num") == y["num"], key + "classes/num")
        t.check(float(meta.get(key + "scale_x_y", "nan")) == float(y.get("scale_x_y", 1)), key + "scale_x_y")
        t.check(meta.get(key + "new_coords") == y.get("new_coords", "0"), key + "new_coords")
    net = secs[0]
    t.check(meta.get("input.width") == net["width"] and meta.get("input.height") == net["height"], "input size")
    # AlexeyAB's detector: letterbox only with [net] letter_box=1; the last [yolo]'s nms_kind.
    resize = "letterbox" if int(net.get("letter_box", "0")) else "stretch"
    kind = yolos[-1].get("nms_kind", "default")
    for k, v in {"input.name": "images", "input.layout": "NCHW", "input.color": "RGB", "input.resize": resize,
                 "input.pad_value": "0.5", "bn.formula": "alexeyab", "bn.folded": "0", "nms.kind": kind}.items():
        t.check(meta.get(k) == v, "metadata %s=%s, want %s" % (k, meta.get(k), v))
    t.check(abs(float(meta.get("input.scale", 0)) - 1 / 255) < 1e-12, "input.scale")
    beta = float(yolos[-1].get("beta_nms", "0.6"))
    t.check(abs(float(meta.get("nms.beta", "nan")) - beta) < 1e-6, "nms.beta=%s, want %g" % (meta.get("nms.beta"), beta))
    want = [n.strip() for n in open(names) if n.strip()]
    t.check(meta.get("class_names", "").split("\n") == want, "class_names: %d names, want %d" % (len(meta.get("class_names", "").split("\n")), len(want)))
    print("metadata_props match the cfg's [yolo] sections and coco.names")


if __name__ == "__main__":
    if not os.path.exists(t.DARKRT):
        t.skip("no darkrt binary in " + t.BUILD)
    matrix("yolov3-tiny", [], {(11, 1), (13, 4), (13, "dynamic")})
    matrix("yolo-fastest-1.1", [], {(13, 1), (11, 4), (11, "dynamic")})
    matrix("yolov3", ["--size", "160x160"], {(13, "dynamic")})
    matrix("yolov3-spp", ["--size", "160x160"], {(11, 1)})
    cfg, w = t.model("yolov3")
    export(cfg, w, os.path.join(t.tmpdir(), "yolov3-416.onnx"))
    print("yolov3 at 416x416 opset 13: onnx.checker full_check passed")
    variants()
    metadata()
    t.finish()
