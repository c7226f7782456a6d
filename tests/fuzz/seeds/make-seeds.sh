#!/usr/bin/env bash
# Makes the fuzz seed tree OUT/{corpus,crashes}/<target>/ that unit/fuzz-replay replays and scripts/fuzz.sh
# starts from: the text seeds committed in tests/fuzz/{corpus,crashes}, plus the binary ones made here
# (none is committed): weights from `darkrt synth` of corpus/cfg/tiny-yolo.cfg with 0.1, 0.2 and 1.0
# headers; ONNX from `darkrt convert` (opsets 9/11/13, folded BN) and nvidia-style-onnx.py; plans from
# `darkrt build` (ref, CPU fp32, bf16 batch 4, int8); images from images.py; the COCO seed from its two
# JSON halves; and the regression inputs from hostile-images.py, onnx-regressions.py, plan-regressions.py.
# tests/fuzz/seeds/expect.txt lists every file of the tree with the outcome its loader must give.
# Usage: tests/fuzz/seeds/make-seeds.sh DARKRT OUT   (python3 with onnx and Pillow: scripts/deps.sh)
set -euo pipefail
DARKRT=$1 OUT=${2%/}
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
SEEDS=$ROOT/tests/fuzz/seeds
CFG=$ROOT/tests/fuzz/corpus/cfg
PY=${PYTHON:-python3}
tmp=$OUT.tmp.$$
trap 'rm -rf "$tmp"' EXIT
rm -rf "$tmp"
mkdir -p "$tmp"
cp -r "$ROOT/tests/fuzz/corpus" "$ROOT/tests/fuzz/crashes" "$tmp/"
c=$tmp/corpus x=$tmp/crashes
mkdir -p "$c"/{weights,onnx,plan,image,coco,plan-header} "$x"/{image,onnx,plan}

# Weights: synth writes header 0.2 (major, minor, revision, 64-bit seen); 0.1 has a 32-bit seen, 1.0 a 64-bit one.
w=$c/weights/tiny-yolo-v0.2.weights
"$DARKRT" synth "$CFG/tiny-yolo.cfg" -o "$w" --seed 1 >/dev/null
{ printf '\0\0\0\0\1\0\0\0\0\0\0\0\71\60\0\0'; tail -c +21 "$w"; } > "$c/weights/tiny-yolo-v0.1.weights"  # seen 12345
{ printf '\1\0\0\0\0\0\0\0\0\0\0\0\143\0\0\0\0\0\0\0'; tail -c +21 "$w"; } > "$c/weights/tiny-yolo-v1.0.weights"  # seen 99

"$DARKRT" convert "$CFG/tiny-yolo.cfg" "$w" -o "$c/onnx/tiny-yolo-op13.onnx" --opset 13 >/dev/null
"$DARKRT" convert "$CFG/tiny-yolo.cfg" "$w" -o "$c/onnx/tiny-yolo-op11-foldbn.onnx" --opset 11 --fold-bn >/dev/null
"$DARKRT" convert "$CFG/tiny-groups.cfg" --random-weights -o "$c/onnx/tiny-groups-op11.onnx" --opset 11 >/dev/null
"$DARKRT" convert "$CFG/tiny-v3.cfg" --random-weights -o "$c/onnx/tiny-v3-op9.onnx" --opset 9 >/dev/null
"$PY" "$SEEDS/nvidia-style-onnx.py" "$c/onnx/nvidia-style-op11.onnx"
"$PY" "$SEEDS/onnx-regressions.py" "$c/onnx/tiny-v3-op9.onnx" "$x/onnx"

# Plans of this darkrt (a plan records its format and darkrt's version: another's is refused).
p=$c/plan/tiny-yolo
"$DARKRT" build "$CFG/tiny-yolo.cfg" -w "$w" --device ref --threads 1 -o "$p-ref.plan" >/dev/null
"$DARKRT" build "$CFG/tiny-yolo.cfg" -w "$w" --threads 1 -o "$p-cpu-fp32.plan" >/dev/null
"$DARKRT" build "$CFG/tiny-yolo.cfg" -w "$w" --threads 1 --precision bf16 --batch 4 -o "$p-cpu-bf16-b4.plan" >/dev/null
"$DARKRT" build "$CFG/tiny-yolo.cfg" -w "$w" --threads 1 --precision int8 -o "$p-cpu-int8.plan" >/dev/null 2>&1
"$PY" "$SEEDS/plan-regressions.py" "$c/plan" "$x/plan"

"$PY" "$SEEDS/images.py" "$c/image"
"$PY" "$SEEDS/hostile-images.py" "$x/image"

# fuzz-coco reads the annotations up to the first NUL and the results after it.
{ tr -d '\n' < "$SEEDS/coco-set-and-dets.annotations.json"; printf '\0'; tr -d '\n' < "$SEEDS/coco-set-and-dets.results.json"; } \
    > "$c/coco/set-and-dets.bin"
# fuzz-plan-header: input bytes overwrite the base plan's header from byte 8; empty = the plan as built.
: > "$c/plan-header/unchanged"
printf '\5\0\0\0' > "$c/plan-header/format-only"   # this darkrt's PLAN_FORMAT (src/engine/plan.c)
printf '\1\0\0\0' > "$c/plan-header/format-1"      # layers as raw drt_layer structs: refused, rebuild

rm -rf "$OUT"
mv "$tmp" "$OUT"
