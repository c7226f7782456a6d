#!/usr/bin/env bash
# darkrt's CPU engine (fp32) against ONNX Runtime on one model, interleaved: ROUNDS rounds, each
# timing darkrt then ONNX Runtime (batch 1, RUNS runs after 3 warm-ups, THREADS threads each), so
# that a load on a shared machine hits both alike. Prints each round's medians and the median of
# the per-round ratios. Python: python3 (onnxruntime, numpy).
#   usage: bash bench/cpu-interleaved.sh CFG SIZE [BUILD_DIR]    (env: ROUNDS=3 RUNS=20 THREADS=2)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CFG=${1:?CFG}; SIZE=${2:?SIZE}; BUILD=${3:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
ROUNDS=${ROUNDS:-3}; RUNS=${RUNS:-20}; THREADS=${THREADS:-2}
export OMP_NUM_THREADS=$THREADS
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
"$BUILD/darkrt" synth "$CFG" -o "$W/w" --seed 1 >/dev/null
"$BUILD/darkrt" build "$CFG" --weights "$W/w" --size "${SIZE}x$SIZE" --threads "$THREADS" -o "$W/m.plan" >/dev/null
"$BUILD/darkrt" convert "$CFG" "$W/w" --size "${SIZE}x$SIZE" -o "$W/m.onnx" >/dev/null
echo "# $(date -u '+%Y-%m-%d %H:%M UTC') $(basename "$CFG") ${SIZE}, commit $(git -C "$ROOT" rev-parse --short HEAD), $THREADS threads, $ROUNDS rounds x $RUNS runs"
for r in $(seq "$ROUNDS"); do
    "$BUILD/darkrt" bench "$W/m.plan" --threads "$THREADS" --runs "$RUNS" --warmup 3 --json "$W/d$r.json" >/dev/null
    python3 "$ROOT/bench/peers/ort_bench.py" --onnx "$W/m.onnx" --threads "$THREADS" --runs "$RUNS" --warmup 3 --batch 1 \
        | tail -n 1 >"$W/o$r.json"
done
python3 - "$W" "$ROUNDS" <<'EOF'
import json, statistics, sys
w, rounds = sys.argv[1], int(sys.argv[2])
ratios = []
for r in range(1, rounds + 1):
    d = json.load(open(f"{w}/d{r}.json"))["latency_ms"]["median"]
    o = json.load(open(f"{w}/o{r}.json"))["latency_ms"]["median"]
    ratios.append(o / d)
    print(f"round {r}: darkrt fp32 {d:.1f} ms, ONNX Runtime fp32 {o:.1f} ms, darkrt {o / d:.2f}x")
print(f"median of the rounds' ratios: darkrt fp32 {statistics.median(ratios):.2f}x ONNX Runtime")
EOF
