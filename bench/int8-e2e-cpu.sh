#!/usr/bin/env bash
# Does an int8 plan make what users run faster on the CPU? Issue 16 asks that int8 stay faster than fp32; its rows
# (bench/int8-models.sh) time the engine alone, batch 1. Here the whole process: `darkrt detect PLAN DIR --no-draw
# --json F` on bench/e2e-images.py's 270 mixed JPEGs (bench/e2e-cpu.sh's folder: decode and letterbox included, the
# workers running the engine side by side), for yolo-fastest-1.1 (its COCO weights) and the synthesised models of
# bench/int8-synth-models.sh named in MODELS, each as CPU plans of batch 8 with the default build (tuned kernels):
# fp32; int8 with the default CLI (no --calib: Darknet's 7 sample photos); int8 --calib the 28 views --min-map 0.95
# (bench/int8-models.sh's calibration and search). ROUNDS interleaved rounds, the plans' order rotating; per plan
# the median img/s and the median of its per-round ratios to fp32. Each int8 plan's boxes at 0.25, and ranked (down to
# 0.005), are scored against fp32's at 0.25 (darkrt eval, mAP@0.5: int8-models.md's protocol) on the same images as
# a check that it detects what fp32 does: not a held-out score
# (the 270 images are views of Darknet's samples, which the default CLI calibrates on; held out: int8-models.md).
# Beside them in the same rounds (PEERS=1) the peer a CPU user would pick: ONNX Runtime on darkrt's ONNX export with
# bench/peers/ort_e2e.py's own decode loop (as bench/e2e-cpu.sh), fp32 and int8 by ORT's static quantization
# (bench/peers/ort_quantize.py, calibrated on Darknet's 7 sample photos as darkrt's default CLI).
#   bash bench/int8-e2e-cpu.sh [BUILD]   (ROUNDS=5, MODELS="yolo-fastest-1.1 yolov3-tiny yolov4-tiny yolov7-tiny",
#                                        OUT=bench/results/int8-e2e-cpu.md; DRT_SHARED as the tests)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/bench/cpu-args.sh" "${1:-}"
source "$ROOT/bench/int8-synth-models.sh"
DN=/usr/share/darknet/data
AB="$SHARED/reference/alexeyab-darknet/cfg"
OUT=${OUT:-$ROOT/bench/results/int8-e2e-cpu.md}
ROUNDS=${ROUNDS:-5}
MODELS=${MODELS:-yolo-fastest-1.1 yolov3-tiny yolov4-tiny yolov7-tiny}
PEERS=${PEERS:-1}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
python3 "$ROOT/bench/e2e-images.py" "$T/images" >/dev/null
python3 "$ROOT/bench/int8-images.py" "$T/calib" "$DN"/{dog,eagle,giraffe,scream}.jpg
N=$(ls "$T/images" | wc -l)
boxes() { python3 -c "import json, sys; print(sum(len(i['detections']) for i in json.load(open(sys.argv[1]))))" "$1"; }
now() { date +%s.%N; }
map() { "$DARKRT" eval "$T/d0.json" "$1" | sed -n 's/^mAP@0.5 \([0-9.]*\) over.*/\1/p'; } # against fp32's boxes

