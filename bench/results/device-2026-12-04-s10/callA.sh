#!/usr/bin/env bash
# Call A (session 10, main at ec8bc45): tests/golden/cuda-vs-ref to its end (issue 18: the fp16 dog
# failure, the yolov3 and yolov4-sam cases never reached in 115 s), then bench/device/int8.sh (issue 16,
# the CUDA rows) alone, so its timings are not shared with anything.
set -u
source .devcarry/env.sh
LOG=$OUT/callA.log
T0=$(date +%s)
el() { echo "[$(( $(date +%s) - T0 )) s] $*" | tee -a "$LOG"; }
{ date -u; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; git rev-parse --short HEAD 2>/dev/null; } >>"$LOG"
el "cuda-vs-ref (timeout 230 s)"
( while sleep 10; do cp /tmp/vsref.log "$OUT/cuda-vs-ref.log" 2>/dev/null; done ) & CP=$!
timeout -k 5 230 "$DRT_BIN/cuda-vs-ref" >/tmp/vsref.log 2>&1
el "cuda-vs-ref rc=$?"
kill $CP; cp /tmp/vsref.log "$OUT/cuda-vs-ref.log"
el "int8.sh (BUDGET_S 240)"
mkdir -p /tmp/int8
( while sleep 10; do cp /tmp/int8/int8-cuda.md /tmp/int8/int8-logs.txt /tmp/int8/cuda-int8-map.log "$OUT/" 2>/dev/null; done ) & CP2=$!
OUT=/tmp/int8 BUDGET_S=240 timeout -k 5 270 bash bench/device/int8.sh >/tmp/int8/int8.log 2>&1
el "int8.sh rc=$?"
kill $CP2; cp /tmp/int8/int8-cuda.md /tmp/int8/int8-logs.txt /tmp/int8/cuda-int8-map.log "$OUT/" 2>/dev/null
tail -c 20000 /tmp/int8/int8.log >"$OUT/int8.log"
el done
