#!/usr/bin/env bash
# darkrt detect end to end on yolo-fastest-1.1: bboxes.png by default, names from coco.names
# next to the cfg, Darknet's dog (Debian's `darknet detect` reports dog 61%), JSON schema,
# batches equal single runs, stretch mode, directories, and one-line errors for bad flags.
source "$(dirname "$0")/../lib.sh"
[ -x "$DARKRT" ] || skip "no darkrt in $DRT_BUILD"
[ -f "$FASTEST_CFG" ] && [ -f "$FASTEST_WEIGHTS" ] || skip "yolo-fastest-1.1 not found (DRT_SHARED)"
M=("$FASTEST_CFG" --weights "$FASTEST_WEIGHTS" --device ref)
PY=python3

# One image, no -o: bboxes.png in the working directory, a Darknet-like summary on stdout.
# The cfg's semantics by default (AlexeyAB's Darknet: stretch, greedynms), pjreddie's on request.
out=$(cd "$TMP" && "$DARKRT" detect "${M[@]}" "$DN_DATA/dog.jpg" 2>"$TMP/err"); rc=$?
[ $rc -eq 0 ] || fail "dog: exit $rc: $(cat "$TMP/err")"
grep -q '^  dog: 65%' <<<"$out" && ok "dog at 65% as AlexeyAB's Darknet reports" || fail "no 'dog: 65%' line: $out"
pj=$(cd "$TMP" && "$DARKRT" detect "${M[@]}" "$DN_DATA/dog.jpg" --bn pjreddie -o "$TMP/pj.png" 2>&1)
grep -q '^  dog: 61%' <<<"$pj" && ok "--bn pjreddie: dog at 61% as Debian's Darknet reports" || fail "--bn pjreddie: $pj"
ov=$("$DARKRT" detect "${M[@]}" "$DN_DATA/dog.jpg" --resize letterbox --nms-kind default -o "$TMP/ov.png" 2>&1)
grep -q "note: --resize letterbox overrides the model's stretch" <<<"$ov" &&
    grep -q "note: --nms-kind default overrides the model's greedynms" <<<"$ov" && grep -q '^  dog: 61%' <<<"$ov" &&
    ok "--resize/--nms-kind say what they override" || fail "overrides: $ov"
expect_error "unknown nms kind" "nms-kind softnms: unknown value" "$DARKRT" detect "${M[@]}" "$DN_DATA/dog.jpg" --nms-kind softnms
grep -q '^  bicycle: ' <<<"$out" && grep -q '^  car: ' <<<"$out" || fail "no bicycle and car: $out"
$PY - "$TMP/bboxes.png" <<'PY' && ok "bboxes.png is a 768x576 RGB PNG" || fail "bboxes.png missing or wrong"
import struct, sys
d = open(sys.argv[1], 'rb').read()
assert d[:8] == b'\x89PNG\r\n\x1a\n' and d[12:16] == b'IHDR'
w, h, depth, ctype = struct.unpack('>IIBB', d[16:26])
assert (w, h, depth, ctype) == (768, 576, 8, 2), (w, h, depth, ctype)
PY

# JSON on stdout (the summary moves to stderr): the documented schema, boxes inside the image.
"$DARKRT" detect "${M[@]}" "$DN_DATA/person.jpg" --json - -o "$TMP/person.png" >"$TMP/person.json" 2>"$TMP/err" \
    || fail "person --json -: $(cat "$TMP/err")"
$PY - "$TMP/person.json" <<'PY' && ok "JSON schema" || fail "JSON schema: $(cat "$TMP/person.json")"
import json, sys
a = json.load(open(sys.argv[1]))
assert isinstance(a, list) and len(a) == 1, a  # one shape: an array, even for one image
r = a[0]
assert set(r) == {"image", "width", "height", "detections", "timing_ms"}, r.keys()
assert r["image"].endswith("person.jpg") and (r["width"], r["height"]) == (640, 424)
assert set(r["timing_ms"]) == {"preprocess", "inference", "postprocess"}
assert all(v >= 0 for v in r["timing_ms"].values())
labels = [d["label"] for d in r["detections"]]
assert "person" in labels and not any(l.isdigit() for l in labels), labels  # names from coco.names
scores = [d["score"] for d in r["detections"]]
assert scores == sorted(scores, reverse=True) and all(0.25 < s <= 1 for s in scores)
for d in r["detections"]:
    assert set(d) == {"class_id", "label", "score", "box"} and isinstance(d["class_id"], int)
    b = d["box"]
    assert 0 <= b["x1"] < b["x2"] <= 640 and 0 <= b["y1"] < b["y2"] <= 424, b
PY
grep -q 'person.jpg: ' "$TMP/err" || fail "--json -: the summary should go to stderr"

# Several images: batched (--batch 3) and one by one (--batch 1) give the same detections.
"$DARKRT" detect "${M[@]}" "$DN_DATA/dog.jpg" "$DN_DATA/horses.jpg" "$DN_DATA/kite.jpg" "$DN_DATA/eagle.jpg" \
    --batch 3 --json "$TMP/b3.json" -o "$TMP/b3" >/dev/null 2>&1 || fail "batch 3 failed"
"$DARKRT" detect "${M[@]}" "$DN_DATA/dog.jpg" "$DN_DATA/horses.jpg" "$DN_DATA/kite.jpg" "$DN_DATA/eagle.jpg" \
    --batch 1 --json "$TMP/b1.json" >/dev/null 2>&1 || fail "batch 1 failed"
