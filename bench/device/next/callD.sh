#!/usr/bin/env bash
# Next device call D: issue 17's measurements left: bench/gpu.sh's yolo-fastest-1.1 rows (cut by the limit in session
# 9) and bench/device/contexts.sh (per-context memory, fixed in 4103075, not re-run). At most 585 s; timeout_s 600.
set -u
source bench/device/call-lib.sh
call_start callD
el "gpu.sh yolo-fastest-1.1 (timeout 270 s)"
mkdir -p /tmp/gpu
( while sleep 10; do cp /tmp/gpu/results.txt "$OUT/gpu-results.txt" 2>/dev/null; done ) & CP=$!
MODELS=yolo-fastest-1.1 COMPILE=0 timeout -k 5 270 bash bench/gpu.sh "$DRT_BIN" "$DRT_DATA" /tmp/gpu >/tmp/gpu/gpu.log 2>&1
el "gpu.sh rc=$?"
kill $CP 2>/dev/null; cp /tmp/gpu/results.txt "$OUT/gpu-results.txt"; cp /tmp/gpu/gpu.md "$OUT/gpu.md" 2>/dev/null
B=$(( ${LIMIT:-585} - ($(date +%s) - T0) - 5 ))
el "contexts.sh (timeout $B s)"
mkdir -p /tmp/ctx
( while sleep 10; do cp /tmp/ctx/contexts.txt "$OUT/contexts.txt" 2>/dev/null; done ) & CP=$!
OUT=/tmp/ctx timeout -k 3 $B bash bench/device/contexts.sh >/tmp/ctx/contexts.log 2>&1
el "contexts.sh rc=$?"
kill $CP 2>/dev/null; cp /tmp/ctx/contexts.txt "$OUT/contexts.txt"; tail -c 6000 /tmp/ctx/contexts.log >"$OUT/contexts.log"
el done
