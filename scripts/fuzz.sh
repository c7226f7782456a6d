#!/usr/bin/env bash
# Runs darkrt's libFuzzer targets one at a time (nice 19, one process, one core), each seeded with the seed
# tree's corpus/<target> (tests/fuzz/seeds/make-seeds.sh) plus real files read in place, and reports
# executions and crashes.
# usage: scripts/fuzz.sh [-t SECONDS | -n RUNS] [-j JOBS] [TARGET...]     targets: cfg weights onnx plan image json coco plan-header
#   -j JOBS            JOBS processes per target (seeds 1..JOBS) sharing its working corpus; -n is per process
#   FUZZ_BUILD=dir     where `make fuzz` builds the targets (default build-fuzz)
#   FUZZ_WORK=dir      working corpora, logs and crash artifacts (default /tmp/darkrt-fuzz)
#   FUZZ_NO_BUILD=1    use the binaries as they are;  FUZZ_ARGS="..." more libFuzzer flags
#   FUZZ_SEEDS=dir     a seed tree made before (default: made now into $FUZZ_WORK/seed-tree with
#                      FUZZ_DARKRT, default build/darkrt, built here unless FUZZ_NO_BUILD=1)
#   FUZZ_NICE=N        the processes' niceness (default 19). At 19 a busy machine starves them past the
#                      10 s timeout (false timeouts): use 0 for long runs beside other work
# Exit status: 0 when no target crashed, 1 otherwise (the artifact paths are printed).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
limit=(-max_total_time=60)
jobs=1
while getopts "t:n:j:" opt; do
    case $opt in
        t) limit=(-max_total_time="$OPTARG") ;;
        n) limit=(-runs="$OPTARG") ;;
        j) jobs=$OPTARG ;;
        *) sed -n '2,8p' "$0"; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(cfg weights onnx plan image json coco plan-header)
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
FUZZ_WORK=${FUZZ_WORK:-/tmp/darkrt-fuzz}
SHARED=${DRT_SHARED:-$ROOT/../shared}

if [ "${FUZZ_NO_BUILD:-0}" != 1 ]; then
    nice -n 19 make --no-print-directory -s fuzz FUZZ_BUILD="$FUZZ_BUILD" -j2 >"$FUZZ_WORK.build.log" 2>&1 ||
        { echo "fuzz.sh: make fuzz failed (log: $FUZZ_WORK.build.log)"; tail -n 20 "$FUZZ_WORK.build.log"; exit 1; }
fi

# The seeds: committed text ones and the binary ones generated from them (never committed).
if [ -z "${FUZZ_SEEDS:-}" ]; then
    FUZZ_SEEDS=$FUZZ_WORK/seed-tree
    darkrt=${FUZZ_DARKRT:-build/darkrt}
    if [ "${FUZZ_NO_BUILD:-0}" != 1 ] && [ -z "${FUZZ_DARKRT:-}" ]; then
        nice -n 19 make --no-print-directory -s -j2 build/darkrt >"$FUZZ_WORK.build.log" 2>&1 ||
            { echo "fuzz.sh: make build/darkrt failed (log: $FUZZ_WORK.build.log)"; exit 1; }
    fi
    mkdir -p "$FUZZ_WORK"
    bash tests/fuzz/seeds/make-seeds.sh "$darkrt" "$FUZZ_SEEDS" >"$FUZZ_WORK/seeds.log" 2>&1 ||
        { echo "fuzz.sh: tests/fuzz/seeds/make-seeds.sh $darkrt failed (log: $FUZZ_WORK/seeds.log)"; tail -n 5 "$FUZZ_WORK/seeds.log"; exit 1; }
fi

# Real files, read in place (never copied into the repository): small ones only, fuzzing wants speed.
extra_seeds() {
    case $1 in
        cfg) ls "$SHARED"/models/yolo-fastest-1.1/*.cfg /usr/share/darknet/cfg/{yolov3-tiny,yolov2-tiny,tiny}.cfg 2>/dev/null ;;
    esac
}

max_len() {
    case $1 in
        cfg | json | coco) echo 16384 ;; weights | image) echo 8192 ;; *) echo 65536 ;;
    esac
}

crashed=0
for t in "${targets[@]}"; do
    bin="$FUZZ_BUILD/fuzz-$t"
    [ -x "$bin" ] || { echo "fuzz.sh: no $bin (make fuzz FUZZ_BUILD=$FUZZ_BUILD)"; exit 2; }
    work="$FUZZ_WORK/$t"
    mkdir -p "$work/corpus" "$work/seeds" "$work/artifacts"
    for f in $(extra_seeds "$t"); do cp -f "$f" "$work/seeds/"; done
    dict=()
    [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
    log="$work/fuzz.log"
    start=$(date +%s)
    rm -f "$log" "$work"/fuzz-*.log
    pids=()
    for j in $(seq 1 "$jobs"); do
        jlog=$log
        [ "$jobs" -gt 1 ] && jlog="$work/fuzz-$j.log"
        # shellcheck disable=SC2086
        nice -n "${FUZZ_NICE:-19}" "$bin" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
            -max_len="$(max_len "$t")" -print_final_stats=1 -artifact_prefix="$work/artifacts/" "${dict[@]}" \
            $([ "$jobs" -gt 1 ] && echo "-seed=$j") ${FUZZ_ARGS:-} "$work/corpus" "$FUZZ_SEEDS/corpus/$t" "$work/seeds" \
            >"$jlog" 2>&1 &
        pids+=($!)
    done
    rc=0
    for p in "${pids[@]}"; do wait "$p" || rc=$?; done
    secs=$(($(date +%s) - start))
    execs=0
    for jlog in "$log" "$work"/fuzz-*.log; do
        [ -f "$jlog" ] || continue
        n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$jlog" | tail -n 1)
        execs=$((execs + ${n:-0}))
    done
    corpus=$(find "$work/corpus" -type f | wc -l)
    if [ $rc -eq 0 ]; then
        printf 'fuzz-%-8s %10s executions in %5ss, working corpus %5s files, no crash\n' "$t" "${execs:-?}" "$secs" "$corpus"
    else
        crashed=1
        printf 'fuzz-%-8s CRASH after %s executions (rc=%d); logs in %s\n' "$t" "${execs:-?}" "$rc" "$work"
        grep -E 'ERROR:|SUMMARY:|runtime error|contract broken|Test unit written' "$log" "$work"/fuzz-*.log 2>/dev/null | head -n 6 | sed 's/^/    /'
        ls "$work"/artifacts/* 2>/dev/null | sed 's/^/    artifact: /'
    fi
done
exit $crashed
