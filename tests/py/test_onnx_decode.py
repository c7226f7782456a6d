#!/usr/bin/env python3
"""darkrt convert --decode: the graph passes onnx.checker (full check), and onnxruntime running it on
Darknet's seven sample images (one batch of seven, and one by one) returns the boxes `darkrt detect`
finds: same count, same classes, IoU >= 0.99, scores within 1e-4. Pixels come from darkrt's own
decoder (darkrt.imread), the resize the cfg asks for (stretch) from an independent numpy transcription
of Darknet's; darkrt detect with IoU NMS, the graph's NonMaxSuppression (the cfg's greedynms is DIoU)."""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench", "peers"))
from darkrt_pkg import BUILD, import_darkrt  # noqa: E402
import peer_common  # noqa: E402  (Darknet's letterbox in numpy)

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
darkrt = import_darkrt()

SHARED = os.environ.get("DRT_SHARED") or os.path.join(
    os.environ.get("DRT_ROOT", os.path.join(HERE, "..", "..")), "..", "shared")
MODELS = os.path.join(SHARED, "models", "yolo-fastest-1.1")
CFG = os.path.join(MODELS, "yolo-fastest-1.1.cfg")
WEIGHTS = os.path.join(MODELS, "yolo-fastest-1.1.weights")
DATA = "/usr/share/darknet/data"
IMAGES = [os.path.join(DATA, n + ".jpg") for n in ("dog", "eagle", "giraffe", "horses", "kite", "person", "scream")]
CLI = os.path.join(BUILD, "darkrt")


def convert(out, *flags):
    subprocess.run([CLI, "convert", CFG, WEIGHTS, "-o", out, "--decode", *flags], check=True, capture_output=True)
    onnx.checker.check_model(onnx.load(out), full_check=True)
    return ort.InferenceSession(out, providers=["CPUExecutionProvider"])


@pytest.fixture(scope="module")
def reference():
    out = tempfile.mktemp(suffix=".json")
    # The graph's NonMaxSuppression is IoU NMS: darkrt detect with the same (the cfg asks for greedynms).
    subprocess.run([CLI, "detect", CFG, "-w", WEIGHTS, *IMAGES, "--nms-kind", "default", "--json", out,
                    "-o", tempfile.mkdtemp()], check=True, capture_output=True)
    with open(out) as f:
        return json.load(f)


@pytest.fixture(scope="module")
def inputs():
    images, sizes = [], []
    for p in IMAGES:
        rgb = darkrt.imread(p, rgb=True)
        chw = np.ascontiguousarray(rgb.transpose(2, 0, 1)).astype(np.float32) / np.float32(255)
        letter = peer_common.detect_semantics(peer_common.parse_cfg(CFG))[0]  # stretch: no [net] letter_box=1
        images.append((peer_common.letterbox if letter else peer_common.stretch)(chw, 320, 320)[0])
        sizes.append([rgb.shape[1], rgb.shape[0]])
    return np.stack(images), np.array(sizes, np.float32)


def iou(a, b):
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def assert_matches(ref, boxes, scores, classes):
    dets = ref["detections"]
    assert len(boxes) == len(dets), f"{ref['image']}: {len(boxes)} boxes from onnxruntime, {len(dets)} from darkrt"
    used = set()
    for d in dets:
        rb = [d["box"][k] for k in ("x1", "y1", "x2", "y2")]
        cands = [i for i in range(len(boxes)) if i not in used and classes[i] == d["class_id"]]
        assert cands, f"{ref['image']}: no {d['label']} from onnxruntime"
        best = max(cands, key=lambda i: iou(rb, boxes[i]))
        used.add(best)
        assert iou(rb, boxes[best]) >= 0.99, (ref["image"], d, boxes[best])
        assert abs(scores[best] - d["score"]) <= 1e-4 + 5e-7, (ref["image"], d, scores[best])


@pytest.mark.parametrize("opset", ["11", "13"])
def test_decode_batch_of_seven_equals_detect(reference, inputs, opset, tmp_path):
    sess = convert(str(tmp_path / "d.onnx"), "--opset", opset, "--batch", "dynamic")
    assert [i.name for i in sess.get_inputs()] == ["images", "image_size"]
    boxes, scores, classes, index = sess.run(["boxes", "scores", "class_ids", "image_index"],
                                             {"images": inputs[0], "image_size": inputs[1]})
    assert boxes.shape[1] == 4 and classes.dtype == np.int64 and index.dtype == np.int64
    for k, ref in enumerate(reference):
        sel = index == k
        assert_matches(ref, boxes[sel], scores[sel], classes[sel])
    assert sum(len(r["detections"]) for r in reference) >= 30  # the comparison compared something


def test_decode_fixed_batch_one(reference, inputs, tmp_path):
    sess = convert(str(tmp_path / "d1.onnx"), "--opset", "13")
    for k, ref in enumerate(reference):
        boxes, scores, classes, index = sess.run(None, {"images": inputs[0][k:k + 1], "image_size": inputs[1][k:k + 1]})
        assert (index == 0).all()
        assert_matches(ref, boxes, scores, classes)


def test_decode_thresholds_and_bad_opset(inputs, tmp_path):
    loose = convert(str(tmp_path / "t.onnx"), "--thresh", "0.1", "--nms", "0.6")
    strict = convert(str(tmp_path / "s.onnx"), "--thresh", "0.5")
    feed = {"images": inputs[0][:1], "image_size": inputs[1][:1]}
    n_loose, n_strict = len(loose.run(["scores"], feed)[0]), len(strict.run(["scores"], feed)[0])
    assert n_loose > n_strict and (strict.run(["scores"], feed)[0] > 0.5).all()
    proc = subprocess.run([CLI, "convert", CFG, WEIGHTS, "-o", str(tmp_path / "x.onnx"), "--decode", "--opset", "10"],
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "opset 10" in proc.stderr and "NonMaxSuppression" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not (tmp_path / "x.onnx").exists()


if __name__ == "__main__":
    if not os.path.exists(WEIGHTS):
        print(f"{WEIGHTS}: the yolo-fastest-1.1 weights are not there")
        sys.exit(77)
    sys.exit(pytest.main([__file__, "-q", "-p", "no:cacheprovider"]))
