#!/usr/bin/env bash
# Contexts of one engine in parallel under ThreadSanitizer: builds the library with -fsanitize=thread
# (CUDA off, in $DRT_BUILD/tsan, kept between runs) and tests/tsan/contexts.c against it, then runs
# it: 4 threads with a context each of one ref and one cpu engine, heads equal to serial runs, and a
# pipeline whose workers run the cpu engine's contexts (worker_engines); no race reported.
source "$(dirname "$0")/../lib.sh"
[ -f "$FASTEST_CFG" ] && [ -f "$FASTEST_WEIGHTS" ] || skip "yolo-fastest-1.1 not found (DRT_SHARED)"
T="$DRT_BUILD/tsan"
build=$(realpath --relative-to="$DRT_ROOT" "$T")
if ! make -s -C "$DRT_ROOT" BUILD="$build" CUDA=0 SAN=1 OPT=-O1 SANITIZE="-fsanitize=thread" \
        "$build/libdarkrt.a" >"$TMP/build.log" 2>&1; then
    fail "TSan build of the library: $(grep -m 3 'error' "$TMP/build.log")"; finish; exit
fi
libs=$(make -s -C "$DRT_ROOT" CUDA=0 print-libs)
# shellcheck disable=SC2086
if ! cc -std=c11 -O1 -g -fsanitize=thread -I"$DRT_ROOT/include" -o "$TMP/contexts" "$DRT_ROOT/tests/tsan/contexts.c" \
        "$T/libdarkrt.a" $libs -pthread 2>"$TMP/cc.log"; then
    fail "TSan test program: $(head -n 3 "$TMP/cc.log")"; finish; exit
fi
OMP_NUM_THREADS=1 TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1" \
    "$TMP/contexts" "$FASTEST_CFG" "$FASTEST_WEIGHTS" >"$TMP/out" 2>&1
rc=$?
cat "$TMP/out"
if [ $rc -eq 66 ] || grep -q 'WARNING: ThreadSanitizer' "$TMP/out"; then
    fail "ThreadSanitizer reported a race: $(grep -m 1 -A 12 'WARNING: ThreadSanitizer' "$TMP/out")"
elif [ $rc -ne 0 ]; then
    fail "contexts exited $rc"
else
    ok "ref and cpu: contexts in 4 threads, heads equal to serial runs; pipeline worker engines; no race reported"
fi
finish