{
    echo "# int8 through darkrt detect, whole process, on the CPU"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores (shared),"
    echo "commit $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src cli include bench ||
        echo ' (+ uncommitted changes)'), \`bash bench/int8-e2e-cpu.sh\` (MODELS=\"$MODELS\", ROUNDS=$ROUNDS), load at the start:"
    echo "$(cut -d' ' -f1-3 /proc/loadavg). $N JPEGs of bench/e2e-images.py; plans of batch 8, default build; each darkrt row"
    echo "\`darkrt detect PLAN DIR --no-draw --json F\` from process start to exit, rounds interleaved. mAP@0.5 against"
    echo "fp32's boxes at 0.25 on the same images (a check, not held out: the script's header). ONNX Runtime rows"
    echo "(PEERS=1): bench/peers/ort_e2e.py at $THREADS threads on darkrt's ONNX export, whole process, in the same rounds."
} >"$OUT"

for name in $MODELS; do
    if [ "$name" = yolo-fastest-1.1 ]; then
        cfg="$SHARED/models/yolo-fastest-1.1/yolo-fastest-1.1.cfg" w="${cfg%.cfg}.weights" origin="its COCO weights"
    else
        int8_synth "$name" "$AB" "$T/$name.weights"
        cfg=$SYNTH_CFG w="$T/$name.weights" origin="\`darkrt synth\` weights of bench/int8-synth-models.sh"
    fi
    start=$(date -u +%H:%M)
    labels=() builds=()
    plan() { # LABEL BUILD-OPTIONS...: a plan built (its build's int8 lines kept)
        local p="$T/p${#labels[@]}.plan" label=$1 t0
        shift
        t0=$(date +%s)
        DRT_CALIB_MAX=28 "$DARKRT" build "$cfg" -w "$w" --batch 8 "$@" -o "$p" >/dev/null 2>"$T/build.log"
        local calib kept
        calib=$(grep -o 'int8 calibration: [^(]*' "$T/build.log" | tail -1 | sed 's|int8 calibration: ||; s|/tmp/[^ ]*/||; s/ *$//' || true)
        kept=$(grep -o '[0-9]* of [0-9]* convs kept in fp32' "$T/build.log" | head -1 || true)
        grep -q 'building fp32 instead' "$T/build.log" && kept="$kept; not fast enough: fp32 built"
        labels+=("$label")
        builds+=("${calib:+calibrated on $calib; }${kept:+$kept; }built in $(($(date +%s) - t0)) s")
        echo "$name: ${labels[-1]}: ${builds[-1]}" >&2
    }
    plan "fp32" --precision fp32
    plan "int8, default CLI (no --calib)" --precision int8
    plan "int8, --calib 28 views --min-map 0.95" --precision int8 --calib "$T/calib" --min-map 0.95
    if [ "$PEERS" = 1 ]; then # ONNX Runtime on darkrt's ONNX export: fp32, and int8 by its own static quantization
        ort=$(python3 -c 'import onnxruntime; print(onnxruntime.__version__)')
        "$DARKRT" convert "$cfg" "$w" -o "$T/p${#labels[@]}.onnx" >/dev/null
        labels+=("ONNX Runtime $ort, fp32") builds+=("\`darkrt convert\`")
        t0=$(date +%s)
        python3 "$ROOT/bench/peers/ort_quantize.py" "$T/p$((${#labels[@]} - 1)).onnx" "$cfg" "$DN" "$T/p${#labels[@]}.onnx" \
            2>/dev/null
        labels+=("ONNX Runtime $ort, int8") builds+=("quantize_static's defaults (QDQ, MinMax), calibrated on Darknet's 7 sample photos; $(($(date +%s) - t0)) s")
    fi
    for r in $(seq "$ROUNDS"); do
        n=${#labels[@]}
        for k in $(seq 0 $((n - 1))); do
            i=$(((k + r) % n))
            t0=$(now)
            if [ -f "$T/p$i.plan" ]; then "$DARKRT" detect "$T/p$i.plan" "$T/images" --no-draw --json "$T/d$i.json" >/dev/null 2>&1
            else python3 "$ROOT/bench/peers/ort_e2e.py" "$T/p$i.onnx" "$cfg" "$T/images" --threads "$THREADS" >"$T/d$i.txt" 2>/dev/null; fi
            echo "$r $i $(awk "BEGIN{print $N / ($(now) - $t0)}")"
        done
    done >"$T/rates.txt"
    {
        echo
        echo "## $name"
        echo
        echo "$(basename "$cfg"), $origin; $start-$(date -u +%H:%M) UTC. fp32: $(boxes "$T/d0.json") boxes at 0.25."
        echo
        echo "| plan | build | img/s (median of $ROUNDS) | x darkrt fp32 (median of per-round ratios) | boxes | mAP@0.5 vs fp32 at 0.25 | ranked |"
        echo "|---|---|---:|---:|---:|---:|---:|"
        for i in "${!labels[@]}"; do
            map="1 | 1" found=$(boxes "$T/d$i.json" 2>/dev/null || sed -n 's/.*: \([0-9]*\) objects*$/\1/p' "$T/d$i.txt" | paste -sd+ - | bc)
            if [ ! -f "$T/p$i.plan" ]; then map="- | -"
            elif [ "$i" != 0 ]; then
                "$DARKRT" detect "$T/p$i.plan" "$T/images" -t 0.005 --no-draw --json "$T/ranked.json" >/dev/null 2>&1
                map="$(map "$T/d$i.json") | $(map "$T/ranked.json")"
            fi
            echo "| ${labels[$i]} | ${builds[$i]} | $(python3 - "$T/rates.txt" "$i" <<'EOF'
import statistics, sys
rate = {(r, p): float(v) for r, p, v in (l.split() for l in open(sys.argv[1]))}
rounds, me = sorted({r for r, p in rate}), sys.argv[2]
print("%.1f | %.2fx" % (statistics.median(rate[(r, me)] for r in rounds),
                        statistics.median(rate[(r, me)] / rate[(r, "0")] for r in rounds)))
EOF
) | $found | $map |"
        done
    } >>"$OUT"
    rm -f "$T"/p*.plan "$T"/p*.onnx "$T"/d*.json "$T"/d*.txt
done
echo >>"$OUT"
echo "Load at the end: $(cut -d' ' -f1-3 /proc/loadavg)." >>"$OUT"
cat "$OUT"
