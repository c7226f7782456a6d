#!/usr/bin/python3
"""PyTorch peer of bench/cpu.sh: the Darknet model built by torch_darknet.build_model (same cfg
and weights as darkrt), eval mode, torch.inference_mode, fixed threads; prints one JSON line."""
import argparse, json, os, resource, sys, time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_darknet import build_model  # noqa: E402
from darknet_cfg import parse_cfg  # noqa: E402


def stats(t):
    t = sorted(t)
    return {"median": t[len(t) // 2], "p90": t[int(round(0.9 * (len(t) - 1)))], "min": t[0], "mean": sum(t) / len(t)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cfg", required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--size", type=int, required=True, help="network input width = height")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--batch-runs", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    t0 = time.perf_counter()
    model = build_model(a.cfg, a.weights, bn="alexeyab").eval()
    build_ms = (time.perf_counter() - t0) * 1e3
    g = torch.Generator().manual_seed(1)
    x1 = torch.rand((1, 3, a.size, a.size), generator=g)
    times = []
    with torch.inference_mode():
        for _ in range(a.warmup):
            model(x1)
        for _ in range(a.runs):
            t0 = time.perf_counter()
            model(x1)
            times.append((time.perf_counter() - t0) * 1e3)
        tput = 0.0
        if a.batch > 1 and a.batch_runs > 0:
            xb = torch.rand((a.batch, 3, a.size, a.size), generator=g)
            model(xb)
            t0 = time.perf_counter()
            for _ in range(a.batch_runs):
                model(xb)
            tput = a.batch * a.batch_runs / (time.perf_counter() - t0)
    print(json.dumps({"engine": f"pytorch {torch.__version__} fp32", "latency_ms": stats(times), "batch": a.batch,
                      "throughput_ips": tput, "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "build_ms": build_ms, "runs": a.runs, "threads": a.threads}))


if __name__ == "__main__":
    main()
