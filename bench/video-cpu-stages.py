#!/usr/bin/env python3
"""Where darkrt's CPU time goes per video frame: `perf record` of darkrt detect on a clip (exact and
--fast-resize) and of one image (the model load), samples sorted into stages by library and symbol.
usage (pyenv python3; perf on PATH): video-cpu-stages.py DARKRT CFG WEIGHTS CLIP FRAMES IMAGE
Prints a Markdown table of ms per frame (the load run: ms once). perf's default 4000 Hz cpu-clock:
one sample is 0.25 ms of one thread's CPU."""
import collections, os, subprocess, sys, tempfile

STAGES = [  # (stage, test on (dso, symbol)), first match wins
    ("inference", lambda d, s: d.startswith("[JIT]") or "dnnl" in d or "gomp" in d or s.startswith("drt_cpu_")),
    ("demux + decode (libavformat/libavcodec)", lambda d, s: any(k in d for k in ("libavcodec", "libavformat", "libavutil"))),
    ("colour conversion (+ scaling): libswscale", lambda d, s: "libswscale" in d),
    ("letterbox (Darknet's resize)", lambda d, s: "resize" in s or "letterbox" in s or "copy_u8" in s or "frame_to_rgb" in s),
    ("copies (memcpy)", lambda d, s: "memmove" in s or "memcpy" in s or "memset" in s),
    ("kernel (page faults, threads)", lambda d, s: "kallsyms" in d),
    ("library loading", lambda d, s: "ld-linux" in d),
    ("YOLO decode + NMS", lambda d, s: "nms" in s or "yolo" in s),
    ("JSON", lambda d, s: "json" in s or "printf" in s or "utf8" in s),
    ("other (model load, malloc...)", lambda d, s: True),
]


def profile(cmd, work):
    data = os.path.join(work, "perf.data")
    subprocess.run(["perf", "record", "-q", "-o", data, "--"] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    out = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "-n", "--sort", "dso,sym"],
                         capture_output=True, text=True).stdout
    c = collections.Counter()
    for line in out.splitlines():
        parts = line.split()
        if line.startswith("#") or len(parts) < 3 or not parts[1].isdigit():
            continue
        dso, sym = parts[2], " ".join(parts[4:])
        c[next(name for name, test in STAGES if test(dso, sym))] += int(parts[1])
    return c


def main():
    darkrt, cfg, weights, clip, frames, image = sys.argv[1:7]
    frames = int(frames)
    base = [darkrt, "detect", cfg, "--weights", weights]
    with tempfile.TemporaryDirectory() as work:
        json = os.path.join(work, "d.jsonl")
        runs = {"exact": (profile(base + [clip, "--json", json], work), frames),
                "--fast-resize": (profile(base + [clip, "--json", json, "--fast-resize"], work), frames),
                "model load (one image, ms once)": (profile(base + [image, "--no-draw"], work), 1)}
    names = list(runs)
    print("| stage | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for stage, _ in STAGES:
        print(f"| {stage} | " + " | ".join("%.2f" % (c[stage] * 0.25 / n) for c, n in runs.values()) + " |")
    print("| total | " + " | ".join("%.2f" % (sum(c.values()) * 0.25 / n) for c, n in runs.values()) + " |")


if __name__ == "__main__":
    main()
