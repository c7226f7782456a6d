#!/usr/bin/env bash
# int8 against fp32 on more models than bench/int8-accuracy.sh's (issue 16: "score every YOLO model you can build"),
# with the CLI alone, on bench/int8-accuracy.sh's fixed held-out split: calibration and --min-map validation =
# the 28 views of Darknet's dog, eagle, giraffe, scream; scoring = the 70 views of horses, kite, person and
# scikit-image's 7 photos (bench/int8-images.py). Only yolo-fastest-1.1 has real weights here (MODELS=yolo-fastest-1.1
# runs it with them: int8-accuracy.sh's model, this script's rows): the others get
# `darkrt synth` weights (seed 1) with their detection heads scaled and shifted (synth --head-scale S
# --head-shift B). Plain synthesised weights score nearly every cell: 300 boxes an image at 0.25 in a band of
# scores 0.1 wide on the tiny models, 300 at exactly 1.0 on yolov3 (head logits of std 10-25), so the truth
# (fp32 at 0.25) was the top 300 of a dense distribution, cut by the max-det cap, and any rounding swapped
# its members. Scaled to logits of std ~1 (no ties at 1.0) and shifted down, only the upper tail passes 0.25: a few boxes an image (S, B in bench/int8-synth-models.sh: chosen on the 4
# calibration photos, never the scored views). That is the regime of trained weights' detections (the protocol
# needs no change), not their accuracy: random features put most boxes on a few images, and what mAP says here
# is how closely int8 follows fp32's ranking of its most confident boxes.
# Per model: the fp32 plan (default build: tuned, Winograd where faster) gives the truth, detections at 0.25;
# bf16 (the control: a rounding 256 times finer than int8's; where it scores under 0.95 the model's synthesised
# boxes are too fragile for this protocol to judge int8), int8 plans (DRT_CPU_TUNE=0: the default kernels, as
# int8-accuracy.sh) with no --calib (the CLI's default:
# Darknet's 7 sample photos, 3 of the scored ones among them), --calib the 28 views, and --calib the 28 views
# --min-map 0.95 (no --val: each candidate calibrated on either interleaved half of the 28 views, each view validated
# by the half it is not in, held to the worse fold's bound since session 20; int8 built only
# when confirmed >= 10% faster, else fp32). Each is scored with darkrt eval against the truth, its detections at
# 0.25 and ranked down to 0.005 (the protocol of mAP against labels and of --min-map); then darkrt bench, batch 1,
# ROUNDS interleaved rounds of RUNS runs with the fp32 plan: medians and fastest runs. The int8 builds use the default
# activations (auto: asym on the CPU since session 18); SYM=1 adds the three int8 builds again with --int8-activations
# sym (s8 throughout: the default until session 18).
#   bash bench/int8-models.sh [BUILD]       (MODELS="yolov3-tiny ..." to run some; results appended per model)
# Budget (2 shared cores): a tiny model's --min-map search builds 45-135 engines (1-9 min, two folds); yolov3-416's
# ~100 with one fold (35-45 min; with session 20's two folds, twice the builds: still running after 80 min), each
# bias-corrected on its calibrating views (bench/results/int8-search-time.md): searched only with MINMAP_BIG=1, and it
# runs 3 latency rounds of 10. OUT: the results file (default bench/results/int8-models.md, written anew).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/bench/cpu-args.sh" "${1:-}"
DN=/usr/share/darknet/data
AB="$SHARED/reference/alexeyab-darknet/cfg"
OUT=${OUT:-$ROOT/bench/results/int8-models.md}
source "$ROOT/bench/int8-synth-models.sh"
# name cfg head-scale head-shift box-scale (bench/int8-synth-models.sh's), or name cfg real: its own weights beside it
MODEL_LIST=()
for e in "${INT8_SYNTH_MODELS[@]}"; do
    read -r name cfg rest <<<"$e"
    MODEL_LIST+=("$name $AB/$cfg $rest")
