#!/usr/bin/env bash
# Next device call E: issue 16's CUDA int8 after session 12's calibration work. (1) bench/device/int8.sh as it is (the
# default build, --min-map 0.95 and 0.90, yolov3-416's int8 speed; 240 s budget); (2) the calibration methods held out on
# the CUDA engine, which shares calib.c (bias correction is the CPU engine's only): every conv int8 (DRT_CUDA_INT8=all),
# calibrated on half A (views of dog, eagle) and half B (giraffe, scream) with --calib-method max and mse, ranked mAP@0.5
# on the 70 scoring views against the CUDA fp32 engine (bench/int8-heldout.sh's protocol). At most 585 s; timeout_s 600.
set -u
# METHODS: the --calib-method values to hold out (default all four; each ~40 s).
source bench/device/call-lib.sh
call_start callE
el "int8.sh (budget 240 s)"
BUDGET_S=240 timeout -k 5 270 bash bench/device/int8.sh >"$OUT/int8.log" 2>&1
el "int8.sh rc=$?"
M="$DRT_DATA/models/yolo-fastest-1.1" T=$(mktemp -d) R=$OUT/calib-methods-cuda.md
D="$DRT_BIN/darkrt"
timeout 30 python3 bench/int8-images.py "$T/A" "$DRT_DATA"/data/{dog,eagle}.jpg >/dev/null
timeout 30 python3 bench/int8-images.py "$T/B" "$DRT_DATA"/data/{giraffe,scream}.jpg >/dev/null
photos=()
if [ -d "$DRT_DATA/int8-photos" ]; then photos=("$DRT_DATA"/int8-photos/*); fi
timeout 30 python3 bench/int8-images.py "$T/score" "$DRT_DATA"/data/{horses,kite,person}.jpg "${photos[@]}" >/dev/null
timeout 60 "$D" detect "$M/yolo-fastest-1.1.cfg" -w "$M/yolo-fastest-1.1.weights" --device cuda "$T/score" --json "$T/fp32.json" \
    --no-draw >/dev/null 2>&1
map() { timeout 20 "$D" eval "$T/fp32.json" "$1" 2>/dev/null | sed -n 's/^mAP@0.5 \([0-9.]*\) over.*/\1/p'; }
{ echo "# CUDA int8 (every conv, DRT_CUDA_INT8=all) by calibration method, held out ($(date -u '+%Y-%m-%d %H:%M UTC'))"; echo
  echo "$(ls "$T/score" | wc -l) scoring views; ranked mAP@0.5 against CUDA fp32 at 0.25"; echo
  echo "| --calib-method | half A | half B |"; echo "|---|---:|---:|"; } >"$R"
for method in ${METHODS:-max mse percentile entropy}; do
    line="| $method |"
    for h in A B; do
        if DRT_CUDA_INT8=all DRT_CALIB_MAX=14 timeout 60 "$D" build "$M/yolo-fastest-1.1.cfg" -w "$M/yolo-fastest-1.1.weights" \
            --device cuda --precision int8 --calib "$T/$h" --calib-method $method -o "$T/p.plan" >/dev/null 2>"$T/b.log" &&
            timeout 30 "$D" detect "$T/p.plan" "$T/score" -t 0.005 --json "$T/r.json" --no-draw >/dev/null 2>&1; then
            line="$line $(map "$T/r.json") |"
        else line="$line failed: $(tail -1 "$T/b.log") |"; fi
    done
    echo "$line" | tee -a "$R"
    el "$method done"
done
rm -rf "$T"
el done
