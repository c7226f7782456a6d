#!/usr/bin/env bash
# Call A (session 9): bench/gpu.sh re-run (issue 17) and bench/device/video.sh (issue 14) at main fd87126.
set -u
source .devcarry/env.sh
LOG=$OUT/callA.log
T0=$(date +%s)
el() { echo "[$(( $(date +%s) - T0 )) s] $*" | tee -a "$LOG"; }
{ date -u; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; nproc; } >>"$LOG"
el "gpu.sh start"
mkdir -p /tmp/gpu
( while sleep 15; do cp /tmp/gpu/results.txt "$OUT/gpu-results.txt" 2>/dev/null; done ) & CP1=$!
MODELS="yolov3-416 yolo-fastest-1.1" BATCHES="1 8 32" PRECS="fp16 int8" PEERS=1 COMPILE=0 \
  timeout -k 5 250 bash bench/gpu.sh "$DRT_BIN" "$DRT_DATA" /tmp/gpu >/tmp/gpu/gpu.log 2>&1
el "gpu.sh rc=$?"
kill $CP1; cp /tmp/gpu/results.txt "$OUT/gpu-results.txt"; cp /tmp/gpu/gpu.md "$OUT/gpu.md" 2>/dev/null
tail -c 200000 /tmp/gpu/gpu.log >"$OUT/gpu.log"
el "video.sh start"
mkdir -p /tmp/video
( while sleep 10; do cp /tmp/video/runs.txt "$OUT/video-runs.txt" 2>/dev/null; done ) & CP2=$!
OUT=/tmp/video MODES="nvdec pytorch cpu-decode" TIME_BUDGET=$(( 575 - ($(date +%s) - T0) - 25 )) \
  timeout -k 5 $(( 575 - ($(date +%s) - T0) - 5 )) bash bench/device/video.sh >/tmp/video/video.log 2>&1
el "video.sh rc=$?"
kill $CP2; cp /tmp/video/runs.txt "$OUT/video-runs.txt"; cp /tmp/video/video-gpu.md "$OUT/" 2>/dev/null
tail -c 100000 /tmp/video/video.log >"$OUT/video.log"
el done
