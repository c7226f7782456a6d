#!/usr/bin/python3
"""The optimized CPU engine (fp32 and bf16 plans) against PyTorch running the same cfg and
weights (bench/peers/torch_darknet.py, an independent implementation): yolo-fastest-1.1 (real
weights) and yolov3-tiny (synthesised). fp32 within 1e-4 x max|head|; bf16 within 5%."""
import os, subprocess, sys, tempfile

import numpy as np
import torch

ROOT = os.environ.get("DRT_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("DRT_BUILD", os.path.join(ROOT, "build-asan"))
DATA = os.environ.get("DRT_DATA", os.path.join(BUILD, "testdata"))
SHARED = os.environ.get("DRT_SHARED", os.path.join(ROOT, "..", "shared"))
sys.path.insert(0, os.path.join(ROOT, "bench", "peers"))


def skip(why):
    print(f"skipped: {why}")
    sys.exit(77)


try:
    from torch_darknet import build_model
except ImportError as e:
    skip(f"bench/peers/torch_darknet.py: {e}")

DARKRT = os.path.join(BUILD, "darkrt")
MODELS = [("yolo-fastest-1.1", os.path.join(SHARED, "models/yolo-fastest-1.1/yolo-fastest-1.1.cfg"),
           os.path.join(SHARED, "models/yolo-fastest-1.1/yolo-fastest-1.1.weights"), 320),
          ("yolov3-tiny", "/usr/share/darknet/cfg/yolov3-tiny.cfg", os.path.join(DATA, "yolov3-tiny.weights"), 256)]


def main():
    if not os.access(DARKRT, os.X_OK):
        skip("darkrt not built")
    torch.set_num_threads(2)
    env = dict(os.environ, DRT_CPU_TUNE="0")
    failures, checked = 0, 0
    for name, cfg, weights, size in MODELS:
        if not (os.path.exists(cfg) and os.path.exists(weights)):
            print(f"{name}: missing, not checked")
            continue
        model = build_model(cfg, weights, bn="alexeyab").eval()
        with tempfile.TemporaryDirectory() as tmp:
            inp = os.path.join(tmp, "in.f32")
            for prec, tol in (("fp32", 1e-4), ("bf16", 0.05)):
                plan, out = os.path.join(tmp, f"{prec}.plan"), os.path.join(tmp, f"{prec}.f32")
                subprocess.run([DARKRT, "build", cfg, "--weights", weights, "--size", f"{size}x{size}", "--precision", prec,
                                "--threads", "2", "-o", plan], check=True, env=env, capture_output=True)
                r = subprocess.run([DARKRT, "run", plan, "--random", "11", "-o", out, "--save-input", inp],
                                   env=env, capture_output=True, text=True)
                if r.returncode:
                    print(f"FAIL {name} {prec}: darkrt run: {r.stderr.strip()}")
                    failures += 1
                    continue
                x = torch.from_numpy(np.fromfile(inp, dtype=np.float32).reshape(1, 3, size, size))
                with torch.no_grad():
                    heads = [h.numpy().ravel() for h in model(x)]
                ref = np.concatenate(heads)
                got = np.fromfile(out, dtype=np.float32)
                if got.shape != ref.shape:
                    print(f"FAIL {name} {prec}: {got.size} values, PyTorch has {ref.size}")
                    failures += 1
                    continue
                d, m = np.abs(got - ref).max(), np.abs(ref).max()
                ok = d <= tol * m
                checked += 1
                failures += not ok
                print(f"{'ok' if ok else 'FAIL'} {name} {size}x{size} {prec}: max|diff| {d:.3g}, max|torch| {m:.3g}, "
                      f"ratio {d / m:.2g} (limit {tol})")
    if not checked and not failures:
        skip("no model available")
    print("all checks passed" if not failures else f"{failures} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
