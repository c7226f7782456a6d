#!/usr/bin/env python3
"""Triton on loopback: serving/triton/start.sh serves yolo-fastest-1.1 through the darkrt model
(Python backend), and Darknet's seven sample images sent over HTTP and gRPC (the gRPC ones all at
once, so the dynamic batcher groups them) come back with the detections `darkrt detect` finds.
Skipped, with the reason, where the server cannot start (no tritonserver, no numpy 1.x for its stub)."""
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from darkrt_pkg import BUILD, SITE, import_darkrt  # noqa: E402


def skip(why):
    print(why)
    sys.exit(77)


try:
    import tritonclient.grpc as tg
    import tritonclient.http as th
except ImportError as e:
    skip(f"tritonclient is not installed ({e}); scripts/deps.sh installs it")
from triton_server import TritonServer, Unavailable  # noqa: E402

darkrt = import_darkrt()
SHARED = os.environ.get("DRT_SHARED") or os.path.join(
    os.environ.get("DRT_ROOT", os.path.join(HERE, "..", "..")), "..", "shared")
MODELS = os.path.join(SHARED, "models", "yolo-fastest-1.1")
CFG = os.path.join(MODELS, "yolo-fastest-1.1.cfg")
WEIGHTS = os.path.join(MODELS, "yolo-fastest-1.1.weights")
IMAGES = [f"/usr/share/darknet/data/{n}.jpg" for n in ("dog", "eagle", "giraffe", "horses", "kite", "person", "scream")]


def reference():
    out = tempfile.mktemp(suffix=".json")
    subprocess.run([os.path.join(BUILD, "darkrt"), "detect", CFG, "-w", WEIGHTS, *IMAGES, "--json", out,
                    "-o", tempfile.mkdtemp()], check=True, capture_output=True)
    with open(out) as f:
        return json.load(f)


def check(name, ref, boxes, scores, ids, labels):
    dets = ref["detections"]
    assert boxes.shape == (1, len(dets), 4), (name, ref["image"], boxes.shape, len(dets))
    for i, d in enumerate(dets):
        box = [d["box"][k] for k in ("x1", "y1", "x2", "y2")]
        assert ids[0, i] == d["class_id"] and labels[0, i].decode() == d["label"], (name, ref["image"], i)
        assert abs(scores[0, i] - d["score"]) <= 1e-6, (name, ref["image"], i)
        assert np.abs(boxes[0, i] - box).max() <= 0.005 + 1e-4, (name, ref["image"], i)


def request(mod, frame):
    inp = mod.InferInput("IMAGE", [1, *frame.shape], "UINT8")
    inp.set_data_from_numpy(frame[None])
    return [inp]


def outputs(result):
    return [result.as_numpy(n) for n in ("BOXES", "SCORES", "CLASS_IDS", "LABELS")]


def main():
    if not os.path.exists(WEIGHTS):
        skip(f"{WEIGHTS}: the yolo-fastest-1.1 weights are not there")
    refs = reference()
    frames = [np.ascontiguousarray(darkrt.imread(p)) for p in IMAGES]
    try:
        server = TritonServer(CFG, WEIGHTS, threads=1, pythonpath=SITE).__enter__()
    except Unavailable as e:
        skip(str(e))
    try:
        http = th.InferenceServerClient(server.http_url)
        for ref, frame in zip(refs, frames):
            check("http", ref, *outputs(http.infer("darkrt", request(th, frame))))
        grpc = tg.InferenceServerClient(server.grpc_url)
        with concurrent.futures.ThreadPoolExecutor(len(frames)) as pool:  # together: the batcher groups them
            results = list(pool.map(lambda f: grpc.infer("darkrt", request(tg, f), client_timeout=120), frames))
        for ref, result in zip(refs, results):
            check("grpc", ref, *outputs(result))
        assert sum(len(r["detections"]) for r in refs) >= 30
        bad = tg.InferInput("IMAGE", [1, 4, 4, 1], "UINT8")  # grayscale: refused by the model's dims
        bad.set_data_from_numpy(np.zeros((1, 4, 4, 1), np.uint8))
        try:
            grpc.infer("darkrt", [bad])
            raise AssertionError("a 4x4x1 frame was accepted")
        except tg.InferenceServerException as e:
            assert "IMAGE" in str(e), e
        stats = grpc.get_inference_statistics("darkrt", as_json=True)["model_stats"][0]
        print(f"HTTP and gRPC: {len(frames)} images, {sum(len(r['detections']) for r in refs)} detections as darkrt "
              f"detect; {stats['inference_count']} inferences in {stats['execution_count']} engine runs")
    finally:
        server.__exit__(None, None, None)


if __name__ == "__main__":
    main()
