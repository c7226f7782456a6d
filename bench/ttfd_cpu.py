#!/usr/bin/env python3
"""Time to first detection on the CPU (issue 13's goal: <= 0.2 s for a yolo-fastest CPU plan):
whole processes on one image, from process start to the first per-image detection line on stdout,
darkrt detect from an fp32 and an int8 CPU plan beside OpenCV DNN 4.x and ONNX Runtime (their
bench/peers/*_e2e.py loops on a folder holding just that image), runs interleaved. Also each
process's CPU time (user + sys), which a busy shared machine inflates less than the wall time.
bench/ttfd-cpu.sh runs it. Prints a Markdown section."""
import argparse
import os
import resource
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_cpu import run_once  # noqa: E402


def timed(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = run_once(cmd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r["ttfd"] is None:
        raise SystemExit(f"{' '.join(cmd)}: no detection line: {r['stderr'][-300:]}")
    r["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for k in ("darkrt", "plan_fp32", "plan_int8", "onnx", "cfg", "weights", "one_dir"):
        ap.add_argument("--" + k.replace("_", "-"), required=True)
    ap.add_argument("--runs", type=int, default=11)
    a = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    one = os.path.join(a.one_dir, sorted(os.listdir(a.one_dir))[0])
    py, t = sys.executable, str(os.cpu_count())
    tools = [("darkrt, fp32 CPU plan", [a.darkrt, "detect", a.plan_fp32, one, "--no-draw"]),
             ("darkrt, int8 CPU plan", [a.darkrt, "detect", a.plan_int8, one, "--no-draw"]),
             ("OpenCV DNN " + __import__("cv2").__version__,
              [py, f"{here}/peers/opencv_e2e.py", a.cfg, a.weights, a.one_dir, "--threads", t]),
             ("ONNX Runtime " + __import__("onnxruntime").__version__,
              [py, f"{here}/peers/ort_e2e.py", a.onnx, a.cfg, a.one_dir, "--threads", t])]
    res = {name: [] for name, _ in tools}
    for name, cmd in tools:  # one warm-up each (page cache)
        timed(cmd)
    for _ in range(a.runs):
        for name, cmd in tools:
            res[name].append(timed(cmd))
    print(f"| tool | time to first detection, median | range | CPU time (user+sys), median |")
    print("|---|---|---|---|")
    med = {}
    for name, _ in tools:
        ttfd = [x["ttfd"] * 1e3 for x in res[name]]
        cpu = [x["cpu"] * 1e3 for x in res[name]]
        med[name] = statistics.median(ttfd)
        print(f"| {name} | {med[name]:.0f} ms | {min(ttfd):.0f}-{max(ttfd):.0f} ms | {statistics.median(cpu):.0f} ms |")
    names = [n for n, _ in tools]
    print(f"\n{os.path.basename(one)}, median of {a.runs} runs per tool (interleaved, after one warm-up each). "
          f"OpenCV DNN / darkrt fp32: {med[names[2]] / med[names[0]]:.1f}x; "
          f"ONNX Runtime / darkrt fp32: {med[names[3]] / med[names[0]]:.1f}x.")


if __name__ == "__main__":
    main()
