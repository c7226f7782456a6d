#!/usr/bin/env bash
# Time to first detection on the CPU (bench/ttfd_cpu.py; a benchmark, not a test): yolo-fastest-1.1
# (real weights) fp32 and int8 CPU plans, dog.jpg, darkrt beside OpenCV DNN and ONNX Runtime in one
# run. Replaces the "Time to first detection" section of bench/results/e2e-cpu.md (date, machine,
# commit, command).
#   bench/ttfd-cpu.sh [RUNS]     (BUILD=dir picks the darkrt build, default build; RUNS default 11)
set -euo pipefail
RUNS=${1:-11}
source "$(dirname "$0")/yolo-fastest-cpu.sh"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir "$W/one" && cp /usr/share/darknet/data/dog.jpg "$W/one/"
"$DARKRT" build "$CFG" --weights "$WEIGHTS" -o "$W/fp32.plan" >/dev/null
"$DARKRT" build "$CFG" --weights "$WEIGHTS" --precision int8 -o "$W/int8.plan" >/dev/null
"$DARKRT" convert "$CFG" "$WEIGHTS" -o "$W/fastest.onnx" >/dev/null
RES="$ROOT/bench/results/e2e-cpu.md"
{
    echo "## Time to first detection, one image (bench/ttfd-cpu.sh)"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, shared with other engineers' builds"
    echo "- commit: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src cli include bench || echo ' (+ uncommitted changes)')"
    echo "- command: bench/ttfd-cpu.sh $RUNS"
    echo "- process start to the first detection line on stdout; darkrt: \`darkrt detect PLAN dog.jpg --no-draw\`"
    echo
    python3 "$ROOT/bench/ttfd_cpu.py" --darkrt "$DARKRT" --plan-fp32 "$W/fp32.plan" --plan-int8 "$W/int8.plan" \
        --onnx "$W/fastest.onnx" --cfg "$CFG" --weights "$WEIGHTS" --one-dir "$W/one" --runs "$RUNS"
} >"$W/section.md"
cat "$W/section.md"
# Keep the rest of the file (bench/e2e-cpu.sh's part); replace an older section of this script's.
[ -f "$RES" ] && sed '/^## Time to first detection, one image (bench\/ttfd-cpu.sh)/,$d' "$RES" >"$W/rest.md" || : >"$W/rest.md"
{ cat "$W/rest.md"; cat "$W/section.md"; } >"$RES"
