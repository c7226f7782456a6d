#!/usr/bin/env bash
# Model arguments as a new user types them: a cfg without weights is an error (all-zero weights
# found "0 objects" and exited 0) unless --random-weights asks for synthesised ones (the same as
# `darkrt synth` seed 1 + -w); `detect CFG WEIGHTS IMAGE` (Darknet's order) equals -w; every
# command taking a model accepts -w and --weights; --anchors/--masks/--classes give an ONNX file
# without darkrt's metadata its YOLO heads (the same boxes as the ONNX file with metadata).
source "$(dirname "$0")/../lib.sh"
[ -x "$DARKRT" ] || skip "no darkrt in $DRT_BUILD"
[ -f "$FASTEST_CFG" ] && [ -f "$FASTEST_WEIGHTS" ] || skip "yolo-fastest-1.1 not found (DRT_SHARED)"
C=$FASTEST_CFG W=$FASTEST_WEIGHTS IMG=$DN_DATA/dog.jpg
export DRT_CPU_TUNE=0 # the same layer choices every run: equal boxes to the last digit
dets() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); r=r[0] if isinstance(r,list) else r; print(json.dumps(r["detections"]))' "$1"; }

# 1. No weights: an error naming the cfg and the way out, from every command taking a model.
why="yolo-fastest-1.1.cfg: a cfg needs its weights: -w/--weights"
expect_error "detect without weights" "$why" "$DARKRT" detect "$C" "$IMG" -o "$TMP/x.png"
expect_error "run without weights" "$why" "$DARKRT" run "$C" --random 1 -o "$TMP/h.f32"
expect_error "build without weights" "$why" "$DARKRT" build "$C" -o "$TMP/x.plan"
expect_error "bench without weights" "$why" "$DARKRT" bench "$C" --runs 1
expect_error "convert without weights" "$why" "$DARKRT" convert "$C" -o "$TMP/x.onnx"
expect_error "eval without weights" "$why" "$DARKRT" eval "$C" "$IMG" --engine cpu-fp32
[ ! -e "$TMP/x.png" ] && [ ! -e "$TMP/x.plan" ] && [ ! -e "$TMP/x.onnx" ] && ok "nothing written" || fail "an output was written"
"$DARKRT" inspect "$C" >/dev/null 2>&1 && ok "inspect reads a cfg's shapes without weights" || fail "inspect needs weights"

# 2. --random-weights: darkrt synth's seed 1.
"$DARKRT" synth "$C" -o "$TMP/s1.weights" >/dev/null || fail "synth"
"$DARKRT" detect "$C" --random-weights "$IMG" -o "$TMP/r.png" -j "$TMP/r.json" --thresh 0.5 >/dev/null 2>&1 || fail "detect --random-weights"
"$DARKRT" detect "$C" -w "$TMP/s1.weights" "$IMG" -o "$TMP/s.png" -j "$TMP/s.json" --thresh 0.5 >/dev/null 2>&1 || fail "detect synth weights"
[ "$(dets "$TMP/r.json")" = "$(dets "$TMP/s.json")" ] && [ "$(dets "$TMP/r.json")" != "[]" ] \
    && ok "--random-weights = synth seed 1 ($(dets "$TMP/r.json" | grep -o class_id | wc -l) boxes)" || fail "--random-weights differs from synth seed 1"

# 3. Darknet's order: detect CFG WEIGHTS IMAGE.
"$DARKRT" detect "$C" "$W" "$IMG" -o "$TMP/p.png" -j "$TMP/p.json" >/dev/null 2>&1 || fail "detect CFG WEIGHTS IMAGE"
"$DARKRT" detect "$C" -w "$W" "$IMG" -o "$TMP/w.png" -j "$TMP/w.json" >/dev/null 2>&1 || fail "detect CFG -w WEIGHTS IMAGE"
grep -q '"dog"' "$TMP/p.json" && [ "$(dets "$TMP/p.json")" = "$(dets "$TMP/w.json")" ] \
    && ok "detect CFG WEIGHTS IMAGE = detect CFG -w WEIGHTS IMAGE (dog found)" || fail "positional weights: $(dets "$TMP/p.json") vs $(dets "$TMP/w.json")"

