#!/usr/bin/env bash
# Call E (session 10): bench/device/video.sh for the PyTorch peer only, after its start-up fix (2694e0e..7d515bb):
# the ffmpeg-CLI CPU-decoding peer and the NVDEC one, on the same paced 1080p30 streams as call C's darkrt rows.
set -u
source .devcarry/env.sh
LOG=$OUT/callE.log
T0=$(date +%s)
el() { echo "[$(( $(date +%s) - T0 )) s] $*" | tee -a "$LOG"; }
{ date -u; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; echo "binaries from main at ${CALL_COMMIT:-?}"; } >>"$LOG"
mkdir -p /tmp/c3
( while sleep 10; do cp /tmp/c3/video-gpu.md /tmp/c3/runs.txt "$OUT/" 2>/dev/null; tail -c 30000 /tmp/c3/video.out >"$OUT/video.out"; done ) & CP=$!
OUT=/tmp/c3 MODES="pytorch pytorch-nvdec" TIME_BUDGET=140 timeout -k 5 150 bash bench/device/video.sh >/tmp/c3/video.out 2>&1
el "video.sh rc=$?"
kill $CP 2>/dev/null; cp /tmp/c3/video-gpu.md /tmp/c3/runs.txt "$OUT/" 2>/dev/null; tail -c 30000 /tmp/c3/video.out >"$OUT/video.out"
el done
