#!/usr/bin/env bash
# CUDA int8 against fp32 on bench/int8-accuracy.sh's held-out split, and int8 speed against fp16.
# Within 180 s (H200): the --min-map 0.95 row and the speed rows first; the default CLI row and the
# all-int8 max row only in the time left (BUDGET_S, default 150, is checked before each).
# Run from the repository root:  bash bench/device/int8.sh
# Env: DRT_BIN (folder of the CUDA-built darkrt), DRT_DATA (data/: Darknet's samples;
# models/yolo-fastest-1.1/; int8-photos/: the photos scikit-image ships, put there by
# scripts/device-bundle.sh), OUT (results: int8-cuda.md and the build logs).
# Python: python3 (bench/int8-images.py needs Pillow; torchvision brings it on the device).
# Split (never overlapping): calibration and --min-map validation = views of dog, eagle, giraffe,
# scream (--min-map without --val: the search calibrates its candidates on the dog and eagle views and
# validates on the giraffe and scream ones; the plan is calibrated on all 28); scoring = views of
# horses, kite, person and of the int8-photos (when present).
# mAP@0.5 against the CUDA fp32 engine's detections at 0.25 (darkrt eval), with int8's at 0.25 and
# ranked down to 0.005 (the protocol of mAP against labels, and --min-map's).
set -euo pipefail
DARKRT="${DRT_BIN:?DRT_BIN: the folder of the CUDA-built binaries}/darkrt"
DATA="${DRT_DATA:?DRT_DATA: the data folder}"
OUT="${OUT:?OUT: where to write the results}"
M="$DATA/models/yolo-fastest-1.1"
CFG="$M/yolo-fastest-1.1.cfg"
W="$M/yolo-fastest-1.1.weights"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$OUT"
if ! nvidia-smi -L >/dev/null 2>&1; then
    echo "bench/device/int8.sh: skipped: no NVIDIA GPU here (the CUDA int8 scoring and timing need one)"
    exit 77
