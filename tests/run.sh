#!/usr/bin/env bash
# Runs darkrt's test suite against one build directory and prints "N passed, N failed, N skipped".
# Every test is an executable that exits 0 (pass), 77 (skip: says why on its last line) or else (fail):
#   BUILD/tests/unit/*, BUILD/tests/golden/*   C programs (tests/unit, tests/golden)
#   tests/cli/*.sh                            shell tests of the CLI
#   tests/py/test_*.py                        Python tests (each names its interpreter in the shebang)
# TESTS=pattern runs only the tests whose name contains the pattern.
set -u
BUILD=${1:-build-asan}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export DRT_BUILD="$ROOT/$BUILD" DRT_ROOT="$ROOT"
export DRT_DATA="$ROOT/$BUILD/testdata"
mkdir -p "$DRT_DATA"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Tests use this model everywhere; prepare it once (synthesised weights for the yolov3 family).
bash "$ROOT/tests/prepare-data.sh" || { echo "test data preparation failed"; echo "0 passed, 1 failed"; exit 1; }

tests=()
for f in "$ROOT/$BUILD"/tests/unit/* "$ROOT/$BUILD"/tests/golden/*; do
    [ -x "$f" ] && [ -f "$f" ] && [[ "$f" != *.d ]] && tests+=("$f")
done
for f in "$ROOT"/tests/cli/*.sh "$ROOT"/tests/py/test_*.py; do
    [ -f "$f" ] && tests+=("$f")
done

pass=0 fail=0 skip=0 failed=()
log_dir="$ROOT/$BUILD/test-logs"
mkdir -p "$log_dir"
for t in "${tests[@]}"; do
    name=${t#"$ROOT/"}
    name=${name#"$BUILD/tests/"}
    [ -n "${TESTS:-}" ] && [[ "$name" != *"$TESTS"* ]] && continue
    log="$log_dir/$(echo "$name" | tr '/' '_').log"
    start=$(date +%s.%N)
    case "$t" in
        *.sh) bash "$t" >"$log" 2>&1 ;;
        *.py) "$t" >"$log" 2>&1 ;;
        *) "$t" >"$log" 2>&1 ;;
    esac
    rc=$?
    secs=$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")
    if [ $rc -eq 0 ]; then
        pass=$((pass + 1)); printf 'PASS  %-48s %6ss\n' "$name" "$secs"
    elif [ $rc -eq 77 ]; then
        skip=$((skip + 1)); printf 'SKIP  %-48s %6ss  (%s)\n' "$name" "$secs" "$(tail -n 1 "$log")"
    else
        fail=$((fail + 1)); failed+=("$name"); printf 'FAIL  %-48s %6ss  (rc=%d)\n' "$name" "$secs" "$rc"
        tail -n 25 "$log" | sed 's/^/      | /'
    fi
done
echo
[ $fail -gt 0 ] && echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
