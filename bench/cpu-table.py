#!/usr/bin/env python3
"""Turns bench/cpu.sh's per-engine JSON results into bench/results/cpu.md: one table per model
and the goals of issue 5 checked on yolov3-416 (by how much each is met or missed)."""
import argparse, datetime, json, os, platform, subprocess

ENGINES = [("darkrt-fp32", "darkrt fp32"), ("darkrt-fp32-wino-off", "darkrt fp32, DRT_CPU_WINOGRAD=off"), ("darkrt-bf16", "darkrt bf16"), ("darkrt-int8", "darkrt int8"),
           ("ort", "ONNX Runtime fp32"), ("torch", "PyTorch fp32"), ("darknet", "Darknet fp32")]


def load(path):
    try:
        with open(path) as f:
            text = f.read().strip()
        try:
            return json.loads(text)
        except ValueError:
            return json.loads(text.splitlines()[-1])
    except (OSError, ValueError, IndexError):
        return None


def cpu_name():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        name = next((l.split(":", 1)[1].strip() for l in out.splitlines() if l.startswith("Model name")), "?")
        flags = next((l.split(":", 1)[1].split() for l in out.splitlines() if l.startswith("Flags")), [])
        isa = [f for f in ("avx2", "avx512f", "avx512_vnni", "avx512_bf16") if f in flags]
        return f"{name}, {os.cpu_count()} cores ({', '.join(isa)})"
    except OSError:
        return platform.processor()


def commit(root):
    r = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True)
    return (r.stdout.strip() or "?") + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def table(rows):
    ort = rows.get("ort")
    lines = ["| engine | batch-1 median (ms) | p90 (ms) | min (ms) | batch-8 throughput (img/s) | peak RSS (MiB) | speed-up vs ONNX Runtime (median) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for key, label in ENGINES:
        r = rows.get(key)
        if not r:
            lines.append(f"| {label} | — | — | — | — | — | — |")
            continue
        lat = r["latency_ms"]
        tp = f"{r['throughput_ips']:.2f}" if r.get("throughput_ips") else "—"
        sp = f"{ort['latency_ms']['median'] / lat['median']:.2f}x" if ort else "—"
        lines.append(f"| {label} | {lat['median']:.1f} | {lat['p90']:.1f} | {lat['min']:.1f} | {tp} | "
                     f"{r['peak_rss_kib'] / 1024:.0f} | {sp} |")
    return lines


def goals(rows):
    out = []
    f32, i8, ort, pt = rows.get("darkrt-fp32"), rows.get("darkrt-int8"), rows.get("ort"), rows.get("torch")
    peers = [p for p in (ort, pt) if p]
    if f32 and peers:
        best = min(p["latency_ms"]["median"] for p in peers)
        sp = best / f32["latency_ms"]["median"]
        out.append(f"- darkrt fp32 vs the fastest of ONNX Runtime and PyTorch (batch-1 median): **{sp:.2f}x** "
                   f"(goal 1.3x: {'met' if sp >= 1.3 else 'missed'}, by {100 * (sp / 1.3 - 1):+.0f}%)")
    if i8 and ort:
        sp = ort["latency_ms"]["median"] / i8["latency_ms"]["median"]
        out.append(f"- darkrt int8 vs ONNX Runtime fp32 (batch-1 median): **{sp:.2f}x** "
                   f"(goal 2.5x: {'met' if sp >= 2.5 else 'missed'}, by {100 * (sp / 2.5 - 1):+.0f}%)")
    if f32 and pt:
        r = f32["peak_rss_kib"] / pt["peak_rss_kib"]
        r8 = i8["peak_rss_kib"] / pt["peak_rss_kib"] if i8 else float("nan")
        out.append(f"- peak RSS darkrt fp32 / PyTorch: **{r:.2f}** (int8: {r8:.2f}) "
                   f"(goal <= 0.5: {'met' if r <= 0.5 else 'missed'}, by {100 * (0.5 / r - 1):+.0f}%)")
    return out or ["- not enough results to check the goals"]


def main():
    ap = argparse.ArgumentParser()
    for k in ("work", "out", "command", "notes", "root", "models", "load"):
        ap.add_argument("--" + k, required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--elapsed", type=int, required=True)
    a = ap.parse_args()
    md = ["# CPU benchmark: darkrt vs ONNX Runtime, PyTorch and Darknet", "",
          f"- date: {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC; run time {a.elapsed} s",
          f"- CPU: {cpu_name()}; load average (/proc/loadavg) {a.load}", f"- threads: {a.threads} for every engine (OMP_NUM_THREADS, intra-op threads, --threads)",
          f"- commit: {commit(a.root)}", f"- command: `{a.command}`",
          "- each engine in its own process; warm-up runs first; batch-1 latency over the runs, batch-8 throughput;"
          " peak RSS = getrusage ru_maxrss of that process (model load + engine build + runs)",
          "- weights: yolov3 and yolov3-tiny synthesised (`darkrt synth --seed 1`), yolo-fastest-1.1 real;"
          " ONNX Runtime runs `darkrt convert`'s ONNX (dynamic batch); PyTorch runs bench/peers/torch_darknet.py;"
          " Darknet is Debian's libdarknet (bench/darknet-bench.c); darkrt int8 is calibrated on the 7 Debian darknet images",
          ""]
    first = None
    for name in [m for m in a.models.split(",") if m]:
        rows = {k: load(os.path.join(a.work, name, k + ".json")) for k, _ in ENGINES}
        rows = {k: v for k, v in rows.items() if v}
        md += [f"## {name}", ""] + table(rows) + [""]
        if name.startswith("yolov3-416"):
            first = rows
    md += ["## Goals (yolov3-416, batch 1)", ""] + goals(first or {}) + [""]
    notes = [l.strip() for l in open(a.notes) if l.strip()] if os.path.exists(a.notes) else []
    if notes:
        md += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(md))
    os.replace(tmp, a.out)


if __name__ == "__main__":
    main()
