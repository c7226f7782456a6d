#!/usr/bin/env bash
# Issue 17 on the GPU (about 2 min): int8 calibration exists once (src/engine/calib.c, on the registry's
# calibrating backend) and build --min-map asks the registry, not the device.
# 1. yolo-fastest-1.1 int8 plans, --device cpu and --device cuda, --verbose, the same 4 calibration
#    images: their "calibration: tensor" lines (each tensor's max|x| and threshold) must be identical;
#    the CUDA int8 plan must detect on dog.jpg.
# 2. build --min-map 0.9 --device cuda (convs ranked on the calibrating CPU engine, the cut searched on
#    CUDA): it must finish and print its summary (kept in fp16, of the CUDA rule's candidates).
#   source .devcarry/env.sh && bash bench/device/calib.sh      (DRT_BIN, DRT_DATA, OUT)
# Prints CALIB lines (also in $OUT/calib.txt); exit 1 when a check fails. For the 14:40 UTC window.
set -u
: "${DRT_BIN:?DRT_BIN}" "${DRT_DATA:?DRT_DATA}" "${OUT:?OUT}"
W="$OUT/calib"
mkdir -p "$W"
RES="$OUT/calib.txt"
: >"$RES"
say() { echo "CALIB $*" | tee -a "$RES"; }
fails=0
FW="$DRT_DATA/models/yolo-fastest-1.1"
M=("$FW/yolo-fastest-1.1.cfg" -w "$FW/yolo-fastest-1.1.weights" --size 320x320)
export DRT_CALIB_MAX=4
# yolo-fastest has no 3x3 conv of >= 128 channels (CUDA's default int8 rule): every eligible conv in
# int8, so that CUDA calibrates and the search has candidates (the CPU ignores it).
export DRT_CUDA_INT8=all
say "# $(date -u '+%Y-%m-%d %H:%M UTC') $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1)"
for dev in cpu cuda; do
    if timeout 120 "$DRT_BIN/darkrt" build "${M[@]}" --device $dev --precision int8 --calib "$DRT_DATA/data" --verbose \
        -o "$W/$dev.plan" >/dev/null 2>"$W/$dev.log"; then
        grep '^calibration: tensor' "$W/$dev.log" >"$W/$dev.thr"
        say "$dev int8 plan built: $(wc -l <"$W/$dev.thr") calibrated tensors"
    else
        say "FAIL $dev int8 build: $(tail -1 "$W/$dev.log")"
        fails=$((fails + 1))
    fi
done
if [ -s "$W/cpu.thr" ] && cmp -s "$W/cpu.thr" "$W/cuda.thr"; then say "thresholds identical on cpu and cuda (one calibration)"
else say "FAIL thresholds differ between cpu and cuda: $(diff "$W/cpu.thr" "$W/cuda.thr" 2>&1 | head -3 | tr '\n' ' ')"; fails=$((fails + 1)); fi
if [ -f "$W/cuda.plan" ]; then
    timeout 60 "$DRT_BIN/darkrt" detect "$W/cuda.plan" "$DRT_DATA/data/dog.jpg" --no-draw --json "$W/dog.json" >"$W/dog.txt" 2>&1
    n=$(grep -o '"label"' "$W/dog.json" 2>/dev/null | wc -l)
    [ "$n" -gt 0 ] && say "cuda int8 plan on dog.jpg: $n boxes" || { say "FAIL cuda int8 plan on dog.jpg: no boxes ($(tail -1 "$W/dog.txt"))"; fails=$((fails + 1)); }
fi
t0=$SECONDS
if timeout 300 "$DRT_BIN/darkrt" build "${M[@]}" --device cuda --precision int8 --calib "$DRT_DATA/data" --min-map 0.9 \
    -o "$W/minmap.plan" >"$W/minmap.log" 2>&1; then
    say "min-map cuda ($((SECONDS - t0)) s): $(grep -- '--min-map 0.900:' "$W/minmap.log" | sed 's/^darkrt build: //')"
else
    say "FAIL min-map cuda: $(tail -1 "$W/minmap.log")"
    fails=$((fails + 1))
fi
say "RESULT $([ $fails -eq 0 ] && echo ok || echo "$fails failed")"
[ $fails -eq 0 ]
