#!/usr/bin/env python3
"""The end-to-end CPU benchmark (bench/e2e-cpu.sh runs it): whole processes on a folder of JPEGs,
darkrt detect (pipeline, a CPU plan) beside OpenCV DNN 4.x and ONNX Runtime (bench/peers/*_e2e.py,
each with its own decode/letterbox loop), on an idle machine and with two busy background processes
(`yes > /dev/null` x2); darkrt twice: its default (worker engines) and batches on one thread. Per tool: img/s of the whole process (start to exit), time to first
detection (start to the first per-image line on stdout), and stage shares. Medians of --runs.
Prints a Markdown report."""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

LINE = re.compile(rb"^\S.*: \d+ objects?\b")


def run_once(cmd, env=None):
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    first, lines = None, 0
    for line in p.stdout:
        if LINE.match(line):
            lines += 1
            if first is None:
                first = time.monotonic() - t0
    err = p.stderr.read().decode(errors="replace")
    rc = p.wait()
    wall = time.monotonic() - t0
    if rc not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)}: exit {rc}: {err[-500:]}")
    return {"wall": wall, "ttfd": first, "images": lines, "stderr": err}


def busy(n):
    return [subprocess.Popen(["yes"], stdout=subprocess.DEVNULL) for _ in range(n)]


def darkrt_stages(json_path, wall):
    items = [x for x in json.load(open(json_path)) if "timing_ms" in x]
    pre = sum(x["timing_ms"]["preprocess"] for x in items) / 1e3
    inf = sum(x["timing_ms"]["inference"] for x in items) / 1e3
    post = sum(x["timing_ms"]["postprocess"] for x in items) / 1e3
    return (f"decode+letterbox {pre:.2f} s, inference {inf:.2f} s, postprocess {post:.2f} s (summed over the "
            f"images, each on its own thread's clock); whole process {wall:.2f} s")


def measure(tools, runs, load):
    procs = busy(load)
    try:
        time.sleep(0.5 if load else 0)
        out = {}
        for name, cmd in tools:  # interleaved: each run of each tool, in turn
            out[name] = []
        for _ in range(runs):
            for name, cmd in tools:
                out[name].append(run_once(cmd))
        return out
    finally:
        for p in procs:
            p.kill()
            p.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--darkrt", required=True)
    ap.add_argument("--plan", required=True)
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--cfg", required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--images", required=True)
    ap.add_argument("--one", required=True, help="one image for the time to first detection")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--json-out", default="/tmp/e2e-darkrt.json")
    a = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    py = sys.executable
    t = str(a.threads)
    tools = [("darkrt (pipeline, CPU plan)", [a.darkrt, "detect", a.plan, a.images, "--no-draw", "--batch", "8",
                                             "--json", a.json_out]),
             ("OpenCV DNN " + __import__("cv2").__version__, [py, f"{here}/peers/opencv_e2e.py", a.cfg, a.weights,
                                                              a.images, "--threads", t]),
             ("ONNX Runtime " + __import__("onnxruntime").__version__, [py, f"{here}/peers/ort_e2e.py", a.onnx, a.cfg,
                                                                        a.images, "--threads", t]),
             # darkrt's other mode: batches on one thread whose engine runs t threads (before worker engines)
             (f"darkrt, batches on one thread (--threads {t})", [a.darkrt, "detect", a.plan, a.images, "--no-draw",
                                                                 "--batch", "8", "--threads", t, "--json",
                                                                 a.json_out + ".batches"])]
    n = len([f for f in os.listdir(a.images) if f.lower().endswith((".jpg", ".jpeg"))])
    res = {load: measure(tools, a.runs, load) for load in (0, 2)}
    print(f"| tool | img/s idle | img/s, 2 busy processes | fall | time to first detection (folder), idle |")
    print("|---|---|---|---|---|")
    rate = {}
    for name, _ in tools:
        r = {load: statistics.median(n / x["wall"] for x in res[load][name]) for load in res}
        ttfd = statistics.median(x["ttfd"] for x in res[0][name])
        rate[name] = r
        print(f"| {name} | {r[0]:.1f} | {r[2]:.1f} | {r[0] / r[2]:.2f}x | {ttfd * 1e3:.0f} ms |")
    names = [x for x, _ in tools]
    print(f"\n{n} images, median of {a.runs} whole-process runs per cell (runs interleaved). darkrt's first row:"
          " several images on a CPU engine run one image a run on each worker, on a one-thread engine's"
          " contexts; the last row: batches of 8 on one batch thread, its engine on all cores.")
    print(f"darkrt / OpenCV DNN: {rate[names[0]][0] / rate[names[1]][0]:.2f}x idle, "
          f"{rate[names[0]][2] / rate[names[1]][2]:.2f}x busy; darkrt / ONNX Runtime: "
          f"{rate[names[0]][0] / rate[names[2]][0]:.2f}x idle, {rate[names[0]][2] / rate[names[2]][2]:.2f}x busy.")
    print("\nStages (last idle run): darkrt " + darkrt_stages(a.json_out, res[0][names[0]][-1]["wall"]))
    for name in names[1:3]:
        print(f"- {name}: " + res[0][name][-1]["stderr"].strip().splitlines()[-1])
    print(f"darkrt worker engines / batches on one thread: {rate[names[0]][0] / rate[names[3]][0]:.2f}x idle, "
          f"{rate[names[0]][2] / rate[names[3]][2]:.2f}x busy.")
    one = [run_once([a.darkrt, "detect", a.plan, a.one, "--no-draw"]) for _ in range(5)]
    print(f"\nTime to first detection, one image, CPU plan (process start to the first detection line): "
          f"median {statistics.median(x['ttfd'] for x in one) * 1e3:.0f} ms of 5 "
          "(" + ", ".join("%.0f" % (x["ttfd"] * 1e3) for x in one) + " ms).")


if __name__ == "__main__":
    main()
