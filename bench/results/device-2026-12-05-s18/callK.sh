#!/usr/bin/env bash
# Next device call K (session 18, issue 16): the CUDA --min-map search timed as detection runs (drt_engine_stage: the
# runs alone from an input on the GPU, heads left there; call J timed the float upload and heads' download: every
# candidate 1.0x fp16's), on synthesised yolov3-416 (call J: 7 of 32 convs kept in fp16 reach the bound, int8 confirmed
# 1.007x fp16 timed from the host), then golden/cuda-stages' staged case (quick) and golden/cuda-int8-map alone.
# What to read: int8-cuda.md's yolov3-416 rows and "int8 speed" lines (staged batch-32 img/s), the tests' ok/FAIL lines.
# Run: `CALL_COMMIT=<commit> LIMIT=585 NEED_K=500 bash bench/device/chain.sh K` with carry [".devcarry"], timeout_s 600.
set -u
source bench/device/call-lib.sh
call_start callK
mkdir -p /tmp/i8
( while sleep 15; do cp /tmp/i8/int8-cuda.md "$OUT/" 2>/dev/null; done ) & CP=$!
OUT=/tmp/i8 SKIP_YF=1 SYNTH_MODELS="yolov3-416" BUDGET_S=330 V3_SEARCH_S=200 \
    timeout -k 5 340 bash bench/device/int8.sh >/tmp/i8/int8.log 2>&1
el "int8.sh rc=$?"
kill $CP 2>/dev/null
cp /tmp/i8/int8-cuda.md /tmp/i8/int8-logs.txt "$OUT/" 2>/dev/null
gzip -f "$OUT/int8-logs.txt" 2>/dev/null
tail -c 20000 /tmp/i8/int8.log >"$OUT/int8.log"
grep '^|' /tmp/i8/int8-cuda.md | tee -a "$LOG"
DRT_CUDA_TEST_QUICK=1 timeout -k 5 60 "$DRT_BIN/cuda-stages" >"$OUT/cuda-stages.txt" 2>&1
el "GOLDEN cuda-stages (quick) rc=$? $(grep -c '^ok' "$OUT/cuda-stages.txt") ok, $(grep -c '^FAIL' "$OUT/cuda-stages.txt") FAIL"
grep -E '^(FAIL|ok .*staged)' "$OUT/cuda-stages.txt" | tee -a "$LOG"
left=$(( 570 - ($(date +%s) - T0) ))
if [ "$left" -gt 60 ]; then
    t0=$(date +%s)
    timeout -k 5 "$left" "$DRT_BIN/cuda-int8-map" >"$OUT/cuda-int8-map.log" 2>&1
    el "GOLDEN cuda-int8-map rc=$? after $(( $(date +%s) - t0 )) s (limit $left s)"
    grep -E '^(ok|FAIL)' "$OUT/cuda-int8-map.log" | cut -c1-150 | tee -a "$LOG"
fi
el done
