#!/usr/bin/env bash
# Device call G (session 24, issue 16): CUDA int8 on the other models bench/int8-models.sh synthesises (the CPU's
# rows: bench/results/int8-models.md), never run on CUDA with those weights but yolov3-tiny: yolov7-tiny, yolov4-tiny,
# yolov3-tiny, each with fp16 as the control, the default CLI (no --calib), --calib VIEWS and --min-map 0.95, then
# their staged batch-32 speed.
# Run: `CALL_COMMIT=<commit> LIMIT=530 bash bench/device/next/callG.sh` with carry [".devcarry"], timeout_s 545.
set -u
source bench/device/call-lib.sh
call_start callG
rows=$(( ${LIMIT:-530} - 10 ))
int8_rows "$rows" SKIP_YF=1 SYNTH_MODELS="yolov7-tiny yolov4-tiny yolov3-tiny" BUDGET_S=$(( rows - 5 )) \
    V3_SEARCH_S=${V3_SEARCH_S:-120} DEFAULT_ROW=1 CALIB_ROW=1 ASYM_ROW=0 SEARCH=1 ASYM_SEARCH=0 GOLDEN=0
grep -h 'no plan ran\|CUDA error\|^darkrt build: \(--min-map 0\|int8 speed\)' /tmp/i8/int8-logs.txt 2>/dev/null | cut -c1-220 | head -30 | tee -a "$LOG"
el done
