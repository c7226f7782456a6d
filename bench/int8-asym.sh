#!/usr/bin/env bash
# int8 activations sym (s8, step max|x|/127) against asym (u8 with a zero point: build --int8-activations asym) on
# bench/int8-models.sh's held-out split and models (yolov4-tiny, yolov3-tiny: synthesised weights, the same heads'
# scale and shift) and yolo-fastest-1.1 (real weights): the fp32 plan's detections at 0.25 on the 70 scoring views
# are the truth; each int8 plan (DRT_CPU_TUNE=0, default keep list) built with no --calib (the CLI's default photos)
# and with --calib the 28 calibration views, scored at 0.25 and ranked (mAP@0.5). Then latency: darkrt bench, batch 1,
# THREADS threads (default 1), ROUNDS interleaved rounds (default 5) of RUNS runs (default 30) of fp32 (tuned), sym and
# asym (--calib builds): the median of each plan's medians and of its per-round ratios to fp32.
# LATENCY_ONLY=1: the --calib plans and their latency only (for yolov3-416, in MODELS only when named; its rows before
# session 24 ran on the fragile -5.5 weights, bf16 itself 0.82 there: bench/results/int8-models.md).
#   bash bench/int8-asym.sh [BUILD]      (MODELS="yolov4-tiny ..." to run some; OUT: the results file)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
THREADS=${THREADS:-1}
source "$ROOT/bench/cpu-args.sh" "${1:-}"
DN=/usr/share/darknet/data
AB="$SHARED/reference/alexeyab-darknet/cfg"
YF="$SHARED/models/yolo-fastest-1.1"
OUT=${OUT:-$ROOT/bench/results/int8-asym.md}
ROUNDS=${ROUNDS:-5} RUNS=${RUNS:-30}
source "$ROOT/bench/int8-synth-models.sh"
MODEL_LIST=( # name cfg weights, or name synth: bench/int8-synth-models.sh's weights and cfg
    "yolov4-tiny synth"
    "yolov3-tiny synth"
    "yolo-fastest-1.1 $YF/yolo-fastest-1.1.cfg $YF/yolo-fastest-1.1.weights"
    "yolov3-416 synth"
)
MODELS=${MODELS:-yolov4-tiny yolov3-tiny yolo-fastest-1.1}
LATENCY_ONLY=${LATENCY_ONLY:-0}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
python3 "$ROOT/bench/int8-images.py" "$T/calib" "$DN"/{dog,eagle,giraffe,scream}.jpg
python3 "$ROOT/bench/int8-images.py" "$T/score" "$DN"/{horses,kite,person}.jpg $(python3 "$ROOT/bench/int8-images.py" --skimage)
map() { "$DARKRT" eval "$T/truth.json" "$1" | sed -n 's/^mAP@0.5 \([0-9.]*\) over.*/\1/p'; }
{
    echo "# int8 activations: sym (s8) against asym (u8 with a zero point), CPU"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores (shared),"
    echo "commit $(git -C "$ROOT" rev-parse --short HEAD), \`bash bench/int8-asym.sh\` (MODELS=\"$MODELS\", THREADS=$THREADS), load at the start: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "Protocol: the script's header. mAP@0.5 against the fp32 plan's detections at 0.25 on the 70 scoring views."
    echo
    echo "| model | activations | calibration | mAP@0.5 at 0.25 | mAP@0.5 ranked | latency ms (median) | vs fp32 (median of rounds) |"
    echo "|---|---|---|---:|---:|---:|---:|"
} >"$OUT"
for entry in "${MODEL_LIST[@]}"; do
    read -r name cfg w <<<"$entry"
    [[ " $MODELS " == *" $name "* ]] || continue
    if [ "$cfg" = synth ]; then
        w="$T/$name.weights"
        int8_synth "$name" "$AB" "$w"
        cfg=$SYNTH_CFG
    fi
    "$DARKRT" build "$cfg" -w "$w" -o "$T/fp32.plan" --threads "$THREADS" >/dev/null 2>&1
    [ "$LATENCY_ONLY" = 1 ] || "$DARKRT" detect "$T/fp32.plan" "$T/score" --json "$T/truth.json" --no-draw >/dev/null 2>&1
    rows=()
    for act in sym asym; do
        for calib in default calib; do
            [ "$LATENCY_ONLY" = 1 ] && [ $calib = default ] && continue
            extra=()
            [ $calib = calib ] && extra=(--calib "$T/calib")
            DRT_CALIB_MAX=28 DRT_CPU_TUNE=0 "$DARKRT" build "$cfg" -w "$w" --precision int8 --int8-activations $act "${extra[@]}" \
                --threads "$THREADS" -o "$T/$act-$calib.plan" >/dev/null 2>&1
            if [ "$LATENCY_ONLY" = 1 ]; then rows+=("$act $calib - -"); continue; fi
            "$DARKRT" detect "$T/$act-$calib.plan" "$T/score" --json "$T/a.json" --no-draw >/dev/null 2>&1
            "$DARKRT" detect "$T/$act-$calib.plan" "$T/score" -t 0.005 --json "$T/r.json" --no-draw >/dev/null 2>&1
            rows+=("$act $calib $(map "$T/a.json") $(map "$T/r.json")")
            echo "$name: ${rows[-1]}" >&2
        done
    done
    for r in $(seq "$ROUNDS"); do
        for p in fp32 sym-calib asym-calib; do
            "$DARKRT" bench "$T/$p.plan" --runs "$RUNS" --warmup 3 --threads "$THREADS" --json "$T/b.json" >/dev/null 2>&1
            echo "$r $p $(python3 -c "import json; print(json.load(open('$T/b.json'))['latency_ms']['median'])")"
        done
    done >"$T/lat.txt"
    lat() { python3 - "$T/lat.txt" "$1" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
ms = {(r, p): float(v) for r, p, v in rows}
rs = sorted({r for r, p, v in rows})
me = sys.argv[2]
print("%.2f | %.3f" % (statistics.median(ms[(r, me)] for r in rs), statistics.median(ms[(r, me)] / ms[(r, "fp32")] for r in rs)))
EOF
    }
    for row in "${rows[@]}"; do
        read -r act calib a r <<<"$row"
        l="- | -"
        [ "$calib" = calib ] && l=$(lat "$act-calib")
        echo "| $name | $act | $([ "$calib" = calib ] && echo "--calib 28 views" || echo "default (no --calib)") | $a | $r | $l |"
    done >>"$OUT"
    echo "| $name | fp32 (tuned) | - | 1 | 1 | $(lat fp32) |" >>"$OUT"
done
echo "wrote $OUT" >&2
