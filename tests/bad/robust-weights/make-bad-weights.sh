#!/usr/bin/env bash
# Makes the hostile weights files for _model.cfg in OUT_DIR (not committed: they are model files),
# each from `darkrt synth _model.cfg --seed 1` (2676 bytes: a 20-byte header, then the parameters).
# Usage: make-bad-weights.sh DARKRT OUT_DIR. Their expected errors are in expect.txt beside this script.
set -euo pipefail
DARKRT=$1 OUT=$2
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
cp "$HERE/_model.cfg" "$HERE/expect.txt" "$OUT/"
good="$OUT/_good.weights"
"$DARKRT" synth "$HERE/_model.cfg" -o "$good" --seed 1 >/dev/null
head -c 20 "$good" > "$OUT/header-only.weights"
head -c 8 "$good" > "$OUT/short-header.weights"
head -c 2670 "$good" > "$OUT/truncated.weights"
{ cat "$good"; printf '\0\0\0\0'; } > "$OUT/padded.weights"
{ printf '\377\377\377\377\7\0\0\0\3\0\0\0'; tail -c +13 "$good"; } > "$OUT/wrong-header.weights"
for _ in $(seq 20); do echo "these are not weights"; done > "$OUT/text.weights"
rm "$good"
