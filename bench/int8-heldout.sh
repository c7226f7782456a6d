#!/usr/bin/env bash
# int8 calibration variants, held out: each variant's plan is calibrated on one half of the 28
# calibration views (bench/int8-images.py; half A: Darknet's dog and eagle, half B: giraffe and
# scream, 14 views each) and scored on bench/int8-accuracy.sh's 70 scoring views, which neither half
# overlaps: mAP@0.5 of the build's detections ranked down to 0.005 against the fp32 engine's at 0.25
# (darkrt eval), as bench/results/int8-accuracy.md's "held-out variants" table; in brackets the same
# at 0.25 (both sides' detections at the default threshold).
#   bash bench/int8-heldout.sh [BUILD] [VARIANTS-FILE]
# VARIANTS-FILE: one variant a line, "NAME|ENV|BUILD-OPTIONS" (ENV: space-separated VAR=VALUE, e.g.
# DRT_INT8_KEEP=heads); default: the variants below. Prints "| NAME | half A | half B |" lines.
# DRT_HELDOUT_SETS="A B C D E F": also the other pairings of the 4 photos (C: dog, giraffe; D: eagle,
# scream; E: dog, scream; F: eagle, giraffe), then the mean and the smallest over the sets.
# Python: python3 on PATH with Pillow and scikit-image (scripts/deps.sh). DRT_SHARED as the tests.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILT="$ROOT/${1:-build}/darkrt"
SHARED=${DRT_SHARED:-$ROOT/../shared}
M="$SHARED/models/yolo-fastest-1.1"
CFG="$M/yolo-fastest-1.1.cfg"
W="$M/yolo-fastest-1.1.weights"
DN=/usr/share/darknet/data
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
DARKRT="$T/darkrt"
cp "$BUILT" "$DARKRT" # a rebuild meanwhile does not mix binaries
export DRT_CPU_TUNE=0 DRT_CALIB_MAX=14
# the calibration sets: pairs of the 4 photos (A and B: the table's halves)
declare -A PAIRS=([A]="dog eagle" [B]="giraffe scream" [C]="dog giraffe" [D]="eagle scream" [E]="dog scream" [F]="eagle giraffe")
SETS=${DRT_HELDOUT_SETS:-A B}
for h in $SETS; do
    [ -n "${PAIRS[$h]:-}" ] || { echo "int8-heldout.sh: DRT_HELDOUT_SETS: unknown set $h (A-F)" >&2; exit 2; }
    read -r p q <<<"${PAIRS[$h]}"
    python3 "$ROOT/bench/int8-images.py" "$T/$h" "$DN/$p.jpg" "$DN/$q.jpg"
done
python3 "$ROOT/bench/int8-images.py" "$T/score" "$DN"/{horses,kite,person}.jpg $(python3 "$ROOT/bench/int8-images.py" --skimage)
"$DARKRT" detect "$CFG" --weights "$W" "$T/score" --json "$T/fp32.json" --no-draw >/dev/null 2>&1
map() { "$DARKRT" eval "$T/fp32.json" "$1" | sed -n 's/^mAP@0.5 \([0-9.]*\) over.*/\1/p'; }
score() { # HALF ENV OPTIONS...: the ranked mAP of a plan calibrated on HALF
    local half=$1 envs=$2; shift 2
    env $envs "$DARKRT" build "$CFG" --weights "$W" --precision int8 --calib "$T/$half" "$@" -o "$T/p.plan" >/dev/null 2>"$T/build.log" ||
        { sed 's/^/    /' "$T/build.log" >&2; echo fail; return; }
    "$DARKRT" detect "$T/p.plan" "$T/score" -t 0.005 --json "$T/r.json" --no-draw >/dev/null 2>&1
    "$DARKRT" detect "$T/p.plan" "$T/score" --json "$T/a.json" --no-draw >/dev/null 2>&1
    echo "$(map "$T/r.json") ($(map "$T/a.json"))"
}
variants=${2:-}
if [ -z "$variants" ]; then
    variants="$T/variants"
    cat >"$variants" <<'V'
default (heads, dw kept; max, bias correction)||
default, --bias-correct off||--bias-correct off
depthwise-int8 (DRT_INT8_KEEP=heads)|DRT_INT8_KEEP=heads|
depthwise-int8, --bias-correct off|DRT_INT8_KEEP=heads|--bias-correct off
V
fi
while IFS='|' read -r name envs opts; do
    [ -n "$name" ] || continue
    line="| $name |" all=""
    for h in $SETS; do
        # shellcheck disable=SC2086
        v=$(score "$h" "$envs" $opts)
        line="$line $v |" all="$all $v"
    done
    [ "$(wc -w <<<"$SETS")" -le 2 ] || line="$line $(python3 -c 'import sys; v = [float(x) for x in sys.argv[1:] if not x.startswith("(")]; print("%.4f | %.4f |" % (sum(v) / len(v), min(v)))' $all)"
    echo "$line"
done <"$variants"
