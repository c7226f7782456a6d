#!/usr/bin/env bash
# CUDA int8 (issue 16) on the device, within BUDGET_S (default 240 s; printed first; run it under
# `timeout -k 5 270`):
#   1. yolo-fastest-1.1 (real weights), bench/int8-accuracy.sh's held-out split: the default CLI
#      int8 build (no --calib, no --min-map): convs in int8, mAP@0.5 against the CUDA fp32 engine's
#      detections at 0.25 and ranked down to 0.005, the calibration used;
#   2. yolo-fastest-1.1: build --min-map 0.95 and 0.90 (DRT_CUDA_INT8=all: every conv but the first,
#      depthwise ones and heads is a candidate; candidates calibrated on 14 views and validated on
#      the other 14; those whose bound reaches the target plus its margin (0.975, 0.95) and that put
#      a conv in int8 screened against fp16 at batch 1, the fastest confirmed at batch 32, int8
#      built only when confirmed at most 0.90x fp16's time, else fp16): as in 1, plus convs kept in
#      fp16 and the search's lines;
#   3. speed: darkrt bench (plans for batch 32) of fp16, the --min-map and the default plans, 2
#      interleaved rounds: batch-1 latency, batch-32 img/s, batch-32 time against fp16 per round;
#   4. SYNTH_MODELS (default yolov3-416; also yolov3-tiny, yolov4-tiny) with darkrt synth weights and
#      bench/int8-synth-models.sh's head scale and shift (a few boxes an image), each when 90 s are left
#      (synth_rows below says what is scored);
#   5. tests/golden/cuda-int8-map with what is left of the budget (at least 60 s), and its run time.
# Every row goes to $OUT/int8-cuda.md the moment it exists; build logs to $OUT/int8-logs.txt;
# the test's output to $OUT/cuda-int8-map.log. Every step has its own timeout.
#   source .devcarry/env.sh && bash bench/device/int8.sh      (DRT_BIN, DRT_DATA, OUT; python3 + Pillow)
# YF_SIZE=N builds yolo-fastest-1.1 for an NxN input (its cfg's 320 otherwise): at 320 and batch 32 the H200 runs it
# launch-bound (int8 no faster than fp16, session 13's call E), a larger input gives the convs more work.
# SKIP_YF=1 skips 1-3 (yolo-fastest-1.1): SYNTH_MODELS and the golden test only. In SYNTH_MODELS' rows: DEFAULT_ROW=0
# skips the default CLI's plan, CALIB_ROW=0 the --calib one, SEARCH=0 the --min-map search, ASYM_ROW=1 adds
# --int8-activations asym, ASYM_SEARCH=1
# the --min-map search with it; GOLDEN=0 skips 5.
set -uo pipefail
BUDGET_S=${BUDGET_S:-240}
echo "bench/device/int8.sh: total time budget ${BUDGET_S} s (steps past it are skipped, each step has a timeout)"
DARKRT="${DRT_BIN:?DRT_BIN: the folder of the CUDA-built binaries}/darkrt"
DATA="${DRT_DATA:?DRT_DATA: the data folder}"
OUT="${OUT:?OUT: where to write the results}"
M="$DATA/models/yolo-fastest-1.1"
YF=(); [ -n "${YF_SIZE:-}" ] && YF=(--size "${YF_SIZE}x${YF_SIZE}")
CFG="$M/yolo-fastest-1.1.cfg"
W="$M/yolo-fastest-1.1.weights"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$OUT"
R=$OUT/int8-cuda.md
LOGS=$OUT/int8-logs.txt
: >"$LOGS"
say() { echo "$*" | tee -a "$R"; }
to() { local n=$1; shift; timeout -k 5 "$n" "$@"; } # every step: its own limit
left() { echo $((BUDGET_S - SECONDS)); }
lim() { local l=$(($(left) - 30)); [ "$l" -lt "$1" ] || l=$1; [ "$l" -gt 10 ] || l=10; echo "$l"; } # N, or less to leave 30 s
keep_log() { { echo "=== $1 ($((SECONDS)) s)"; cat "$2"; } >>"$LOGS"; }