done
MODEL_LIST+=("yolo-fastest-1.1 $SHARED/models/yolo-fastest-1.1/yolo-fastest-1.1.cfg real") # its COCO weights
# A scoring view where fp32 puts DENSE (100) boxes or more at 0.25 is left out of the truth and of every build's
# detections: there the truth is the top of a dense run of scores 0.002-0.008 apart (capped at 300 a view), which bf16
# reorders as much as int8 (yolov3-416: 13 such views of 70; without them its bf16 control 0.94 -> 0.99). Trained
# weights give a few to tens of boxes a photo; no other model here has such a view.
DENSE=${DENSE:-100}
MODELS=${MODELS:-yolov3-tiny yolov4-tiny yolov7-tiny yolov3-416}
MINMAP_BIG=${MINMAP_BIG:-0}
SYM=${SYM:-0}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
python3 "$ROOT/bench/int8-images.py" "$T/calib" "$DN"/{dog,eagle,giraffe,scream}.jpg
python3 "$ROOT/bench/int8-images.py" "$T/score" "$DN"/{horses,kite,person}.jpg $(python3 "$ROOT/bench/int8-images.py" --skimage)
boxes() { python3 -c "import json, sys; print(sum(len(i['detections']) for i in json.load(open(sys.argv[1]))))" "$1"; }
per_image() { python3 -c "
import json, sys
n = sorted(len(i['detections']) for i in json.load(open(sys.argv[1])))
print('%d images with none, median %d, most %d' % (sum(x == 0 for x in n), n[len(n) // 2], n[-1]))" "$1"; }
# without_dense IN OUT: IN's detections less the views in $T/dense.txt (one name a line)
without_dense() { python3 -c "
import json, sys
dense = set(open(sys.argv[3]).read().split())
json.dump([i for i in json.load(open(sys.argv[1])) if i['image'] not in dense], open(sys.argv[2], 'w'))" "$1" "$2" "$T/dense.txt"; }
map() { without_dense "$1" "$T/scored.json" && "$DARKRT" eval "$T/truth.json" "$T/scored.json" | sed -n 's/^mAP@0.5 \([0-9.]*\) over.*/\1/p'; }

{
    echo "# int8 against fp32 on more models (CPU, synthesised weights; yolo-fastest-1.1 with its real ones)"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores (shared),"
    echo "commit $(git -C "$ROOT" rev-parse --short HEAD), \`bash bench/int8-models.sh\` (MODELS=\"$MODELS\"), load at the start: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "Protocol and why the heads are scaled and shifted: the script's header. Truth: the fp32 plan's detections at 0.25"
    echo "on the 70 scoring views, less those where it puts $DENSE or more (DENSE); mAP@0.5 of each int8 plan's detections at"
    echo "0.25 and ranked (down to 0.005) against it."
    echo "Latency: darkrt bench, batch 1, $THREADS threads, interleaved rounds with the fp32 plan: the median of the plan's"
    echo "medians, the median of its per-round ratios to fp32, and its fastest run over fp32's fastest."
} >"$OUT"

for entry in "${MODEL_LIST[@]}"; do
    read -r name cfg scale shift box <<<"$entry"
    [[ " $MODELS " == *" $name "* ]] || continue
    w="$T/$name.weights"
    if [ "$scale" = real ]; then w="${cfg%.cfg}.weights"
    else int8_synth "$name" "$AB" "$w"; fi
    big=0 rounds=5 runs=30
    [ "$name" = yolov3-416 ] && big=1 rounds=3 runs=10
    start=$(date -u +%H:%M)
    "$DARKRT" build "$cfg" -w "$w" -o "$T/fp32.plan" --threads "$THREADS" >/dev/null 2>&1
    "$DARKRT" detect "$T/fp32.plan" "$T/score" --json "$T/all-truth.json" --no-draw >/dev/null 2>&1
    python3 -c "
import json, sys
print('\n'.join(i['image'] for i in json.load(open(sys.argv[1])) if len(i['detections']) >= int(sys.argv[2])))" \
        "$T/all-truth.json" "$DENSE" >"$T/dense.txt"
    without_dense "$T/all-truth.json" "$T/truth.json"
    rows=() plans=()
    # variant NAME PRECISION BUILD-OPTIONS...: a plan built, scored at 0.25 and ranked.
    variant() {
        local vname=$1 prec=$2 plan="$T/v${#plans[@]}.plan" t0 kept calib
        shift 2
        t0=$(date +%s)
        DRT_CPU_TUNE=0 "$DARKRT" build "$cfg" -w "$w" --precision "$prec" --threads "$THREADS" -v "$@" -o "$plan" \
            >/dev/null 2>"$T/build.log"
        t0=$(($(date +%s) - t0))
        "$DARKRT" detect "$plan" "$T/score" --json "$T/at25.json" --no-draw >/dev/null 2>&1
        "$DARKRT" detect "$plan" "$T/score" -t 0.005 --json "$T/ranked.json" --no-draw >/dev/null 2>&1
        kept=$(sed -n 's/.*: \([0-9]* of [0-9]*\) convs kept in fp32 (\([^)]*\)).*/\1 (\2)/p' "$T/build.log" | head -1)
        kept=${kept:-heads, dw (default)}
        [ "$prec" = int8 ] || kept="($prec, every conv)"
        ! grep -q 'building fp32 instead' "$T/build.log" || kept="$kept; not fast enough: fp32 built"
        calib=$(grep -o 'int8 calibration: [^(]*' "$T/build.log" | tail -1 | sed 's/int8 calibration: //; s/ *$//; s|/tmp/[^ ]*/||' || true)
        plans+=("$plan")
        rows+=("| $vname | $kept | $(map "$T/at25.json") | $(map "$T/ranked.json") | ${calib:--} | ${t0} s |")
        sed -n 's/^darkrt build: \(--min-map\|int8 speed\)/\1/p' "$T/build.log" >"$T/search-$name-${#plans[@]}.txt"
        echo "$name: ${rows[-1]}" >&2
    }
    variant "bf16 (the control)" bf16
    variant "default CLI (no --calib)" int8
    DRT_CALIB_MAX=28 variant "--calib 28 views (max)" int8 --calib "$T/calib"
    if [ $big = 0 ] || [ "$MINMAP_BIG" = 1 ]; then
        DRT_CALIB_MAX=28 variant "--calib 28 views --min-map 0.95" int8 --calib "$T/calib" --min-map 0.95
    fi
    if [ "$SYM" = 1 ]; then
        variant "sym: default CLI (no --calib)" int8 --int8-activations sym
        DRT_CALIB_MAX=28 variant "sym: --calib 28 views (max)" int8 --calib "$T/calib" --int8-activations sym
        [ $big = 1 ] || DRT_CALIB_MAX=28 variant "sym: --calib 28 views --min-map 0.95" int8 --calib "$T/calib" --min-map 0.95 \
            --int8-activations sym
    fi
    # Latency rounds: fp32 and each plan, interleaved.
    for r in $(seq "$rounds"); do
        for p in "$T/fp32.plan" "${plans[@]}"; do
            "$DARKRT" bench "$p" --runs "$runs" --warmup 3 --threads "$THREADS" --json "$T/b.json" >/dev/null 2>&1
            echo "$r $(basename "$p" .plan) $(python3 -c "import json; d = json.load(open('$T/b.json'))['latency_ms']; print(d['median'], d['min'])")"
        done
    done >"$T/lat.txt"
    latency() { python3 - "$T/lat.txt" "$1" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
ms = {(r, p): float(v) for r, p, v, f in rows}
fast = {(r, p): float(f) for r, p, v, f in rows}
rs = sorted({r for r, p, v, f in rows})
me = sys.argv[2]
print("%.2f | %.2f | %.2f" % (statistics.median(ms[(r, me)] for r in rs),
                              statistics.median(ms[(r, me)] / ms[(r, "fp32")] for r in rs),
                              min(fast[(r, me)] for r in rs) / min(fast[(r, "fp32")] for r in rs)))
EOF
    }
    {
        echo
        echo "## $name"
        echo
        echo "$(basename "$cfg"), $([ "$scale" = real ] && echo "its real weights" ||
            echo "\`darkrt synth --head-scale $scale --head-shift $shift --box-scale $box\` (seed 1)"); $start-$(date -u +%H:%M) UTC."
        echo "Truth: $(boxes "$T/truth.json") fp32 boxes on $(python3 -c "import json, sys; print(len(json.load(open(sys.argv[1]))))" \
            "$T/truth.json") of the 70 scoring views ($(per_image "$T/truth.json")); $(grep -c . "$T/dense.txt") views left out (>= $DENSE boxes)."
        echo
        echo "| build | convs kept in fp32 | mAP@0.5 at 0.25 | mAP@0.5 ranked | calibration used | build time | latency ms | vs fp32 (medians) | vs fp32 (fastest runs) |"
        echo "|---|---|---:|---:|---|---:|---:|---:|---:|"
        for i in "${!rows[@]}"; do echo "${rows[$i]} $(latency "v$i") |"; done
        echo "| fp32 (tuned) | all | 1 | 1 | - | - | $(latency fp32) |"
        for f in "$T"/search-"$name"-*.txt; do
            [ -s "$f" ] || continue
            echo
            echo "The search:"
            echo
            sed 's|/tmp/[^ ]*/calib|VIEWS|g; s/^/    /' "$f"
        done
    } >>"$OUT"
    rm -f "$T"/*.plan
done
cat "$OUT"
