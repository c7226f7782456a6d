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


if __name__ == "__main__":
    main()
