#!/usr/bin/env bash
# Device call Z (session 22 wrote it for the next, issue 16): CUDA int8 with zero points, the border-fix form (7e3cb07:
# no padded buffers; cuDNN pads with the code 0 and a (oh, ow, k) fix added after the bias makes up zp w_q over the
# taps in the padding, src/engine/int8-zero-point.c, tests/unit/int8-zero-point.c; the hand-off into such convs is
# sym's plus + zp). Call Y ran out of device time before its golden lines came back (stdout was block-buffered: now
# line-buffered). CUDA builds take asym only with DRT_CUDA_ASYM=1 until this call's golden test passes.
# 1. golden/cuda-int8-map whole (its yolov3 checks first, ~150 s: asym closer to fp32 than sym, the asym hand-off
#    against DRT_CUDA_INT8_CHAIN=0, plans bit for bit; then the yolo-fastest search, cut at LIMIT_ZM).
# 2. int8.sh's yolov3-416 rows on the judgeable weights: fp16, --calib asym, the --min-map 0.95 search with asym,
#    staged speed at batch 32. The goal: >= 0.95 held out (W: asym 0.976 without the hand-off) at <= 0.90x fp16.
# 3. What is left: gpu-bench's per-op profile of asym (where its time goes).
# Run: `CALL_COMMIT=<commit> LIMIT=590 bash bench/device/next/callZ.sh` (not through chain.sh: $OUT directly, so a run
# cut at its limit still brings its files) with carry [".devcarry"], timeout_s 600.
set -u
source bench/device/call-lib.sh
call_start callZ
golden_run cuda-int8-map "${LIMIT_ZM:-170}" # its yolov3 checks come first; the search after them may be cut
grep -E '^ok' "$OUT/cuda-int8-map.txt" | cut -c1-260 | tee -a "$LOG"
left=$(( ${LIMIT:-590} - 60 - ($(date +%s) - T0) ))
int8_rows "$left" SKIP_YF=1 SYNTH_MODELS="yolov3-416" BUDGET_S=$(( left - 5 )) V3_SEARCH_S=200 DEFAULT_ROW=0 CALIB_ROW=0 \
    ASYM_ROW=1 SEARCH=0 ASYM_SEARCH=1 GOLDEN=0
W=/tmp/p; mkdir -p $W
timeout 20 "$DRT_BIN/darkrt" synth "$DRT_DATA/cfg/yolov3.cfg" -o $W/v3.weights --seed 1 --head-scale 0.1 --head-shift -5 \
    --box-scale 0.1 >/dev/null 2>&1
left=$(( ${LIMIT:-590} - 5 - ($(date +%s) - T0) ))
(( left > 25 )) && DRT_CUDA_ASYM=1 timeout "$left" "$DRT_BIN/gpu-bench" --cfg "$DRT_DATA/cfg/yolov3.cfg" --weights $W/v3.weights \
    --size 416 --precision int8 --int8-activations asym --batch 32 --iters 50 --calib "$DRT_DATA/int8-photos" \
    --label asym --profile >"$OUT/profile-asym.txt" 2>&1
el "profile asym: $(grep -o 'throughput_ips=[0-9.]*\|gpu_median_ms=[0-9.]*' "$OUT/profile-asym.txt" | tr '\n' ' ') $(grep -o 'sum .*' "$OUT/profile-asym.txt")"
el done
