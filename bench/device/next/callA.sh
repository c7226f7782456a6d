#!/usr/bin/env bash
# Device call A (session 21, issue 16): the first GPU run of CUDA int8 with zero points (--int8-activations asym,
# written without a GPU: every int8 conv's input quantized with a zero point into a buffer padded by the conv's own
# padding, the zero point folded into the bias; plans store it). bench/device/int8.sh's yolov3-416 rows with fp16,
# int8 sym --calib and int8 asym --calib (each plan built, saved, loaded by detect and scored on the held-out
# views against fp32), then their staged speed, on bench/int8-models.sh's yolov3-416 weights and dense-view rule (int8.sh
# since session 21: the rows before ran on weights whose slivers any rounding halves). What to read: sym's row (the
# CPU's int8 validates at 0.92 on these weights), the asym row's mAP beside it, its build log (int8-logs.txt.gz), the
# speed against fp16.
# Run: `CALL_COMMIT=<commit> LIMIT=250 NEED_A=200 bash bench/device/chain.sh A` with carry [".devcarry"].
set -u
source bench/device/call-lib.sh
call_start callA
int8_rows "${LIMIT_A:-235}" SKIP_YF=1 SYNTH_MODELS="yolov3-416" BUDGET_S=$(( ${LIMIT_A:-235} - 5 )) DEFAULT_ROW=0 SEARCH=0 \
    ASYM_ROW=1 GOLDEN=0
el done
