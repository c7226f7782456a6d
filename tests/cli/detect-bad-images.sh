#!/usr/bin/env bash
# darkrt detect on every file of tests/bad/images: one-line error naming the file, non-zero
# exit, no crash, no output PNG; a directory mixing good and bad images keeps going (the JSON
# lists every image, the failed ones with their error).
source "$(dirname "$0")/../lib.sh"
[ -x "$DARKRT" ] || skip "no darkrt in $DRT_BUILD"
[ -f "$FASTEST_CFG" ] && [ -f "$FASTEST_WEIGHTS" ] || skip "yolo-fastest-1.1 not found (DRT_SHARED)"
BAD="$DRT_ROOT/tests/bad/images"
M=(detect "$FASTEST_CFG" --weights "$FASTEST_WEIGHTS" --device ref)
declare -A rule=(
    [bomb-100000x100000.png]='100000x100000 pixels: more than darkrt.s limit'
    [huge.ppm]='70000x70000 pixels: more than darkrt.s limit'
    [zero-width.png]='0x10 pixels: sizes must be >= 1'
    [truncated.png]='truncated'
    [truncated.jpg]='truncated'
    [corrupt-idat.png]='PNG: IDAT'
    [not-an-image.jpg]='unknown image format'
    [empty.png]='empty file'
    [bad-header.bmp]='BMP'
    [ascii.ppm]='ASCII'
    [long-number.ppm]='at most 9 digits'
    [truncated.bmp]='truncated'
    [jpeg-header-only.jpg]='JPEG'
)
for f in "$BAD"/*; do
    name=$(basename "$f")
    [ "$name" = README.md ] && continue
    pattern=${rule[$name]:-.}
    start=$(date +%s%N)
    expect_error "$name" "$name.*$pattern" "$DARKRT" "${M[@]}" "$f" -o "$TMP/$name.png"
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    [ -e "$TMP/$name.png" ] && fail "$name: an output PNG was written"
    [ -z "${rule[$name]:-}" ] && fail "$name: no expected rule listed in this test"
    # The bomb must be refused from its header: well under the time to even allocate it.
    [ "$name" = bomb-100000x100000.png ] && [ "$ms" -gt 20000 ] && fail "bomb took $ms ms"
done

# A directory of good and bad images: every good one drawn, each bad one one line, exit 1.
mkdir -p "$TMP/mixed"
cp "$DN_DATA/dog.jpg" "$DN_DATA/eagle.jpg" "$BAD/truncated.png" "$BAD/not-an-image.jpg" "$TMP/mixed/"
err=$("$DARKRT" "${M[@]}" "$TMP/mixed" -o "$TMP/mixed-out" --json "$TMP/mixed.json" 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] || fail "mixed directory: exit $rc, expected 1"
[ -s "$TMP/mixed-out/dog.png" ] && [ -s "$TMP/mixed-out/eagle.png" ] || fail "mixed directory: good images not drawn"
[ "$(grep -c 'truncated.png' <<<"$err")" -eq 1 ] && [ "$(grep -c 'not-an-image.jpg' <<<"$err")" -eq 1 ] \
    || fail "mixed directory: each bad file must be reported once: $err"
grep -q '2 of 4 images failed' <<<"$err" || fail "mixed directory: no final count: $err"
n=$(python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); print(len(a), sum("error" in x for x in a))' "$TMP/mixed.json" 2>&1)
[ "$n" = "4 2" ] || fail "mixed directory: JSON has $n entries/errors, expected 4 entries, 2 of them errors"
[ $failures -eq 0 ] && ok "mixed directory: 2 drawn, 2 reported, exit 1"
finish
