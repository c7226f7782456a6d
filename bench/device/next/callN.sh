#!/usr/bin/env bash
# Device call N (session 15): call F's first part alone, so a chain (bench/device/chain.sh) can fit it where F's
# 420 s do not: bench/device/video.sh with NVDEC alone at 64 live 1080p30 streams (issue 14; session 13's trial
# lost 9 start-up frames of 1 of 64 streams, session 14's live-drop rule keeps such a burst). 80 s at most.
# What to read: the "nvdec N=64:" line (kept, dropped per stream) and video-gpu.md.
# Run: `CALL_COMMIT=<commit> bash bench/device/next/callN.sh` with carry [".devcarry"], or as chain.sh's N.
set -u
source bench/device/call-lib.sh
call_start callN
mkdir -p /tmp/video
OUT=/tmp/video MODES=nvdec STEPS_nvdec=64 PEERS=0 TIME_BUDGET=75 timeout -k 5 80 bash bench/device/video.sh >/tmp/video/video.log 2>&1
el "video.sh rc=$?"; cp /tmp/video/video-gpu.md "$OUT/video-gpu.md"; grep -E '^[a-z-]+ N=[0-9]+:' /tmp/video/runs.txt | tee -a "$LOG"
gzip -c /tmp/video/runs.txt >"$OUT/video-runs.txt.gz"; tail -c 6000 /tmp/video/video.log >"$OUT/video.log"
el done
