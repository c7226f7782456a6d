#!/usr/bin/env bash
# Call C (session 10): bench/device/ttfd.sh alone (issue 13: first detection from a yolov3-416 plan, threads 1 and 8),
# then bench/device/video.sh alone (issue 14: NVDEC after the capture retry 8f60f92, the reworked PyTorch peer,
# CPU decoding). Results are gathered into $OUT as they come.
set -u
source .devcarry/env.sh
LOG=$OUT/callC.log
T0=$(date +%s)
el() { echo "[$(( $(date +%s) - T0 )) s] $*" | tee -a "$LOG"; }
{ date -u; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; echo "binaries from main at ${CALL_COMMIT:-?}"; } >>"$LOG"
el "ttfd.sh (125 s)"
mkdir -p /tmp/c2
( while sleep 10; do cp /tmp/c2/ttfd.txt "$OUT/" 2>/dev/null; done ) & CP=$!
OUT=/tmp/c2 timeout -k 5 130 bash bench/device/ttfd.sh >/tmp/c2/ttfd.out 2>&1
el "ttfd.sh rc=$?"
kill $CP 2>/dev/null; { cat /tmp/c2/ttfd.txt; echo "=== cuda-plan-load"; tail -c 3000 /tmp/c2/cuda-plan-load.txt; echo "=== stdout"; tail -c 3000 /tmp/c2/ttfd.out; } >"$OUT/ttfd.txt"
el "video.sh (300 s)"
mkdir -p /tmp/c3
( while sleep 10; do cp /tmp/c3/video-gpu.md /tmp/c3/runs.txt "$OUT/" 2>/dev/null; tail -c 30000 /tmp/c3/video.out >"$OUT/video.out"; done ) & CP=$!
OUT=/tmp/c3 timeout -k 5 305 bash bench/device/video.sh >/tmp/c3/video.out 2>&1
el "video.sh rc=$?"
kill $CP 2>/dev/null; cp /tmp/c3/video-gpu.md /tmp/c3/runs.txt "$OUT/" 2>/dev/null; tail -c 30000 /tmp/c3/video.out >"$OUT/video.out"
el done
