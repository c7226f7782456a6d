#!/usr/bin/env bash
# Every file under tests/bad/** goes through the CLI command that reads its kind (inspect for cfg,
# weights, ONNX and plans; detect for images): a non-zero exit, exactly one line on stderr that names
# the file (and matches its expected pattern when one is given), no crash, no sanitizer report, no
# drawing or temporary left behind (detect may write a complete JSON report of the failure).
# Plans are made here: empty, garbage and ONNX bytes, and from a built plan (flipped byte, other
# version, cut, padded).
# Conventions (tests/bad/README.md): a text file's first line "# expect: REGEX", or "NAME: REGEX" in the
# directory's expect.txt; files named _* are companions (weights/_model.cfg is the cfg of the weights
# there); tests/bad/known-open.txt lists files that still fail for a reported bug (shown as XFAIL).
source "$(dirname "$0")/../lib.sh"
[ -x "$DARKRT" ] || skip "no $DARKRT"
BAD="$DRT_ROOT/tests/bad"
MODEL_CFG=$TINY_CFG MODEL_WEIGHTS=$TINY_WEIGHTS
KNOWN="$BAD/known-open.txt"
checked=0 xfail=0

expected_pattern() { # FILE: the pattern its error must match ("" when none is given)
    local f=$1 dir name p=""
    dir=$(dirname "$f") name=$(basename "$f")
    if [ -f "$dir/expect.txt" ]; then
        p=$(grep -F -- "$name: " "$dir/expect.txt" | grep -v '^#' | head -n 1)
        p=${p#"$name: "}
    fi
    [ -z "$p" ] && p=$(head -c 4096 "$f" | sed -n '1s/^# expect: //p' 2>/dev/null | tr -d '\r')
    printf '%s' "$p"
}

weights_cfg() { # WEIGHTS: the cfg it belongs to
    local dir stem
    dir=$(dirname "$1") stem=$(basename "$1" .weights)
    for c in "$dir/_$stem.cfg" "$dir/_model.cfg"; do [ -f "$c" ] && { echo "$c"; return; }; done
    echo "$MODEL_CFG"
}

# check FILE CMD...: the command must refuse FILE cleanly; sets $why on failure.
check() {
    local f=$1 name pattern err rc lines; shift
    name=$(basename "$f")
    pattern=$(expected_pattern "$f")
    rm -f "$TMP"/out.*
    timeout 120 "$@" >/dev/null 2>"$TMP/err"; rc=$?
    err=$(cat "$TMP/err")
    lines=$(grep -c . "$TMP/err")
    why=""
    if [ $rc -eq 0 ]; then why="accepted (exit 0)"
    elif [ $rc -eq 124 ]; then why="hung (killed after 120 s)"
    elif [ $rc -ge 128 ]; then why="crashed (rc=$rc)"
    elif grep -qE 'Sanitizer|runtime error|AddressSanitizer|LeakSanitizer' "$TMP/err"; then why="sanitizer report"
    elif [ "$lines" -ne 1 ]; then why="$lines lines on stderr, not one"
    elif ! grep -qF -- "$name" "$TMP/err"; then why="the message does not name $name"
    elif [ -n "$pattern" ] && ! grep -qE -- "$pattern" "$TMP/err"; then why="the message does not match /$pattern/"
    elif [ -e "$TMP/out.png" ] || ls "$TMP"/out.*.tmp* >/dev/null 2>&1; then why="an output file was written: $(ls "$TMP"/out.*)"
    elif [ -e "$TMP/out.json" ] && ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/out.json" 2>/dev/null; then
        why="out.json is not complete JSON"
    fi
    checked=$((checked + 1))
    local rel=${f#"$BAD/"}
    if [ -z "$why" ]; then
        ok "$rel: $err"
        [ -f "$KNOWN" ] && grep -q "^$rel:" "$KNOWN" && echo "XPASS: $rel is fixed: delete its line from $KNOWN"
        return
    fi
    if [ -f "$KNOWN" ] && grep -q "^$rel:" "$KNOWN"; then
        xfail=$((xfail + 1)); echo "XFAIL: $rel: $why (known: $(grep "^$rel:" "$KNOWN" | cut -d: -f2-))"
    else
        fail "$rel: $why: $(grep -v '^$' "$TMP/err" | head -n 4 | cut -c1-300)"
    fi
}

# The reference engine: the images are under test here, not the engines.
detect_cmd() { echo "$DARKRT" detect "$MODEL_CFG" "$1" --weights "$MODEL_WEIGHTS" --device ref -o "$TMP/out.png" --json "$TMP/out.json"; }

while IFS= read -r f; do
    name=$(basename "$f")
    case "$name" in _* | *.md | *.py | *.sh | expect.txt | known-open.txt) continue ;; esac
    case "${name,,}" in
        *.weights) check "$f" "$DARKRT" inspect "$(weights_cfg "$f")" --weights "$f" ;;
        *.jpg | *.jpeg | *.png | *.bmp | *.ppm | *.pgm | *.pnm)
            # shellcheck disable=SC2046
            check "$f" $(detect_cmd "$f") ;;
        *) check "$f" "$DARKRT" inspect "$f" ;;
    esac
