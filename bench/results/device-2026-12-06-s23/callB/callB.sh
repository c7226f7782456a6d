#!/usr/bin/env bash
# Device call B (session 23, issue 16): CUDA int8 with zero points on the convs that pad nothing (1x1 convs). Call A
# (main at 3efdd5c) found cuDNN's fused int8 kernels read a padded conv's border fix (a per-pixel operand) for the
# first image only: an illegal address at conv 88 at batch 32 and conv 104 at batch 3, whether the fix was 1 x k x
# oh x ow or had batch stride 0. So padded convs stay sym, with no border fix.
# 1. int8.sh's yolov3-416 rows on the judgeable weights: fp16, the asym --min-map 0.95 search (with no conv kept it
#    builds every conv in int8), staged speed at batch 32. The goal: >= 0.95 held out at <= 0.90x fp16.
# 2. golden/cuda-int8-map with what is left: its yolov3 checks, the asym lines (the batch-3 case among them) first.
# Run: `CALL_COMMIT=<commit> LIMIT=500 bash bench/device/next/callB.sh` with carry [".devcarry"], timeout_s 520.
set -u
source bench/device/call-lib.sh
call_start callB
int8_rows "${LIMIT_ROWS:-330}" SKIP_YF=1 SYNTH_MODELS="yolov3-416" BUDGET_S=$(( ${LIMIT_ROWS:-330} - 5 )) V3_SEARCH_S=200 \
    DEFAULT_ROW=0 CALIB_ROW=0 ASYM_ROW=0 SEARCH=0 ASYM_SEARCH=1 GOLDEN=0
grep -h 'no plan ran\|CUDA error\|^min-map\|int8 activations' /tmp/i8/int8-logs.txt 2>/dev/null | cut -c1-200 | head -20 | tee -a "$LOG"
left=$(( ${LIMIT:-500} - 5 - ($(date +%s) - T0) ))
(( left > 30 )) && golden_run cuda-int8-map "$left"
grep -E '^ok' "$OUT/cuda-int8-map.txt" 2>/dev/null | cut -c1-260 | tee -a "$LOG"
el done