$PY - "$TMP/b3.json" "$TMP/b1.json" <<'PY' && ok "batch 3 == batch 1" || fail "batched detections differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert isinstance(a, list) and len(a) == len(b) == 4
for x, y in zip(a, b):
    assert x["image"] == y["image"] and len(x["detections"]) == len(y["detections"]) > 0
    for p, q in zip(x["detections"], y["detections"]):
        assert p["class_id"] == q["class_id"] and abs(p["score"] - q["score"]) < 1e-4
PY
for n in dog horses kite eagle; do [ -s "$TMP/b3/$n.png" ] || fail "-o dir: $n.png missing"; done

# Stretch: a different network input, still a dog near the same place.
"$DARKRT" detect "${M[@]}" "$DN_DATA/dog.jpg" --resize stretch --json "$TMP/s.json" -o "$TMP/s.png" >/dev/null 2>&1 \
    || fail "stretch failed"
$PY - "$TMP/s.json" <<'PY' && ok "stretch finds the dog" || fail "stretch: no dog"
import json, sys
r = json.load(open(sys.argv[1]))[0]
dogs = [d for d in r["detections"] if d["label"] == "dog"]
assert dogs and 80 < dogs[0]["box"]["x1"] < 160 and 350 < dogs[0]["box"]["x2"] < 450, dogs
PY

# --thresh 0.9 keeps only boxes above 0.9; --names with a short file is refused.
"$DARKRT" detect "${M[@]}" "$DN_DATA/person.jpg" --thresh 0.9 --json "$TMP/t.json" -o "$TMP/t.png" >/dev/null 2>&1
$PY -c 'import json,sys; r=json.load(open(sys.argv[1]))[0]; assert all(d["score"]>0.9 for d in r["detections"])' \
    "$TMP/t.json" && ok "--thresh 0.9" || fail "--thresh 0.9"

# Bad flags and paths: one line, non-zero, nothing written.
expect_error "thresh out of range" 'thresh 2: must be' "$DARKRT" detect "${M[@]}" "$DN_DATA/dog.jpg" --thresh 2
expect_error "unknown resize" 'resize crop: unknown' "$DARKRT" detect "${M[@]}" "$DN_DATA/dog.jpg" --resize crop
expect_error "unknown device" 'device tpu: unknown' "$DARKRT" detect "${M[@]}" "$DN_DATA/dog.jpg" --device tpu
expect_error "unknown precision" 'precision fp8: unknown' "$DARKRT" detect "${M[@]}" "$DN_DATA/dog.jpg" --precision fp8
expect_error "batch 0" 'batch 0: must be' "$DARKRT" detect "${M[@]}" "$DN_DATA/dog.jpg" --batch 0
expect_error "pre gpu without cuda" "pre gpu and --post gpu need a CUDA engine" "$DARKRT" detect "${M[@]}" "$DN_DATA/dog.jpg" --pre gpu
expect_error "post gpu-decode without cuda" "need a CUDA engine" "$DARKRT" detect "${M[@]}" "$DN_DATA/dog.jpg" --post gpu-decode
expect_error "unknown post" "post gpux: must be cpu, gpu or gpu-decode" "$DARKRT" detect "${M[@]}" "$DN_DATA/dog.jpg" --post gpux
expect_error "no image" 'at least one image' "$DARKRT" detect "${M[@]}"
expect_error "missing image" 'nope.jpg.*cannot open' "$DARKRT" detect "${M[@]}" "$TMP/nope.jpg" -o "$TMP/x.png"
expect_error "missing model" 'missing.cfg' "$DARKRT" detect "$TMP/missing.cfg" "$DN_DATA/dog.jpg"
expect_error "unwritable output" 'no/such/dir/out.png' "$DARKRT" detect "${M[@]}" "$DN_DATA/dog.jpg" -o "$TMP/no/such/dir/out.png"
expect_error "-o not a PNG" 'give a .png name' "$DARKRT" detect "${M[@]}" "$DN_DATA/dog.jpg" -o "$TMP/out.jpg"
expect_error "-o file for many images" 'output directory' "$DARKRT" detect "${M[@]}" "$DN_DATA/dog.jpg" "$DN_DATA/eagle.jpg" -o "$TMP/bboxes.png"
: >"$TMP/afile"
expect_error "-o a directory that cannot be made" 'nodir/sub: cannot create the directory: No such file or directory' \
    "$DARKRT" detect "${M[@]}" "$DN_DATA/dog.jpg" "$DN_DATA/eagle.jpg" -o "$TMP/nodir/sub"
expect_error "--save-txt under a file" 'save-txt .*afile/sub: cannot create the directory: Not a directory' \
    "$DARKRT" detect "${M[@]}" "$DN_DATA/dog.jpg" -o "$TMP/y.png" --save-txt "$TMP/afile/sub"
expect_error "--save-txt a file" 'save-txt .*afile: not a directory' \
    "$DARKRT" detect "${M[@]}" "$DN_DATA/dog.jpg" -o "$TMP/y.png" --save-txt "$TMP/afile"
[ -e "$TMP/x.png" ] && fail "an output was written for a missing image"
ls "$TMP"/*.tmp-* >/dev/null 2>&1 && fail "temporary files left behind"
finish
