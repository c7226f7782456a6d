#!/usr/bin/env bash
# `darkrt inspect` of plans on a machine without a GPU (a benchmark, not a test; issue 13 asks <= 0.1 s for
# any plan, with no GPU): a yolov3-416 plan (random weights, 236 MiB) as the CPU writes it and with its header
# rewritten to a CUDA fp16 batch-32 plan's (tests/tools/plan-patch.py: inspect reads the header and the
# model section, which every backend writes the same way; a real CUDA plan needs a GPU to build), and
# yolo-fastest-1.1's fp32 and int8 CPU plans. Each inspected RUNS times (page cache warm after the first);
# median and range of the process's wall time. Writes bench/results/inspect-time.md.
#   bench/inspect-time.sh [RUNS]     (BUILD=dir picks the darkrt build, default build; RUNS default 9)
set -euo pipefail
RUNS=${1:-9}
source "$(dirname "$0")/yolo-fastest-cpu.sh"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
DRT_CPU_TUNE=0 "$DARKRT" build /usr/share/darknet/cfg/yolov3.cfg --random-weights --size 416x416 -o "$W/v3-cpu.plan" >/dev/null
# header fields (src/engine/plan-io.h): device at 32 (2: CUDA), precision at 40 (1: fp16), max batch at 44
python3 "$ROOT/tests/tools/plan-patch.py" "$W/v3-cpu.plan" "$W/v3-cuda.plan" header:32:I=2 header:40:I=1 header:44:I=32
"$DARKRT" build "$CFG" --weights "$WEIGHTS" -o "$W/fastest-fp32.plan" >/dev/null
"$DARKRT" build "$CFG" --weights "$WEIGHTS" --precision int8 -o "$W/fastest-int8.plan" >/dev/null 2>&1

row() { # name plan
    local times=() t0 t1 what
    what=$("$DARKRT" inspect "$2" | sed -n 's/^plan: //p')
    for _ in $(seq "$RUNS"); do
        t0=$(date +%s%N)
        "$DARKRT" inspect "$2" >/dev/null
        t1=$(date +%s%N)
        times+=("$(((t1 - t0) / 1000))")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk -v name="$1" -v size="$(du -m "$2" | cut -f1)" -v what="$what" \
        '{ t[NR] = $1 } END { printf "| %s | %s MiB | %s | %.3f | %.3f-%.3f |\n", name, size, what, t[int((NR + 1) / 2)] / 1e6, t[1] / 1e6, t[NR] / 1e6 }'
}
{
    echo "# darkrt inspect without a GPU (bench/inspect-time.sh)"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, no GPU ($(command -v nvidia-smi >/dev/null && echo 'nvidia-smi present' || echo 'no nvidia-smi'))"
    echo "- commit: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src cli include bench || echo ' (+ uncommitted changes)')"
    echo "- command: bench/inspect-time.sh $RUNS; each plan inspected $RUNS times, process wall time"
    echo
    echo "| plan | size | inspect's first line | median (s) | range (s) |"
    echo "|---|---:|---|---:|---:|"
    row "yolov3-416, CUDA fp16 batch-32 header" "$W/v3-cuda.plan"
    row "yolov3-416, CPU fp32" "$W/v3-cpu.plan"
    row "yolo-fastest-1.1, CPU fp32" "$W/fastest-fp32.plan"
    row "yolo-fastest-1.1, CPU int8" "$W/fastest-int8.plan"
} | tee "$ROOT/bench/results/inspect-time.md"