# 4. -w and --weights everywhere.
for w in -w --weights; do
    "$DARKRT" convert "$C" $w "$W" -o "$TMP/c$w.onnx" >/dev/null 2>&1 || fail "convert $w"
    "$DARKRT" build "$C" $w "$W" -o "$TMP/b$w.plan" >/dev/null 2>&1 || fail "build $w"
    "$DARKRT" run "$C" $w "$W" --random 1 -o "$TMP/h$w.f32" >/dev/null 2>&1 || fail "run $w"
    "$DARKRT" bench "$C" $w "$W" --runs 1 --warmup 0 >/dev/null 2>&1 || fail "bench $w"
    "$DARKRT" detect "$C" $w "$W" "$IMG" -o "$TMP/d$w.png" >/dev/null 2>&1 || fail "detect $w"
    "$DARKRT" eval "$C" $w "$W" "$IMG" --engine cpu-fp32 >/dev/null 2>&1 || fail "eval $w"
    "$DARKRT" compare "$C" $w "$W" "$IMG" --engines ref --runs 1 --warmup 0 >/dev/null 2>&1 || fail "compare $w"
done
cmp -s "$TMP/c-w.onnx" "$TMP/c--weights.onnx" && cmp -s "$TMP/h-w.f32" "$TMP/h--weights.f32" \
    && ok "-w and --weights accepted by convert, build, run, bench, detect, eval, compare" || fail "-w and --weights differ"

# 5. A foreign ONNX file (darkrt's export with its metadata stripped) given anchors and masks.
# The resize and NMS are fixed on every side: a bare ONNX carries no cfg semantics to follow.
"$DARKRT" convert "$C" -w "$W" -o "$TMP/meta.onnx" >/dev/null || fail "convert"
python3 -c 'import onnx,sys; m=onnx.load(sys.argv[1]); del m.metadata_props[:]; onnx.save(m, sys.argv[2])' \
    "$TMP/meta.onnx" "$TMP/bare.onnx" || skip "python3 onnx missing (make deps)"
expect_error "random weights for ONNX" "only for a Darknet cfg" "$DARKRT" convert "$TMP/meta.onnx" -o "$TMP/f.onnx" --random-weights
A="12,18, 37,49, 52,132, 115,73, 119,199, 242,238" # from the cfg's [yolo] sections
"$DARKRT" detect "$TMP/meta.onnx" --resize letterbox --nms-kind default "$IMG" -o "$TMP/m.png" -j "$TMP/m.json" >/dev/null 2>&1 || fail "detect meta.onnx"
"$DARKRT" detect "$TMP/bare.onnx" --anchors "$A" --masks "3,4,5;0,1,2" --classes 80 --resize letterbox --nms-kind default "$IMG" -o "$TMP/b.png" \
    -j "$TMP/b.json" >/dev/null 2>&1 || fail "detect bare.onnx --anchors --masks"
python3 - "$TMP/m.json" "$TMP/b.json" <<'PY' && ok "bare ONNX + --anchors/--masks/--classes: the metadata's boxes" || fail "anchors from the CLI: other boxes"
import json, sys
def boxes(p):
    r = json.load(open(p)); r = r[0] if isinstance(r, list) else r
    return [(d["class_id"], round(d["score"], 5), [round(v, 2) for v in d["box"].values()]) for d in r["detections"]]
a, b = boxes(sys.argv[1]), boxes(sys.argv[2])
assert a and a == b, (a, b)
PY
"$DARKRT" convert "$TMP/bare.onnx" --anchors "$A" --masks "3,4,5;0,1,2" -o "$TMP/again.onnx" >/dev/null 2>&1 &&
    "$DARKRT" detect "$TMP/again.onnx" --resize letterbox --nms-kind default "$IMG" -o "$TMP/a.png" -j "$TMP/a.json" >/dev/null 2>&1 &&
    [ "$(dets "$TMP/a.json" | sed 's/"label": "[a-z ]*"//g')" = "$(dets "$TMP/m.json" | sed 's/"label": "[a-z ]*"//g')" ] \
    && ok "convert --anchors --masks writes them into the ONNX metadata" || fail "convert --anchors: $(dets "$TMP/a.json")"
expect_error "wrong --classes" "classes 20: head of layer" "$DARKRT" detect "$TMP/bare.onnx" --anchors "$A" --masks "3,4,5;0,1,2" --classes 20 "$IMG" -o "$TMP/z.png"
expect_error "anchors without masks" "anchors and --masks go together" "$DARKRT" detect "$TMP/bare.onnx" --anchors "$A" "$IMG" -o "$TMP/z.png"
expect_error "bad masks" "masks" "$DARKRT" detect "$TMP/bare.onnx" --anchors "$A" --masks "3,4;0,1,2" "$IMG" -o "$TMP/z.png"
finish
