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
