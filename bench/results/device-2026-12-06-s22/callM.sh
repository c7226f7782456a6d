#!/usr/bin/env bash
# Device call M (session 21, issue 16): golden/cuda-int8-map alone, with the int8 hand-off the CUDA default since
# 612311f: its hand_off_case now compares the default engine against one built with DRT_CUDA_INT8_CHAIN=0 (never run
# on a GPU), its yolov3 check, its --min-map search on yolo-fastest-1.1 (two folds) and the plan's round trip.
# Chain it after R: `CALL_COMMIT=<commit> LIMIT=585 NEED_M=230 bash bench/device/chain.sh R M` (timeout_s 600).
set -u
source bench/device/call-lib.sh
call_start callM
left=$(( ${LIMIT_M:-240} - ($(date +%s) - T0) ))
t0=$(date +%s)
timeout -k 5 "$left" "$DRT_BIN/cuda-int8-map" >"$OUT/cuda-int8-map.log" 2>&1
el "GOLDEN cuda-int8-map rc=$? after $(( $(date +%s) - t0 )) s (limit $left s)"
grep -E '^(ok|FAIL)' "$OUT/cuda-int8-map.log" | cut -c1-220 | tee -a "$LOG"
el done
