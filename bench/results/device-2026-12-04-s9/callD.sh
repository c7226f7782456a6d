#!/usr/bin/env bash
# Call D (session 9): golden/cuda-plan-load on plan format 2 (issue 17), then video.sh's NVDEC pipeline after
# the decoder-surface fix 820d61e (issue 14).
set -u
source .devcarry/env.sh
LOG=$OUT/callD.log
T0=$(date +%s)
el() { echo "[$(( $(date +%s) - T0 )) s] $*" | tee -a "$LOG"; }
{ date -u; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; } >>"$LOG"
el "cuda-plan-load"
timeout -k 5 40 "$DRT_BIN/cuda-plan-load" >"$OUT/cuda-plan-load.log" 2>&1; el "cuda-plan-load rc=$?"
mkdir -p /tmp/video
( while sleep 8; do cp /tmp/video/runs.txt "$OUT/video-runs.txt" 2>/dev/null; cp /tmp/video/video-gpu.md "$OUT/" 2>/dev/null; done ) & CP=$!
el "video.sh nvdec"
OUT=/tmp/video MODES=nvdec TIME_BUDGET=${VIDEO_BUDGET:-170} timeout -k 5 $(( ${VIDEO_BUDGET:-170} + 12 )) bash bench/device/video.sh >/tmp/video/video.log 2>&1
el "video.sh rc=$?"
kill $CP; cp /tmp/video/runs.txt "$OUT/video-runs.txt"; cp /tmp/video/video-gpu.md "$OUT/" 2>/dev/null
tail -c 20000 /tmp/video/video.log >"$OUT/video.log"
el done
