#!/usr/bin/env python3
"""Turns bench/gpu.sh's RESULT lines (one or more results.txt) into the table of bench/results/gpu.md."""
import sys


def parse(path):
    rows, notes = [], []
    for line in (l for p in path for l in open(p)):
        line = line.strip()
        if line.startswith("RESULT "):
            rows.append(dict(kv.split("=", 1) for kv in line.split()[1:]))
        elif line.startswith(("#", "CHECK")):
            notes.append(line)
    return rows, notes


def f(r, k, fmt="%.3f"):
    v = r.get(k)
    if v is None or float(v) < 0:
        return "-"
    return fmt % float(v)


def main():
    rows, notes = parse(sys.argv[1:])
    for n in notes:
        print(f"    {n}")
    print()
    print("| model | batch | engine | precision | GPU median ms | GPU p99 ms | images/s | run with copies ms "
          "| end to end ms (pre / post) | device memory MiB |")
    print("|---|---:|---|---|---:|---:|---:|---:|---|---:|")
    models = []
    for r in rows:
        if r["label"] not in models:
            models.append(r["label"])
    for m in models:
        sel = [r for r in rows if r["label"] == m]
        sel.sort(key=lambda r: (int(r["batch"]), r["engine"], r["precision"]))
        for r in sel:
            if r["engine"] == "darkrt":
                e2e = f"{f(r, 'e2e_median_ms')} ({f(r, 'pre_ms')} / {f(r, 'post_ms')})"
                mem = f"{f(r, 'dev_alloc_mib', '%.1f')} (+{f(r, 'dev_used_delta_mib', '%.0f')} used)"
            else:
                e2e = "-"
                mem = f(r, "peak_alloc_mib", "%.1f")
            print(f"| {m} | {r['batch']} | {r['engine']} | {r['precision']} | {f(r, 'gpu_median_ms', '%.4f')} | "
                  f"{f(r, 'gpu_p99_ms', '%.4f')} | {f(r, 'throughput_ips', '%.0f')} | {f(r, 'run_median_ms')} | {e2e} | {mem} |")
    stages(rows)


def stages(rows):
    """Pre/postprocessing on the host vs the GPU (drt_detect_batch), darkrt rows that have them."""
    sel = [r for r in rows if r["engine"] == "darkrt" and "e2e_gpuall_ms" in r]
    if not sel:
        return
    print()
    print("Pre- and postprocessing on the host or the GPU (ms per batch: end to end (pre / post); "
          "the engine run is the rest; detections must agree):")
    print()
    print("| model | batch | precision | all on host | GPU letterbox | + GPU decode, host NMS | all on GPU | detections |")
    print("|---|---:|---|---|---|---|---|---|")
    for r in sel:
        cells = []
        for key in ("", "gpupre", "gpudec", "gpuall"):
            if key:
                e2e, pre, post = f"e2e_{key}_ms", f"pre_{key}_ms", f"post_{key}_ms"
            else:
                e2e, pre, post = "e2e_median_ms", "pre_ms", "post_ms"
            cells.append(f"{f(r, e2e)} ({f(r, pre)} / {f(r, post)})")
        dets = [r.get(k) for k in ("dets", "dets_gpupre", "dets_gpudec", "dets_gpuall")]
        agree = "same: " + dets[0] if len(set(dets)) == 1 else "DIFFER: " + "/".join(str(d) for d in dets)
        print(f"| {r['label']} | {r['batch']} | {r['precision']} | " + " | ".join(cells) + f" | {agree} |")


if __name__ == "__main__":
    main()
