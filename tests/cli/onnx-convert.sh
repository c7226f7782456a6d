#!/usr/bin/env bash
# darkrt convert's command line: usage errors are one line with exit 2, failures one line with
# exit 1, an existing output survives a failed conversion, and a good one is written in place.
source "$(dirname "$0")/../lib.sh"
[ -x "$DARKRT" ] || skip "no darkrt binary in $DRT_BUILD"
CFG="$DN_CFG/yolov3-tiny.cfg"
W="$DRT_DATA/yolov3-tiny.weights"
[ -s "$W" ] || skip "no $W (tests/prepare-data.sh)"
out="$TMP/out.onnx"

expect_error "no -o" "need CFG WEIGHTS -o OUT.onnx" "$DARKRT" convert "$CFG" "$W"
expect_error "no weights" "a cfg needs its weights" "$DARKRT" convert "$CFG" -o "$out"
expect_error "opset 8" "opset 8: must be an integer in 9..18" "$DARKRT" convert "$CFG" "$W" -o "$out" --opset 8
expect_error "batch 0" "batch 0: must be an integer in 1..65536" "$DARKRT" convert "$CFG" "$W" -o "$out" --batch 0
expect_error "batch word" "batch many" "$DARKRT" convert "$CFG" "$W" -o "$out" --batch many
expect_error "bad --bn" "bn fancy: must be alexeyab or pjreddie" "$DARKRT" convert "$CFG" "$W" -o "$out" --bn fancy
expect_error "bad --size" "size 0x416" "$DARKRT" convert "$CFG" "$W" -o "$out" --size 0x416
expect_error "unknown flag" "frobnicate: unknown option" "$DARKRT" convert "$CFG" "$W" -o "$out" --frobnicate
expect_error "missing weights file" "nope.weights" "$DARKRT" convert "$CFG" "$TMP/nope.weights" -o "$out"
expect_error "unwritable output" "cannot create" "$DARKRT" convert "$CFG" "$W" -o "$TMP/no/such/dir/x.onnx"

# A failed conversion leaves an existing output alone.
echo "keep me" >"$out"
"$DARKRT" convert "$CFG" "$W" -o "$TMP/whole.onnx" >/dev/null || fail "convert failed"
head -c 5000 "$TMP/whole.onnx" >"$TMP/truncated.onnx"
expect_error "failed import" "not a valid ONNX protobuf" "$DARKRT" convert "$TMP/truncated.onnx" -o "$out"
[ "$(cat "$out")" = "keep me" ] && ok "existing output untouched" || fail "a failed conversion changed $out"

# A good one replaces it and says what it wrote; no temporary file is left behind.
if msg=$("$DARKRT" convert "$CFG" "$W" -o "$out" --opset 11 --batch dynamic --fold-bn 2>&1); then
    grep -q "wrote $out (opset 11, batch dynamic, batchnorm folded)" <<<"$msg" && ok "convert: $msg" || fail "convert said: $msg"
    [ "$(head -c 7 "$out")" != "keep me" ] && ok "output replaced" || fail "output not replaced"
    ls "$TMP" | grep -q "tmp-" && fail "temporary file left behind: $(ls "$TMP")"
else
    fail "convert failed: $msg"
fi
"$DARKRT" convert --help | grep -q "implies --fold-bn" && ok "help explains pjreddie folding" || fail "help lacks the pjreddie note"
finish
