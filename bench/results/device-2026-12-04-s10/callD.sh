#!/usr/bin/env bash
# Call D (session 10): the full bench/device/e2e.sh alone (issue 13: 8000 mixed JPEGs, yolo-fastest-1.1 and yolov3-416,
# darkrt's CLI and pipeline API beside the PyTorch peer in the same run, first detection, the GPU pipeline's boxes),
# then bench/device/int8.sh alone (issue 16, the CUDA rows after the search's confirm step) on what is left.
set -u
source .devcarry/env.sh
LOG=$OUT/callD.log
T0=$(date +%s)
el() { echo "[$(( $(date +%s) - T0 )) s] $*" | tee -a "$LOG"; }
{ date -u; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; echo "binaries from main at ${CALL_COMMIT:-?}"; } >>"$LOG"
el "e2e.sh full (360 s)"
mkdir -p /tmp/e2e
( while sleep 10; do cp /tmp/e2e/results.txt "$OUT/e2e-results.txt" 2>/dev/null; done ) & CP=$!
OUT=/tmp/e2e timeout -k 5 365 bash bench/device/e2e.sh >/tmp/e2e/e2e.log 2>&1
el "e2e.sh rc=$?"
kill $CP 2>/dev/null; cp /tmp/e2e/results.txt "$OUT/e2e-results.txt"; { cat /tmp/e2e/cuda-pipeline.txt; echo "=== e2e.log"; tail -c 40000 /tmp/e2e/e2e.log; } >"$OUT/e2e.log"
B=$(( ${LIMIT:-570} - ($(date +%s) - T0) - 10 ))
el "int8.sh (BUDGET_S $B)"
mkdir -p /tmp/int8
( while sleep 10; do cp /tmp/int8/int8-cuda.md /tmp/int8/int8-logs.txt "$OUT/" 2>/dev/null; done ) & CP=$!
OUT=/tmp/int8 BUDGET_S=$B timeout -k 5 $(( B + 8 )) bash bench/device/int8.sh >/tmp/int8/int8.log 2>&1
el "int8.sh rc=$?"
kill $CP 2>/dev/null; cp /tmp/int8/int8-cuda.md /tmp/int8/int8-logs.txt "$OUT/" 2>/dev/null; tail -c 20000 /tmp/int8/int8.log >"$OUT/int8.log"
el done