fi
photos=()
if [ -d "$DATA/int8-photos" ]; then photos=("$DATA"/int8-photos/*); fi
[ ${#photos[@]} -gt 0 ] || echo "note: no $DATA/int8-photos: scoring on Darknet's horses, kite, person only"
python3 bench/int8-images.py "$T/calib" "$DATA"/data/{dog,eagle,giraffe,scream}.jpg
python3 bench/int8-images.py "$T/score" "$DATA"/data/{horses,kite,person}.jpg "${photos[@]}"
echo "calibration/validation: $(ls "$T/calib" | wc -l) views; scoring: $(ls "$T/score" | wc -l) views"

"$DARKRT" detect "$CFG" --weights "$W" --device cuda "$T/score" --json "$T/fp32.json" -o "$T/d" >/dev/null
"$DARKRT" build "$CFG" --weights "$W" --device cuda --precision fp16 --batch 32 -o "$T/fp16.plan" >/dev/null 2>&1
rows=()
map() { "$DARKRT" eval "$T/fp32.json" "$1" | sed -n 's/^mAP@0.5 \([0-9.]*\) over.*/\1/p'; }
# variant NAME PLAN BUILD-OPTIONS...: build for batch 32 (verbose: the op list says which convs run
# int8), score at 0.25 and ranked down to 0.005 (bench/int8-accuracy.sh's two protocols).
variant() {
    local name=$1 plan=$2; shift 2
    local t0=$SECONDS
    if ! "$DARKRT" build "$CFG" --weights "$W" --device cuda --precision int8 --batch 32 -v "$@" -o "$plan" >"$T/build.out" 2>"$T/build.log"; then
        rows+=("| $name | build failed: $(tail -1 "$T/build.log") |")
        echo "${rows[-1]}"
        return
    fi
    cp "$T/build.log" "$OUT/build-$(basename "$plan" .plan).log"
    "$DARKRT" detect "$plan" "$T/score" --json "$T/at25.json" -o "$T/d" >/dev/null 2>&1
    "$DARKRT" detect "$plan" "$T/score" -t 0.005 --json "$T/ranked.json" -o "$T/d" >/dev/null 2>&1
    local int8 kept calib
    int8=$(grep -cE '^  conv [0-9]+( \+ shortcut [0-9]+)? int8 ' "$T/build.log" || true)
    kept=$(sed -n 's/.*: \([0-9]* of [0-9]*\) convs kept in fp16.*/\1/p' "$T/build.log")
    calib=$(grep -o 'int8 calibration: [^(]*' "$T/build.log" | head -1 | sed 's/int8 calibration: //' || true)
    rows+=("| $name | $int8 | ${kept:--} | $(map "$T/at25.json") | $(map "$T/ranked.json") | $calib | $((SECONDS - t0)) s |")
    echo "${rows[-1]}"
}
BUDGET_S=${BUDGET_S:-150}
export DRT_CUDA_INT8=all # every conv but the first, depthwise ones and heads: yolo-fastest has no conv the rule takes
variant "DRT_CUDA_INT8=all, --calib --min-map 0.95 (no --val: the search splits the calibration views)" "$T/minmap.plan" --calib "$T/calib" --min-map 0.95
grep '^darkrt build: --min-map' "$T/build.log" | tee "$OUT/min-map-search.txt" || true
unset DRT_CUDA_INT8
plans="fp16 minmap"
# Speed: darkrt bench of each plan (all built for batch 32): batch-1 latency and batch-32 throughput,
# three interleaved rounds; the table takes each plan's median round.
speed() { "$DARKRT" bench "$T/$1.plan" --runs 100 --warmup 10 --batch 32 --json "$T/b.json" >/dev/null 2>&1 &&
          python3 -c "import json; d=json.load(open('$T/b.json')); print('%.4f %.0f' % (d['latency_ms']['median'], d['throughput_ips']))" ||
          echo "? ?"; }
for r in 1 2 3; do
    for p in $plans; do echo "$p $(speed $p) $r"; done
done >"$T/speed.txt"
echo "speed rows done at $SECONDS s"
if [ $SECONDS -lt "$BUDGET_S" ]; then
    variant "default CLI (no --calib; the int8 rule: 3x3 convs of >= 128 channels)" "$T/default.plan"
fi
if [ $SECONDS -lt "$BUDGET_S" ]; then
    DRT_CUDA_INT8=all variant "DRT_CUDA_INT8=all, --calib (max), nothing kept" "$T/all.plan" --calib "$T/calib"
fi
{
    echo "# CUDA int8 against fp32 on held-out images (yolo-fastest-1.1)"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nvidia-smi --query-gpu=name --format=csv,noheader | head -1),"
    echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), \`bash bench/device/int8.sh\`."
    echo "Calibration and validation: $(ls "$T/calib" | wc -l) views of dog, eagle, giraffe, scream; scored: $(ls "$T/score" | wc -l)"
    echo "views of horses, kite, person$([ ${#photos[@]} -gt 0 ] && echo " and $(cd "$DATA/int8-photos" && ls | tr '\n' ' ')")."
    echo "mAP@0.5 against the CUDA fp32 engine's detections at score 0.25, NMS 0.45 (darkrt eval), with int8's"
    echo "at 0.25 or ranked down to 0.005 (\`detect -t 0.005\`: the protocol of mAP against labels, and --min-map's)."
    echo
    echo "| int8 build | convs in int8 | --min-map: kept in fp16 | mAP@0.5 at 0.25 | mAP@0.5 ranked | calibration | build + score |"
    echo "|---|---:|---:|---:|---:|---|---:|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "$(cat "$OUT/min-map-search.txt" 2>/dev/null)"
    echo
    echo "darkrt bench (plans for batch 32), median of 3 interleaved rounds of 100 runs:"
    echo
    echo "| plan | batch 1 latency, ms | batch 32, images/s | vs fp16 (batch 32, median of the rounds' ratios) |"
    echo "|---|---:|---:|---:|"
    for p in $plans; do
        ratio=$(awk -v p=$p '$1 == "fp16" { f[$4] = $3 } $1 == p { m[$4] = $3 }
                 END { for (r in m) if (f[r] > 0) printf "%.3f\n", m[r] / f[r] }' "$T/speed.txt" | sort -g | sed -n 2p)
        grep "^$p " "$T/speed.txt" | sort -k2,2g | sed -n 2p | awk -v p=$p -v q="$ratio" '{ printf "| %s | %s | %s | %s |\n", p, $2, $3, q }'
    done
    echo
    echo "(total $SECONDS s)"
} >"$OUT/int8-cuda.md"
cp "$T/speed.txt" "$OUT/"
cat "$OUT/int8-cuda.md"
