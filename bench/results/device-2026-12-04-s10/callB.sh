#!/usr/bin/env bash
# Call B (session 10): GPU correctness checks side by side (bench/device/cuda-vs-ref.sh: issue 18's near-tie check and
# the layers; tests/golden/cuda-pipeline: issue 13's pipeline after the late pinning and the nvJPEG thread), then
# bench/device/ttfd.sh alone (issue 13, first detection), then bench/device/video.sh alone (issue 14, with its
# PyTorch peer and the pace check). At most 8 files come back: each script's results are gathered into $OUT.
set -u
source .devcarry/env.sh
LOG=$OUT/callB.log
T0=$(date +%s)
el() { echo "[$(( $(date +%s) - T0 )) s] $*" | tee -a "$LOG"; }
{ date -u; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; git rev-parse --short HEAD 2>/dev/null; } >>"$LOG"
el "phase 1: cuda-vs-ref.sh (125 s) and cuda-pipeline (40 s) side by side"
mkdir -p /tmp/b1
( OUT=/tmp/b1 timeout -k 5 135 bash bench/device/cuda-vs-ref.sh >/tmp/b1/vsref.out 2>&1; echo "cuda-vs-ref.sh rc=$?" >>/tmp/b1/vsref.out ) & P1=$!
( timeout -k 5 45 "$DRT_BIN/cuda-pipeline" >/tmp/b1/pipeline.log 2>&1; echo "cuda-pipeline rc=$?" >>/tmp/b1/pipeline.log ) & P2=$!
gather1() { { cat /tmp/b1/vsref.out; for p in core layers alexeyab yolov3; do echo "=== $p"; cat /tmp/b1/cuda-vs-ref/$p.log; done; } >"$OUT/cuda-vs-ref.txt" 2>/dev/null; cp /tmp/b1/pipeline.log "$OUT/cuda-pipeline.log" 2>/dev/null; }
( while sleep 10; do gather1; done ) & CP=$!
wait $P1 $P2; kill $CP 2>/dev/null; gather1
el "phase 1 done: $(tail -1 /tmp/b1/vsref.out); $(tail -1 /tmp/b1/pipeline.log)"
el "phase 2: ttfd.sh (90 s)"
mkdir -p /tmp/b2
( while sleep 10; do cp /tmp/b2/ttfd.txt "$OUT/" 2>/dev/null; done ) & CP=$!
OUT=/tmp/b2 timeout -k 5 95 bash bench/device/ttfd.sh >/tmp/b2/ttfd.out 2>&1
el "ttfd.sh rc=$?"
kill $CP 2>/dev/null; { cat /tmp/b2/ttfd.txt; echo "=== stdout"; tail -c 4000 /tmp/b2/ttfd.out; } >"$OUT/ttfd.txt"
el "phase 3: video.sh (300 s)"
mkdir -p /tmp/b3
( while sleep 10; do cp /tmp/b3/video-gpu.md /tmp/b3/runs.txt "$OUT/" 2>/dev/null; tail -c 30000 /tmp/b3/video.out >"$OUT/video.out"; done ) & CP=$!
OUT=/tmp/b3 timeout -k 5 305 bash bench/device/video.sh >/tmp/b3/video.out 2>&1
el "video.sh rc=$?"
kill $CP 2>/dev/null; cp /tmp/b3/video-gpu.md /tmp/b3/runs.txt "$OUT/" 2>/dev/null; tail -c 30000 /tmp/b3/video.out >"$OUT/video.out"
el done
