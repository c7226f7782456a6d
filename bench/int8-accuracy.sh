#!/usr/bin/env bash
# int8 against fp32 as a user measures it with the CLI alone, on a fixed held-out split of Darknet's
# seven sample images: calibration {dog, eagle, giraffe, scream}, scoring {horses, kite, person}.
# For each int8 build: darkrt detect on the scoring images, darkrt eval against the fp32 engine's
# detections (mAP@0.5), darkrt bench for latency. Writes bench/results/int8-accuracy.md.
#   bash bench/int8-accuracy.sh [BUILD]      (BUILD: the build dir, default build)
# Model: yolo-fastest-1.1 with its real COCO weights (synthesised weights give tens of thousands of
# meaningless boxes per photo, so mAP is not measured on them).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DARKRT="$ROOT/${1:-build}/darkrt"
M="$ROOT/../shared/models/yolo-fastest-1.1"
CFG="$M/yolo-fastest-1.1.cfg"
W="$M/yolo-fastest-1.1.weights"
DN=/usr/share/darknet/data
OUT="$ROOT/bench/results/int8-accuracy.md"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export DRT_CPU_TUNE=0 # the same kernels for every build: the comparison is about precision
mkdir -p "$T/calib" "$T/score"
for f in dog eagle giraffe scream; do ln -s "$DN/$f.jpg" "$T/calib/"; done
for f in horses kite person; do ln -s "$DN/$f.jpg" "$T/score/"; done

"$DARKRT" detect "$CFG" --weights "$W" "$T/score" --json "$T/fp32.json" -o "$T/d" >/dev/null
"$DARKRT" build "$CFG" --weights "$W" -o "$T/fp32.plan" >/dev/null 2>&1
median() { "$DARKRT" bench "$1" --runs 50 --warmup 5 --json "$T/b.json" >/dev/null 2>&1
           python3 -c "import json,sys; d=json.load(open('$T/b.json'))['latency_ms']; print('%.2f / %.2f' % (d['median'], d['min']))" 2>/dev/null || echo "?"; }
rows=()
# variant NAME BUILD-OPTIONS...: build, score, time; the build's own lines go to the row's notes.
variant() {
    local name=$1; shift
    "$DARKRT" build "$CFG" --weights "$W" --precision int8 "$@" -o "$T/p.plan" >"$T/build.out" 2>"$T/build.log"
    "$DARKRT" detect "$T/p.plan" "$T/score" --json "$T/int8.json" -o "$T/d" >/dev/null 2>&1
    local map kept
    map=$("$DARKRT" eval "$T/fp32.json" "$T/int8.json" | sed -n 's/^mAP@0.5 \([0-9.]*\) over.*/\1/p')
    kept=$(sed -n 's/.*: \([0-9]* of [0-9]*\) convs kept in fp32.*/\1/p' "$T/build.log")
    rows+=("| $name | ${kept:-default (heads, dw)} | $map | $(median "$T/p.plan") | $(grep -o 'int8 calibration: [^(]*' "$T/build.log" | head -1 | sed 's/int8 calibration: //') |")
    echo "${rows[-1]}"
}
variant "default CLI (no --calib)"
variant "--calib (max)" --calib "$T/calib"
variant "--calib --calib-method entropy" --calib "$T/calib" --calib-method entropy
variant "--calib --calib-method percentile" --calib "$T/calib" --calib-method percentile
variant "--min-map 0.95, --val = calibration images" --calib "$T/calib" --min-map 0.95 --val "$T/calib"
variant "--min-map 0.95, --val = scored images (not held out)" --calib "$T/calib" --min-map 0.95 --val "$T/score"
fp32=$(median "$T/fp32.plan")
{
    echo "# int8 against fp32 on held-out images (yolo-fastest-1.1, CPU)"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores (shared, busy),"
    echo "commit $(git -C "$ROOT" rev-parse --short HEAD), \`bash bench/int8-accuracy.sh\`."
    echo "Calibration images: dog, eagle, giraffe, scream; scored: horses, kite, person (Darknet's samples)."
    echo "mAP@0.5 of int8's detections against the fp32 engine's (darkrt eval), score 0.25, NMS 0.45."
    echo "Latency: darkrt bench, batch 1, 50 runs, median / fastest (ms; the machine was shared and busy: the"
    echo "fastest run is the steadier figure); fp32 plan: $fp32."
    echo
    echo "| int8 build | convs kept in fp32 | mAP@0.5 vs fp32 | latency median / min, ms | calibration used |"
    echo "|---|---:|---:|---:|---|"
    printf '%s\n' "${rows[@]}"
} >"$OUT"
cat "$OUT"
