#!/usr/bin/env bash
# Builds bench/int8-fakequant.c against BUILD/libdarkrt.a (no Makefile change) and runs it on bench/int8-models.sh's
# models (the same synthesised heads) and yolo-fastest-1.1 (real weights), on the calibration side of the held-out
# split only (the 28 views of dog, eagle, giraffe, scream; the scored views are never used): calibrated on the 1st,
# 3rd... views by name, measured on the 2nd, 4th..., then the other way round. Writes bench/results/int8-fakequant.md.
#   bash bench/int8-fakequant.sh [BUILD]          (MODELS="yolov4-tiny ..." to run some)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/bench/cpu-args.sh" "${1:-}"
LIB="$BUILD/libdarkrt.a"
[ -f "$LIB" ] || { echo "int8-fakequant: $LIB not found: run make first" >&2; exit 1; }
BIN="$BUILD/bench/int8-fakequant"
mkdir -p "$(dirname "$BIN")"
LIBS=$(make -s -C "$ROOT" BUILD="$(basename "$BUILD")" print-libs)
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
ar t "$LIB" | grep -q '\.cu\.o$' && LIBS="$LIBS -L$CUDA_HOME/lib64 -Wl,-rpath,$CUDA_HOME/lib64 -lcudnn -lcublasLt -lcublas -lcudart -lstdc++"
cc -O2 -std=c11 -D_GNU_SOURCE -I"$ROOT/include" -I"$ROOT/src" -o "$BIN" "$ROOT/bench/int8-fakequant.c" "$LIB" $LIBS -pthread
DN=/usr/share/darknet/data
AB="$SHARED/reference/alexeyab-darknet/cfg"
YF="$SHARED/models/yolo-fastest-1.1"
OUT=${OUT:-$ROOT/bench/results/int8-fakequant.md}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
python3 "$ROOT/bench/int8-images.py" "$T/calib" "$DN"/{dog,eagle,giraffe,scream}.jpg
mkdir -p "$T/a" "$T/b"
i=0
for f in $(ls "$T/calib"); do
    [ $((i % 2)) = 0 ] && ln -s "$T/calib/$f" "$T/a/" || ln -s "$T/calib/$f" "$T/b/"
    i=$((i + 1))
done
source "$ROOT/bench/int8-synth-models.sh"
MODEL_LIST=( # name cfg weights, or name synth: bench/int8-synth-models.sh's weights and cfg
    "yolov4-tiny synth"
    "yolov3-tiny synth"
    "yolo-fastest-1.1 $YF/yolo-fastest-1.1.cfg $YF/yolo-fastest-1.1.weights"
)
MODELS=${MODELS:-yolov4-tiny yolov3-tiny yolo-fastest-1.1}
{
    echo "# int8 activations: s8 symmetric, a step per channel, u8 with a zero point (fake quantization, CPU)"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), commit $(git -C "$ROOT" rev-parse --short HEAD),"
    echo "\`bash bench/int8-fakequant.sh\` (bench/int8-fakequant.c says what each row is). Calibration side of the held-out split"
    echo "only: calibrated on the 1st, 3rd... of the 28 views (A), measured on the 2nd, 4th... (B), and B on A. Truth: the fp32"
    echo "engine's detections at 0.25; ranked mAP@0.5 of each row's detections down to 0.005; heads' mean relative RMS error."
} >"$OUT"
for entry in "${MODEL_LIST[@]}"; do
    read -r name cfg w <<<"$entry"
    [[ " $MODELS " == *" $name "* ]] || continue
    what="real weights"
    if [ "$cfg" = synth ]; then
        w="$T/$name.weights"
        int8_synth "$name" "$AB" "$w"
        cfg=$SYNTH_CFG
        read -r _ scale shift box <<<"$(int8_synth_row "$name")"
        what="darkrt synth --head-scale $scale --head-shift $shift --box-scale $box"
    fi
    {
        echo
        echo "## $name ($what)"
        for side in "a b" "b a"; do
            read -r c s <<<"$side"
            echo
            echo "calibrated on ${c^^}, measured on the ${s^^} views:"
            echo
            "$BIN" "$cfg" "$w" "$T/$c" "$T/$s"/* 2>/dev/null | sed 's/^/    /'
        done
    } >>"$OUT"
done
cat "$OUT"
