#!/usr/bin/env bash
# Smoke of issue 13's GPU throughput work on the device (90 s at most): yolo-fastest-1.1 fp16 batch 32 plan,
# a folder of 1000 mixed JPEGs (bench/e2e-gpu-images.py), e2e-bench (bench/e2e-bench.c) through the pipeline:
#   1. decode on the CPU into pinned memory, uploaded from there: every box equal to today's path
#      (drt_image_load + drt_detect_batch, host stages), on the first 300 images at threshold 0.25 and 0.01;
#   2. JPEG decode on the GPU (nvJPEG, --decode gpu): it loads, which backend, how many files it took, and
#      its boxes' agreement with the CPU decode's (bench/e2e-agree.py) on the same 300 images;
#   3. a rough img/s of both over the 1000 images (plan loaded in each run), with two batches in flight
#      and with DRT_CUDA_ASYNC=0 (every run waits for the device: one batch in flight).
#   source .devcarry/env.sh && bash bench/device/gpu-smoke.sh      (DRT_BIN, DRT_DATA, OUT; python3 with Pillow)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-/tmp/gpu-smoke}
W=$OUT/w
mkdir -p "$W"
PY=${PYTHON:-python3}
B=$DRT_BIN
FW=$DRT_DATA/models/yolo-fastest-1.1
T() { timeout "$@"; }
echo "# $(date -u '+%Y-%m-%d %H:%M UTC') $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null), $(nproc) CPUs"
T 30 "$PY" "$ROOT/bench/e2e-gpu-images.py" "$DRT_DATA/data" "$W/img" --count 1000 | tail -2
nvidia-smi -L >/dev/null 2>&1 || { echo "SMOKE skipped: no GPU here (the images were made)"; rm -rf "$W"; exit 0; }
mkdir -p "$W/eq" && ls "$W/img" | head -300 | while read -r f; do ln -sf "$W/img/$f" "$W/eq/$f"; done
t=$(date +%s.%N)
T 60 "$B/darkrt" build "$FW/yolo-fastest-1.1.cfg" -w "$FW/yolo-fastest-1.1.weights" --device cuda --precision fp16 \
    --size 320x320 --batch 32 -o "$W/f.plan" >/dev/null || { echo "SMOKE build failed"; exit 1; }
echo "SMOKE plan_build_s=$(awk "BEGIN{print $(date +%s.%N) - $t}")"

for th in 0.25 0.01; do # 1. pinned CPU decode + direct upload against today's path
    T 15 "$B/e2e-bench" "$W/f.plan" "$W/eq" -t $th --boxes 1 >"$W/on-$th.txt" 2>&1
    T 15 "$B/e2e-bench" "$W/f.plan" "$W/eq" -t $th --boxes 1 --no-pipeline 1 --pre cpu --post cpu >"$W/off-$th.txt" 2>&1
    if diff <(grep -v RESULT "$W/on-$th.txt") <(grep -v RESULT "$W/off-$th.txt") >"$W/diff.txt"; then
        echo "SMOKE pinned_same thresh=$th images=$(grep -c objects "$W/off-$th.txt") boxes=$(grep -c '^  ' "$W/off-$th.txt") same=1"
    else
        echo "SMOKE pinned_same thresh=$th same=0 differing_lines=$(grep -c '^[<>]' "$W/diff.txt")"; head -6 "$W/diff.txt"
    fi
done
for th in 0.25 0.01; do # 2. nvJPEG against the CPU decode
    DRT_CUDA_VERBOSE=1 T 15 "$B/e2e-bench" "$W/f.plan" "$W/eq" -t $th --boxes 1 --decode gpu >"$W/gpu-$th.txt" 2>"$W/gpu-err.txt"
    grep -h 'nvJPEG' "$W/gpu-err.txt" | sed 's/^/SMOKE /'
    grep RESULT "$W/gpu-$th.txt" || tail -3 "$W/gpu-$th.txt" "$W/gpu-err.txt"
    echo "SMOKE nvjpeg thresh=$th $("$PY" "$ROOT/bench/e2e-agree.py" "$W/off-$th.txt" "$W/gpu-$th.txt" 2>&1)"
done
DRT_NVJPEG_BACKEND=hybrid DRT_CUDA_VERBOSE=1 T 15 "$B/e2e-bench" "$W/f.plan" "$W/eq" -t 0.25 --boxes 1 --decode gpu \
    >"$W/hyb.txt" 2>"$W/hyb-err.txt"
grep -h 'nvJPEG' "$W/hyb-err.txt" | sed 's/^/SMOKE hybrid: /'
echo "SMOKE nvjpeg_hybrid thresh=0.25 $("$PY" "$ROOT/bench/e2e-agree.py" "$W/off-0.25.txt" "$W/hyb.txt" 2>&1)"

cat "$W/img"/* >/dev/null # 3. rough img/s, the whole process (plan load included)
for d in cpu gpu cpu gpu; do
    T 20 "$B/e2e-bench" "$W/f.plan" "$W/img" -t 0.25 --decode $d 2>&1 | grep RESULT | sed 's/^/SMOKE in_flight=2 /'
    DRT_CUDA_ASYNC=0 T 20 "$B/e2e-bench" "$W/f.plan" "$W/img" -t 0.25 --decode $d 2>&1 | grep RESULT | sed 's/^/SMOKE in_flight=1 /'
done
rm -rf "$W"
