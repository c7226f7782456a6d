#!/usr/bin/env python3
"""Bounded load on the darkrt Triton model (serving/triton) over loopback gRPC and HTTP: client
threads each send N requests of dog.jpg (768x576 BGR) back to back; throughput and latency
percentiles per protocol and concurrency. perf_analyzer is not in the PyPI wheels used here, so this
is a tritonclient loop.
    bench/triton-load.py [--requests 100] [--concurrency 1,4,8] [--protocols grpc,http] [--threads 2] [--record]
--record appends to bench/results/triton.md (date, machine, commit, command)."""
import argparse
import concurrent.futures
import os
import statistics
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DRT_ROOT", ROOT)
os.environ.setdefault("DRT_BUILD", os.path.join(ROOT, "build-bench"))
sys.path.insert(0, os.path.join(ROOT, "tests", "py"))
from darkrt_pkg import SITE, import_darkrt  # noqa: E402
from triton_server import TritonServer  # noqa: E402
import tritonclient.grpc as tg  # noqa: E402
import tritonclient.http as th  # noqa: E402
import results_md  # noqa: E402  (bench/, the script's own folder)

MODELS = os.path.join(ROOT, "..", "shared", "models", "yolo-fastest-1.1")
CFG, WEIGHTS = os.path.join(MODELS, "yolo-fastest-1.1.cfg"), os.path.join(MODELS, "yolo-fastest-1.1.weights")


def client_loop(api, url, frame, n):
    client = api.InferenceServerClient(url)
    inp = api.InferInput("IMAGE", [1, *frame.shape], "UINT8")
    inp.set_data_from_numpy(frame[None])
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        client.infer("darkrt", [inp], **({"client_timeout": 120} if api is tg else {}))
        times.append((time.perf_counter() - t0) * 1e3)
    return times


def run(api, url, frame, concurrency, n):
    client_loop(api, url, frame, 5)  # warm-up
    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        lat = sum(pool.map(lambda _: client_loop(api, url, frame, n), range(concurrency)), [])
    wall = time.perf_counter() - t0
    return len(lat) / wall, statistics.median(lat), float(np.percentile(lat, 99)), len(lat)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=100, help="requests per client")
    ap.add_argument("--concurrency", default="1,4,8")
    ap.add_argument("--protocols", default="grpc,http")
    ap.add_argument("--threads", type=int, default=2, help="darkrt CPU engine threads in the server")
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args()
    darkrt = import_darkrt()
    frame = np.ascontiguousarray(darkrt.imread("/usr/share/darknet/data/dog.jpg"))
    rows = [f"{'protocol':>8} {'clients':>7} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'images/run':>10}"]
    with TritonServer(CFG, WEIGHTS, threads=args.threads, pythonpath=SITE) as server:
        stats_client = tg.InferenceServerClient(server.grpc_url)
        for protocol in args.protocols.split(","):
            api, url = {"grpc": (tg, server.grpc_url), "http": (th, server.http_url)}[protocol]
            for c in [int(x) for x in args.concurrency.split(",")]:
                before = stats_client.get_inference_statistics("darkrt", as_json=True)["model_stats"][0]
                rps, p50, p99, n = run(api, url, frame, c, args.requests)
                after = stats_client.get_inference_statistics("darkrt", as_json=True)["model_stats"][0]
                runs = int(after.get("execution_count", 0)) - int(before.get("execution_count", 0))
                inferences = int(after.get("inference_count", 0)) - int(before.get("inference_count", 0))
                rows.append(f"{protocol:>8} {c:>7} {n:>8} {rps:>7.1f} {p50:>8.1f} {p99:>8.1f} "
                            f"{inferences / max(runs, 1):>10.2f}")
                print(rows[-1], flush=True)
    report = "\n".join(rows)
    print(report)
    if args.record:
        results_md.append("triton.md", report, f"; yolo-fastest-1.1 fp32, darkrt CPU engine {args.threads} threads, "
                          "max_batch_size 8, Python backend")

if __name__ == "__main__":
    main()
