#!/usr/bin/env bash
# Device call C (session 24, issue 16): the asym --min-map 0.95 search on the judgeable yolov3-416 weights with the
# time to finish. In session 23's call B it validated keeping 8 convs in fp16 (90, 78, 104, 92, 88, 102, 37, 62) at
# 0.877x fp16 (screened) and was cut at its 200 s before confirming at batch 32 and building. The goal: >= 0.95
# held out (mAP@0.5 ranked against CUDA fp32) at <= 0.90x fp16's batch-32 time.
# Run: `CALL_COMMIT=<commit> LIMIT=585 bash bench/device/next/callC.sh` with carry [".devcarry"], timeout_s 600.
set -u
source bench/device/call-lib.sh
call_start callC
rows=$(( ${LIMIT:-585} - 10 ))
int8_rows "$rows" SKIP_YF=1 SYNTH_MODELS="yolov3-416" BUDGET_S=$(( rows - 5 )) V3_SEARCH_S=${V3_SEARCH_S:-440} \
    DEFAULT_ROW=0 CALIB_ROW=0 ASYM_ROW=0 SEARCH=0 ASYM_SEARCH=1 GOLDEN=0
grep -h 'no plan ran\|CUDA error\|^min-map: c\|int8 activations\|^darkrt build' /tmp/i8/int8-logs.txt 2>/dev/null | cut -c1-220 | head -40 | tee -a "$LOG"
el done
