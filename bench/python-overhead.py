#!/usr/bin/env python3
"""Python overhead of the darkrt package over the C API, yolo-fastest-1.1 on the CPU.

Runs, alternately in the same session, bench/python-overhead.c (the C API: an 8-bit BGR frame
converted and detected, and a file loaded and detected) and the same work through the package
(engine.detect(frame), engine.detect(path)), both against one libdarkrt build (the package's CMake
tree). Prints per-call medians and the overhead; --record appends them to bench/results/python-overhead.md.
    bench/python-overhead.py [--rounds 5] [--calls 200] [--threads 1] [--record]
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DRT_ROOT", ROOT)
os.environ.setdefault("DRT_BUILD", os.path.join(ROOT, "build-bench"))
sys.path.insert(0, os.path.join(ROOT, "tests", "py"))
from darkrt_pkg import BUILD, import_darkrt  # noqa: E402
import results_md  # noqa: E402  (bench/, the script's own folder)

MODELS = os.path.join(ROOT, "..", "shared", "models", "yolo-fastest-1.1")
CFG, WEIGHTS = os.path.join(MODELS, "yolo-fastest-1.1.cfg"), os.path.join(MODELS, "yolo-fastest-1.1.weights")
IMAGE = "/usr/share/darknet/data/dog.jpg"
WARMUP = 20


def build_c():
    lib = os.path.join(BUILD, "python", "cmake", "libdarkrt")
    exe = os.path.join(BUILD, "bench", "python-overhead")
    os.makedirs(os.path.dirname(exe), exist_ok=True)
    subprocess.run(["cc", "-O2", "-std=c11", "-Wall", "-Wextra", "-Werror", "-D_GNU_SOURCE", "-I" + os.path.join(ROOT, "include"),
                    os.path.join(ROOT, "bench", "python-overhead.c"), "-o", exe, "-L" + lib, "-ldarkrt",
                    "-Wl,-rpath," + lib], check=True)
    return exe


def c_round(exe, calls, threads):
    out = subprocess.run([exe, CFG, WEIGHTS, IMAGE, str(calls + WARMUP), str(threads)], check=True,
                         capture_output=True, text=True).stdout.split("\n")
    times = {"frame": [], "file": []}
    for line in out:
        if line:
            kind, ms = line.split()
            times[kind].append(float(ms))
    return {k: v[WARMUP:] for k, v in times.items()}


def py_round(engine, frame, calls):
    times = {"frame": [], "file": []}
    for i in range(calls + WARMUP):
        t0 = time.perf_counter()
        engine.detect(frame)
        t1 = time.perf_counter()
        engine.detect(IMAGE)
        t2 = time.perf_counter()
        if i >= WARMUP:
            times["frame"].append((t1 - t0) * 1e3)
            times["file"].append((t2 - t1) * 1e3)
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args()
    darkrt = import_darkrt()
    exe = build_c()
    engine = darkrt.Model(CFG, WEIGHTS).build(device="cpu", threads=args.threads)
    frame = darkrt.imread(IMAGE)
    c, py = {"frame": [], "file": []}, {"frame": [], "file": []}
    for _ in range(args.rounds):  # alternate, so both see the same machine load
        for k, v in c_round(exe, args.calls, args.threads).items():
            c[k] += v
        for k, v in py_round(engine, frame, args.calls).items():
            py[k] += v
    lines = [f"{'input':<28} {'C API ms':>9} {'Python ms':>10} {'overhead':>9}"]
    for k, label in (("frame", "numpy BGR frame 768x576"), ("file", "file path (dog.jpg)")):
        cm, pm = statistics.median(c[k]), statistics.median(py[k])
        lines.append(f"{label:<28} {cm:>9.3f} {pm:>10.3f} {100 * (pm / cm - 1):>8.1f}%  "
                     f"({1000 * (pm - cm):+.0f} us a call)")
    n = len(c["frame"])
    report = "\n".join(lines) + f"\nmedians of {n} calls each ({args.rounds} alternating rounds), threads={args.threads}"
    print(report)
    if args.record:
        results_md.append("python-overhead.md", report)

if __name__ == "__main__":
    main()
