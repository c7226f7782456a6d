#!/usr/bin/env bash
# End-to-end CPU benchmark (not a test): darkrt detect on a folder of 270 mixed JPEGs
# (bench/e2e-images.py) with yolo-fastest-1.1's real weights, beside OpenCV DNN 4.x and ONNX Runtime
# with their own decode loops, idle and with two busy background processes; writes
# bench/results/e2e-cpu.md (date, machine, commit, command).
#   bench/e2e-cpu.sh [RUNS]     (BUILD=dir picks the darkrt build, default build)
set -euo pipefail
RUNS=${1:-3}
source "$(dirname "$0")/yolo-fastest-cpu.sh"
python3 -c 'import cv2, onnxruntime; assert cv2.__version__ < "5"' || { echo "e2e-cpu: needs opencv-python-headless<5 and onnxruntime (scripts/deps.sh)" >&2; exit 1; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
python3 "$ROOT/bench/e2e-images.py" "$W/images" >/dev/null
"$DARKRT" build "$CFG" --weights "$WEIGHTS" --device cpu --batch 8 -o "$W/fastest.plan" >/dev/null
"$DARKRT" convert "$CFG" "$WEIGHTS" -o "$W/fastest.onnx" >/dev/null
mkdir -p "$ROOT/bench/results"
{
    echo "# End-to-end CPU: darkrt detect vs OpenCV DNN and ONNX Runtime"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; other engineers' builds may share it;"
    echo "  load average (/proc/loadavg) at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- commit: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src cli include bench || echo ' (+ uncommitted changes)')"
    echo "- command: bench/e2e-cpu.sh $RUNS"
    echo "- model: yolo-fastest-1.1 (real COCO weights), 320x320, fp32; darkrt: a CPU plan, batch 8, --no-draw, JSON written"
    echo "- images: bench/e2e-images.py: Darknet's 7 sample photos + 2 photos of the Rust embedded book, 5 scales x"
    echo "  3 crops x 2 JPEG qualities = 270 files, 92x92 to 2000x1500"
    echo
    python3 "$ROOT/bench/e2e_cpu.py" --darkrt "$DARKRT" --plan "$W/fastest.plan" --onnx "$W/fastest.onnx" --cfg "$CFG" \
        --weights "$WEIGHTS" --images "$W/images" --one /usr/share/darknet/data/dog.jpg --runs "$RUNS" --json-out "$W/d.json"
    echo
    echo "- load average (/proc/loadavg) at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$ROOT/bench/results/e2e-cpu.md"
