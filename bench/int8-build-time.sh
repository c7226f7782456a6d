#!/usr/bin/env bash
# Time of `darkrt build yolo-fastest-1.1 --precision int8 --calib DIR` (calibration and bias correction) with one
# or more darkrt binaries (before/after a change), robust to a busy machine: the process's CPU time (user + sys),
# which other processes do not add to; ROUNDS interleaved rounds at 1 thread and at every thread (the CLI's
# defaults otherwise: implementations timed); per binary the median and the fastest. DIR: the 14 views of dog
# and eagle (bench/int8-images.py; bench/int8-heldout.sh's half A). Then each binary's plan, built with
# DRT_CPU_TUNE=0 (no timed choices), against the first binary's: "same bytes" or "differ".
#   bash bench/int8-build-time.sh DARKRT...        (ROUNDS=5; DRT_SHARED as the tests)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${DRT_SHARED:-$ROOT/../shared}
M="$SHARED/models/yolo-fastest-1.1"
ROUNDS=${ROUNDS:-5}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
python3 "$ROOT/bench/int8-images.py" "$T/calib" /usr/share/darknet/data/{dog,eagle}.jpg
build() { # BINARY OUT OPTIONS...: prints the process CPU time in seconds
    local bin=$1 out=$2
    shift 2
    /usr/bin/time -f "%U %S" -o "$T/time" "$bin" build "$M/yolo-fastest-1.1.cfg" --weights "$M/yolo-fastest-1.1.weights" \
        --precision int8 --calib "$T/calib" "$@" -o "$out" >/dev/null 2>&1
    awk '{print $1 + $2}' "$T/time"
}
for _ in $(seq "$ROUNDS"); do
    for threads in 1 all; do
        opts=()
        [ $threads = all ] || opts=(--threads 1)
        b=0
        for bin in "$@"; do
            echo "$threads $b $(build "$bin" "$T/p.plan" "${opts[@]}")"
            b=$((b + 1))
        done
    done
done >"$T/rows.txt"
python3 - "$T/rows.txt" "$@" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
bins = sys.argv[2:]
print("| binary | 1 thread: median s (fastest) | all threads: median s (fastest) |")
print("|---|---:|---:|")
for b, path in enumerate(bins):
    cells = []
    for t in ("1", "all"):
        v = [float(r[2]) for r in rows if r[0] == t and r[1] == str(b)]
        cells.append(f"{statistics.median(v):.2f} ({min(v):.2f})")
    print(f"| {b}: {path} | " + " | ".join(cells) + " |")
PY
b=0
for bin in "$@"; do
    DRT_CPU_TUNE=0 build "$bin" "$T/$b.plan" --threads 1 >/dev/null
    if [ $b -gt 0 ]; then
        cmp -s "$T/0.plan" "$T/$b.plan" && echo "binary $b's plan (DRT_CPU_TUNE=0): the same bytes as binary 0's" ||
            echo "binary $b's plan (DRT_CPU_TUNE=0): differs from binary 0's"
    fi
    b=$((b + 1))
done
