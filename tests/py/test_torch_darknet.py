#!/usr/bin/python3
"""bench/peers/torch_darknet.py, an independent PyTorch implementation of Darknet's forward pass,
gives the same heads as darkrt's reference engine (`darkrt run`) within 1e-4 x max|value|:
yolo-fastest-1.1 with its real weights and yolov3-tiny with synthesised weights, under both
batchnorm formulas (pjreddie's on yolo-fastest-1.1, whose real variances make them differ)."""
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

ROOT = os.environ.get("DRT_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("DRT_BUILD") or os.path.join(ROOT, "build-asan")
DATA = os.environ.get("DRT_DATA") or os.path.join(BUILD, "testdata")
DARKRT = os.path.join(BUILD, "darkrt")
SHARED = os.environ.get("DRT_SHARED") or os.path.join(ROOT, "..", "shared")
FASTEST = os.path.join(SHARED, "models", "yolo-fastest-1.1")
sys.path.insert(0, os.path.join(ROOT, "bench", "peers"))
from torch_darknet import build_model  # noqa: E402

TOL = 1e-4


def skip(why):
    print(f"skipped: {why}")
    sys.exit(77)


def darkrt_heads(cfg, weights, bn, x, tmp):
    raw, out = os.path.join(tmp, "input.f32"), os.path.join(tmp, "heads.f32")
    x.astype(np.float32).tofile(raw)
    cmd = [DARKRT, "run", cfg, "--weights", weights, "--bn", bn, "--input", raw, "-o", out]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        if "not built yet" in p.stderr:
            skip("darkrt run is not built yet")
        raise SystemExit(f"FAIL: {' '.join(cmd)} exited {p.returncode}: {p.stderr.strip()}")
    return np.fromfile(out, dtype=np.float32)


def check(name, cfg, weights, bn, seed):
    model = build_model(cfg, weights, bn)
    rng = np.random.default_rng(seed)
    x = rng.random((1, model.channels, model.height, model.width), dtype=np.float32)
    with torch.no_grad():
        heads = [h.numpy().ravel() for h in model(torch.from_numpy(x))]
    with tempfile.TemporaryDirectory() as tmp:
        got = darkrt_heads(cfg, weights, bn, x, tmp)
    want = np.concatenate(heads)
    if got.size != want.size:
        print(f"FAIL {name} ({bn}): darkrt wrote {got.size} floats, PyTorch heads have {want.size}")
        return False
    scale = float(np.abs(want).max())
    worst = 0.0
    offset = 0
    for k, h in enumerate(heads):
        diff = float(np.abs(got[offset:offset + h.size] - h).max())
        worst = max(worst, diff)
        print(f"{name} ({bn}) head {k}: {h.size} values, max|diff| {diff:.3g}, max|value| {scale:.3g}")
        offset += h.size
    ok = bool(np.isfinite(got).all()) and scale > 0 and worst <= TOL * scale
    if bn == "pjreddie":
        # The two batchnorm formulas must give visibly different heads (real weights have small
        # variances), or --bn went unused.
        other = build_model(cfg, weights, "alexeyab")
        with torch.no_grad():
            alt = np.concatenate([h.numpy().ravel() for h in other(torch.from_numpy(x))])
        gap = float(np.abs(alt - got).max())
        print(f"{name}: heads under alexeyab's formula differ from darkrt's pjreddie heads by {gap:.3g}")
        ok = ok and gap > TOL * scale
    print(f"{'ok' if ok else 'FAIL'}: {name} ({bn}) max|diff| / max|value| = {worst / max(scale, 1e-30):.3g} (limit {TOL})")
    return ok


def main():
    if not os.access(DARKRT, os.X_OK):
        skip(f"{DARKRT} is not built")
    cases = []
    fastest_cfg = os.path.join(FASTEST, "yolo-fastest-1.1.cfg")
    fastest_w = os.path.join(FASTEST, "yolo-fastest-1.1.weights")
    if os.path.exists(fastest_w):
        cases.append(("yolo-fastest-1.1", fastest_cfg, fastest_w, "alexeyab", 1))
        cases.append(("yolo-fastest-1.1", fastest_cfg, fastest_w, "pjreddie", 4))
    tiny_w = os.path.join(DATA, "yolov3-tiny.weights")
    if os.path.exists(tiny_w):
        cases.append(("yolov3-tiny", "/usr/share/darknet/cfg/yolov3-tiny.cfg", tiny_w, "alexeyab", 2))
    if not cases:
        skip("no weights: neither ../shared/models/yolo-fastest-1.1 nor $DRT_DATA/yolov3-tiny.weights")
    results = [check(*c) for c in cases]
    if len(cases) < 3:
        print(f"note: only {len(cases)} of 3 cases had weights")
    if not all(results):
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
