#!/usr/bin/env python3
"""Python overhead of the darkrt package over the C API, yolo-fastest-1.1 on the CPU.

One process, one engine, the same inputs. Each pair of calls runs engine.detect(item) (timed around
the call: the whole Python API) and darkrt._darkrt.bench_detect_c(engine, item) (the same C work,
timed in C: the image, drt_detect_batch, freeing the detections) back to back, in random order, so
both see the same machine load; inputs alternate between an 8-bit BGR 768x576 frame and a file path.
Reports, per input, the medians of both, the median of the paired differences (Python - C) in us
and as a share of the C median, with its 95% confidence interval (order statistics: no assumption
on the noise's shape); and, free of the inference's noise, the Python layer inside each
engine.detect call: its time minus the C work it ran (timed in C: the handle's detect_c_seconds).
--record appends the report to bench/results/python-overhead.md.
    bench/python-overhead.py [--pairs 1000] [--threads 1] [--record]
Python: python3 on PATH (pip's numpy, scikit-build-core); the package is built in $DRT_BUILD/python
(default build-bench).
"""
import argparse
import math
import os
import random
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DRT_ROOT", ROOT)
os.environ.setdefault("DRT_BUILD", os.path.join(ROOT, "build-bench"))
sys.path.insert(0, os.path.join(ROOT, "tests", "py"))
from darkrt_pkg import import_darkrt  # noqa: E402
import results_md  # noqa: E402  (bench/, the script's own folder)

MODELS = os.path.join(ROOT, "..", "shared", "models", "yolo-fastest-1.1")
CFG, WEIGHTS = os.path.join(MODELS, "yolo-fastest-1.1.cfg"), os.path.join(MODELS, "yolo-fastest-1.1.weights")
IMAGE = "/usr/share/darknet/data/dog.jpg"
WARMUP = 20


def median_ci(values, z=1.96):
    """The median and a 95% confidence interval for it: the order statistics of ranks
    (n - z sqrt(n)) / 2 and 1 + (n + z sqrt(n)) / 2 (the sign test's interval, normal approximation;
    valid whatever the noise's distribution)."""
    v = sorted(values)
    n = len(v)
    lo = max(1, math.floor((n - z * math.sqrt(n)) / 2))
    hi = min(n, math.ceil(1 + (n + z * math.sqrt(n)) / 2))
    return statistics.median(v), v[lo - 1], v[hi - 1]


def measure(darkrt, engine, items, pairs, seed=1):
    """{name: (Python seconds, C seconds, the Python call's own C seconds)} per pair, the two calls
    of a pair in random order."""
    c_detect = darkrt._darkrt.bench_detect_c
    order = random.Random(seed)
    times = {name: ([], [], []) for name in items}
    for i in range(WARMUP + pairs):
        for name, item in items.items():
            py_first = order.random() < 0.5
            if not py_first:
                c = c_detect(engine._h, item)
            t0 = time.perf_counter()
            engine.detect(item)
            py = time.perf_counter() - t0
            own_c = engine._h.detect_c_seconds
            if py_first:
                c = c_detect(engine._h, item)
            if i >= WARMUP:
                for column, value in zip(times[name], (py, c, own_c)):
                    column.append(value)
    return times


def report(times, threads):
    lines = [f"{'input':<26} {'C ms':>7} {'Python ms':>9}  {'Python - C (95% CI)':<27} "
             f"{'overhead (95% CI)':<24} Python layer in the call (95% CI)"]
    for name, (py, c, own_c) in times.items():
        c_med = statistics.median(c)
        d, lo, hi = median_ci([p - q for p, q in zip(py, c)])
        layer, layer_lo, layer_hi = median_ci([p - q for p, q in zip(py, own_c)])
        pct = [100 * x / c_med for x in (d, lo, hi)]
        lines.append(f"{name:<26} {1e3 * c_med:>7.3f} {1e3 * statistics.median(py):>9.3f}  "
                     f"{f'{1e6 * d:+.0f} us [{1e6 * lo:+.0f}, {1e6 * hi:+.0f}]':<27} "
                     f"{f'{pct[0]:+.2f}% [{pct[1]:+.2f}%, {pct[2]:+.2f}%]':<24} "
                     f"{1e6 * layer:.1f} us [{1e6 * layer_lo:.1f}, {1e6 * layer_hi:.1f}] = "
                     f"{100 * layer / c_med:.2f}%")
    n = len(next(iter(times.values()))[0])
    lines.append(f"{n} pairs per input (after {WARMUP} warm-up pairs), the two calls of a pair back to back in "
                 f"random order; threads={threads}.\nPython layer in the call: engine.detect's time minus its own "
                 f"C work (engine._h.detect_c_seconds), in the same call.")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args()
    darkrt = import_darkrt()
    engine = darkrt.Model(CFG, WEIGHTS).build(device="cpu", threads=args.threads)
    frame = darkrt.imread(IMAGE)
    items = {f"numpy BGR frame {frame.shape[1]}x{frame.shape[0]}": frame, "file path (dog.jpg)": IMAGE}
    text = report(measure(darkrt, engine, items, args.pairs), args.threads)
    print(text)
    if args.record:
        results_md.append("python-overhead.md", text)


if __name__ == "__main__":
    main()
