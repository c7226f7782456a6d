#!/usr/bin/env bash
# Device call Y (session 22, issue 16): call X found the hand-off into zero-point convs wrong (heads 2.7 from fp32,
# plans not bit-exact: cuDNN's fused int8 output into the interior of a padded buffer, rows strided, read as stale
# memory). Now no padded buffers: the int8 input is unpadded, cuDNN pads with the code 0, and a border fix (oh, ow, k)
# added after the bias makes up zp w_q over the taps in the padding; the hand-off into such convs is sym's plus + zp.
# 1. golden/cuda-int8-map's yolov3 checks (first in the test; the search after them is cut): asym closer to fp32 than
#    sym, the asym hand-off against DRT_CUDA_INT8_CHAIN=0, plans bit for bit.
# 2. int8.sh's yolov3-416 rows on the judgeable weights: fp16, --calib asym (held-out mAP; W: 0.976 without the
#    hand-off), staged speed at batch 32.
# Run: `CALL_COMMIT=<commit> LIMIT=300 NEED_Y=250 bash bench/device/chain.sh Y` with carry [".devcarry"], timeout_s 310.
set -u
source bench/device/call-lib.sh
call_start callY
t0=$(date +%s)
timeout -k 5 "${LIMIT_YM:-150}" "$DRT_BIN/cuda-int8-map" >"$OUT/cuda-int8-map.log" 2>&1
el "GOLDEN cuda-int8-map rc=$? after $(( $(date +%s) - t0 )) s (limit ${LIMIT_YM:-150} s: its yolov3 checks)"
grep -E '^(ok|FAIL)' "$OUT/cuda-int8-map.log" | cut -c1-260 | tee -a "$LOG"
left=$(( ${LIMIT:-300} - 8 - ($(date +%s) - T0) ))
int8_rows "$left" SKIP_YF=1 SYNTH_MODELS="yolov3-416" BUDGET_S=$(( left - 5 )) DEFAULT_ROW=0 ASYM_ROW=1 SEARCH=0 GOLDEN=0 \
    CALIB_ROW=0
el done
