#!/usr/bin/env bash
# Session 13's last device call (what was left of 1800 s after calls B, C, A, E): LIMIT s in all (default 420).
#   1. bench/device/video.sh NVDEC alone at 64 streams (call C's 64-stream trial lost 9 start-up frames of 1 of 64
#      streams; session 10's call C kept all 64): MODES=nvdec STEPS_nvdec=64 PEERS=0, 80 s;
#   2. bench/device/contexts.sh (issue 17: per-context memory and throughput), 150 s at most;
#   3. bench/gpu.sh's yolo-fastest-1.1 rows (issue 17: speed no worse), what is left.
# Run: `CALL_COMMIT=<commit> bash bench/device/next/callF.sh` with carry [".devcarry"].
set -u
source bench/device/call-lib.sh
call_start callF
LIMIT=${LIMIT:-420}
el "video.sh nvdec at 64 streams (80 s)"
mkdir -p /tmp/video
OUT=/tmp/video MODES=nvdec STEPS_nvdec=64 PEERS=0 TIME_BUDGET=75 timeout -k 5 80 bash bench/device/video.sh >/tmp/video/video.log 2>&1
el "video.sh rc=$?"; cp /tmp/video/video-gpu.md "$OUT/video-gpu.md"; grep -E '^[a-z-]+ N=[0-9]+:' /tmp/video/runs.txt | tee -a "$LOG"
cat /tmp/video/runs.txt | gzip >"$OUT/video-runs.txt.gz"
el "contexts.sh (150 s)"
mkdir -p /tmp/ctx
OUT=/tmp/ctx timeout -k 3 150 bash bench/device/contexts.sh >/tmp/ctx/contexts.log 2>&1
el "contexts.sh rc=$?"; cp /tmp/ctx/contexts.txt "$OUT/contexts.txt"; tail -c 6000 /tmp/ctx/contexts.log >"$OUT/contexts.log"
B=$(( LIMIT - ($(date +%s) - T0) - 8 ))
el "gpu.sh yolo-fastest-1.1 (timeout $B s)"
mkdir -p /tmp/gpu
( while sleep 10; do cp /tmp/gpu/results.txt "$OUT/gpu-results.txt" 2>/dev/null; done ) & CP=$!
MODELS=yolo-fastest-1.1 COMPILE=0 timeout -k 3 "$B" bash bench/gpu.sh "$DRT_BIN" "$DRT_DATA" /tmp/gpu >/tmp/gpu/gpu.log 2>&1
el "gpu.sh rc=$?"
kill $CP 2>/dev/null; cp /tmp/gpu/results.txt "$OUT/gpu-results.txt"; cp /tmp/gpu/gpu.md "$OUT/gpu.md" 2>/dev/null
el done
