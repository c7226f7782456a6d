#!/usr/bin/env bash
# Executions per second of the fuzz targets with their input files on the disk (TMPDIR=/tmp: how every
# target ran before 2026-12-04) and in memory (the default now: /dev/shm), interleaved, 3 rounds, medians.
# Each run: -runs=RUNS -seed=1 from a fresh copy of the target's seed corpus, so both see the same inputs.
#   bench/fuzz-speed.sh [RUNS] [TARGET...]     (after make fuzz FUZZ_BUILD=build-fuzz; default 5000 coco plan-header json)
#   FUZZ_SEEDS: the seed tree (default build/testdata/fuzz-seeds: tests/fuzz/seeds/make-seeds.sh build/darkrt DIR)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
RUNS=${1:-5000}
shift
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(coco plan-header json)
BIN=${FUZZ_BUILD:-build-fuzz}
DISK=$(mktemp -d /tmp/fuzz-speed-XXXXXX)
trap 'rm -rf "$DISK"' EXIT
export DRT_ROOT=$ROOT
SEEDS=${FUZZ_SEEDS:-build/testdata/fuzz-seeds}
[ -d "$SEEDS/corpus" ] || bash tests/fuzz/seeds/make-seeds.sh build/darkrt "$SEEDS" || exit 1

rate() { # target tmpdir -> executions per second
    rm -rf "$DISK/corpus" && cp -r "$SEEDS/corpus/$1" "$DISK/corpus"
    local t0 t1
    t0=$(date +%s.%N)
    TMPDIR=$2 "$BIN/fuzz-$1" -runs="$RUNS" -seed=1 -max_len=16384 "$DISK/corpus" >/dev/null 2>&1 || return 1
    t1=$(date +%s.%N)
    echo "$RUNS / ($t1 - $t0)" | bc -l
}
median() { sort -g | sed -n 2p; }

echo "# $(date -u '+%Y-%m-%d %H:%M UTC') $(hostname) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); darkrt $(git rev-parse --short HEAD); bench/fuzz-speed.sh $RUNS ${TARGETS[*]}"
printf '%-12s %12s %12s %7s\n' target disk/s memory/s ratio
for t in "${TARGETS[@]}"; do
    disk=() mem=()
    for _ in 1 2 3; do
        disk+=("$(rate "$t" "$DISK")") && mem+=("$(rate "$t" "")") || { echo "$t: run failed"; exit 1; }
    done
    d=$(printf '%s\n' "${disk[@]}" | median) m=$(printf '%s\n' "${mem[@]}" | median)
    printf '%-12s %12.0f %12.0f %6.1fx\n' "$t" "$d" "$m" "$(echo "$m / $d" | bc -l)"
done
