"""Helpers of the ONNX tests: paths, the darkrt CLI, onnxruntime, the checker, comparisons."""
import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.environ.get("DRT_ROOT") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("DRT_BUILD") or os.path.join(ROOT, "build-asan")
DATA = os.environ.get("DRT_DATA") or os.path.join(BUILD, "testdata")
DARKRT = os.path.join(BUILD, "darkrt")
DN_CFG = "/usr/share/darknet/cfg"
SHARED = os.environ.get("DRT_SHARED") or os.path.join(ROOT, "..", "shared")
FASTEST = os.path.join(SHARED, "models", "yolo-fastest-1.1")
TOL = 1e-4  # relative to max |value| of the reference head

failures = []


def skip(why):
    print("skipped: " + why)
    sys.exit(77)


_TMP = tempfile.mkdtemp(prefix="drt-onnx-")
atexit.register(shutil.rmtree, _TMP, True)


def tmpdir():
    """A fresh directory, removed when the test exits."""
    return tempfile.mkdtemp(dir=_TMP)


def model(name):
    """(cfg, weights) of a test model, skipping the test when its data is missing."""
    if name == "yolo-fastest-1.1":
        cfg, w = os.path.join(FASTEST, name + ".cfg"), os.path.join(FASTEST, name + ".weights")
    else:
        cfg, w = os.path.join(DN_CFG, name + ".cfg"), os.path.join(DATA, name + ".weights")
    for p in (cfg, w):
        if not os.path.exists(p):
            skip("missing " + p + " (run tests/prepare-data.sh)")
    return cfg, w


def darkrt(*args, check=True):
    r = subprocess.run([DARKRT] + [str(a) for a in args], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError("darkrt %s failed (rc=%d): %s" % (" ".join(map(str, args)), r.returncode, r.stderr.strip()))
    return r


def inputs(n, c, h, w, seed=0):
    return np.random.RandomState(seed).rand(n, c, h, w).astype(np.float32)


def ref_run(model_path, x, *flags):
    """darkrt's reference forward pass: a list of heads, each [n, c, h, w]."""
    d = tmpdir()
    xin, out = os.path.join(d, "in.f32"), os.path.join(d, "heads.f32")
    x.tofile(xin)
    r = darkrt("run", model_path, "--input", xin, "-o", out, "--batch", x.shape[0], *flags)
    shapes = [tuple(map(int, m.groups())) for m in re.finditer(r"head \d+: (\d+) (\d+) (\d+) (\d+)", r.stdout + r.stderr)]
    flat = np.fromfile(out, np.float32)
    heads, off = [], 0
    for s in shapes:
        n = int(np.prod(s))
        heads.append(flat[off:off + n].reshape(s))
        off += n
    if off != flat.size or not heads:
        raise RuntimeError("darkrt run: head shapes %s do not cover %d floats" % (shapes, flat.size))
    return heads


def ort_run(path, x):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    so.log_severity_level = 3  # no warnings about initializers listed as inputs
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    return s.run(None, {s.get_inputs()[0].name: x})


def check_model(path):
    import onnx
    onnx.checker.check_model(onnx.load(path), full_check=True)


def compare(what, got, ref):
    """Every head within TOL x max|ref|; records a failure otherwise. Returns the worst ratio."""
    worst = 0.0
    if len(got) != len(ref):
        failures.append("%s: %d heads, reference has %d" % (what, len(got), len(ref)))
        return float("inf")
    for k, (g, r) in enumerate(zip(got, ref)):
        if g.shape != r.shape:
            failures.append("%s: head %d shape %s, reference %s" % (what, k, g.shape, r.shape))
            return float("inf")
        scale = float(np.abs(r).max())
        diff = float(np.abs(g - r).max())
        ratio = diff / scale if scale > 0 else diff
        worst = max(worst, ratio)
        if not ratio <= TOL or scale == 0:
            failures.append("%s: head %d max diff %.3g vs max |ref| %.3g (ratio %.3g > %g)" % (what, k, diff, scale, ratio, TOL))
    print("%-60s max diff / max|ref| = %.3g" % (what, worst))
    return worst


def check(cond, what):
    if not cond:
        failures.append(what)


def finish():
    if failures:
        print("%d failure(s):" % len(failures))
        for f in failures:
            print("FAIL: " + f)
        sys.exit(1)
    print("all checks passed")
    sys.exit(0)
