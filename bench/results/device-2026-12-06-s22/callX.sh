#!/usr/bin/env bash
# Device call X (session 22, issue 16): CUDA int8 with zero points handed from conv to conv (the producer's graph adds
# the next conv's zp and writes the interior of its padded buffer; a kernel writes the border), written without a GPU.
# 1. golden/cuda-int8-map, its yolov3 checks alone (they run first now; the yolo-fastest search after them is cut):
#    sym and asym hand-off against DRT_CUDA_INT8_CHAIN=0, asym closer to fp32 than sym, plans round trip.
# 2. bench/device/int8.sh's yolov3-416 rows on the judgeable weights: fp16, --calib sym, --calib asym, the
#    --min-map 0.95 search with --int8-activations asym, staged speed at batch 32 (call W: asym 0.976 held out but
#    0.95-0.97x fp16 without the hand-off; sym 0.930; sym's search 0.944 at 0.84x).
# 3. With what is left: gpu-bench's per-op profile of sym and asym on those weights (where asym's time goes).
# Run: `CALL_COMMIT=<commit> LIMIT=590 NEED_X=560 bash bench/device/chain.sh X` with carry [".devcarry"], timeout_s 600.
set -u
source bench/device/call-lib.sh
call_start callX
t0=$(date +%s)
timeout -k 5 "${LIMIT_XM:-170}" "$DRT_BIN/cuda-int8-map" >"$OUT/cuda-int8-map.log" 2>&1
el "GOLDEN cuda-int8-map rc=$? after $(( $(date +%s) - t0 )) s (limit ${LIMIT_XM:-170} s: its yolov3 checks)"
grep -E '^(ok|FAIL)' "$OUT/cuda-int8-map.log" | cut -c1-260 | tee -a "$LOG"
int8_rows 310 SKIP_YF=1 SYNTH_MODELS="yolov3-416" BUDGET_S=300 V3_SEARCH_S=170 DEFAULT_ROW=0 ASYM_ROW=1 SEARCH=0 \
    ASYM_SEARCH=1 GOLDEN=0
W=/tmp/p; mkdir -p $W
timeout 30 "$DRT_BIN/darkrt" synth "$DRT_DATA/cfg/yolov3.cfg" -o $W/v3.weights --seed 1 --head-scale 0.1 --head-shift -5 \
    --box-scale 0.1 >/dev/null 2>&1
prof() { # NAME ACTS
    local left=$(( 575 - ($(date +%s) - T0) ))
    (( left > 25 )) || { el "profile $1 skipped: $left s left"; return; }
    timeout "$left" "$DRT_BIN/gpu-bench" --cfg "$DRT_DATA/cfg/yolov3.cfg" --weights $W/v3.weights --size 416 \
        --precision int8 --int8-activations "$2" --batch 32 --iters 50 --calib "$DRT_DATA/int8-photos" --label "$1" \
        --profile >"$OUT/profile-$1.txt" 2>&1
    el "profile $1 rc=$? $(grep -o 'throughput_ips=[0-9.]*\|gpu_median_ms=[0-9.]*' "$OUT/profile-$1.txt" | tr '\n' ' ') $(grep -o 'sum .*' "$OUT/profile-$1.txt")"
}
prof asym asym
prof sym sym
el done
