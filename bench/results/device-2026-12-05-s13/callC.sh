#!/usr/bin/env bash
# Next device call C: issue 14's H200 goal with both pipelines in one run (bench/device/video.sh's defaults: MODES
# "nvdec pytorch cpu-decode", TIME_BUDGET 285; read its header). Run with timeout_s 320.
set -u
source bench/device/call-lib.sh
call_start callC
mkdir -p /tmp/video
( while sleep 10; do cp /tmp/video/video-gpu.md /tmp/video/runs.txt "$OUT/" 2>/dev/null; done ) & CP=$!
OUT=/tmp/video timeout -k 5 305 bash bench/device/video.sh >/tmp/video/video.log 2>&1
el "video.sh rc=$?"
kill $CP 2>/dev/null; cp /tmp/video/video-gpu.md /tmp/video/runs.txt "$OUT/" 2>/dev/null; tail -c 30000 /tmp/video/video.log >"$OUT/video.log"
