#!/usr/bin/env bash
# Makes the test models once per build: synthesised weights for the Darknet yolov3 family
# (their trained weights cannot be downloaded here). Idempotent.
set -eu
: "${DRT_BUILD:?}" "${DRT_DATA:?}"
DARKRT="$DRT_BUILD/darkrt"
for m in yolov3 yolov3-tiny yolov3-spp; do
    w="$DRT_DATA/$m.weights"
    [ -s "$w" ] && continue
    "$DARKRT" synth /usr/share/darknet/cfg/$m.cfg -o "$w" --seed 1 >/dev/null 2>&1 || {
        echo "prepare-data: darkrt synth $m failed (not built yet?)"; exit 0; }
done
# The fuzz seed tree (tests/fuzz/seeds/make-seeds.sh): model, plan, image seeds and regression inputs, made here
# rather than committed. Remade when darkrt or a generator changed (plans hold darkrt's version and layout).
seeds="$DRT_DATA/fuzz-seeds"
root=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -f "$seeds/.made" ] || [ -n "$(find "$DARKRT" "$root/tests/fuzz/seeds" "$root/tests/fuzz/corpus" "$root/tests/fuzz/crashes" \
        -newer "$seeds/.made" -print -quit 2>/dev/null)" ]; then
    [ -x "$DARKRT" ] || { echo "prepare-data: no $DARKRT (not built yet?)"; exit 0; }
    bash "$root/tests/fuzz/seeds/make-seeds.sh" "$DARKRT" "$seeds" >"$DRT_DATA/fuzz-seeds.log" 2>&1 ||
        { echo "prepare-data: tests/fuzz/seeds/make-seeds.sh failed:"; tail -n 5 "$DRT_DATA/fuzz-seeds.log"; exit 1; }
    touch "$seeds/.made"
fi
