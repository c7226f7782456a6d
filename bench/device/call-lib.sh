# Sourced by a device call script (bench/device/next/callX.sh): the bundle's environment, then
#   call_start NAME   the call's log $OUT/NAME.log opened with the date, the GPU and the commit the binaries
#                     were built from (CALL_COMMIT: the device's own .git is stale);
#   el TEXT           a line with the seconds since call_start, to the terminal and the log;
#   golden_run T S    golden test program T alone in at most S s, every line into $OUT/T.txt, one GOLDEN line
#                     (rc, seconds, ok and FAIL counts, the last line) and its FAIL lines into the log;
#   int8_rows S [VAR=VALUE...]      bench/device/int8.sh in at most S s with those settings, its table and logs into
#                                   $OUT (int8-cuda.md copied every 15 s: a cut run still brings its rows back);
#   e2e_fast_rows S [VAR=VALUE...]  bench/device/e2e-fast.sh likewise (results.txt every 10 s, the stall watch's
#                                   stall-*.txt), its SUMMARY and 24000-image RESULT lines into the log.
source .devcarry/env.sh
call_start() {
    LOG=$OUT/$1.log
    T0=$(date +%s)
    { date -u; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; echo "binaries from main at ${CALL_COMMIT:-?}"; } >>"$LOG"
}
el() { echo "[$(( $(date +%s) - T0 )) s] $*" | tee -a "$LOG"; }
golden_run() {
    local t=$1 limit=$2 s rc
    s=$(date +%s)
    timeout -k 5 "$limit" "$DRT_BIN/$t" >"$OUT/$t.txt" 2>&1
    rc=$?
    el "GOLDEN $t rc=$rc ($(( $(date +%s) - s )) s, limit $limit s) ok=$(grep -c '^ok' "$OUT/$t.txt") FAIL=$(grep -c '^FAIL' "$OUT/$t.txt") last: $(tail -n 1 "$OUT/$t.txt" | cut -c1-120)"
    grep -E '^FAIL' "$OUT/$t.txt" | cut -c1-260 | tee -a "$LOG"
}
int8_rows() {
    local limit=$1 copier; shift
    rm -rf /tmp/i8; mkdir -p /tmp/i8 # a warm machine keeps the last call's rows
    ( while sleep 15; do cp /tmp/i8/int8-cuda.md "$OUT/" 2>/dev/null; done ) & copier=$!
    env "$@" OUT=/tmp/i8 timeout -k 5 "$limit" bash bench/device/int8.sh >/tmp/i8/int8.log 2>&1
    el "int8.sh rc=$?"
    kill $copier 2>/dev/null
    cp /tmp/i8/int8-cuda.md /tmp/i8/int8-logs.txt "$OUT/" 2>/dev/null
    gzip -f "$OUT/int8-logs.txt" 2>/dev/null
    tail -c 20000 /tmp/i8/int8.log >"$OUT/int8.log"
    grep '^|' /tmp/i8/int8-cuda.md | tee -a "$LOG"
}
e2e_fast_rows() {
    local limit=$1 copier; shift
    mkdir -p /tmp/e2e
    ( while sleep 10; do cp /tmp/e2e/results.txt "$OUT/e2e-results.txt" 2>/dev/null; cp /tmp/e2e/stall-* "$OUT/" 2>/dev/null; done ) & copier=$!
    env "$@" OUT=/tmp/e2e timeout -k 5 "$limit" bash bench/device/e2e-fast.sh >/tmp/e2e/e2e.log 2>&1
    el "e2e-fast.sh rc=$?"
    kill $copier 2>/dev/null
    cp /tmp/e2e/results.txt "$OUT/e2e-results.txt"; cp /tmp/e2e/stall-* "$OUT/" 2>/dev/null
    tail -c 30000 /tmp/e2e/e2e.log >"$OUT/e2e.log"
    grep '^SUMMARY\|^RESULT.*24000' /tmp/e2e/results.txt | cut -c1-300 | tee -a "$LOG"
    ls /tmp/e2e/stall-* 2>/dev/null | tee -a "$LOG"
}
