#!/usr/bin/env bash
# Call C (session 9): GPU correctness checks at once (issues 14, 18, 13), then video.sh (issue 14), then e2e.sh (issue 13).
set -u
source .devcarry/env.sh
LOG=$OUT/callC.log
T0=$(date +%s)
el() { echo "[$(( $(date +%s) - T0 )) s] $*" | tee -a "$LOG"; }
left() { echo $(( ${LIMIT:-585} - ($(date +%s) - T0) )); }
{ date -u; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; } >>"$LOG"
el "phase 1: correctness checks in parallel"
mkdir -p /tmp/c1
( OUT=/tmp/c1/vs timeout -k 5 100 bash bench/device/video-smoke.sh >/tmp/c1/video-smoke.log 2>&1; echo "video-smoke rc=$?" >>/tmp/c1/video-smoke.log ) & P1=$!
( timeout -k 5 60 "$DRT_BIN/cuda-nv12" >/tmp/c1/cuda-nv12.log 2>&1; echo "cuda-nv12 rc=$?" >>/tmp/c1/cuda-nv12.log ) & P2=$!
( OUT=/tmp/c1/la timeout -k 5 60 bash bench/device/layers-a.sh >/tmp/c1/layers-a.log 2>&1; echo "layers-a rc=$?" >>/tmp/c1/layers-a.log ) & P5=$!
( OUT=/tmp/c1/lb timeout -k 5 118 bash bench/device/layers-b.sh >/tmp/c1/layers-b.log 2>&1; echo "layers-b rc=$?" >>/tmp/c1/layers-b.log ) & P3=$!
( timeout -k 5 115 "$DRT_BIN/cuda-vs-ref" >/tmp/c1/cuda-vs-ref.log 2>&1; echo "cuda-vs-ref rc=$?" >>/tmp/c1/cuda-vs-ref.log ) & P4=$!
( while sleep 10; do for f in /tmp/c1/*.log; do echo "=== $f"; tail -c 6000 "$f"; done >"$OUT/checks.txt" 2>/dev/null; done ) & CP=$!
wait $P1 $P2 $P3 $P4 $P5
kill $CP 2>/dev/null
for f in /tmp/c1/*.log; do echo "=== $f"; tail -c 8000 "$f"; done >"$OUT/checks.txt"
el "phase 1 done"
el "video.sh"
mkdir -p /tmp/video
( while sleep 10; do cp /tmp/video/runs.txt "$OUT/video-runs.txt" 2>/dev/null; cp /tmp/video/video-gpu.md "$OUT/" 2>/dev/null; done ) & CP2=$!
OUT=/tmp/video TIME_BUDGET=${VIDEO_BUDGET:-230} timeout -k 5 $(( ${VIDEO_BUDGET:-230} + 15 )) bash bench/device/video.sh >/tmp/video/video.log 2>&1
el "video.sh rc=$?"
kill $CP2; cp /tmp/video/runs.txt "$OUT/video-runs.txt"; cp /tmp/video/video-gpu.md "$OUT/" 2>/dev/null
tail -c 30000 /tmp/video/video.log >"$OUT/video.log"
if [ "${E2E:-1}" = 1 ] && [ "$(left)" -gt 60 ]; then
  el "e2e.sh (E2E_QUICK=${E2E_QUICK:-1}), $(left) s left"
  mkdir -p /tmp/e2e
  ( while sleep 10; do cp /tmp/e2e/results.txt "$OUT/e2e-results.txt" 2>/dev/null; done ) & CP3=$!
  OUT=/tmp/e2e E2E_QUICK=${E2E_QUICK:-1} timeout -k 5 $(( $(left) - 5 )) bash bench/device/e2e.sh >/tmp/e2e/e2e.log 2>&1
  el "e2e.sh rc=$?"
  kill $CP3; cp /tmp/e2e/results.txt "$OUT/e2e-results.txt"; { cat /tmp/e2e/cuda-pipeline.txt; tail -c 30000 /tmp/e2e/e2e.log; } >"$OUT/e2e.log"
fi
el done
