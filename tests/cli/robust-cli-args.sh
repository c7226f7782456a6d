#!/usr/bin/env bash
# Small CLI gaps of issue 19: bench --json to an unwritable path fails (it printed the error and exited
# 0); --calib without --precision int8 is refused (it was silently ignored); "-o -" writes to stdout for
# convert, build, run and synth (it wrote a file named "-"), the summary going to stderr.
source "$(dirname "$0")/../lib.sh"
[ -x "$DARKRT" ] || skip "no $DARKRT"
CFG=$TINY_CFG WEIGHTS=$TINY_WEIGHTS
expect_error "bench --json /nonexistent/x" '/nonexistent/x' "$DARKRT" bench "$CFG" --weights "$WEIGHTS" --device ref --runs 1 --warmup 0 --json /nonexistent/x
expect_error "build --calib without int8" 'precision int8' "$DARKRT" build "$CFG" --weights "$WEIGHTS" --calib "$TMP" -o "$TMP/x.plan"
expect_error "bench --calib-method without int8" 'precision int8' "$DARKRT" bench "$CFG" --weights "$WEIGHTS" --calib-method entropy
[ ! -e "$TMP/x.plan" ] && ok "no plan written" || fail "a plan was written"

cd "$TMP" || exit 1
stdout_run() { # NAME CHECK CMD...: CMD -o - puts the output on stdout (CHECK reads it from a file), no file "-"
    local name=$1 check=$2; shift 2
    if "$@" > "$TMP/stdout.bin" 2>"$TMP/err" && [ ! -e "$TMP/-" ] && $check "$TMP/stdout.bin"; then ok "$name: output on stdout, no file named -"
    else fail "$name: $(head -c 300 "$TMP/err")$([ -e "$TMP/-" ] && echo ' (a file named - was written)')"; fi
    rm -f "$TMP/-"
}
is_weights() { cmp -s "$1" "$WEIGHTS"; }
is_onnx() { python3 -c "import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]))" "$1" 2>/dev/null; }
is_plan() { cp "$1" "$TMP/p.plan" && "$DARKRT" inspect "$TMP/p.plan" >/dev/null 2>&1; }
is_heads() { [ "$(stat -c %s "$1")" -gt 0 ] && [ $(( $(stat -c %s "$1") % 4 )) -eq 0 ]; }
stdout_run "synth -o -" is_weights "$DARKRT" synth "$CFG" -o -
stdout_run "convert -o -" is_onnx "$DARKRT" convert "$CFG" "$WEIGHTS" -o -
stdout_run "build -o -" is_plan "$DARKRT" build "$CFG" --weights "$WEIGHTS" --device ref -o -
stdout_run "run -o -" is_heads "$DARKRT" run "$CFG" --weights "$WEIGHTS" --random 1 -o -
finish
