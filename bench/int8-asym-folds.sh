#!/usr/bin/env bash
# int8 activations sym against asym (build --int8-activations) on both folds of the held-out split: fold 1 is
# bench/int8-asym.sh's (calibrate on the 28 views of Darknet's dog, eagle, giraffe, scream; score on the 70 views of
# horses, kite, person and scikit-image's 7 photos), fold 2 the reverse (calibrate on the 70, DRT_CALIB_MAX=70; score
# on the 28). Truth: the fp32 plan's detections at 0.25 on the scored views. Each int8 plan (DRT_CPU_TUNE=0, default
# keep list) is built with no --calib (the CLI's default: Darknet's 7 photos, the same plan for both folds) and with
# --calib the fold's calibration views; mAP@0.5 at 0.25 and ranked (-t 0.005), and a bootstrap over the scored
# images of asym - sym (bench/int8-boot.py: 2000 draws; 5%, 50%, 95% and the share of draws where asym < sym).
# HEADS=1 (default for yolo-fastest-1.1 only): the heads' relative error against fp32 (bench/int8-heads.py) on the
# fold's calibration views and on its scored views.
#   bash bench/int8-asym-folds.sh [BUILD]      (MODELS="..." FOLDS="1 2"; OUT: the results file)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
THREADS=${THREADS:-1}
source "$ROOT/bench/cpu-args.sh" "${1:-}"
DN=/usr/share/darknet/data
AB="$SHARED/reference/alexeyab-darknet/cfg"
YF="$SHARED/models/yolo-fastest-1.1"
OUT=${OUT:-$ROOT/bench/results/int8-asym-folds.md}
FOLDS=${FOLDS:-1 2}
source "$ROOT/bench/int8-synth-models.sh"
MODEL_LIST=( # name cfg weights, or name synth: bench/int8-synth-models.sh's weights and cfg
    "yolo-fastest-1.1 $YF/yolo-fastest-1.1.cfg $YF/yolo-fastest-1.1.weights"
    "yolov4-tiny synth"
    "yolov3-tiny synth"
)
MODELS=${MODELS:-yolo-fastest-1.1 yolov4-tiny yolov3-tiny}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export DRT_CPU_TUNE=0
python3 "$ROOT/bench/int8-images.py" "$T/v1" "$DN"/{dog,eagle,giraffe,scream}.jpg             # 28 views
python3 "$ROOT/bench/int8-images.py" "$T/v2" "$DN"/{horses,kite,person}.jpg $(python3 "$ROOT/bench/int8-images.py" --skimage) # 70
calib_of() { [ "$1" = 1 ] && echo "$T/v1" || echo "$T/v2"; }
score_of() { [ "$1" = 1 ] && echo "$T/v2" || echo "$T/v1"; }
map() { "$DARKRT" eval "$1" "$2" | sed -n 's/^mAP@0.5 \([0-9.]*\) over.*/\1/p'; }
# heads PLAN DIR-OF-INPUTS OUTDIR: darkrt run on each input
heads() {
    mkdir -p "$3"
    for f in "$2"/*.f32; do "$DARKRT" run "$1" --input "$f" -o "$3/$(basename "$f")" >/dev/null || exit 1; done
}
{
    echo "# int8 activations sym against asym on both folds of the held-out split (CPU)"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores (shared),"
    echo "commit $(git -C "$ROOT" rev-parse --short HEAD), \`bash bench/int8-asym-folds.sh\` (MODELS=\"$MODELS\", FOLDS=\"$FOLDS\"), load at the start: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "Protocol: the script's header. fold 1: calibrate on the 28 views, score the 70; fold 2: calibrate on the 70, score the 28."
    echo "mAP@0.5 against the fp32 plan's detections at 0.25. asym - sym: on all scored views, then 2000 bootstrap draws of them."
    echo
    echo "| model | fold | calibration | scored (truth boxes) | at 0.25: sym | asym | ranked: sym | asym | ranked asym - sym: 5% / 50% / 95% | draws asym < sym | at 0.25 asym - sym: 5% / 50% / 95% | draws asym < sym |"
    echo "|---|---|---|---|---:|---:|---:|---:|---|---:|---|---:|"
} >"$OUT"
HEADROWS=()
for entry in "${MODEL_LIST[@]}"; do
    read -r name cfg w <<<"$entry"
    [[ " $MODELS " == *" $name "* ]] || continue
    if [ "$cfg" = synth ]; then
        w="$T/$name.weights"
        int8_synth "$name" "$AB" "$w"
        cfg=$SYNTH_CFG
    fi
    do_heads=${HEADS:-$([ "$name" = yolo-fastest-1.1 ] && echo 1 || echo 0)}
    "$DARKRT" build "$cfg" -w "$w" -o "$T/fp32.plan" --threads "$THREADS" >/dev/null 2>&1
    for act in sym asym; do # the CLI's default calibration: one plan for both folds
        "$DARKRT" build "$cfg" -w "$w" --precision int8 --int8-activations $act --threads "$THREADS" -o "$T/$act-default.plan" >/dev/null 2>&1
    done
    if [ "$do_heads" = 1 ]; then
        wh=$(sed -n 's/^width=//p; s/^height=//p' "$cfg" | head -2 | tr '\n' ' ')
        for v in 1 2; do
            python3 "$ROOT/bench/int8-heads.py" inputs $wh "$T/in$v" "$T/v$v"/*
            heads "$T/fp32.plan" "$T/in$v" "$T/h-fp32-$v"
        done
    fi
    for fold in $FOLDS; do
        calib=$(calib_of "$fold") score=$(score_of "$fold")
        n=$(ls "$calib" | wc -l)
        for act in sym asym; do
            DRT_CALIB_MAX=$n "$DARKRT" build "$cfg" -w "$w" --precision int8 --int8-activations $act --calib "$calib" \
                --threads "$THREADS" -o "$T/$act-calib.plan" >/dev/null 2>&1
        done
        "$DARKRT" detect "$T/fp32.plan" "$score" --json "$T/truth.json" --no-draw >/dev/null 2>&1
        nt=$(python3 -c "import json; print(sum(len(i['detections']) for i in json.load(open('$T/truth.json'))))")
        for c in default calib; do
            for act in sym asym; do
                "$DARKRT" detect "$T/$act-$c.plan" "$score" --json "$T/$act-at.json" --no-draw >/dev/null 2>&1
                "$DARKRT" detect "$T/$act-$c.plan" "$score" -t 0.005 --json "$T/$act-rk.json" --no-draw >/dev/null 2>&1
            done
            # darkrt eval's mAP and int8-boot.py's on all views must agree: the bootstrap scores what eval scores
            rk=$(python3 "$ROOT/bench/int8-boot.py" "$T/truth.json" "$T/sym-rk.json" "$T/asym-rk.json")
            at=$(python3 "$ROOT/bench/int8-boot.py" "$T/truth.json" "$T/sym-at.json" "$T/asym-at.json")
            read -r rs ra _ r5 r50 r95 rl <<<"$rk"
            read -r as aa _ a5 a50 a95 al <<<"$at"
            for pair in "$rs sym-rk" "$ra asym-rk" "$as sym-at" "$aa asym-at"; do
                read -r mine f <<<"$pair"
                e=$(map "$T/truth.json" "$T/$f.json")
                python3 -c "import sys; sys.exit(abs($mine - $e) > 1e-4)" ||
                    { echo "int8-asym-folds: $name fold $fold $c $f: int8-boot.py $mine, darkrt eval $e" >&2; exit 1; }
            done
            label=$([ $c = default ] && echo "default (no --calib)" || echo "--calib $n views")
            echo "| $name | $fold | $label | $(ls "$score" | wc -l) views ($nt) | $as | $aa | $rs | $ra | $r5 / $r50 / $r95 | $rl | $a5 / $a50 / $a95 | $al |" | tee -a "$OUT" >&2
            first=${FOLDS%% *}
            if [ "$do_heads" = 1 ] && { [ $c = calib ] || [ "$fold" = "$first" ]; }; then # the default plan: once
                for act in sym asym; do
                    for v in 1 2; do
                        rm -rf "$T/h-q"
                        heads "$T/$act-$c.plan" "$T/in$v" "$T/h-q"
                        side=$([ "$(calib_of "$fold")" = "$T/v$v" ] && echo calibration || echo scored)
                        [ $c = default ] && side="views$v" && label="default (no --calib; either fold)"
                        HEADROWS+=("| $name | $([ $c = default ] && echo - || echo "$fold") | $label | $act | $side ($(ls "$T/v$v" | wc -l) views) | $(python3 "$ROOT/bench/int8-heads.py" err "$T/h-fp32-$v" "$T/h-q" | awk '{print $1 " | " $2}') |")
                        echo "${HEADROWS[-1]}" >&2
                    done
                done
            fi
        done
    done
done
if [ ${#HEADROWS[@]} -gt 0 ]; then
    {
        echo
        echo "Heads' relative error against fp32 (||int8 - fp32|| / ||fp32|| per image, all heads; bench/int8-heads.py): views1 = the"
        echo "28 views (dog, eagle, giraffe, scream), views2 = the 70; the default calibration (Darknet's 7 photos) holds the"
        echo "originals of dog, eagle, giraffe, scream, horses, kite and person."
        echo
        echo "| model | fold | calibration | activations | measured on | mean | median |"
        echo "|---|---|---|---|---|---:|---:|"
        printf '%s\n' "${HEADROWS[@]}"
    } >>"$OUT"
fi
echo "wrote $OUT" >&2