say "# CUDA int8 against fp32 and fp16 (bench/device/int8.sh)"
say ""
say "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1), $(nproc) CPUs"
if ! nvidia-smi -L >/dev/null 2>&1; then
    say "skipped: no NVIDIA GPU here (the CUDA int8 scoring and timing need one)"
    exit 77
fi
photos=()
if [ -d "$DATA/int8-photos" ]; then photos=("$DATA"/int8-photos/*); fi
to 30 python3 bench/int8-images.py "$T/calib" "$DATA"/data/{dog,eagle,giraffe,scream}.jpg >/dev/null
to 30 python3 bench/int8-images.py "$T/score" "$DATA"/data/{horses,kite,person}.jpg "${photos[@]}" >/dev/null
say "Calibration and --min-map validation: $(ls "$T/calib" | wc -l) views of dog, eagle, giraffe, scream; scored:"
say "$(ls "$T/score" | wc -l) views of horses, kite, person and ${#photos[@]} scikit-image photos. mAP@0.5 against the CUDA fp32"
say "engine's detections at 0.25 (darkrt eval), int8's at 0.25 / ranked down to 0.005."
say ""

# truth_from FP32-JSON: the truth ($T/truth.json) is fp32's detections less the views where it puts DENSE (100) boxes or
# more ($T/dense.txt), as bench/int8-models.sh scores (its header says why: a dense run of scores any rounding reorders)
DENSE=${DENSE:-100}
truth_from() { python3 -c "
import json, sys
views = json.load(open(sys.argv[1]))
dense = [i['image'] for i in views if len(i.get('detections', [])) >= int(sys.argv[2])]
open(sys.argv[3], 'w').write(''.join(d + '\n' for d in dense))
json.dump([i for i in views if i['image'] not in dense], open(sys.argv[4], 'w'))" "$1" "$DENSE" "$T/dense.txt" "$T/truth.json"; }
without_dense() { python3 -c "
import json, sys
dense = set(open(sys.argv[3]).read().split())
json.dump([i for i in json.load(open(sys.argv[1])) if i['image'] not in dense], open(sys.argv[2], 'w'))" "$1" "$2" "$T/dense.txt"; }
map() { without_dense "$1" "$T/scored.json" 2>/dev/null &&
    to 20 "$DARKRT" eval "$T/truth.json" "$T/scored.json" 2>/dev/null | sed -n 's/^mAP@0.5 \([0-9.]*\) over.*/\1/p'; }
if [ -z "${SKIP_YF:-}" ]; then # SKIP_YF=1: yolov3-416 and the golden test only
fp32_model=("$CFG" -w "$W") # detect takes no --size: at YF_SIZE, a fp32 plan of that size
if [ ${#YF[@]} -gt 0 ] && to 60 "$DARKRT" build "$CFG" -w "$W" "${YF[@]}" --device cuda --precision fp32 --batch 32 \
    -o "$T/yf-fp32.plan" >/dev/null 2>"$T/err"; then fp32_model=("$T/yf-fp32.plan"); fi
to 60 "$DARKRT" detect "${fp32_model[@]}" --device cuda "$T/score" --json "$T/fp32.json" --no-draw >/dev/null 2>"$T/err" ||
    say "fp32 detect failed: $(tail -1 "$T/err")"
truth_from "$T/fp32.json"
fi
# variant NAME PLAN BUILD-OPTIONS...: an int8 plan for batch 32 (-v: the op list says which convs run
# int8), scored at 0.25 and ranked.
variant() {
    local name=$1 plan=$2 limit=$3 t0=$SECONDS; shift 3
    if ! to "$limit" "$DARKRT" build "$CFG" -w "$W" "${YF[@]}" --device cuda --precision int8 --batch 32 -v "$@" -o "$plan" \
        >"$T/build.out" 2>"$T/build.log"; then
        keep_log "$name (failed)" "$T/build.log"
        say "| $name | build failed or over ${limit} s: $(tail -1 "$T/build.log") |"
        return
    fi
    keep_log "$name" "$T/build.log"
    to 30 "$DARKRT" detect "$plan" "$T/score" --json "$T/at25.json" --no-draw >/dev/null 2>&1
    to 30 "$DARKRT" detect "$plan" "$T/score" -t 0.005 --json "$T/ranked.json" --no-draw >/dev/null 2>&1
    local int8 kept calib
    int8=$(grep -cE '^  conv [0-9]+( \+ shortcut [0-9]+)? int8 ' "$T/build.log" || true)
    kept=$(sed -n 's/.*: \([0-9]* of [0-9]*\) convs kept in fp16.*/\1/p' "$T/build.log")
    calib=$(grep -o 'int8 calibration: [^(]*' "$T/build.log" | head -1 | sed 's/int8 calibration: //; s/ *$//' || true)
    say "| $name | $int8 | ${kept:--} | $(map "$T/at25.json") | $(map "$T/ranked.json") | ${calib:--} | $((SECONDS - t0)) s |"
    grep -E '^(darkrt build: (--min-map|int8 speed)|min-map: confirm)' "$T/build.log" | sed 's/^/    /' | tee -a "$R"
}
if [ -z "${SKIP_YF:-}" ]; then
say "## yolo-fastest-1.1 (real weights), ${YF_SIZE:-320}x${YF_SIZE:-320}, plans for batch 32"
say ""
say "| int8 build | convs in int8 | --min-map: kept in fp16 | mAP@0.5 at 0.25 | mAP@0.5 ranked | calibration | build + score |"
say "|---|---:|---:|---:|---:|---|---:|"
to 60 "$DARKRT" build "$CFG" -w "$W" "${YF[@]}" --device cuda --precision fp16 --batch 32 -o "$T/yf-fp16.plan" >/dev/null 2>"$T/err" ||
    say "| fp16 | build failed: $(tail -1 "$T/err") |"
variant "default CLI (no --calib, no --min-map; the int8 rule: 3x3 convs of >= 128 channels)" "$T/yf-default.plan" 45
fi

# speed NAME PLAN...: darkrt bench of each plan, 2 interleaved rounds; a row per plan with each
# round's numbers and its batch-32 time over the first plan's (fp16) in the same round.
speed() {
    local name=$1; shift
    say ""
    say "$name: darkrt bench, 2 interleaved rounds of 50 runs (batch 1 latency) and batch-32 throughput, staged"
    say "(the runs alone, from an input already on the GPU, the heads left there, as detect's pipeline runs them; through"
    say "drt_engine_run, a float upload and the heads' download, session 17-18's rows: 1700-1950 img/s for yolov3-416, noise 20%)"
    say ""
    say "| plan | batch 1 ms (rounds) | batch 32 img/s (rounds) | batch-32 time vs fp16 (rounds) |"
    say "|---|---|---|---|"
    : >"$T/speed.txt"
    local order=("$@") rev=() i
    for ((i = $#; i > 0; i--)); do rev+=("${!i}"); done
    for r in 1 2; do
        # round 2 in reverse: in session 17's yolov3-tiny rows the first plan of each round (fp16) ran ~9% slower
        # than an fp16 plan timed later in the same round, which read as int8's gain
        [ $r = 2 ] && order=("${rev[@]}")
        for p in "${order[@]}"; do
            [ -f "$p" ] || continue
            if to 20 "$DARKRT" bench "$p" --runs 50 --warmup 10 --batch 32 --json "$T/b.json" >/dev/null 2>&1; then
                echo "$(basename "$p" .plan) $r $(python3 -c "import json; d=json.load(open('$T/b.json')); l, t = (d['staged_latency_ms'], d['staged_throughput_ips']) if 'staged_throughput_ips' in d else (d['latency_ms'], d['throughput_ips']); print('%.4f %.0f' % (l['median'], t))")" >>"$T/speed.txt"
            fi
        done
    done
    cat "$T/speed.txt" >>"$LOGS"
    for p in "$@"; do
        local b; b=$(basename "$p" .plan)
        awk -v p="$b" -v ref="$(basename "$1" .plan)" '$1 == ref { f[$2] = $4 } $1 == p { l = l " " $3; t = t " " $4; m[$2] = $4 }
            END { for (r = 1; r <= 2; r++) if (m[r] > 0 && f[r] > 0) q = q sprintf(" %.3f", f[r] / m[r]);
                  if (l != "") printf "| %s |%s |%s |%s |\n", p, l, t, q }' "$T/speed.txt" | tee -a "$R"
    done
}
if [ -z "${SKIP_YF:-}" ]; then
DRT_CALIB_MAX=28 DRT_CUDA_INT8=all variant "--calib views --min-map 0.95 (DRT_CUDA_INT8=all; no --val: the search splits the views)" \
    "$T/yf-minmap.plan" "$(lim 150)" --calib "$T/calib" --min-map 0.95
# At 0.90 (the speed pick's margin: bound 0.95) the all-int8 set (bound 0.96 in session 10's call A)
# is timed: screened at batch 1, confirmed at the plan's batch 32 against fp16, built only when
# confirmed at most 0.90x fp16's time
DRT_CALIB_MAX=28 DRT_CUDA_INT8=all variant "--calib views --min-map 0.90 (DRT_CUDA_INT8=all; no --val)" \
    "$T/yf-minmap90.plan" "$(lim 100)" --calib "$T/calib" --min-map 0.90
speed "yolo-fastest-1.1" "$T/yf-fp16.plan" "$T/yf-minmap.plan" "$T/yf-minmap90.plan" "$T/yf-default.plan"
fi

say ""
# score NAME PLAN: a row for a plan built elsewhere (fp16, the control), scored as variant() scores.
score() {
    to 30 "$DARKRT" detect "$2" "$T/score" --json "$T/at25.json" --no-draw >/dev/null 2>&1
    to 30 "$DARKRT" detect "$2" "$T/score" -t 0.005 --json "$T/ranked.json" --no-draw >/dev/null 2>&1
    say "| $1 | 0 | - | $(map "$T/at25.json") | $(map "$T/ranked.json") | - | - |"
}
# synth_rows NAME CFG SCALE SHIFT [BOX]: a model with bench/int8-synth-models.sh's weights (darkrt synth, the heads scaled and
# shifted so that fp32 gives a few boxes an image, box logits scaled by BOX (1); plain synthesised weights: ~300k
# zero-width boxes at score 1.0 on yolov3) and its dense-view rule (truth_from) at 416x416, plans for batch 32: fp32's
# detections as truth, fp16 as the control (where it is under 0.95 against fp32 the synthesised boxes are too fragile
# to judge int8), int8 default CLI, --calib views and --min-map 0.95 (at most V3_SEARCH_S), then speed.
synth_rows() {
    local name=$1 scale=$3 shift=$4 box=${5:-1}
    say "## $name (darkrt synth --head-scale $scale --head-shift $shift --box-scale $box, seed 1), plans for batch 32"
    say ""
    if [ "$(left)" -le 90 ]; then
        say "skipped: $(left) s left of the budget"
        return
    fi
    CFG=$2 W="$T/$name.weights" YF=(--size 416x416)
    to 30 "$DARKRT" synth "$CFG" -o "$W" --seed 1 --head-scale "$scale" --head-shift "$shift" --box-scale "$box" \
        >/dev/null 2>&1 || say "synth failed"
    to "$(lim 60)" "$DARKRT" build "$CFG" -w "$W" "${YF[@]}" --device cuda --precision fp32 --batch 32 \
        -o "$T/$name-fp32.plan" >/dev/null 2>"$T/err" || say "fp32 build failed: $(tail -1 "$T/err")"
    to 60 "$DARKRT" detect "$T/$name-fp32.plan" "$T/score" --json "$T/fp32.json" --no-draw >/dev/null 2>"$T/err" ||
        say "fp32 detect failed: $(tail -1 "$T/err")"
    truth_from "$T/fp32.json"
    say "fp32's truth: $(python3 -c "import json; print(sum(len(i.get('detections', [])) for i in json.load(open('$T/truth.json'))))" 2>/dev/null) boxes on the scoring views, $(grep -c . "$T/dense.txt") views left out (>= $DENSE boxes)"
    say ""
    say "| plan | convs in int8 | --min-map: kept in fp16 | mAP@0.5 at 0.25 | mAP@0.5 ranked | calibration | build + score |"
    say "|---|---:|---:|---:|---:|---|---:|"
    to "$(lim 60)" "$DARKRT" build "$CFG" -w "$W" "${YF[@]}" --device cuda --precision fp16 --batch 32 \
        -o "$T/$name-fp16.plan" >/dev/null 2>"$T/err" || say "| fp16 | build failed: $(tail -1 "$T/err") |"
    score "fp16 (the control)" "$T/$name-fp16.plan"
    [ "${DEFAULT_ROW:-1}" = 1 ] && variant "int8, default CLI (no --calib, no --min-map)" "$T/$name-default.plan" "$(lim 60)"
    [ "${CALIB_ROW:-1}" = 1 ] && variant "int8, --calib views (default rule)" "$T/$name-calib.plan" "$(lim 60)" --calib "$T/calib"
    # ASYM_ROW=1: the same with a zero point into every int8 conv that pads nothing (session 23)
    [ "${ASYM_ROW:-0}" = 1 ] && variant "int8, --calib views, --int8-activations asym" "$T/$name-asym.plan" "$(lim 60)" \
        --calib "$T/calib" --int8-activations asym
    [ "${SEARCH:-1}" = 1 ] && DRT_CALIB_MAX=28 variant "int8, --calib views --min-map 0.95 (no --val: the search splits the views)" \
        "$T/$name-minmap.plan" "$(lim "${V3_SEARCH_S:-240}")" --calib "$T/calib" --min-map 0.95
    # ASYM_SEARCH=1: the search with zero points (session 22: with the hand-off into such convs)
    [ "${ASYM_SEARCH:-0}" = 1 ] && DRT_CALIB_MAX=28 variant "int8, --calib views --min-map 0.95 --int8-activations asym" \
        "$T/$name-asym-minmap.plan" "$(lim "${V3_SEARCH_S:-240}")" --calib "$T/calib" --min-map 0.95 --int8-activations asym
    speed "$name" "$T/$name-fp16.plan" "$T/$name-default.plan" "$T/$name-calib.plan" "$T/$name-asym.plan" "$T/$name-minmap.plan" \
        "$T/$name-asym-minmap.plan"
    say ""
}
# SYNTH_MODELS: which of bench/int8-synth-models.sh's models run, in order (default yolov3-416)
source "$(dirname "$0")/../int8-synth-models.sh"
for m in ${SYNTH_MODELS:-yolov3-416}; do
    if row=$(int8_synth_row "$m"); then
        read -r cfg scale shift box <<<"$row"
        synth_rows "$m" "$DATA/alexeyab-cfg/$cfg" "$scale" "$shift" "$box"
    else
        say "SYNTH_MODELS: $m: not a model of bench/int8-synth-models.sh"
    fi
done

say ""
say "## tests/golden/cuda-int8-map"
n=$(left)
if [ "$n" -ge 60 ] && [ "${GOLDEN:-1}" = 1 ]; then
    t0=$SECONDS
    DRT_SHARED=${DRT_SHARED:-$DATA} to "$n" "$DRT_BIN/cuda-int8-map" >"$OUT/cuda-int8-map.log" 2>&1
    rc=$?
    say "rc=$rc after $((SECONDS - t0)) s (limit $n s): $(grep -E '^(ok|FAIL)' "$OUT/cuda-int8-map.log" | cut -c1-60 | tr '\n' ';') $(tail -2 "$OUT/cuda-int8-map.log" | tr '\n' ' ')"
else
    say "not run: $([ "${GOLDEN:-1}" = 1 ] && echo "$n s left of the budget (it needs more than 60 s)" || echo GOLDEN=0)"
fi
say ""
say "(total $SECONDS s)"
