#!/usr/bin/env python3
"""ONNX Runtime peer of bench/cpu.sh: times the ONNX that `darkrt convert` writes on the CPU
provider with a fixed thread count; prints one JSON line (latency stats, throughput, peak RSS)."""
import argparse, json, resource, time

import numpy as np
import onnxruntime as ort


def stats(t):
    t = sorted(t)
    return {"median": t[len(t) // 2], "p90": t[int(round(0.9 * (len(t) - 1)))], "min": t[0], "mean": sum(t) / len(t)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--batch", type=int, default=8, help="throughput batch (the ONNX needs a dynamic batch)")
    ap.add_argument("--batch-runs", type=int, default=3)
    a = ap.parse_args()
    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    t0 = time.perf_counter()
    sess = ort.InferenceSession(a.onnx, so, providers=["CPUExecutionProvider"])
    build_ms = (time.perf_counter() - t0) * 1e3
    inp = sess.get_inputs()[0]
    c, h, w = [int(d) for d in inp.shape[1:]]
    rng = np.random.default_rng(1)
    x1 = rng.random((1, c, h, w), dtype=np.float32)
    for _ in range(a.warmup):
        sess.run(None, {inp.name: x1})
    times = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        sess.run(None, {inp.name: x1})
        times.append((time.perf_counter() - t0) * 1e3)
    tput = 0.0
    if a.batch > 1 and a.batch_runs > 0:
        xb = rng.random((a.batch, c, h, w), dtype=np.float32)
        sess.run(None, {inp.name: xb})
        t0 = time.perf_counter()
        for _ in range(a.batch_runs):
            sess.run(None, {inp.name: xb})
        tput = a.batch * a.batch_runs / (time.perf_counter() - t0)
    print(json.dumps({"engine": f"onnxruntime {ort.__version__} fp32", "latency_ms": stats(times), "batch": a.batch,
                      "throughput_ips": tput, "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "build_ms": build_ms, "runs": a.runs, "threads": a.threads}))


if __name__ == "__main__":
    main()
