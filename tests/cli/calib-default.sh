#!/usr/bin/env bash
# darkrt build --precision int8 without --calib (issue 16: not synthetic when real images are at hand,
# and say plainly what was used). With Debian darknet's sample photos on the machine it says it
# calibrated on that folder's images, how many, found there (no --calib); the images it lists (-v) are
# the folder's, and its plan equals the one built with --calib on that folder, so it used them, not only
# said so. With that folder hidden (an empty directory bind-mounted over it in a private mount
# namespace: there is no option for the default folder) it warns plainly that it used synthetic images,
# and its plan differs. A tiny 6-conv cfg with synthesised weights: each build takes well under a second.
source "$(dirname "$0")/../lib.sh"
[ -x "$DARKRT" ] || skip "darkrt is not built"
[ -f "$DN_DATA/dog.jpg" ] || skip "Darknet's sample images are not in $DN_DATA"
export DRT_CPU_TUNE=0
unset DRT_CALIB_MAX # the default count (at most 16 images)
tiny_model "$TMP" || fail "synth"
build=("$DARKRT" build "$TMP/tiny.cfg" --weights "$TMP/tiny.weights" --precision int8)

# The folder's images by name (the extensions calibration reads), sorted as it sorts them; at most 16.
find "$DN_DATA" -maxdepth 1 -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' -o -iname '*.bmp' -o -iname '*.ppm' \) |
    LC_ALL=C sort | head -16 >"$TMP/expected"
n=$(wc -l <"$TMP/expected")

"${build[@]}" -v -o "$TMP/default.plan" >/dev/null 2>"$TMP/default.log" || fail "build without --calib exited $?: $(tail -3 "$TMP/default.log")"
line="darkrt: int8 calibration: $n real images from $DN_DATA, found on this machine (no --calib given) (method max)"
[ "$(grep -c 'int8 calibration:' "$TMP/default.log")" = 1 ] && grep -qxF "$line" "$TMP/default.log" &&
    ok "no --calib: '$line'" || fail "no --calib: expected '$line', got: $(grep -i 'calibration:' "$TMP/default.log" | head -3)"
grep -qi synthetic "$TMP/default.log" && fail "no --calib with real images at hand: says synthetic"
sed -n 's/^calibration image [0-9]*: //p' "$TMP/default.log" >"$TMP/listed"
cmp -s "$TMP/listed" "$TMP/expected" && ok "it lists the folder's $n images" ||
    fail "images listed: $(tr '\n' ' ' <"$TMP/listed"); the folder's: $(tr '\n' ' ' <"$TMP/expected")"
"${build[@]}" --calib "$DN_DATA" -o "$TMP/given.plan" >/dev/null 2>"$TMP/given.log" || fail "build --calib $DN_DATA exited $?"
cmp -s "$TMP/default.plan" "$TMP/given.plan" && ok "its plan equals --calib $DN_DATA's byte for byte" ||
    fail "the plan without --calib differs from --calib $DN_DATA's"

# The folder absent: an empty directory over it, in a mount namespace of this command only.
mkdir -p "$TMP/empty"
if unshare -rm true 2>/dev/null; then
    unshare -rm sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' sh "$TMP/empty" "$DN_DATA" \
        "${build[@]}" -o "$TMP/synth.plan" >/dev/null 2>"$TMP/synth.log" || fail "build with the folder hidden exited $?: $(cat "$TMP/synth.log")"
    line="darkrt: warning: int8 calibration: no --calib and no real images at hand ($DN_DATA): 8 synthetic letterboxed images (method max); give --calib DIR of real images for accuracy"
    [ "$(grep -c 'int8 calibration:' "$TMP/synth.log")" = 1 ] && grep -qxF "$line" "$TMP/synth.log" &&
        ok "folder hidden: '$line'" || fail "folder hidden: expected '$line', got: $(cat "$TMP/synth.log")"
    [ -s "$TMP/synth.plan" ] && ! cmp -s "$TMP/synth.plan" "$TMP/default.plan" &&
        ok "folder hidden: a plan, calibrated otherwise" || fail "folder hidden: no plan, or the same plan as on the real images"
else
    echo "not checked: the synthetic fallback (no private mount namespace here: 'unshare -rm' fails; the folder cannot be hidden)"
fi
finish
