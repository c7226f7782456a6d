#!/usr/bin/env bash
# The CLI's default activation budget (issue 19: a 1.4 MB plan declaring 8192x8192 made detect use
# 3.4 GB): a plan whose model section declares 8192x8192 (checksum fixed by tests/tools/plan-patch.py)
# is refused at once with one line; the same plan at 128x128 (2 MiB of activations) runs, and
# --max-activations moves the limit both ways.
source "$(dirname "$0")/../lib.sh"
[ -x "$DARKRT" ] || skip "no $DARKRT"
CFG=$TINY_CFG WEIGHTS=$TINY_WEIGHTS IMG=$TINY_IMG
PATCH="$DRT_ROOT/tests/tools/plan-patch.py"
export DRT_CPU_TUNE=0
"$DARKRT" build "$CFG" --weights "$WEIGHTS" --device cpu -o "$TMP/t.plan" >/dev/null 2>"$TMP/err" || skip "no CPU plan here: $(cat "$TMP/err")"
# model section: n_layers, width, height (uint32)
"$PATCH" "$TMP/t.plan" "$TMP/huge.plan" model:4:I=8192 model:8:I=8192 || fail "plan-patch.py failed"
"$PATCH" "$TMP/t.plan" "$TMP/mid.plan" model:4:I=128 model:8:I=128 || fail "plan-patch.py failed"
start=$(date +%s)
expect_error "detect, plan declaring 8192x8192" 'MiB of activations.*limit of 1024' "$DARKRT" detect "$TMP/huge.plan" "$IMG" -o "$TMP/o.png"
[ $(( $(date +%s) - start )) -lt 20 ] && ok "refused within 20 s" || fail "took $(( $(date +%s) - start )) s"
expect_error "bench, plan declaring 8192x8192" 'limit of 1024' "$DARKRT" bench "$TMP/huge.plan" --runs 1 --warmup 0
"$DARKRT" detect "$TMP/mid.plan" "$IMG" -o "$TMP/o.png" >/dev/null 2>"$TMP/err" && ok "detect, 128x128 plan: runs within the default budget" ||
    fail "detect, 128x128 plan: $(cat "$TMP/err")"
expect_error "detect --max-activations 1, 128x128 plan" 'limit of 1\.0 MiB' "$DARKRT" detect "$TMP/mid.plan" "$IMG" -o "$TMP/o.png" --max-activations 1
"$DARKRT" detect "$TMP/mid.plan" "$IMG" -o "$TMP/o.png" --max-activations 8 >/dev/null 2>"$TMP/err" &&
    ok "detect --max-activations 8, 128x128 plan: runs" || fail "detect --max-activations 8: $(cat "$TMP/err")"
expect_error "--max-activations x" 'max-activations' "$DARKRT" detect "$TMP/mid.plan" "$IMG" --max-activations x
finish
