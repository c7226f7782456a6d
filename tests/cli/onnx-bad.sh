#!/usr/bin/env bash
# Malformed ONNX files (made by tests/bad/onnx/make-bad.py into a temporary directory) are refused
# with one line naming the file and the rule, a non-zero exit, no crash (ASan), and no output file.
source "$(dirname "$0")/../lib.sh"
[ -x "$DARKRT" ] || skip "no darkrt binary in $DRT_BUILD"
BAD="$TMP/bad"
mkdir -p "$BAD"
python3 -c "import onnx" 2>/dev/null || skip "python3 has no onnx module (pip install onnx)"
python3 "$DRT_ROOT/tests/bad/onnx/make-bad.py" "$BAD" || { fail "make-bad.py failed"; finish; exit 1; }
n=0
while read -r file pattern; do
    case "$file" in ''|'#'*) continue ;; esac
    out="$TMP/out/$file"
    mkdir -p "$TMP/out"
    expect_error "$file" "$pattern" "$DARKRT" convert "$BAD/$file" -o "$out"
    [ -e "$out" ] && fail "$file: left an output file behind"
    ls "$TMP/out" | grep -q "tmp-" && fail "$file: left a temporary file behind"
    n=$((n + 1))
done <"$BAD/EXPECT"
[ "$n" -ge 20 ] || fail "only $n bad files listed in EXPECT"
# The loader reached through other commands refuses them the same way.
expect_error "run truncated.onnx" "not a valid ONNX protobuf" "$DARKRT" run "$BAD/truncated.onnx" --random 1 -o "$TMP/h.f32"
finish
