#!/usr/bin/env bash
# A short fuzz pass in CI: each libFuzzer target (tests/fuzz) for DRT_FUZZ_RUNS (default 20000) inputs with
# a fixed -seed=1, so every run of the suite tries exactly the same mutations (deterministic, repeatable),
# built with clang by `make fuzz` next to this test build. Skips where clang's libFuzzer is missing,
# or with DRT_FUZZ_RUNS=0. Long runs by hand: scripts/fuzz.sh (tests/fuzz/README.md). A crash fails the test; its input is kept in $DRT_BUILD/fuzz-artifacts.
source "$(dirname "$0")/../lib.sh"
runs=${DRT_FUZZ_RUNS:-20000}
[ "$runs" = 0 ] && skip "DRT_FUZZ_RUNS=0"
command -v clang >/dev/null || skip "no clang: no libFuzzer"
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' > "$TMP/probe.c"
clang -fsanitize=fuzzer,address "$TMP/probe.c" -o "$TMP/probe" 2>/dev/null || skip "clang has no libFuzzer runtime (-fsanitize=fuzzer)"

cd "$DRT_ROOT" || exit 1
fuzz_build="${DRT_BUILD#"$DRT_ROOT"/}/fuzz" # the Makefile wants build directories relative to the root
case $fuzz_build in /*) skip "$DRT_BUILD is outside $DRT_ROOT: make fuzz builds inside the tree" ;; esac
nice -n 10 make --no-print-directory -s fuzz FUZZ_BUILD="$fuzz_build" -j2 >"$TMP/build.log" 2>&1 ||
    { tail -n 30 "$TMP/build.log"; fail "make fuzz failed"; finish; exit; }
ok "make fuzz built $(ls "$fuzz_build"/fuzz-* | wc -l) targets"

# The crash regressions through the clang build too: its UBSan also checks float-to-int casts, gcc's does not.
for d in "$FUZZ_SEEDS"/crashes/*/; do
    t=$(basename "$d")
    files=("$d"*)
    [ -e "${files[0]}" ] || continue
    if "$fuzz_build/fuzz-$t" "${files[@]}" >"$TMP/replay-$t.log" 2>&1; then
        ok "fuzz-$t: ${#files[@]} crash regressions replayed"
    else
        fail "fuzz-$t: a crash regression fails again: $(grep -E 'Running:|ERROR|runtime error|contract' "$TMP/replay-$t.log" | tail -n 2 | tr '\n' ' ')"
    fi
done

FUZZ_ARGS="${FUZZ_ARGS:--seed=1}" FUZZ_NO_BUILD=1 FUZZ_SEEDS="$FUZZ_SEEDS" FUZZ_BUILD="$fuzz_build" FUZZ_WORK="$TMP/work" bash scripts/fuzz.sh -n "$runs" | tee "$TMP/fuzz.out"
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ]; then
    mkdir -p "$DRT_BUILD/fuzz-artifacts"
    cp "$TMP"/work/*/artifacts/* "$DRT_BUILD/fuzz-artifacts/" 2>/dev/null
    fail "a fuzz target crashed: inputs kept in $DRT_BUILD/fuzz-artifacts (replay: $fuzz_build/fuzz-TARGET FILE)"
else
    ok "every target ran $runs inputs with no crash"
fi
finish