done < <(find "$BAD" -type f | sort)

# The hostile ONNX files are made here from the fuzz seed (tests/bad/robust-onnx/make-bad-onnx.py), not committed.
if (cd "$DRT_ROOT" && python3 tests/bad/robust-onnx/make-bad-onnx.py "$TMP/robust-onnx" "$FUZZ_SEEDS/corpus/onnx/tiny-yolo-op13.onnx") >"$TMP/make-onnx.log" 2>&1; then
    for f in "$TMP"/robust-onnx/*.onnx; do check "$f" "$DARKRT" inspect "$f"; done
else
    fail "make-bad-onnx.py: $(tail -n 1 "$TMP/make-onnx.log")"
fi

# The hostile weights files are made here (tests/bad/robust-weights/make-bad-weights.sh), not committed.
if bash "$BAD/robust-weights/make-bad-weights.sh" "$DARKRT" "$TMP/robust-weights" >"$TMP/make-weights.log" 2>&1; then
    for f in "$TMP"/robust-weights/*.weights; do check "$f" "$DARKRT" inspect "$(weights_cfg "$f")" --weights "$f"; done
else
    fail "make-bad-weights.sh: $(tail -n 1 "$TMP/make-weights.log")"
fi

# Plans that are not plans, made here (not committed): empty, the magic followed by text, an ONNX file.
mkdir -p "$TMP/robust-plan"
: > "$TMP/robust-plan/empty.plan"
printf 'DRTPLAN\0garbage that is not a plan\n' > "$TMP/robust-plan/garbage.plan"
head -c 300 "$FUZZ_SEEDS/corpus/onnx/tiny-yolo-op13.onnx" > "$TMP/robust-plan/onnx-as-plan.plan"
printf '%s\n' 'empty.plan: too short for a darkrt plan' 'garbage.plan: too short for a darkrt plan' \
    'onnx-as-plan.plan: not a darkrt plan' > "$TMP/robust-plan/expect.txt"
for f in "$TMP"/robust-plan/*.plan; do check "$f" "$DARKRT" inspect "$f"; done

# Plans: made from a plan built here, when `darkrt build` works.
good="$TMP/good.plan"
plan_ok() { "$DARKRT" build "$MODEL_CFG" --weights "$MODEL_WEIGHTS" --device "$1" -o "$good" >/dev/null 2>"$TMP/build.err" &&
    "$DARKRT" inspect "$good" >/dev/null 2>&1; }
if plan_ok cpu || { echo "note: no CPU plan ($(grep -v '^$' "$TMP/build.err" | head -n 1)): using a reference plan"; plan_ok ref; }; then
    mkdir -p "$TMP/plans"
    size=$(stat -c %s "$good")
    for at in 0 8 16 $((size / 3)) $((size / 2)) $((size - 1)); do
        python3 -c "import sys; d=bytearray(open(sys.argv[1],'rb').read()); d[int(sys.argv[2])]^=0x10; open(sys.argv[3],'wb').write(d)" \
            "$good" "$at" "$TMP/plans/flipped-at-$at.plan"
        check "$TMP/plans/flipped-at-$at.plan" "$DARKRT" inspect "$TMP/plans/flipped-at-$at.plan"
    done
    head -c $((size / 2)) "$good" > "$TMP/plans/truncated.plan"
    check "$TMP/plans/truncated.plan" "$DARKRT" inspect "$TMP/plans/truncated.plan"
    { cat "$good"; printf 'tail'; } > "$TMP/plans/padded.plan"
    check "$TMP/plans/padded.plan" "$DARKRT" inspect "$TMP/plans/padded.plan"
    ver=$("$DARKRT" --version | awk '{print $2}')
    if python3 - "$good" "$ver" "$TMP/plans/other-version.plan" <<'PY'
import sys
d = open(sys.argv[1], 'rb').read(); v = sys.argv[2].encode()
if v not in d: sys.exit(1)
other = b'9' * len(v) if v != b'9' * len(v) else b'1' * len(v)
open(sys.argv[3], 'wb').write(d.replace(v, other))
PY
    then
        check "$TMP/plans/other-version.plan" "$DARKRT" inspect "$TMP/plans/other-version.plan"
        grep -qiE 'version' "$TMP/err" && ok "other-version plan: the message speaks of the version" ||
            fail "other-version plan: the message does not say 'version': $(cat "$TMP/err")"
    else
        echo "note: the plan does not hold the version string $ver as text; other-version plan not made"
    fi
else
    echo "note: no plan built ($(head -n 1 "$TMP/build.err")): plan checks skipped"
fi

echo "$checked bad files checked, $xfail known-open (XFAIL)"
[ $checked -ge 50 ] || fail "only $checked bad files found under $BAD"
finish
