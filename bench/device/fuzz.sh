#!/usr/bin/env bash
# Device script (issue 19; at most FUZZ_SECONDS + 45 s, 285 s by default): the three fuzz targets of issue
# 19 (fuzz-json, fuzz-coco, fuzz-plan-header: ASan + UBSan + libFuzzer, built here by `make fuzz`) side by
# side on every core for FUZZ_SECONDS, through scripts/fuzz.sh (one shared working corpus per target, seeds
# 1..N). Prints executions and crashes per target and in all; the working corpora are merged (libFuzzer
# -merge=1, minimized) into OUT/corpus/TARGET, crash inputs copied to OUT/artifacts/TARGET.
#   source .devcarry/env.sh && bash bench/device/fuzz.sh      (from the repo root; bundle: scripts/device-bundle.sh)
# Env: OUT (results); FUZZ_BIN (the fuzz binaries; default $DRT_BIN, where scripts/device-bundle.sh puts
# them, else build-fuzz);
# FUZZ_SECONDS (240); FUZZ_JOBS (processes in all, default nproc, split over the targets).
# Needs no GPU. Python: none.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
OUT=${OUT:?OUT}
BIN=${FUZZ_BIN:-${DRT_BIN:-}}
[ -x "${BIN:-.}/fuzz-json" ] || BIN=build-fuzz
SECONDS_EACH=${FUZZ_SECONDS:-240}
JOBS=${FUZZ_JOBS:-$(nproc)}
TARGETS=(json coco plan-header)
WORK=${FUZZ_WORK:-/tmp/darkrt-fuzz-device}
mkdir -p "$OUT" "$WORK"
# The seed tree scripts/device-bundle.sh made (tests/fuzz/seeds/make-seeds.sh), else one made here.
SEEDS=${FUZZ_SEEDS:-$ROOT/.devcarry/fuzz-seeds}
[ -d "$SEEDS/corpus" ] || { echo "fuzz.sh: no seed tree $SEEDS (scripts/device-bundle.sh, or FUZZ_SEEDS)"; exit 2; }

for t in "${TARGETS[@]}"; do
    [ -x "$BIN/fuzz-$t" ] || { echo "fuzz.sh: no $BIN/fuzz-$t (make fuzz FUZZ_BUILD=build-fuzz; or set FUZZ_BIN)"; exit 2; }
done
echo "# $(date -u '+%Y-%m-%d %H:%M UTC') $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')); darkrt $(git rev-parse --short HEAD 2>/dev/null); $SECONDS_EACH s, $JOBS processes"

# Cores split evenly, the remainder to the first targets.
n=${#TARGETS[@]}
pids=()
for i in "${!TARGETS[@]}"; do
    t=${TARGETS[$i]}
    j=$((JOBS / n + (i < JOBS % n ? 1 : 0)))
    [ "$j" -ge 1 ] || j=1
    FUZZ_NO_BUILD=1 FUZZ_BUILD="$BIN" FUZZ_WORK="$WORK" FUZZ_NICE=0 DRT_ROOT="$ROOT" FUZZ_SEEDS="$SEEDS" \
        scripts/fuzz.sh -t "$SECONDS_EACH" -j "$j" "$t" >"$OUT/fuzz-$t.txt" 2>&1 &
    pids+=($!)
    echo "fuzz-$t: $j processes"
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done

total=0
for t in "${TARGETS[@]}"; do
    cat "$OUT/fuzz-$t.txt"
    for log in "$WORK/$t"/fuzz*.log; do
        n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
        total=$((total + ${n:-0}))
    done
    mkdir -p "$OUT/corpus/$t" "$OUT/artifacts/$t"
    DRT_ROOT="$ROOT" "$BIN/fuzz-$t" -merge=1 -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        "$OUT/corpus/$t" "$WORK/$t/corpus" >"$OUT/merge-$t.log" 2>&1 || echo "fuzz-$t: merge failed (log: $OUT/merge-$t.log)"
    cp "$WORK/$t"/artifacts/* "$OUT/artifacts/$t/" 2>/dev/null
    for log in "$WORK/$t"/fuzz*.log; do cp "$log" "$OUT/$t-${log##*/}"; done
    echo "fuzz-$t: merged corpus $(find "$OUT/corpus/$t" -type f | wc -l) files, $(find "$OUT/artifacts/$t" -type f | wc -l) crash inputs"
done
echo "total: $total executions; $([ $rc -eq 0 ] && echo 'no crash' || echo 'CRASH (see above)')"
exit $rc
