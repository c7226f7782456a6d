#!/usr/bin/env bash
# Latency of yolo-fastest-1.1's int8 plans against fp32 with one or more darkrt binaries (before/after a
# change), robust to a busy machine: every plan built by each binary (DRT_CPU_TUNE=0, --calib the 28 views
# of bench/int8-images.py as bench/int8-accuracy.sh does), then ROUNDS interleaved rounds of darkrt bench
# (RUNS runs each) at 1 and 2 threads; per plan the fastest run (other processes only add time) over the
# same binary's fp32 fastest, and the median of the rounds' medians.
#   bash bench/int8-latency.sh DARKRT...        (ROUNDS=5 RUNS=40 by default; DRT_SHARED as the tests)
# Plans: fp32; int8 default keep (heads,dw); depthwise int8 (heads); every conv int8 (none); the keep lists
# --min-map 0.95 picked in bench/results/int8-accuracy.md (session 11, fastest: 49 kept; fewest: 28 kept;
# session 12 with bias correction, fastest: 32 kept; session 13, timed by thread CPU time: 38 kept). Each plan's heads (darkrt run --random 1) are compared
# with the first binary's: "heads: same bytes" or "heads: DIFFER" per plan and binary.
# A binary may be a wrapper script (e.g. one that sets DRT_CPU_DW_INT8=0 and runs darkrt).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${DRT_SHARED:-$ROOT/../shared}
M="$SHARED/models/yolo-fastest-1.1"
ROUNDS=${ROUNDS:-5} RUNS=${RUNS:-40}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export DRT_CPU_TUNE=0 DRT_CALIB_MAX=28
python3 "$ROOT/bench/int8-images.py" "$T/calib" /usr/share/darknet/data/{dog,eagle,giraffe,scream}.jpg
PICK49=heads,0,1,2,3,4,5,6,9,10,11,12,13,14,17,18,19,22,23,24,25,26,27,30,31,32,35,36,37,38,39,40,43,44,45,48,49,50,53,54,55,58,59,60,61,62,63,66
PICK28=none,25,22,30,81,35,89,94,99,60,104,84,3,128,23,68,126,24,106,37,13,125,1,5,11,36,18,10,2
PICK32=heads,0,1,2,3,4,5,6,9,10,11,12,13,14,17,18,19,22,23,24,25,26,27,30,31,32,35,36,37,38,39
PICK38=none,24,38,58,17,60,12,76,9,66,4,71,68,81,61,22,126,25,30,84,37,94,89,35,99,104,128,23,3,106,13,36,125,11,5,1,18,10,2
PLANS=("fp32:fp32:" "default:int8:heads,dw" "depthwise:int8:heads" "all:int8:none" "min-map-49:int8:$PICK49" "min-map-28:int8:$PICK28"
       "min-map-32:int8:$PICK32" "min-map-38:int8:$PICK38")
b=0
for bin in "$@"; do
    for v in "${PLANS[@]}"; do
        IFS=: read -r name prec keep <<<"$v"
        calib=()
        [ "$prec" = fp32 ] || calib=(--calib "$T/calib")
        DRT_INT8_KEEP=$keep "$bin" build "$M/yolo-fastest-1.1.cfg" --weights "$M/yolo-fastest-1.1.weights" --precision "$prec" \
            "${calib[@]}" -o "$T/$b-$name.plan" >/dev/null 2>&1
    done
    b=$((b + 1))
done
b=0
for bin in "$@"; do
    for v in "${PLANS[@]}"; do
        name=${v%%:*}
        "$bin" run "$T/$b-$name.plan" --random 1 -o "$T/$b-$name.heads" >/dev/null 2>&1
        if cmp -s "$T/0-$name.heads" "$T/$b-$name.heads"; then same="same bytes"; else same="DIFFER"; fi
        echo "binary $b $name: heads: $same as binary 0's"
    done
    b=$((b + 1))
done
for threads in 1 2; do
    for _ in $(seq "$ROUNDS"); do
        b=0
        for bin in "$@"; do
            for v in "${PLANS[@]}"; do
                name=${v%%:*}
                "$bin" bench "$T/$b-$name.plan" --threads $threads --runs "$RUNS" --warmup 5 --json "$T/j.json" >/dev/null 2>&1
                echo "$threads $b $name $(python3 -c "import json; d = json.load(open('$T/j.json'))['latency_ms']; print(d['median'], d['min'])")"
            done
            b=$((b + 1))
        done
    done
done >"$T/rows.txt"
python3 - "$T/rows.txt" "$@" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
bins = sys.argv[2:]
names = []
for r in rows:
    if r[2] not in names: names.append(r[2])
print("| plan | " + " | ".join(f"binary {b}: 1 thread min ms (x fp32) | 2 threads min ms (x fp32) | 2 threads median" for b in range(len(bins))) + " |")
print("|---|" + "---:|---:|---:|" * len(bins))
for n in names:
    cells = []
    for b in range(len(bins)):
        for t in "12":
            mn = min(float(r[4]) for r in rows if r[0] == t and r[1] == str(b) and r[2] == n)
            fp = min(float(r[4]) for r in rows if r[0] == t and r[1] == str(b) and r[2] == "fp32")
            cells.append(f"{mn:.2f} ({mn / fp:.2f}x)")
        cells.append("%.2f" % statistics.median(float(r[3]) for r in rows if r[0] == "2" and r[1] == str(b) and r[2] == n))
    print(f"| {n} | " + " | ".join(cells) + " |")
for b, path in enumerate(bins): print(f"\nbinary {b}: {path}")
PY
